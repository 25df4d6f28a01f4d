--[[
  Records a closed draw's winners: closed -> drawn, once (a second worker's attempt is refused).
  Winners stay secret until their tier is revealed (revealTier adds them to the campaign's
  winners set then, not now).

  KEYS[1] draw state hash         ld:{campaign:C}:draw:D:state
  ARGV[1] entrant count
  ARGV[2] Merkle root (hex)
  ARGV[3] draw seed (hex; secret until the draw is done)
  ARGV[4] winners JSON: [{tierId, winners: [{intentId, name}]}] in tier order
  ARGV[5] beacon JSON or ''
  ARGV[6] winners' player ids per tier, JSON {tierId: [playerId, ...]}
  ARGV[7] tier commitments JSON: [{tierId, salt, entryIds, winnersHash}] in tier order (secret like
          the winners: the public log gets only each tier's winnersHash until the tier is revealed)

  Returns {0} | {-16, phase} E_DRAW_STATE
]]
--- @include "includes/now-ms"

local phase = redis.call('HGET', KEYS[1], 'phase')
if phase ~= 'closed' then
  return {-16, phase or ''}
end
redis.call('HSET', KEYS[1], 'phase', 'drawn', 'drawnAt', nowMs(), 'entrants', ARGV[1],
  'merkleRoot', ARGV[2], 'drawSeed', ARGV[3], 'winners', ARGV[4], 'beacon', ARGV[5], 'winnerPlayers', ARGV[6],
  'tierCommitments', ARGV[7])
return {0}
