--[[
  Loads coupon codes into a coupon tier's pool. A code seen before in this campaign (in any tier, in
  any earlier load) is skipped, so no code is ever issued twice.

  KEYS[1] config (JSON)  KEYS[2] seen codes set  KEYS[3] the tier's pool list
  ARGV[1] tierId  ARGV[2..] codes

  Returns {0, added, duplicates, codesInPool} | {-9} E_CAMPAIGN_NOT_FOUND | {-11} E_TIER_NOT_FOUND | {-27} E_WIN_STATE (not a coupon tier)
]]
local raw = redis.call('GET', KEYS[1])
if not raw then return {-9} end
local tier = nil
for _, t in ipairs(cjson.decode(raw).tiers) do
  if t.tierId == ARGV[1] then tier = t end
end
if not tier then return {-11} end
if not tier.prize or tier.prize.kind ~= 'coupon' then return {-27} end
local added, dup = 0, 0
for i = 2, #ARGV do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then
    redis.call('RPUSH', KEYS[3], ARGV[i])
    added = added + 1
  else
    dup = dup + 1
  end
end
return {0, added, dup, redis.call('LLEN', KEYS[3])}
