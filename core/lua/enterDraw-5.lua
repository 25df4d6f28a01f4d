--[[
  Records a player's entry into a live draw, once. The intent is appended to the draw's stream in
  the same atomic step that indexes it, so an acknowledged intent id always names a stored entry.
  The intent id is also the entry's public, pseudonymous id in the draw's proof.

  KEYS[1] draw state hash         ld:{campaign:C}:draw:D:state
  KEYS[2] entrants hash           ld:{campaign:C}:draw:D:entrants   (playerId -> intentId)
  KEYS[3] intents stream          ld:{campaign:C}:draw:D:intents
  KEYS[4] players hash            ld:{campaign:C}:players           (<playerId>:tickets)
  KEYS[5] campaign winners set    ld:{campaign:C}:live-winners
  ARGV[1] playerId
  ARGV[2] masked display name

  Returns {0, intentId}  stored now
          {1, intentId}  this player had already entered: the original intent id (idempotent retry)
          {-1}           E_DRAW_NOT_FOUND
          {-3}           E_DRAW_CLOSED: the deadline has passed (by Redis server time)
          {-18}          E_ALREADY_WON: the draw excludes the campaign's previous winners
]]
--- @include "includes/now-ms"

local state = redis.call('HMGET', KEYS[1], 'phase', 'deadline', 'weighted', 'excludePrevious')
if not state[1] then
  return {-1}
end
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then
  return {1, existing}
end
if state[1] ~= 'open' or nowMs() >= tonumber(state[2]) then
  return {-3}
end
if state[4] == '1' and redis.call('SISMEMBER', KEYS[5], ARGV[1]) == 1 then
  return {-18}
end
local tickets = 1
if state[3] == '1' then
  tickets = math.max(1, tonumber(redis.call('HGET', KEYS[4], ARGV[1] .. ':tickets') or '0'))
end
local id = redis.call('XADD', KEYS[3], '*', 'player', ARGV[1], 'name', ARGV[2], 'tickets', tickets)
redis.call('HSET', KEYS[2], ARGV[1], id)
redis.call('HINCRBY', KEYS[1], 'entrants', 1)
return {0, id}
