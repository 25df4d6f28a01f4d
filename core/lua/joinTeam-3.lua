--[[
  A player joins a team for a campaign (once; the choice is final). Points the player earns from
  then on also count for the team.

  KEYS[1] players hash            ld:{campaign:C}:players        (<playerId>:team)
  KEYS[2] teams leaderboard       ld:{campaign:C}:lb:teams
  KEYS[3] leaderboard versions    ld:{campaign:C}:lb-versions
  ARGV[1] playerId
  ARGV[2] teamId

  Returns {0} joined | {-14} E_ALREADY_IN_TEAM
]]
if redis.call('HSETNX', KEYS[1], ARGV[1] .. ':team', ARGV[2]) == 0 then
  return {-14}
end
if redis.call('ZADD', KEYS[2], 'NX', 0, ARGV[2]) == 1 then
  redis.call('HINCRBY', KEYS[3], 'teams', 1)
end
return {0}
