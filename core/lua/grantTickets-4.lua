--[[
  A host grants tickets (spins, entry weight) to a player of a campaign: one ledger entry, reason `grant`.

  KEYS[1] config (JSON)           ld:{campaign:C}:config
  KEYS[2] players hash            ld:{campaign:C}:players
  KEYS[3] ticket ledger stream    ld:{campaign:C}:tickets:ledger
  KEYS[4] host requests hash      ld:{campaign:C}:requests  (idempotency key -> reply)
  ARGV[1] playerId
  ARGV[2] tickets (> 0)
  ARGV[3] idempotency key ('' for none): a repeated request gets the first one's reply, applied once
  ARGV[4] ledger ref (the granting host's id)

  Returns {0, balance} | {-9} E_CAMPAIGN_NOT_FOUND
]]
--- @include "includes/once"
--- @include "includes/tickets"

local prior = onceReply(KEYS[4], ARGV[3])
if prior then return prior end
if redis.call('EXISTS', KEYS[1]) == 0 then return {-9} end
local balance = moveTickets(KEYS[2], KEYS[3], ARGV[1], tonumber(ARGV[2]), 'grant', ARGV[4])
return onceRemember(KEYS[4], ARGV[3], {0, balance})
