--[[
  Admits and records a batch of players' entries into one live draw in one call: a node gathers the
  entries its sockets sent in one event-loop turn (server/intent-batcher.ts). The draw must exist
  (else every intent gets E_DRAW_NOT_FOUND and nothing is counted). For each intent, in order:

  1-3. admission by source (includes/admit-source.lua): rate limits, blocklist, concentrated-source
     counts (a flagged entry is returned, not stored: the node asks the challenge hook and, if it
     allows, sends it again with mode 'f', which skips 1-3);
  4. the entry, once per player: appended to the draw's stream in the same atomic step that indexes
     it, so an acknowledged intent id always names a stored entry (also the entry's public,
     pseudonymous id in the draw's proof); the player's masked name is kept for the leaderboards.

  KEYS[1] draw state hash         ld:{campaign:C}:draw:D:state
  KEYS[2] entrants hash           ld:{campaign:C}:draw:D:entrants   (playerId -> intentId)
  KEYS[3] intents stream          ld:{campaign:C}:draw:D:intents
  KEYS[4] players hash            ld:{campaign:C}:players           (<playerId>:tickets)
  KEYS[5] campaign winners set    ld:{campaign:C}:live-winners
  KEYS[6] blocklist hash          ld:{campaign:C}:blocklist
  KEYS[7] names hash              ld:{campaign:C}:names             (playerId -> masked name)
  ARGV[1] rate-limit key prefix   ld:{campaign:C}:rl:entry:
  ARGV[2] entries per second per player (0: no limit)
  ARGV[3] entries per second per address (0: no limit)
  ARGV[4] entries per second per device (0: no limit)
  ARGV[5] source window in ms (source keys expire after two)
  ARGV[6] accounts per address before flagging (0: not counted)
  ARGV[7] accounts per device before flagging (0: not counted)
  ARGV[8] n, the number of intents; then 7 arguments per intent:
          playerId, masked display name, address ('' none), device ('' none),
          address source key ('' not counted), device source key ('' not counted), mode ('' | 'f')

  Returns 3 elements per intent, in order:
          0, intentId, ''           stored now
          1, intentId, ''           this player had already entered: the original intent id
          -1, '', ''                E_DRAW_NOT_FOUND
          -3, '', ''                E_DRAW_CLOSED: the deadline has passed (by Redis server time)
          -18, '', ''               E_ALREADY_WON: the draw excludes the campaign's previous winners
          2 | 3 | 4, …              refused or flagged by its source (includes/admit-source.lua)
]]
--- @include "includes/admit-source"

local batch = admitBatch(1, KEYS[6])
local out = {}
local state = redis.call('HMGET', KEYS[1], 'phase', 'deadline', 'weighted', 'excludePrevious')
if not state[1] then
  for _ = 1, batch.n do
    out[#out + 1] = -1
    out[#out + 1] = ''
    out[#out + 1] = ''
  end
  return out
end
local open = state[1] == 'open' and batch.clock.nowMs < tonumber(state[2])

for i = 0, batch.n - 1 do
  local player, name, status, x, y = batch.intent(i)
  if status == nil then
    local existing = redis.call('HGET', KEYS[2], player)
    if existing then
      status, x = 1, existing
    elseif not open then
      status = -3
    elseif state[4] == '1' and redis.call('SISMEMBER', KEYS[5], player) == 1 then
      status = -18
    else
      local tickets = 1
      if state[3] == '1' then
        tickets = math.max(1, tonumber(redis.call('HGET', KEYS[4], player .. ':tickets') or '0'))
      end
      x = redis.call('XADD', KEYS[3], '*', 'player', player, 'name', name, 'tickets', tickets)
      redis.call('HSET', KEYS[2], player, x)
      redis.call('HINCRBY', KEYS[1], 'entrants', 1)
      redis.call('HSET', KEYS[7], player, name)
      status = 0
    end
  end
  out[#out + 1] = status
  out[#out + 1] = x or ''
  out[#out + 1] = y or ''
end
return out
