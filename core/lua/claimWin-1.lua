--[[
  The winner of a physical prize submits (or corrects, until it ships) the claim form: name, phone
  and address, sealed by the caller (AES-256-GCM), before the claim deadline.

  KEYS[1] wins hash
  ARGV[1] winId  ARGV[2] playerId (must be the winner)  ARGV[3] sealed form

  Returns {0, recordJson} | {-26} E_WIN_NOT_FOUND | {-27} E_WIN_STATE | {-25} E_REDEMPTION_EXPIRED
]]
--- @include "includes/now-ms"
--- @include "includes/win"

local rec = loadWin(KEYS[1], ARGV[1])
if not rec or rec.playerId ~= ARGV[2] then return {-26} end
if rec.prizeKind ~= 'physical' or rec.status ~= 'pending' then return {-27} end
local now = nowMs()
if winExpired(rec, now) then return {-25} end
rec.claim = ARGV[3]
rec.claimedAt = now
saveWin(KEYS[1], rec)
return {0, cjson.encode(rec)}
