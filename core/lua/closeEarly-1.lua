--[[
  A host closes a live draw's entries early: the stored deadline of an open draw moves to now
  (Redis server time), so enterDraw refuses every entry from this moment (E_DRAW_CLOSED) and the
  close job, run now, finds the deadline passed. The phase stays open until that job closes it.

  KEYS[1] draw state hash         ld:{campaign:C}:draw:D:state

  Returns {0, deadline, previousDeadline}  the deadline is now (or already was, if it had passed)
          {-1}                             E_DRAW_NOT_FOUND
          {-16, phase}                     E_DRAW_STATE: the draw is not open
]]
--- @include "includes/now-ms"

local state = redis.call('HMGET', KEYS[1], 'phase', 'deadline')
if not state[1] then
  return {-1}
end
if state[1] ~= 'open' then
  return {-16, state[1]}
end
local previous = tonumber(state[2])
local now = nowMs()
if now < previous then
  redis.call('HSET', KEYS[1], 'deadline', now, 'closedEarlyAt', now)
  return {0, now, previous}
end
return {0, previous, previous}
