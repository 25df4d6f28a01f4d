--[[
  Takes one counted sign-in attempt back (a success, or an attempt refused before any check).

  KEYS[1] failures hash { f, at }

  Returns nothing.
]]
if redis.call('HEXISTS', KEYS[1], 'f') == 1 then redis.call('HINCRBY', KEYS[1], 'f', -1) end
