--[[
  Keeps one campaign's entries in the workers' index of campaigns with work (core/work-index.ts)
  equal to what its own keys say, so the workers' rounds visit only campaigns with work. Run in the
  same MULTI as every script that creates or finishes that work (admitSpins, resolveSpins) and by
  the issuer after each visit, so the index is never behind the work it stands for.

  Spin work (parts contains 's'): the spins index scores a campaign by "has work until":
    +inf while its spin stream holds unresolved intents; when the stream is found empty, the time
    until which it lingers (now + ARGV[3]) so a campaign spun every few seconds stays held; the
    resolver loops drop members whose time has passed. A campaign that becomes active (absent, or
    its linger over) is also announced on the wake stream, which every resolver loop's blocking
    read includes, so its first spin is resolved at once.
  Issue work (parts contains 'i'): the issue index scores a campaign by the earliest time the issuer
    must act on it: the oldest win waiting for issuance, the earliest delay notice, the earliest
    claim deadline; removed when it has none.

  KEYS[1] spin stream           ld:{campaign:C}:spins
  KEYS[2] issuance queue        ld:{campaign:C}:issue:pending
  KEYS[3] delay-notice due      ld:{campaign:C}:issue:due
  KEYS[4] claim deadlines       ld:{campaign:C}:wins:expiry
  KEYS[5] spins index           (core/redis-keys.ts workIndexKeys)
  KEYS[6] issue index
  KEYS[7] wake stream
  ARGV[1] campaignId (the index member)
  ARGV[2] parts: 's', 'i' or 'si'
  ARGV[3] linger in ms after the spin stream empties
  ARGV[4] approximate most entries kept in the wake stream

  Returns {spin, issueAt}: spin 2 = has spins and was just announced, 1 = has spins, 0 = none;
          issueAt = when the issuer must next visit (ms), -1 = never (or 'i' not asked).
]]
--- @include "includes/now-ms"

local campaign, parts = ARGV[1], ARGV[2]
local now = nowMs()

local spin = 0
if string.find(parts, 's', 1, true) then
  local score = redis.call('ZSCORE', KEYS[5], campaign)
  local forever = score == 'inf' or score == '+inf'
  if redis.call('XLEN', KEYS[1]) > 0 then
    spin = 1
    if not forever then
      redis.call('ZADD', KEYS[5], '+inf', campaign)
      -- Absent or lingered out: no resolver loop may be waiting on its stream any more.
      if not score or tonumber(score) < now then
        redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[4], '*', 'c', campaign)
        spin = 2
      end
    end
  elseif forever then
    redis.call('ZADD', KEYS[5], now + tonumber(ARGV[3]), campaign)
  end
end

local issueAt = -1
if string.find(parts, 'i', 1, true) then
  for k = 2, 4 do
    local first = redis.call('ZRANGE', KEYS[k], 0, 0, 'WITHSCORES')
    if first[2] then
      local at = tonumber(first[2])
      if issueAt < 0 or at < issueAt then issueAt = at end
    end
  end
  if issueAt < 0 then
    redis.call('ZREM', KEYS[6], campaign)
  else
    redis.call('ZADD', KEYS[6], issueAt, campaign)
  end
end
return {spin, issueAt}
