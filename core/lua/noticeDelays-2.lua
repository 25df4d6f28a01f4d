--[[
  Wins still pending past their issue-within time: each is marked `delayed` once and returned, so
  the caller tells the winner (the compensation notice). Settled wins are just dropped from the zset.

  KEYS[1] wins hash  KEYS[2] issue:due zset
  ARGV[1] most to take

  Returns records JSON of the wins newly marked delayed.
]]
--- @include "includes/now-ms"
--- @include "includes/win"

local now = nowMs()
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local out = {}
for _, winId in ipairs(ids) do
  redis.call('ZREM', KEYS[2], winId)
  local rec = loadWin(KEYS[1], winId)
  if rec and rec.status == 'pending' and not rec.delayed then
    rec.delayed = true
    rec.delayedAt = now
    saveWin(KEYS[1], rec)
    out[#out + 1] = cjson.encode(rec)
  end
end
return out
