--[[
  Replaces a revealed winner whose prize went unclaimed with the redraw's pick. Redraws are numbered
  in order; the caller computed pick number ARGV[3] and it is applied only if no other redraw
  happened in between (two hosts racing cannot both apply).

  KEYS[1] draw state hash         ld:{campaign:C}:draw:D:state
  KEYS[2] campaign winners set    ld:{campaign:C}:live-winners
  ARGV[1] tierId
  ARGV[2] intent id of the winner being replaced
  ARGV[3] expected redraw index (= number of redraws so far)
  ARGV[4] new winner JSON {intentId, name} or '' when nobody is left
  ARGV[5] new winner's playerId or ''

  Returns {0}           applied
          {-1}          E_DRAW_NOT_FOUND
          {-16, phase}  E_DRAW_STATE: not revealing/done, or another redraw happened first
          {-11}         E_TIER_NOT_FOUND / not revealed yet
          {-20}         E_NOT_A_WINNER: ARGV[2] is not a current winner of that tier
]]
local state = redis.call('HMGET', KEYS[1], 'phase', 'winners', 'revealed', 'redraws')
if not state[1] then
  return {-1}
end
if state[1] ~= 'revealing' and state[1] ~= 'done' then
  return {-16, state[1]}
end
local redraws = cjson.decode(state[4])
if #redraws ~= tonumber(ARGV[3]) then
  return {-16, 'redraw-conflict'}
end
local isRevealed = false
for _, t in ipairs(cjson.decode(state[3])) do
  if t == ARGV[1] then isRevealed = true end
end
if not isRevealed then return {-11} end
local winners = cjson.decode(state[2])
local found = false
for _, tier in ipairs(winners) do
  if tier.tierId == ARGV[1] then
    for i, w in ipairs(tier.winners) do
      if w.intentId == ARGV[2] then
        found = true
        if ARGV[4] == '' then
          table.remove(tier.winners, i)
        else
          tier.winners[i] = cjson.decode(ARGV[4])
        end
        break
      end
    end
  end
end
if not found then return {-20} end
redraws[#redraws + 1] = {tierId = ARGV[1], replaces = ARGV[2], winner = ARGV[4] == '' and cjson.null or cjson.decode(ARGV[4])}
local encoded = cjson.encode(winners)
-- cjson encodes an empty winners list as {}; keep it a JSON array.
encoded = string.gsub(encoded, '"winners":{}', '"winners":[]')
redis.call('HSET', KEYS[1], 'winners', encoded, 'redraws', cjson.encode(redraws))
if ARGV[5] ~= '' then redis.call('SADD', KEYS[2], ARGV[5]) end
return {0}
