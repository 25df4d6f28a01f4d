--[[
  Closes a live draw whose deadline has passed: open -> closed, once. No entry can be added after
  this (enterDraw checks the phase), so the entries read next are final.

  KEYS[1] draw state hash         ld:{campaign:C}:draw:D:state

  Returns {0}               closed now
          {1, phase}        already past open (closed, drawn, revealing, done or cancelled)
          {-1}              E_DRAW_NOT_FOUND
          {-4, remainingMs} too early: the deadline has not passed yet
]]
--- @include "includes/now-ms"

local state = redis.call('HMGET', KEYS[1], 'phase', 'deadline')
if not state[1] then
  return {-1}
end
if state[1] ~= 'open' then
  return {1, state[1]}
end
local now = nowMs()
if now < tonumber(state[2]) then
  return {-4, tonumber(state[2]) - now}
end
redis.call('HSET', KEYS[1], 'phase', 'closed', 'closedAt', now)
return {0}
