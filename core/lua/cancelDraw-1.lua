--[[
  Cancels a live draw that is not done: open|closed|drawn|revealing -> cancelled, once.

  KEYS[1] draw state hash         ld:{campaign:C}:draw:D:state
  ARGV[1] reason

  Returns {0} | {-1} E_DRAW_NOT_FOUND | {-16, phase} E_DRAW_STATE
]]
--- @include "includes/now-ms"

local phase = redis.call('HGET', KEYS[1], 'phase')
if not phase then return {-1} end
if phase == 'done' or phase == 'cancelled' then return {-16, phase} end
redis.call('HSET', KEYS[1], 'phase', 'cancelled', 'cancelledAt', nowMs(), 'cancelReason', ARGV[1])
return {0}
