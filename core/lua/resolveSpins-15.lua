--[[
  Resolves the next batch of spin intents of one campaign, in stream order, atomically. For each:
  skip it if already resolved (by intent id); check the campaign window (by the intent's own stream
  time), the player's spins left and caps (a free spin first, else one ticket, spent with a ledger
  entry `spin`); pick a tier from the caller's uniform random number;
  decrement inventory; record the result, the player's history and a ledger entry. Advances the
  cursor and trims the stream up to and including it (so XLEN = unresolved intents). A crash of the caller cannot split a batch: it is one step.

  KEYS[1] config (JSON)           ld:{campaign:C}:config
  KEYS[2] spin stream             ld:{campaign:C}:spins
  KEYS[3] cursor                  ld:{campaign:C}:spins:cursor
  KEYS[4] inventory hash          ld:{campaign:C}:inventory
  KEYS[5] issued hash             ld:{campaign:C}:issued
  KEYS[6] results hash            ld:{campaign:C}:spins:results
  KEYS[7] players hash            ld:{campaign:C}:players
  KEYS[8] ledger stream           ld:{campaign:C}:ledger
  KEYS[9] ticket ledger stream    ld:{campaign:C}:tickets:ledger
  KEYS[10] wins hash              ld:{campaign:C}:wins            (winId = intentId -> win record JSON)
  KEYS[11] issuance queue         ld:{campaign:C}:issue:pending   (zset winId by wonAt; not physical prizes)
  KEYS[12] delay-notice due       ld:{campaign:C}:issue:due       (zset winId by wonAt + claim.issueWithinSeconds)
  KEYS[13] funnel hash            ld:{campaign:C}:funnel          (entered, won: distinct players; wins:<status> counts)
  KEYS[14] claim deadlines        ld:{campaign:C}:wins:expiry     (zset winId by expiresAt)
  KEYS[15] wins' time index       ld:{campaign:C}:wins:order      (zset, score 0, padded winId: includes/win-order)
  ARGV[1] batch size n
  ARGV[2] history key prefix      ld:{campaign:C}:history:   (+ playerId; same hash tag)
  ARGV[3] history length
  ARGV[4] prefix of the per-player win lists  ld:{campaign:C}:wins:player:  (+ playerId)
  ARGV[5 .. 4+n] uniform random integers in [0, 1000000), one per intent (crypto.randomInt)

  Returns {-9}                                 E_CAMPAIGN_NOT_FOUND (no config)
          {read, player1, resultJson1, player2, resultJson2, ...}
                                               read = entries consumed (resolved now or before);
                                               one (player, result) pair per intent resolved now
]]
--- @include "includes/pick-tier"
--- @include "includes/tickets"
--- @include "includes/win-order"

local raw = redis.call('GET', KEYS[1])
if not raw then
  return {-9}
end
local cfg = cjson.decode(raw)
local n = tonumber(ARGV[1])
local historyPrefix = ARGV[2]
local historyLength = tonumber(ARGV[3])
local winsPrefix = ARGV[4]
local claim = cfg.claim
local claimMs = (claim and claim ~= cjson.null) and tonumber(claim.windowHours) * 3600000 or nil
local issueWithinMs = (claim and claim ~= cjson.null) and tonumber(claim.issueWithinSeconds) * 1000 or 600000
local cursor = redis.call('GET', KEYS[3]) or '0-0'
local entries = redis.call('XRANGE', KEYS[2], '(' .. cursor, '+', 'COUNT', n)
local limits = cfg.limits
local freeSpins = tonumber(cfg.freeSpins)
local dayMs = 86400000
local offsetMs = tonumber(cfg.dayOffsetMinutes) * 60000

-- One clock reading per batch: every result of a batch is resolved at the same Redis time.
local t = redis.call('TIME')
local resolvedAt = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local spinsPerCampaign = tonumber(limits.spinsPerCampaign)
local spinsPerDay = tonumber(limits.spinsPerDay)
local winsPerCampaign = tonumber(limits.winsPerCampaign)
local liveAt, closedAt = tonumber(cfg.schedule.liveAt), tonumber(cfg.schedule.closedAt)

