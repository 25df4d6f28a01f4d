--[[
  Daily check-in (签到) of a player: once per campaign day (the campaign's dayOffsetMinutes), while
  the campaign is between warmupAt and closedAt. Consecutive days make a streak; the check-in earns
  tasks.checkin.tickets, plus streakBonus.tickets on every everyDays-th day of a streak (two ledger
  entries: `checkin` and `streak`).

  KEYS[1] config (JSON)           ld:{campaign:C}:config
  KEYS[2] players hash            ld:{campaign:C}:players   (<p>:checkin = last day, <p>:streak)
  KEYS[3] ticket ledger stream    ld:{campaign:C}:tickets:ledger
  ARGV[1] playerId

  Returns {0, day, streak, ticketsEarned, balance}
          {-9} E_CAMPAIGN_NOT_FOUND | {-12} E_CAMPAIGN_NOT_LIVE | {-21} E_ALREADY_CHECKED_IN
]]
--- @include "includes/now-ms"
--- @include "includes/task-day"
--- @include "includes/tickets"

local cfg, err, day = taskDay(KEYS[1])
if not cfg then return {err} end
local player = ARGV[1]
local c = redis.call('HMGET', KEYS[2], player .. ':checkin', player .. ':streak')
local last, streak = tonumber(c[1] or '-1'), tonumber(c[2] or '0')
if last == day then return {-21} end
if last == day - 1 then streak = streak + 1 else streak = 1 end
redis.call('HSET', KEYS[2], player .. ':checkin', day, player .. ':streak', streak)
local task = cfg.tasks.checkin
local earned = tonumber(task.tickets)
local balance = moveTickets(KEYS[2], KEYS[3], player, earned, 'checkin', tostring(day))
local bonus = task.streakBonus
if bonus ~= cjson.null and streak % tonumber(bonus.everyDays) == 0 and tonumber(bonus.tickets) > 0 then
  earned = earned + tonumber(bonus.tickets)
  balance = moveTickets(KEYS[2], KEYS[3], player, tonumber(bonus.tickets), 'streak', tostring(streak))
end
return {0, day, streak, earned, balance}
