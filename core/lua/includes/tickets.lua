-- The ticket ledger (docs/lifecycle.md §2.8): a player's balance is the hash field `<player>:tickets`
-- and every change is one entry of the ledger stream, written in the same step as the change.
-- A spend that would take the balance below zero changes nothing and returns nil.
local function moveTickets(players, ledger, player, delta, reason, ref)
  local field = player .. ':tickets'
  local balance = tonumber(redis.call('HGET', players, field) or '0')
  if balance + delta < 0 then return nil end
  if delta ~= 0 then
    balance = redis.call('HINCRBY', players, field, delta)
    redis.call('XADD', ledger, '*', 'player', player, 'delta', delta, 'reason', reason, 'ref', ref, 'balance', balance)
  end
  return balance
end
