--[[
  Wins whose claim deadline has passed: a pending or issued (unredeemed) one becomes `expired`, in
  the same step for each; redeemed, failed and already expired ones just leave the deadline zset.

  KEYS[1] wins hash  KEYS[2] wins:expiry zset  KEYS[3] issue:pending  KEYS[4] issue:due  KEYS[5] funnel
  KEYS[6] ledger stream
  ARGV[1] most to take

  Returns records JSON of the wins expired now.
]]
--- @include "includes/now-ms"
--- @include "includes/win"

local k = { wins = KEYS[1], pending = KEYS[3], due = KEYS[4], funnel = KEYS[5], ledger = KEYS[6] }
local now = nowMs()
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local out = {}
for _, winId in ipairs(ids) do
  redis.call('ZREM', KEYS[2], winId)
  local rec = loadWin(k.wins, winId)
  if rec and (rec.status == 'pending' or rec.status == 'issued') and winExpired(rec, now) then
    endWin(k, rec, 'expired', now, 'claim deadline passed')
    out[#out + 1] = cjson.encode(rec)
  end
end
return out
