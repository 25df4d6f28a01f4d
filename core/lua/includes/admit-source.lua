-- Admission of one intent by its source (admitSpins, admitEntries): rate limits, the hosts'
-- blocklist, concentrated-source counts. Returns nil when admitted, else status, a, b:
--   2, kind, retryAfterMs   rate limited (kind: player | address | device)
--   3, kind, ''             blocked
--   4, addressAccounts, deviceAccounts   flagged (a count is 0 where under its threshold)
--
-- limitPrefix   prefix of the rate-limit counters (`<limitPrefix><p|a|d>:<value>:<second>`, 2 s TTL)
-- limits        { perPlayer, perAddress, perDevice } per second, 0 = none
-- clock         { second = tostring(floor(now / 1000)), retryAfter = ms left in that second }
-- blocklistKey  hash of `<kind>:<value>` fields
-- values        { player, address or '', device or '' }
-- sources       { thresholds = { address, device } (0 = not counted), keys = { address key or '', device key or '' }, ttlMs }
local ADMIT_KINDS = { 'player', 'address', 'device' }
local ADMIT_LETTERS = { 'p', 'a', 'd' }

local function admitSource(limitPrefix, limits, clock, blocklistKey, values, sources)
  local status, a, b = nil, '', ''
  -- 1. rate limits: every present limit takes its point; the first exceeded one refuses.
  for k = 1, 3 do
    if limits[k] > 0 and values[k] ~= '' then
      local counter = limitPrefix .. ADMIT_LETTERS[k] .. ':' .. values[k] .. ':' .. clock.second
      local used = redis.call('INCR', counter)
      if used == 1 then redis.call('PEXPIRE', counter, 2000) end
      if used > limits[k] and status == nil then
        status, a, b = 2, ADMIT_KINDS[k], clock.retryAfter
      end
    end
  end
  if status ~= nil then return status, a, b end
  -- 2. the blocklist.
  for k = 1, 3 do
    if values[k] ~= '' and redis.call('HEXISTS', blocklistKey, ADMIT_KINDS[k] .. ':' .. values[k]) == 1 then
      return 3, ADMIT_KINDS[k], ''
    end
  end
  -- 3. concentrated sources: distinct accounts per source in the window.
  local over = { 0, 0 }
  local flagged = false
  for k = 1, 2 do
    local key = sources.keys[k]
    if sources.thresholds[k] > 0 and key ~= '' then
      redis.call('SADD', key, values[1])
      local accounts = redis.call('SCARD', key)
      redis.call('PEXPIRE', key, sources.ttlMs)
      if accounts > sources.thresholds[k] then
        over[k] = accounts
        flagged = true
      end
    end
  end
  if flagged then return 4, over[1], over[2] end
  return nil
end

-- The clock of a batch: one Redis TIME reading.
local function admitClock()
  local t = redis.call('TIME')
  local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  return { nowMs = nowMs, second = tostring(math.floor(nowMs / 1000)), retryAfter = 1000 - (nowMs % 1000) }
end

-- A script's admission arguments (from ARGV[first]: limit prefix, three limits, source window in
-- ms, two thresholds, n) and a reader of its n intents (7 arguments each: player, argument,
-- address, device, address source key, device source key, mode).
local function admitBatch(first, blocklistKey)
  local a = {
    limitPrefix = ARGV[first],
    limits = { tonumber(ARGV[first + 1]), tonumber(ARGV[first + 2]), tonumber(ARGV[first + 3]) },
    ttlMs = 2 * tonumber(ARGV[first + 4]),
    thresholds = { tonumber(ARGV[first + 5]), tonumber(ARGV[first + 6]) },
    n = tonumber(ARGV[first + 7]),
    clock = admitClock(),
  }
  -- The i-th intent (from 0): player, argument, then its source admission (status nil: admitted,
  -- or already admitted before, mode 'f') with its two values.
  function a.intent(i)
    local b = first + 8 + i * 7
    local player, arg = ARGV[b], ARGV[b + 1]
    if ARGV[b + 6] == 'f' then return player, arg, nil, '', '' end
    local status, x, y = admitSource(a.limitPrefix, a.limits, a.clock, blocklistKey, { player, ARGV[b + 2], ARGV[b + 3] },
      { thresholds = a.thresholds, keys = { ARGV[b + 4], ARGV[b + 5] }, ttlMs = a.ttlMs })
    return player, arg, status, x or '', y or ''
  end
  return a
end
