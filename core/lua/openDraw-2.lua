--[[
  Opens a live draw: it accepts entries from now until now + durationMs (Redis server time).
  The server seed stays in the state hash, secret, until the draw is done; only its commitment
  (SHA-256) is published now.

  KEYS[1] draw state hash         ld:{campaign:C}:draw:D:state
  KEYS[2] campaign draws zset     ld:{campaign:C}:draws
  ARGV[1] drawId
  ARGV[2] title
  ARGV[3] durationMs
  ARGV[4] draw options JSON (tiers, beacon, autoReveal)
  ARGV[5] weighted by tickets: '1' | '0'
  ARGV[6] exclude previous winners of the campaign: '1' | '0'
  ARGV[7] commitment (hex SHA-256 of the server seed)
  ARGV[8] server seed (hex), secret
  ARGV[9] algorithm version

  Returns {0, openedAt, deadline}  opened
          {-2}                     E_DRAW_EXISTS: the draw id is taken (now, or ever: the
                                   campaign's draws set keeps every id, so an expired draw's id is
                                   never reused and its audit records stay unambiguous)
]]
--- @include "includes/now-ms"

if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  return {-2}
end
local now = nowMs()
local deadline = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1],
  'phase', 'open', 'title', ARGV[2], 'openedAt', now, 'deadline', deadline, 'entrants', 0,
  'options', ARGV[4], 'weighted', ARGV[5], 'excludePrevious', ARGV[6],
  'commitment', ARGV[7], 'seed', ARGV[8], 'algorithm', ARGV[9], 'revealed', '[]', 'redraws', '[]')
redis.call('ZADD', KEYS[2], now, ARGV[1])
return {0, now, deadline}
