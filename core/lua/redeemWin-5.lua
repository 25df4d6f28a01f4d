--[[
  Redeems (核销) an issued prize by its one-time code, atomically: exactly one of any number of
  parallel attempts succeeds. Refused: an unknown code, a win not issued (pending, failed), a second
  redemption, a win past its claim deadline (which becomes `expired`).

  KEYS[1] wins hash  KEYS[2] redemption codes  KEYS[3] players  KEYS[4] funnel  KEYS[5] ledger
  ARGV[1] redemption code
  ARGV[2] win id the caller expects ('' for any: a typed code; the QR's win otherwise)
  ARGV[3] staff id

  Returns {0, recordJson} | {-23} E_REDEMPTION_INVALID | {-24, recordJson} E_ALREADY_REDEEMED | {-25} E_REDEMPTION_EXPIRED
]]
--- @include "includes/now-ms"
--- @include "includes/win"

local winId = redis.call('HGET', KEYS[2], ARGV[1])
if not winId or (ARGV[2] ~= '' and ARGV[2] ~= winId) then return {-23} end
local rec = loadWin(KEYS[1], winId)
if not rec then return {-23} end
if rec.status == 'redeemed' then return {-24} end
if rec.status == 'expired' then return {-25} end
if rec.status ~= 'issued' then return {-23} end
local now = nowMs()
if winExpired(rec, now) then
  countWin(KEYS[4], 'issued', 'expired')
  rec.status = 'expired'
  rec.endedAt = now
  saveWin(KEYS[1], rec)
  redis.call('XADD', KEYS[5], '*', 'type', 'expired', 'win', winId, 'player', rec.playerId, 'tier', rec.tierId, 'reason', 'claim deadline passed')
  return {-25}
end
countWin(KEYS[4], 'issued', 'redeemed')
rec.status = 'redeemed'
rec.redeemedAt = now
rec.redeemedBy = ARGV[3]
saveWin(KEYS[1], rec)
if redis.call('HINCRBY', KEYS[3], rec.playerId .. ':redeemed', 1) == 1 then funnelStep(KEYS[4], rec, 'redeemed') end
redis.call('XADD', KEYS[5], '*', 'type', 'redeemed', 'win', winId, 'player', rec.playerId, 'tier', rec.tierId, 'staff', ARGV[3])
return {0, cjson.encode(rec)}
