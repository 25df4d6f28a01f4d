/**
 * Rate limits. `consume` turns a limiter's refusal into E_RATE_LIMITED with how long to wait.
 *
 * `IntentLimits` are the limits of entries, counted in Redis so they hold across nodes (a player on
 * two nodes gets the same rate as on one): per player, per client address and per device
 * (`auth.device`). Spins are limited in their own batch script (server/spin-batcher.ts). Each is
 * rate-limiter-flexible's RateLimiterRedis (one Lua INCR + TTL per point, fixed windows of one
 * second) with an in-memory RateLimiterMemory of the same size as its `insuranceLimiter`: while
 * Redis is unreachable the limits hold per node instead of refusing everyone (the intent then
 * fails on Redis anyway, with E_UNAVAILABLE). A key that used up its points is refused from this
 * node's memory for the rest of its window (`inMemoryBlockOnConsumed`), so a flood costs Redis one
 * command per window, not one per message.
 */
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "../core/errors.js";
import { intentLimitPrefix } from "../core/redis-keys.js";

/** What `consume` needs of a limiter (memory or Redis). */
export interface PointLimiter {
  consume(key: string | number, points?: number): Promise<RateLimiterRes>;
}

/** Consumes one point or throws E_RATE_LIMITED with how long to wait. */
export async function consume(limiter: PointLimiter, key: string, message?: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rej) {
    if (rej instanceof RateLimiterRes) throw new AppError("E_RATE_LIMITED", message, Math.max(1, Math.ceil(rej.msBeforeNext)));
    throw rej;
  }
}

/** A limiter of `points` per second across nodes, insured by one in memory; null when `points` is 0 (no limit). */
export function crossNodeLimiter(redis: Redis, keyPrefix: string, points: number): RateLimiterRedis | null {
  if (points <= 0) return null;
  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    points,
    duration: 1,
    // A connection that is not ready goes straight to the insurance limiter (no wait on a timeout).
    rejectIfRedisNotReady: true,
    // Without inMemoryBlockDuration: blocked in memory exactly until the Redis window ends.
    inMemoryBlockOnConsumed: points,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: 1 }),
  });
}

export interface IntentLimitOptions {
  entriesPerSecondPerPlayer: number;
  intentsPerSecondPerAddress: number;
  intentsPerSecondPerDevice: number;
}

/** Who sends an intent, as the socket knows it. */
export interface IntentSource {
  playerId: string;
  address?: string | undefined;
  device?: string | undefined;
}

export class IntentLimits {
  private readonly enterPlayer: RateLimiterRedis | null;
  private readonly address: RateLimiterRedis | null;
  private readonly device: RateLimiterRedis | null;

  constructor(redis: Redis, options: IntentLimitOptions) {
    this.enterPlayer = crossNodeLimiter(redis, intentLimitPrefix.enterPlayer, options.entriesPerSecondPerPlayer);
    this.address = crossNodeLimiter(redis, intentLimitPrefix.address, options.intentsPerSecondPerAddress);
    this.device = crossNodeLimiter(redis, intentLimitPrefix.device, options.intentsPerSecondPerDevice);
  }

  /**
   * Takes one point of the player's limit of `kind`, of its address's and of its device's, all at
   * once (one round trip: an intent's ack latency is what a flash crowd feels). E_RATE_LIMITED with
   * `retryAfterMs`, naming the first limit refused in that order. A refused intent still used its
   * points of the other limits.
   */
  async take(kind: "entry", who: IntentSource): Promise<void> {
    const takes: Promise<void>[] = [];
    if (this.enterPlayer) takes.push(consume(this.enterPlayer, who.playerId, "Too many entries from this player; retry after `retryAfterMs`."));
    if (this.address && who.address !== undefined) takes.push(consume(this.address, who.address, "Too many entries from your network address; retry after `retryAfterMs`."));
    if (this.device && who.device !== undefined) takes.push(consume(this.device, who.device, "Too many entries from this device; retry after `retryAfterMs`."));
    for (const outcome of await Promise.allSettled(takes)) if (outcome.status === "rejected") throw outcome.reason;
  }
}
