--[[
  Adds wins recorded before the wins' time index existed to it, one HSCAN step per call (the
  resolver indexes every new win itself: resolveSpins-15.lua). Idempotent: a member already there
  is left as it is. core/wins.ts `ensureOrder` calls it until the cursor comes back to 0.

  KEYS[1] wins hash               ld:{campaign:C}:wins
  KEYS[2] wins' time index        ld:{campaign:C}:wins:order
  ARGV[1] HSCAN cursor ('0' to start)
  ARGV[2] HSCAN COUNT (fields per step)

  Returns {nextCursor, added}     nextCursor '0' when the scan is complete
]]
--- @include "includes/win-order"

local scan = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', tonumber(ARGV[2]))
local added = 0
local fields = scan[2]
for i = 1, #fields, 2 do
  added = added + redis.call('ZADD', KEYS[2], 'NX', 0, winOrderMember(fields[i]))
end
return {scan[1], added}
