--[[
  Adds stock to one prize tier (safe at any time before the campaign closes).

  KEYS[1] config (JSON)           ld:{campaign:C}:config
  KEYS[2] inventory hash          ld:{campaign:C}:inventory
  KEYS[3] stocked hash            ld:{campaign:C}:stocked
  KEYS[4] ledger stream           ld:{campaign:C}:ledger
  KEYS[5] host requests hash      ld:{campaign:C}:requests  (idempotency key -> reply)
  ARGV[1] tierId
  ARGV[2] amount to add (> 0)
  ARGV[3] idempotency key ('' for none): a repeated request gets the first one's reply, applied once

  Returns {0, remaining}  added
          {-9}            E_CAMPAIGN_NOT_FOUND
          {-11}           E_TIER_NOT_FOUND
          {-12}           E_CAMPAIGN_NOT_LIVE: the campaign has closed
]]
--- @include "includes/now-ms"
--- @include "includes/once"

local prior = onceReply(KEYS[5], ARGV[3])
if prior then return prior end
local raw = redis.call('GET', KEYS[1])
if not raw then return {-9} end
local cfg = cjson.decode(raw)
local known = false
for _, tier in ipairs(cfg.tiers) do
  if tier.tierId == ARGV[1] then known = true end
end
if not known then return {-11} end
if nowMs() >= tonumber(cfg.schedule.closedAt) then return {-12} end
local remaining = redis.call('HINCRBY', KEYS[2], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[3], ARGV[1], ARGV[2])
redis.call('XADD', KEYS[4], '*', 'type', 'stock', 'tier', ARGV[1], 'add', ARGV[2])
return onceRemember(KEYS[5], ARGV[3], {0, remaining})
