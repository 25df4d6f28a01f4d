--[[
  A winner of a live draw claims the prize (comes to the stage, confirms in the app) within the
  draw's claim window, counted from the reveal of the winner's tier. A claimed prize cannot be
  redrawn. Claiming twice answers the first claim's time.

  KEYS[1] draw state hash     ld:{campaign:C}:draw:D:state
  KEYS[2] draw entrants hash  ld:{campaign:C}:draw:D:entrants   (playerId -> intentId)
  KEYS[3] draw claims hash    ld:{campaign:C}:draw:D:claims     (_window, start:<intentId>, intentId -> claimed at)
  ARGV[1] playerId

  Returns {0, intentId, tierId, claimedAt, deadline (0: no window)}
          {-1} E_DRAW_NOT_FOUND | {-20} E_NOT_A_WINNER | {-28} E_CLAIM_WINDOW_CLOSED
]]
--- @include "includes/now-ms"

local state = redis.call('HMGET', KEYS[1], 'phase', 'winners', 'revealed')
if not state[1] then return {-1} end
if state[1] ~= 'revealing' and state[1] ~= 'done' then return {-20} end
local intentId = redis.call('HGET', KEYS[2], ARGV[1])
if not intentId then return {-20} end
local revealed = {}
for _, t in ipairs(cjson.decode(state[3])) do revealed[t] = true end
local tierId = nil
for _, tier in ipairs(cjson.decode(state[2])) do
  if revealed[tier.tierId] then
    for _, w in ipairs(tier.winners) do
      if w.intentId == intentId then tierId = tier.tierId end
    end
  end
end
if not tierId then return {-20} end
local window = tonumber(redis.call('HGET', KEYS[3], '_window') or '0')
local deadline = 0
if window > 0 then
  -- From the tier's reveal, or for a winner picked by a redraw, from that redraw.
  local start = redis.call('HGET', KEYS[3], 'start:' .. intentId) or redis.call('HGET', KEYS[1], 'revealedAt:' .. tierId) or '0'
  deadline = tonumber(start) + window
end
local prior = redis.call('HGET', KEYS[3], intentId)
if prior then return {0, intentId, tierId, tonumber(prior), deadline} end
local now = nowMs()
if deadline > 0 and now >= deadline then return {-28} end
redis.call('HSET', KEYS[3], intentId, now)
return {0, intentId, tierId, now, deadline}
