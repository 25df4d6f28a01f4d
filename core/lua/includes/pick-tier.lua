-- Picks a prize tier from a uniform integer r in [0, 1000000): tier i owns the slot
-- [ppm_1 + ... + ppm_(i-1), ppm_1 + ... + ppm_i). Returns nil in the no-prize remainder.
-- Slots never move, so a sold-out tier's slot stays its own (and then wins nothing).
local function pickTier(tiers, r)
  local acc = 0
  for _, tier in ipairs(tiers) do
    acc = acc + tonumber(tier.ppm)
    if r < acc then
      return tier
    end
  end
  return nil
end
