--[[
  A player shared the campaign: rewarded at most tasks.share.perDay times a campaign day, with
  tasks.share.tickets tickets (always 0 on platform=wechat: the compliance policy refuses more) and
  tasks.share.points points on the points board (and the player's team's row).

  KEYS[1] config (JSON)           ld:{campaign:C}:config
  KEYS[2] players hash            ld:{campaign:C}:players   (<p>:share:<day>, <p>:team)
  KEYS[3] ticket ledger stream    ld:{campaign:C}:tickets:ledger
  KEYS[4] points leaderboard      ld:{campaign:C}:lb:points
  KEYS[5] teams leaderboard       ld:{campaign:C}:lb:teams
  KEYS[6] leaderboard versions    ld:{campaign:C}:lb-versions
  ARGV[1] playerId

  Returns {0, tickets, points, balance, sharesToday, perDay}
          {-9} E_CAMPAIGN_NOT_FOUND | {-12} E_CAMPAIGN_NOT_LIVE | {-22} E_TASK_LIMIT
]]
--- @include "includes/now-ms"
--- @include "includes/task-day"
--- @include "includes/tickets"

local cfg, err, day = taskDay(KEYS[1])
if not cfg then return {err} end
local player = ARGV[1]
local task = cfg.tasks.share
local perDay = tonumber(task.perDay)
local field = player .. ':share:' .. day
if tonumber(redis.call('HGET', KEYS[2], field) or '0') >= perDay then return {-22} end
local shares = redis.call('HINCRBY', KEYS[2], field, 1)
local tickets, points = tonumber(task.tickets), tonumber(task.points)
local balance = moveTickets(KEYS[2], KEYS[3], player, tickets, 'share', tostring(day))
if points > 0 then
  redis.call('ZINCRBY', KEYS[4], points, player)
  redis.call('HINCRBY', KEYS[6], 'points', 1)
  local team = redis.call('HGET', KEYS[2], player .. ':team')
  if team then
    redis.call('ZINCRBY', KEYS[5], points, team)
    redis.call('HINCRBY', KEYS[6], 'teams', 1)
  end
end
return {0, tickets, points, balance, shares, perDay}
