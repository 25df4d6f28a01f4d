--[[
  Issues pending wins of kinds the store can issue by itself, each atomically: `onsite` (the record
  and its redemption code are the prize), `coupon` (pops the next code of the tier's pool: a code is
  never issued twice; an empty pool leaves the win pending until codes are loaded) and `points`
  (credited to the points board and the campaign ledger). A win that is not pending is skipped; a
  pending win past its claim deadline expires instead.

  KEYS[1] wins hash          KEYS[2] issue:pending zset   KEYS[3] issue:due zset
  KEYS[4] redemption codes   KEYS[5] players hash         KEYS[6] funnel hash
  KEYS[7] ledger stream      KEYS[8] points leaderboard   KEYS[9] leaderboard versions
  ARGV[1] coupon pool key prefix   ld:{campaign:C}:coupons:   (+ tierId; same hash tag)
  ARGV[2..] pairs: winId, redemption code (random, made by the caller)

  Returns, per pair: status, record JSON ('' unless issued or expired); status is one of
  'issued', 'skipped' (not pending, or a kind issued elsewhere), 'no-code' (coupon pool empty),
  'collision' (code taken: retry), 'expired'. Then per coupon tier touched: tierId, codes left.
]]
--- @include "includes/now-ms"
--- @include "includes/win"

local k = { wins = KEYS[1], pending = KEYS[2], due = KEYS[3], codes = KEYS[4], players = KEYS[5], funnel = KEYS[6], ledger = KEYS[7] }
local now = nowMs()
local out = {}
local pools = {}
for i = 2, #ARGV, 2 do
  local winId, code = ARGV[i], ARGV[i + 1]
  local rec = loadWin(k.wins, winId)
  local status, json = 'skipped', ''
  if rec and rec.status == 'pending' then
    if winExpired(rec, now) then
      endWin(k, rec, 'expired', now, 'claim deadline passed before issuance')
      status, json = 'expired', cjson.encode(rec)
    elseif rec.prizeKind == 'onsite' then
      if issueWin(k, rec, code, now, {}) then status, json = 'issued', cjson.encode(rec) else status = 'collision' end
    elseif rec.prizeKind == 'coupon' then
      local pool = ARGV[1] .. rec.tierId
      pools[rec.tierId] = pool
      -- Check the code first: a popped coupon must never be lost to a collision.
      if redis.call('HEXISTS', k.codes, code) == 1 then
        status = 'collision'
      else
        local coupon = redis.call('LPOP', pool)
        if not coupon then
          status = 'no-code'
        else
          issueWin(k, rec, code, now, { coupon = coupon })
          status, json = 'issued', cjson.encode(rec)
        end
      end
    elseif rec.prizeKind == 'points' then
      if redis.call('HEXISTS', k.codes, code) == 1 then
        status = 'collision'
      else
        local points = tonumber(rec.points or 0)
        redis.call('ZINCRBY', KEYS[8], points, rec.playerId)
        redis.call('HINCRBY', KEYS[9], 'points', 1)
        redis.call('XADD', k.ledger, '*', 'type', 'points', 'player', rec.playerId, 'points', points, 'reason', 'prize', 'win', winId)
        issueWin(k, rec, code, now, {})
        status, json = 'issued', cjson.encode(rec)
      end
    end
  end
  out[#out + 1] = status
  out[#out + 1] = json
end
for tierId, pool in pairs(pools) do
  out[#out + 1] = tierId
  out[#out + 1] = redis.call('LLEN', pool)
end
return out
