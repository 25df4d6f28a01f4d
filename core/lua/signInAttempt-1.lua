--[[
  A console sign-in attempt against one failure counter (server/host-session.ts): refused while its
  backoff runs, else counted as a failure until a success takes it back (so parallel guesses count).

  KEYS[1] failures hash { f, at }
  ARGV[1] now (ms)  ARGV[2] free failures  ARGV[3] backoff base (ms)  ARGV[4] backoff max (ms)  ARGV[5] window (ms)

  Returns the wait in ms (> 0: refused, nothing counted), or 0: the attempt is counted.
]]
local now = tonumber(ARGV[1])
local free = tonumber(ARGV[2])
local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
if f >= free then
  local at = tonumber(redis.call('HGET', KEYS[1], 'at') or '0')
  local backoff = math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ (f - free))
  local wait = math.floor(at + backoff - now)
  if wait > 0 then return wait end
end
redis.call('HINCRBY', KEYS[1], 'f', 1)
redis.call('HSET', KEYS[1], 'at', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 0
