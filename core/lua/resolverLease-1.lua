--[[
  The lease of a campaign's spin resolver loop (worker/spin-resolver.ts): one worker at a time
  resolves a campaign's spins from a long-lived loop; another takes over once the lease expires.

  KEYS[1] lease                   ld:{campaign:C}:spins:resolver
  ARGV[1] owner (the worker's node id)
  ARGV[2] 'take' (acquire or renew, TTL ARGV[3] ms) | 'release'
  ARGV[3] TTL in ms

  Returns 1 held by the caller (taken, renewed or released) | 0 held by another worker
]]
local owner = redis.call('GET', KEYS[1])
if ARGV[2] == 'release' then
  if owner == ARGV[1] then
    redis.call('DEL', KEYS[1])
    return 1
  end
  return 0
end
if owner == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  return 1
end
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
