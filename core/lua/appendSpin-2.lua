--[[
  Appends a player's spin intent to the campaign's spin stream, once per idempotency key. The ack
  (the returned id) only exists once the entry is stored.

  KEYS[1] idempotency hash        ld:{campaign:C}:spins:idem   (<playerId>:<key> -> intentId)
  KEYS[2] spin stream             ld:{campaign:C}:spins
  ARGV[1] playerId
  ARGV[2] idempotency key
  ARGV[3] max pending intents (load shedding)

  Returns {0, intentId}  stored now
          {1, intentId}  this key was used before: the original intent id
          {-6}           E_BUSY: too many unresolved intents
]]
local field = ARGV[1] .. ':' .. ARGV[2]
local existing = redis.call('HGET', KEYS[1], field)
if existing then
  return {1, existing}
end
if redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[3]) then
  return {-6}
end
local id = redis.call('XADD', KEYS[2], '*', 'p', ARGV[1], 'k', ARGV[2])
redis.call('HSET', KEYS[1], field, id)
return {0, id}
