--[[
  Grants spins (tickets) to a player of a campaign.

  KEYS[1] config (JSON)           ld:{campaign:C}:config
  KEYS[2] players hash            ld:{campaign:C}:players
  KEYS[3] ledger stream           ld:{campaign:C}:ledger
  KEYS[4] host requests hash      ld:{campaign:C}:requests  (idempotency key -> reply)
  ARGV[1] playerId
  ARGV[2] tickets (> 0)
  ARGV[3] idempotency key ('' for none): a repeated request gets the first one's reply, applied once

  Returns {0, ticketsTotal} | {-9} E_CAMPAIGN_NOT_FOUND
]]
--- @include "includes/once"

local prior = onceReply(KEYS[4], ARGV[3])
if prior then return prior end
if redis.call('EXISTS', KEYS[1]) == 0 then return {-9} end
local total = redis.call('HINCRBY', KEYS[2], ARGV[1] .. ':tickets', ARGV[2])
redis.call('XADD', KEYS[3], '*', 'type', 'tickets', 'player', ARGV[1], 'add', ARGV[2])
return onceRemember(KEYS[4], ARGV[3], {0, total})
