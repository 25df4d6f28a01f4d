--[[
  Reveals one prize tier of a drawn draw (the next one in tier order when ARGV[1] is ''), once.
  drawn|revealing -> revealing, or -> done when it was the last tier. The tier's winners join the
  campaign's winners set now (for later draws that exclude previous winners).

  The reveal is recorded before anyone is told: it takes the campaign's next broadcast sequence
  number here (field `revealSeq:<tierId>`) and is marked unsent (`revealUnsent:<tierId>`) until the
  `draw:reveal` carrying that number has been emitted (LiveDraws then deletes the mark). A process
  that dies in between leaves the mark; whoever continues the draw re-sends it with the same number,
  and a client that got a later number first sees the gap and resyncs.

  KEYS[1] draw state hash         ld:{campaign:C}:draw:D:state
  KEYS[2] campaign winners set    ld:{campaign:C}:live-winners
  KEYS[3] campaign broadcast seq  ld:{campaign:C}:event-seq
  ARGV[1] tierId or ''

  Returns {0, tierId, done, eventSeq}  revealed now (done = 1 when every tier is revealed)
          {-1}               E_DRAW_NOT_FOUND
          {-11}              E_TIER_NOT_FOUND
          {-16, phase}       E_DRAW_STATE: not drawn yet, already done, or cancelled
          {-17}              E_TIER_REVEALED: that tier was already revealed
]]
--- @include "includes/now-ms"

local state = redis.call('HMGET', KEYS[1], 'phase', 'options', 'revealed', 'winnerPlayers')
if not state[1] then
  return {-1}
end
if state[1] ~= 'drawn' and state[1] ~= 'revealing' then
  return {-16, state[1]}
end
local tiers = cjson.decode(state[2]).tiers
local revealed = cjson.decode(state[3])
local isRevealed = {}
for _, t in ipairs(revealed) do isRevealed[t] = true end
local tierId = ARGV[1]
if tierId == '' then
  for _, t in ipairs(tiers) do
    if not isRevealed[t.tierId] then tierId = t.tierId break end
  end
else
  local known = false
  for _, t in ipairs(tiers) do
    if t.tierId == tierId then known = true end
  end
  if not known then return {-11} end
  if isRevealed[tierId] then return {-17} end
end
revealed[#revealed + 1] = tierId
local players = cjson.decode(state[4] or '{}')[tierId]
if type(players) == 'table' then
  for _, p in ipairs(players) do redis.call('SADD', KEYS[2], p) end
end
local done = #revealed == #tiers
local now = nowMs()
local seq = redis.call('INCR', KEYS[3])
-- When the tier was revealed: its winners' claim window (if the draw has one) starts now.
redis.call('HSET', KEYS[1], 'revealed', cjson.encode(revealed), 'phase', done and 'done' or 'revealing', 'revealedAt:' .. tierId, now,
  'revealSeq:' .. tierId, seq, 'revealUnsent:' .. tierId, '1')
if done then redis.call('HSET', KEYS[1], 'doneAt', now) end
return {0, tierId, done and 1 or 0, seq}
