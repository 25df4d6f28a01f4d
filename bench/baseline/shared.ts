/**
 * What the baseline server, its worker and bench/baseline-bench.ts share: the Redis keys of one
 * campaign, the two Lua scripts, the BullMQ queue name and the job / message shapes.
 *
 * The baseline is "what a team would build without livedraw": a plain Socket.IO server (default
 * `ws` engine), the classic Redis adapter, one Lua call per spin made inline by the socket handler,
 * one BullMQ job per spin whose worker records the result and pushes it through the Redis emitter.
 * It keeps the correctness a real team would need (idempotency, never oversell) and nothing else.
 */

export const QUEUE_NAME = "baseline-spins";

/** Every key of one campaign shares a hash tag. */
export function baselineKeys(campaignId: string) {
  const p = `bl:{${campaignId}}:`;
  return {
    /** JSON of {@link BaselineCampaign}, written by the bench, read (and cached) by the servers. */
    config: `${p}config`,
    /** `<prefix>idem:<idempotencyKey>` → intentId (SET NX EX). */
    idemPrefix: `${p}idem:`,
    /** INCR per new intent: the number of intents the Lua accepted. */
    created: `${p}created`,
    /** Remaining stock of a tier (DECR on a win). */
    stock: (tierId: string) => `${p}stock:${tierId}`,
    /** Wins issued for a tier by the spin Lua. */
    issued: (tierId: string) => `${p}issued:${tierId}`,
    /** intentId → result JSON, written once by the worker (HSETNX). */
    results: `${p}results`,
    /** Epoch second → results recorded in that second (the worker's clock). */
    resolvedBySecond: `${p}rps`,
    /** tierId → wins recorded by the worker (cross-check against `issued`). */
    wins: `${p}wins`,
    /** Times a worker tried to record an intent that already had a result. */
    duplicates: `${p}dups`,
  };
}

export interface BaselineTier {
  tierId: string;
  probability: number;
  /** Initial stock. */
  stock: number;
}

export interface BaselineCampaign {
  campaignId: string;
  tiers: BaselineTier[];
}

/** The BullMQ job of one spin (short field names: it is stored in Redis once per spin). */
export interface SpinJobData {
  /** campaignId */
  c: string;
  /** playerId (the worker emits to room `player:<p>`) */
  p: string;
  /** idempotencyKey */
  k: string;
  /** intentId */
  i: string;
  /** tierId won, or "" */
  t: string;
  /** "won" | "lost" */
  o: string;
  /** "sold_out" when the picked tier had no stock left, else "" */
  r: string;
}

export interface SpinResultMsg {
  intentId: string;
  idempotencyKey: string;
  outcome: "won" | "lost";
  tierId: string | null;
  reason: string | null;
}

/** A message of a fan-out phase: phase id, sequence number, time sent (shared clock, ms), padding. */
export interface BroadcastMsg {
  p: string;
  s: number;
  t: number;
  d?: unknown;
}

/** Body of POST /broadcast: emit `count` messages `event` to `room` at `ratePerS` (all at once when 0). */
export interface BroadcastRequest {
  room: string;
  event: string;
  phase: string;
  count: number;
  ratePerS: number;
  /** Padding string length of each message (fan-out: small), or a JSON value sent as `d` (reveal). */
  padBytes?: number;
  payload?: unknown;
  /** When set, every message carries this as `t` (the caller's send time) instead of the emit time. */
  sentAt?: number;
}

export interface BroadcastResponse {
  emitted: number;
  elapsedMs: number;
  /** How far behind its schedule the emitting loop fell at worst. */
  lagMaxMs: number;
}

export const ROOM_PLAYER = (playerId: string) => `player:${playerId}`;
export const ROOM_CAMPAIGN = (campaignId: string) => `campaign:${campaignId}`;

/**
 * One spin, atomically: idempotency (an existing key returns its intent), a new intent id, the
 * per-tier random pick (the random number comes from the caller), and a GET/DECR stock check so a
 * tier never sells more than its stock.
 *
 * KEYS[1] idempotency key, KEYS[2] created counter, KEYS[3..2+n] stock keys, KEYS[3+n..2+2n] issued keys
 * ARGV[1] random number in [0, 1), ARGV[2] idempotency TTL (s), ARGV[3] intent id prefix,
 * ARGV[4..3+n] tier probabilities, ARGV[4+n..3+2n] tier ids
 * Returns {intentId, tierId or "", outcome "won"|"lost", reason ""|"sold_out", duplicate 0|1}
 */
export const SPIN_LUA = `
local prev = redis.call('GET', KEYS[1])
if prev then return {prev, '', '', '', 1} end
local n = (#KEYS - 2) / 2
local id = ARGV[3] .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], id, 'NX', 'EX', tonumber(ARGV[2]))
local r = tonumber(ARGV[1])
local cum = 0
for i = 1, n do
  cum = cum + tonumber(ARGV[3 + i])
  if r < cum then
    local left = tonumber(redis.call('GET', KEYS[2 + i]) or '0')
    if left > 0 then
      redis.call('DECR', KEYS[2 + i])
      redis.call('INCR', KEYS[2 + n + i])
      return {id, ARGV[3 + n + i], 'won', '', 0}
    end
    return {id, '', 'lost', 'sold_out', 0}
  end
end
return {id, '', 'lost', '', 0}
`;

/**
 * Records one spin's result once.
 * KEYS[1] results hash, KEYS[2] resolved-by-second hash, KEYS[3] wins hash, KEYS[4] duplicates counter
 * ARGV[1] intentId, ARGV[2] result JSON, ARGV[3] epoch second, ARGV[4] tierId or ""
 * Returns 1 when recorded, 0 when the intent already had a result.
 */
export const RECORD_LUA = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  redis.call('INCR', KEYS[4])
  return 0
end
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
if ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[4], 1) end
return 1
`;
