-- Win records (docs/lifecycle.md §2.9): one JSON record per win in the wins hash, by win id (the
-- spin intent id). issueWin moves a pending record to `issued` with its one-time redemption code.
-- k = { wins, pending, due, codes, players, funnel, ledger } (keys of one campaign).
local function loadWin(wins, winId)
  local raw = redis.call('HGET', wins, winId)
  if not raw then return nil end
  return cjson.decode(raw)
end

local function saveWin(wins, rec)
  redis.call('HSET', wins, rec.winId, cjson.encode(rec))
end

local function winExpired(rec, now)
  return rec.expiresAt ~= nil and rec.expiresAt ~= cjson.null and now >= tonumber(rec.expiresAt)
end

-- The funnel hash counts distinct players per stage, overall and per A/B variant (`v:<id>:<stage>`).
local function funnelStep(funnel, rec, stage)
  redis.call('HINCRBY', funnel, stage, 1)
  if rec.variant and rec.variant ~= cjson.null then redis.call('HINCRBY', funnel, 'v:' .. rec.variant .. ':' .. stage, 1) end
end

-- The funnel hash counts wins by status (`wins:<status>`): one moves from `from` to `to`.
local function countWin(funnel, from, to)
  redis.call('HINCRBY', funnel, 'wins:' .. from, -1)
  redis.call('HINCRBY', funnel, 'wins:' .. to, 1)
end

-- Returns false when the code is taken (a collision of random codes: the caller retries with another).
local function issueWin(k, rec, code, now, extra)
  if redis.call('HSETNX', k.codes, code, rec.winId) == 0 then return false end
  rec.status = 'issued'
  rec.issuedAt = now
  rec.redemptionCode = code
  for f, v in pairs(extra) do rec[f] = v end
  saveWin(k.wins, rec)
  redis.call('ZREM', k.pending, rec.winId)
  redis.call('ZREM', k.due, rec.winId)
  countWin(k.funnel, 'pending', 'issued')
  if redis.call('HINCRBY', k.players, rec.playerId .. ':issued', 1) == 1 then funnelStep(k.funnel, rec, 'issued') end
  redis.call('XADD', k.ledger, '*', 'type', 'issued', 'win', rec.winId, 'player', rec.playerId, 'tier', rec.tierId, 'kind', rec.prizeKind)
  return true
end

local function endWin(k, rec, status, now, reason)
  countWin(k.funnel, rec.status, status)
  rec.status = status
  rec.endedAt = now
  rec.failure = reason
  saveWin(k.wins, rec)
  redis.call('ZREM', k.pending, rec.winId)
  redis.call('ZREM', k.due, rec.winId)
  redis.call('XADD', k.ledger, '*', 'type', status, 'win', rec.winId, 'player', rec.playerId, 'tier', rec.tierId, 'reason', reason)
end
