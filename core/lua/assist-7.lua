--[[
  A friend assists (助力) an inviter, once per pair per campaign: the inviter earns tickets (one
  ledger entry, reason `invite`) and a point on the assists leaderboard.

  KEYS[1] assists set             ld:{campaign:C}:assists        (<friendId>><inviterId>)
  KEYS[2] players hash            ld:{campaign:C}:players        (<inviterId>:tickets)
  KEYS[3] assists leaderboard     ld:{campaign:C}:lb:assists
  KEYS[4] leaderboard versions    ld:{campaign:C}:lb-versions
  KEYS[5] ledger stream           ld:{campaign:C}:ledger
  KEYS[6] names hash              ld:{campaign:C}:names
  KEYS[7] ticket ledger stream    ld:{campaign:C}:tickets:ledger
  ARGV[1] friendId
  ARGV[2] inviterId
  ARGV[3] tickets per assist (the campaign's tasks.invite.tickets; 0 on platform=wechat)
  ARGV[4] friend's masked display name

  Returns {0, assistsOfInviter}  recorded
          {-13}                  E_ALREADY_ASSISTED
]]
--- @include "includes/tickets"

if redis.call('SADD', KEYS[1], ARGV[1] .. '>' .. ARGV[2]) == 0 then
  return {-13}
end
local score = redis.call('ZINCRBY', KEYS[3], 1, ARGV[2])
moveTickets(KEYS[2], KEYS[7], ARGV[2], tonumber(ARGV[3]), 'invite', ARGV[1])
redis.call('HINCRBY', KEYS[4], 'assists', 1)
redis.call('HSET', KEYS[6], ARGV[1], ARGV[4])
redis.call('XADD', KEYS[5], '*', 'type', 'assist', 'friend', ARGV[1], 'inviter', ARGV[2], 'tickets', ARGV[3])
return {0, tonumber(score)}
