--[[
  Admits and stores a batch of spin intents of one campaign in one call: a node gathers the spins
  its sockets sent in one event-loop turn (server/spin-batcher.ts). For each intent, in order:

  1. rate limits per player, client address and device: fixed one-second windows of Redis time,
     one counter per source and second (`<tag>:rl:spin:<p|a|d>:<value>:<second>`, expiring after
     2 s); every limit takes its point, the first exceeded one refuses the intent;
  2. the hosts' blocklist (player, address, device fields);
  3. the concentrated-source counts: distinct accounts per address and per device in the window
     (SADD + SCARD on the key the node named, expiring after two windows); more than the
     threshold and the intent is returned as flagged, not stored (the node asks the challenge hook
     and, if it allows, sends it again with mode 'f', which skips steps 1-3);
  4. the append, once per idempotency key (the ack only exists once the entry is stored), or
     E_BUSY while the stream holds max-pending unresolved intents.

  KEYS[1] idempotency hash        ld:{campaign:C}:spins:idem   (<playerId>:<key> -> intentId)
  KEYS[2] spin stream             ld:{campaign:C}:spins
  KEYS[3] blocklist hash          ld:{campaign:C}:blocklist
  ARGV[1] max pending intents
  ARGV[2] the campaign's key tag  ld:{campaign:C}   (rate-limit keys; same hash slot)
  ARGV[3] spins per second per player (0: no limit)
  ARGV[4] spins per second per address (0: no limit)
  ARGV[5] spins per second per device (0: no limit)
  ARGV[6] source window in ms
  ARGV[7] accounts per address before flagging (0: not counted)
  ARGV[8] accounts per device before flagging (0: not counted)
  ARGV[9] n, the number of intents; then 7 arguments per intent:
          playerId, idempotency key, address ('' none), device ('' none),
          address source key ('' not counted), device source key ('' not counted), mode ('' | 'f')

  Returns 3 elements per intent, in order:
          0, intentId, ''           stored now
          1, intentId, ''           this key was used before: the original intent id
          -6, '', ''                E_BUSY: too many unresolved intents
          2, kind, retryAfterMs     E_RATE_LIMITED (kind: player | address | device)
          3, kind, ''               E_BLOCKED (kind: player | address | device)
          4, addressAccounts, deviceAccounts   flagged (a count is 0 where under its threshold); not stored
]]
local maxPending = tonumber(ARGV[1])
local tag = ARGV[2]
local limits = { tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]) }
local windowMs = tonumber(ARGV[6])
local thresholds = { tonumber(ARGV[7]), tonumber(ARGV[8]) }
local n = tonumber(ARGV[9])

local t = redis.call('TIME')
local nowMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local second = tostring(math.floor(nowMs / 1000))
local retryAfter = 1000 - (nowMs % 1000)
local pending = redis.call('XLEN', KEYS[2])
local kinds = { 'player', 'address', 'device' }
local letters = { 'p', 'a', 'd' }

local out = {}
for i = 0, n - 1 do
  local b = 10 + i * 7
  local player, key, address, device = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3]
  local srcKeys = { ARGV[b + 4], ARGV[b + 5] }
  local admitted = ARGV[b + 6] == 'f'
  local values = { player, address, device }
  local status, a, c = nil, '', ''

  if not admitted then
    -- 1. rate limits: every present limit takes its point; the first exceeded one refuses.
    for k = 1, 3 do
      if limits[k] > 0 and values[k] ~= '' then
        local counter = tag .. ':rl:spin:' .. letters[k] .. ':' .. values[k] .. ':' .. second
        local used = redis.call('INCR', counter)
        if used == 1 then redis.call('PEXPIRE', counter, 2000) end
        if used > limits[k] and status == nil then
          status, a, c = 2, kinds[k], retryAfter
        end
      end
    end
    -- 2. the blocklist.
    if status == nil then
      for k = 1, 3 do
        if values[k] ~= '' and redis.call('HEXISTS', KEYS[3], kinds[k] .. ':' .. values[k]) == 1 then
          status, a = 3, kinds[k]
          break
        end
      end
    end
    -- 3. concentrated sources.
    if status == nil then
      local over = { 0, 0 }
      local flagged = false
      for k = 1, 2 do
        if thresholds[k] > 0 and srcKeys[k] ~= '' then
          redis.call('SADD', srcKeys[k], player)
          local accounts = redis.call('SCARD', srcKeys[k])
          redis.call('PEXPIRE', srcKeys[k], 2 * windowMs)
          if accounts > thresholds[k] then
            over[k] = accounts
            flagged = true
          end
        end
      end
      if flagged then status, a, c = 4, over[1], over[2] end
    end
  end

  -- 4. the append.
  if status == nil then
    local field = player .. ':' .. key
    local existing = redis.call('HGET', KEYS[1], field)
    if existing then
      status, a = 1, existing
    elseif pending >= maxPending then
      status = -6
    else
      a = redis.call('XADD', KEYS[2], '*', 'p', player, 'k', key)
      redis.call('HSET', KEYS[1], field, a)
      pending = pending + 1
      status = 0
    end
  end
  out[#out + 1] = status
  out[#out + 1] = a
  out[#out + 1] = c
end
return out
