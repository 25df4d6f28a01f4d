--[[
  A failed sign-in check: the backoff runs from its end.

  KEYS[1] failures hash { f, at }
  ARGV[1] now (ms)

  Returns nothing.
]]
if redis.call('HEXISTS', KEYS[1], 'f') == 1 then redis.call('HSET', KEYS[1], 'at', ARGV[1]) end
