--[[
  Admits and stores a batch of spin intents of one campaign in one call: a node gathers the spins
  its sockets sent in one event-loop turn (server/intent-batcher.ts). For each intent, in order:

  1-3. admission by source (includes/admit-source.lua): rate limits per player, client address and
     device (fixed one-second windows of Redis time; every limit takes its point, the first exceeded
     one refuses), the hosts' blocklist, the concentrated-source counts (a flagged intent is returned,
     not stored: the node asks the challenge hook and, if it allows, sends it again with mode 'f',
     which skips 1-3);
  4. the append, once per idempotency key (the ack only exists once the entry is stored), or
     E_BUSY while the stream holds max-pending unresolved intents.

  KEYS[1] idempotency hash        ld:{campaign:C}:spins:idem   (<playerId>:<key> -> intentId)
  KEYS[2] spin stream             ld:{campaign:C}:spins
  KEYS[3] blocklist hash          ld:{campaign:C}:blocklist
  ARGV[1] max pending intents
  ARGV[2] rate-limit key prefix   ld:{campaign:C}:rl:spin:   (same hash slot)
  ARGV[3] spins per second per player (0: no limit)
  ARGV[4] spins per second per address (0: no limit)
  ARGV[5] spins per second per device (0: no limit)
  ARGV[6] source window in ms (source keys expire after two)
  ARGV[7] accounts per address before flagging (0: not counted)
  ARGV[8] accounts per device before flagging (0: not counted)
  ARGV[9] n, the number of intents; then 7 arguments per intent:
          playerId, idempotency key, address ('' none), device ('' none),
          address source key ('' not counted), device source key ('' not counted), mode ('' | 'f')

  Returns 3 elements per intent, in order:
          0, intentId, ''           stored now
          1, intentId, ''           this key was used before: the original intent id
          -6, '', ''                E_BUSY: too many unresolved intents
          2 | 3 | 4, …              refused or flagged by its source (includes/admit-source.lua)
]]
--- @include "includes/admit-source"

local maxPending = tonumber(ARGV[1])
local batch = admitBatch(2, KEYS[3])
local pending = redis.call('XLEN', KEYS[2])

local out = {}
for i = 0, batch.n - 1 do
  local player, key, status, x, y = batch.intent(i)
  if status == nil then
    local field = player .. ':' .. key
    local existing = redis.call('HGET', KEYS[1], field)
    if existing then
      status, x = 1, existing
    elseif pending >= maxPending then
      status = -6
    else
      x = redis.call('XADD', KEYS[2], '*', 'p', player, 'k', key)
      redis.call('HSET', KEYS[1], field, x)
      pending = pending + 1
      status = 0
    end
  end
  out[#out + 1] = status
  out[#out + 1] = x or ''
  out[#out + 1] = y or ''
end
return out
