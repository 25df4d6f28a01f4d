--[[
  Checks a phone sign-in code (server/login.ts): expired codes are dropped; every live code works (a
  later send does not take an earlier one away); a wrong one counts an attempt.

  KEYS[1] the phone's codes: hash { attempts, "c:<code HMAC>": expiry ms, ... }
  ARGV[1] the HMAC of the code given  ARGV[2] attempts allowed  ARGV[3] now (ms)

  Returns 'ok' (every code of the phone is then used up), 'wrong', 'exhausted' (the codes are gone)
  or 'missing' (no live code).
]]
local now = tonumber(ARGV[3])
local fields = redis.call('HGETALL', KEYS[1])
local live = 0
for i = 1, #fields, 2 do
  if string.sub(fields[i], 1, 2) == 'c:' then
    if tonumber(fields[i + 1]) <= now then redis.call('HDEL', KEYS[1], fields[i]) else live = live + 1 end
  end
end
if live == 0 then redis.call('DEL', KEYS[1]) return 'missing' end
local expires = redis.call('HGET', KEYS[1], 'c:' .. ARGV[1])
if expires and tonumber(expires) > now then redis.call('DEL', KEYS[1]) return 'ok' end
local n = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if n >= tonumber(ARGV[2]) then redis.call('DEL', KEYS[1]) return 'exhausted' end
return 'wrong'
