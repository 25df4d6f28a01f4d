--[[
  Settles one pending win from outside the store: a partner's webhook answered (`issued`), its
  retries ran out (`failed`, with a dead-letter entry), a physical prize shipped (`shipped`: needs the
  winner's claim form; issued with carrier and tracking number), or the queue took a webhook win
  (`queued`: leaves the issuance queue, stays pending).

  KEYS[1] wins hash  KEYS[2] issue:pending  KEYS[3] issue:due  KEYS[4] redemption codes
  KEYS[5] players    KEYS[6] funnel         KEYS[7] ledger     KEYS[8] issue:dead (dead letters)
  ARGV[1] action: issued | failed | shipped | queued
  ARGV[2] winId
  ARGV[3] redemption code (issued, shipped)
  ARGV[4] detail: the partner's reference (issued), the failure (failed), shipment JSON (shipped)
  ARGV[5] attempts made (failed)

  Returns {0, recordJson} changed | {1, recordJson} already settled (not pending: nothing changed)
          {2} code collision (retry with another) | {-26} E_WIN_NOT_FOUND | {-27} E_WIN_STATE | {-25} E_REDEMPTION_EXPIRED
]]
--- @include "includes/now-ms"
--- @include "includes/win"

local k = { wins = KEYS[1], pending = KEYS[2], due = KEYS[3], codes = KEYS[4], players = KEYS[5], funnel = KEYS[6], ledger = KEYS[7] }
local action, winId = ARGV[1], ARGV[2]
local rec = loadWin(k.wins, winId)
if not rec then return {-26} end
if rec.status ~= 'pending' then
  if action == 'shipped' then return {-27} end
  return {1, cjson.encode(rec)}
end
local now = nowMs()
if action == 'queued' then
  rec.queuedAt = now
  saveWin(k.wins, rec)
  redis.call('ZREM', k.pending, winId)
  return {0, cjson.encode(rec)}
elseif action == 'issued' then
  if not issueWin(k, rec, ARGV[3], now, { externalRef = ARGV[4] }) then return {2} end
elseif action == 'shipped' then
  if rec.prizeKind ~= 'physical' or not rec.claim then return {-27} end
  if not issueWin(k, rec, ARGV[3], now, { shipment = cjson.decode(ARGV[4]) }) then return {2} end
elseif action == 'failed' then
  endWin(k, rec, 'failed', now, ARGV[4])
  redis.call('XADD', KEYS[8], 'MAXLEN', '~', 100000, '*', 'win', winId, 'player', rec.playerId, 'reason', ARGV[4], 'attempts', ARGV[5])
else
  return redis.error_reply('unknown action ' .. action)
end
return {0, cjson.encode(rec)}
