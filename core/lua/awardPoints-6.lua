--[[
  Awards points to a player (negative to take them back); the player's team, if any, gets them too.

  KEYS[1] players hash            ld:{campaign:C}:players        (<playerId>:team)
  KEYS[2] points leaderboard      ld:{campaign:C}:lb:points
  KEYS[3] teams leaderboard       ld:{campaign:C}:lb:teams
  KEYS[4] leaderboard versions    ld:{campaign:C}:lb-versions
  KEYS[5] ledger stream           ld:{campaign:C}:ledger
  KEYS[6] host requests hash      ld:{campaign:C}:requests  (idempotency key -> reply)
  ARGV[1] playerId
  ARGV[2] points
  ARGV[3] idempotency key ('' for none): a repeated request gets the first one's reply, applied once

  Returns {0, playerScore}
]]
--- @include "includes/once"

local prior = onceReply(KEYS[6], ARGV[3])
if prior then return prior end
local score = redis.call('ZINCRBY', KEYS[2], ARGV[2], ARGV[1])
redis.call('HINCRBY', KEYS[4], 'points', 1)
local team = redis.call('HGET', KEYS[1], ARGV[1] .. ':team')
if team then
  redis.call('ZINCRBY', KEYS[3], ARGV[2], team)
  redis.call('HINCRBY', KEYS[4], 'teams', 1)
end
redis.call('XADD', KEYS[5], '*', 'type', 'points', 'player', ARGV[1], 'points', ARGV[2], 'team', team or '')
return onceRemember(KEYS[6], ARGV[3], {0, tonumber(score)})