-- A/B variants (core/variants.ts): the same hash of campaign and player everywhere.
local variants = cfg.variants or {}
local totalWeight = 0
for _, v in ipairs(variants) do totalWeight = totalWeight + tonumber(v.weight) end
local function variantOf(p)
  if totalWeight == 0 then return nil end
  local b = tonumber(string.sub(redis.sha1hex(cfg.campaignId .. ':' .. p), 1, 8), 16) % totalWeight
  for _, v in ipairs(variants) do
    if b < tonumber(v.weight) then return v end
    b = b - tonumber(v.weight)
  end
  return variants[#variants]
end

local out = {0}
for i, entry in ipairs(entries) do
  local id = entry[1]
  local fields = entry[2]
  local player, key = fields[2], fields[4]
  if redis.call('HEXISTS', KEYS[6], id) == 0 then
    local at = tonumber(string.match(id, '^(%d+)'))
    local day = math.floor((at + offsetMs) / dayMs)
    local usedField, dayField, winsField = player .. ':used', player .. ':d:' .. day, player .. ':wins'
    -- The player's counters in one read: used, today, ticket balance, wins.
    local c = redis.call('HMGET', KEYS[7], usedField, dayField, player .. ':tickets', winsField)
    local used, today = tonumber(c[1] or '0'), tonumber(c[2] or '0')
    local tickets = tonumber(c[3] or '0')
    local wins = tonumber(c[4] or '0')
    local variant = variantOf(player)
    local freeSpins = freeSpins
    if variant and variant.freeSpins ~= cjson.null then freeSpins = tonumber(variant.freeSpins) end
    local result = {
      campaignId = cfg.campaignId, intentId = id, idempotencyKey = key,
      outcome = 'rejected', tierId = cjson.null, tierName = cjson.null, reason = cjson.null,
    }
    if at < liveAt or at >= closedAt then
      result.reason = 'E_CAMPAIGN_NOT_LIVE'
    elseif used >= spinsPerCampaign then
      result.reason = 'E_CAMPAIGN_LIMIT'
    elseif used >= freeSpins and tickets <= 0 then
      result.reason = 'E_NO_SPINS_LEFT'
    elseif today >= spinsPerDay then
      result.reason = 'E_DAILY_LIMIT'
    else
      if used >= freeSpins then
        tickets = moveTickets(KEYS[7], KEYS[9], player, -1, 'spin', id)
      end
      used = redis.call('HINCRBY', KEYS[7], usedField, 1)
      today = redis.call('HINCRBY', KEYS[7], dayField, 1)
      if used == 1 then
        redis.call('HINCRBY', KEYS[13], 'entered', 1)
        if variant then redis.call('HINCRBY', KEYS[13], 'v:' .. variant.variantId .. ':entered', 1) end
      end
      local tier = pickTier(cfg.tiers, tonumber(ARGV[4 + i]))
      result.outcome = 'lost'
      if tier then
        if wins >= winsPerCampaign then
          result.reason = 'win_cap'
        elseif tonumber(redis.call('HGET', KEYS[4], tier.tierId) or '0') <= 0 then
          result.reason = 'sold_out'
        else
          redis.call('HINCRBY', KEYS[4], tier.tierId, -1)
          redis.call('HINCRBY', KEYS[5], tier.tierId, 1)
          if redis.call('HINCRBY', KEYS[7], winsField, 1) == 1 then
            redis.call('HINCRBY', KEYS[13], 'won', 1)
            if variant then redis.call('HINCRBY', KEYS[13], 'v:' .. variant.variantId .. ':won', 1) end
          end
          result.outcome = 'won'
          result.tierId = tier.tierId
          result.tierName = tier.name
          -- The win's record: pending until issued (docs/lifecycle.md §2.9).
          local kind = tier.prize and tier.prize.kind or 'onsite'
          redis.call('HSET', KEYS[10], id, cjson.encode({
            winId = id, campaignId = cfg.campaignId, playerId = player, tierId = tier.tierId, tierName = tier.name,
            prizeKind = kind, value = tier.value, status = 'pending', wonAt = resolvedAt,
            expiresAt = claimMs and (resolvedAt + claimMs) or cjson.null,
            points = kind == 'points' and tier.prize.points or cjson.null,
            variant = variant and variant.variantId or cjson.null,
          }))
          redis.call('HINCRBY', KEYS[13], 'wins:pending', 1)
          if kind ~= 'physical' then redis.call('ZADD', KEYS[11], resolvedAt, id) end
          redis.call('ZADD', KEYS[12], resolvedAt + issueWithinMs, id)
          if claimMs then redis.call('ZADD', KEYS[14], resolvedAt + claimMs, id) end
          redis.call('RPUSH', winsPrefix .. player, id)
          redis.call('ZADD', KEYS[15], 0, winOrderMember(id))
        end
      end
    end
    result.spinsLeft = math.max(0, math.min(math.max(0, freeSpins - used) + tickets, spinsPerCampaign - used, spinsPerDay - today))
    result.resolvedAt = resolvedAt
    local json = cjson.encode(result)
    redis.call('HSET', KEYS[6], id, json)
    local history = historyPrefix .. player
    if redis.call('RPUSH', history, json) > historyLength then
      redis.call('LTRIM', history, -historyLength, -1)
    end
    redis.call('XADD', KEYS[8], '*', 'type', 'spin', 'intent', id, 'player', player,
      'outcome', result.outcome, 'tier', result.tierId == cjson.null and '' or result.tierId)
    out[#out + 1] = player
    out[#out + 1] = json
  end
  cursor = id
end
out[1] = #entries
if #entries > 0 then
  redis.call('SET', KEYS[3], cursor)
  local ms, seq = string.match(cursor, '^(%d+)-(%d+)$')
  redis.call('XTRIM', KEYS[2], 'MINID', ms .. '-' .. (tonumber(seq) + 1))
end
return out
