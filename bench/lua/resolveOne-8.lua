--[[
  Benchmark-only copy of the per-intent body of core/lua/resolveSpins-8.lua, for one intent per
  call, so that `redis-benchmark` can measure how many spin resolutions per second one Redis core
  can do in Lua (bench/spin.ts reports it as redis_lua_ceiling_per_s). It does the same reads and
  writes as the real resolver does for one intent (config decode, dedup check, player counters,
  tier pick, stock decrement, result, history, ledger) and, instead of reading the intent from the
  spin stream with XRANGE, creates its id with one XADD on a capped stream (the intent append).

  KEYS[1..8] as in resolveSpins-8.lua (config, spins, cursor, inventory, issued, results, players, ledger)
  ARGV[1] player id
  ARGV[2] idempotency key
  ARGV[3] uniform random integer in [0, 1000000) (redis-benchmark's __rand_int__ with -r 1000000)
  ARGV[4] history key prefix
  ARGV[5] history length
]]
--- @include "includes/pick-tier"

local raw = redis.call('GET', KEYS[1])
if not raw then
  return {-9}
end
local cfg = cjson.decode(raw)
local limits = cfg.limits
local player, key = ARGV[1], ARGV[2]
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', '1000', '*', 'p', player, 'k', key)
local dayMs = 86400000
local offsetMs = tonumber(cfg.dayOffsetMinutes) * 60000
if redis.call('HEXISTS', KEYS[6], id) == 1 then
  return {0}
end
local at = tonumber(string.match(id, '^(%d+)'))
local day = math.floor((at + offsetMs) / dayMs)
local usedField, dayField = player .. ':used', player .. ':d:' .. day
local used = tonumber(redis.call('HGET', KEYS[7], usedField) or '0')
local today = tonumber(redis.call('HGET', KEYS[7], dayField) or '0')
local tickets = tonumber(redis.call('HGET', KEYS[7], player .. ':tickets') or '0')
local budget = tonumber(cfg.freeSpins) + tickets
local result = {
  campaignId = cfg.campaignId, intentId = id, idempotencyKey = key,
  outcome = 'rejected', tierId = cjson.null, tierName = cjson.null, reason = cjson.null,
}
if at < tonumber(cfg.schedule.liveAt) or at >= tonumber(cfg.schedule.closedAt) then
  result.reason = 'E_CAMPAIGN_NOT_LIVE'
elseif used >= tonumber(limits.spinsPerCampaign) then
  result.reason = 'E_CAMPAIGN_LIMIT'
elseif used >= budget then
  result.reason = 'E_NO_SPINS_LEFT'
elseif today >= tonumber(limits.spinsPerDay) then
  result.reason = 'E_DAILY_LIMIT'
else
  used = redis.call('HINCRBY', KEYS[7], usedField, 1)
  today = redis.call('HINCRBY', KEYS[7], dayField, 1)
  local tier = pickTier(cfg.tiers, tonumber(ARGV[3]))
  result.outcome = 'lost'
  if tier then
    local wins = tonumber(redis.call('HGET', KEYS[7], player .. ':wins') or '0')
    if wins >= tonumber(limits.winsPerCampaign) then
      result.reason = 'win_cap'
    elseif tonumber(redis.call('HGET', KEYS[4], tier.tierId) or '0') <= 0 then
      result.reason = 'sold_out'
    else
      redis.call('HINCRBY', KEYS[4], tier.tierId, -1)
      redis.call('HINCRBY', KEYS[5], tier.tierId, 1)
      redis.call('HINCRBY', KEYS[7], player .. ':wins', 1)
      result.outcome = 'won'
      result.tierId = tier.tierId
      result.tierName = tier.name
    end
  end
end
result.spinsLeft = math.max(0, math.min(budget - used, tonumber(limits.spinsPerCampaign) - used, tonumber(limits.spinsPerDay) - today))
local t = redis.call('TIME')
result.resolvedAt = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local json = cjson.encode(result)
redis.call('HSET', KEYS[6], id, json)
local history = ARGV[4] .. player
redis.call('RPUSH', history, json)
redis.call('LTRIM', history, -tonumber(ARGV[5]), -1)
redis.call('XADD', KEYS[8], '*', 'type', 'spin', 'intent', id, 'player', player,
  'outcome', result.outcome, 'tier', result.tierId == cjson.null and '' or result.tierId)
redis.call('SET', KEYS[3], id)
return {1, player, json}
