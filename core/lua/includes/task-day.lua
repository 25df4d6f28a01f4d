-- The campaign day of a task (check-in, share), from Redis time in the campaign's dayOffsetMinutes,
-- while the campaign runs (warmupAt ≤ now < closedAt). Returns cfg, now, day; or nil and the error
-- code: -9 E_CAMPAIGN_NOT_FOUND, -12 E_CAMPAIGN_NOT_LIVE.
local function taskDay(configKey)
  local raw = redis.call('GET', configKey)
  if not raw then return nil, -9 end
  local cfg = cjson.decode(raw)
  local now = nowMs()
  if now < tonumber(cfg.schedule.warmupAt) or now >= tonumber(cfg.schedule.closedAt) then return nil, -12 end
  return cfg, now, math.floor((now + tonumber(cfg.dayOffsetMinutes) * 60000) / 86400000)
end
