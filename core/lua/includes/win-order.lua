-- The wins' time index (ld:{campaign:C}:wins:order): a sorted set, every score 0, whose members are
-- win ids (stream entry ids `<ms>-<seq>`) with both parts zero-padded to 20 digits, so that the
-- lexicographic order of ZRANGE BYLEX is the ids' order (oldest first). core/wins.ts `winOrderMember`
-- writes the same form.
local function winOrderMember(winId)
  local ms, seq = string.match(winId, '^(%d+)-(%d+)$')
  return string.rep('0', 20 - #ms) .. ms .. '-' .. string.rep('0', 20 - #seq) .. seq
end
