--[[
  Creates an instant-win campaign, or replaces one that has not gone live yet.

  KEYS[1] config (JSON)           ld:{campaign:C}:config
  KEYS[2] inventory hash          ld:{campaign:C}:inventory
  KEYS[3] stocked hash            ld:{campaign:C}:stocked
  KEYS[4] ledger stream           ld:{campaign:C}:ledger
  ARGV[1] mode: 'create' | 'replace'
  ARGV[2] config JSON (StoredCampaign)
  ARGV[3..] tierId, inventory, tierId, inventory, ...

  Returns 0    saved
          -8   E_CAMPAIGN_EXISTS (create)
          -9   E_CAMPAIGN_NOT_FOUND (replace)
          -10  E_CAMPAIGN_LOCKED (replace after the existing config went live, by Redis time)
]]
--- @include "includes/now-ms"

local existing = redis.call('GET', KEYS[1])
if ARGV[1] == 'create' then
  if existing then return -8 end
else
  if not existing then return -9 end
  if nowMs() >= tonumber(cjson.decode(existing).schedule.liveAt) then return -10 end
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2], KEYS[3])
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
end
redis.call('XADD', KEYS[4], '*', 'type', ARGV[1], 'config', ARGV[2])
return 0
