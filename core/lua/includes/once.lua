-- Idempotent host requests: the first reply to a key is stored in a hash and returned again for
-- every repeat of that key, so a retried request (an HTTP retry, a resent command) applies once.
local function onceReply(requests, key)
  if key == '' then return nil end
  local stored = redis.call('HGET', requests, key)
  if stored then return cjson.decode(stored) end
  return nil
end

local function onceRemember(requests, key, reply)
  if key ~= '' then redis.call('HSET', requests, key, cjson.encode(reply)) end
  return reply
end
