--[[
  A player viewed a campaign (its rules or its live page): the funnel's first stage, counted once
  per player.

  KEYS[1] players hash   ld:{campaign:C}:players   (<p>:viewed)
  KEYS[2] funnel hash    ld:{campaign:C}:funnel
  ARGV[1] playerId
  ARGV[2] the player's A/B variant ('' for none)

  Returns 1 when this is the player's first view, else 0.
]]
if redis.call('HSETNX', KEYS[1], ARGV[1] .. ':viewed', 1) == 1 then
  redis.call('HINCRBY', KEYS[2], 'viewed', 1)
  if ARGV[2] ~= '' then redis.call('HINCRBY', KEYS[2], 'v:' .. ARGV[2] .. ':viewed', 1) end
  return 1
end
return 0
