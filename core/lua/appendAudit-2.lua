--[[
  Appends a record to a campaign's hash-chained audit log, only if the caller built it on the
  current tail (record seq = list length), and at most once per dedupe key (the same transition's
  record is never written twice, even when a reply was lost and the call is repeated).

  KEYS[1] audit list              ld:{campaign:C}:audit
  KEYS[2] audit index hash        ld:{campaign:C}:audit-index   (dedupe key -> seq)
  ARGV[1] the record's seq
  ARGV[2] the record as JSON
  ARGV[3] dedupe key, e.g. 'draw.closed:<drawId>' ('' for none)

  Returns {0}            appended
          {1, seq}       a record with this dedupe key exists already (at seq)
          {-15, length}  conflict: the tail moved; rebuild the record on the new tail and retry
]]
if ARGV[3] ~= '' then
  local existing = redis.call('HGET', KEYS[2], ARGV[3])
  if existing then
    return {1, tonumber(existing)}
  end
end
local length = redis.call('LLEN', KEYS[1])
if length ~= tonumber(ARGV[1]) then
  return {-15, length}
end
redis.call('RPUSH', KEYS[1], ARGV[2])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[1])
end
return {0}
