/**
 * Rate limits. `consume` turns a limiter's refusal into E_RATE_LIMITED with how long to wait.
 *
 * The limits of entries and spins per player, client address and device are not here: they are
 * counted in Redis by the scripts that store the intents (server/intent-batcher.ts,
 * core/lua/includes/admit-source.lua), per campaign, so they hold across nodes and cost no round
 * trip of their own.
 */
import { RateLimiterRes } from "rate-limiter-flexible";
import { AppError } from "../core/errors.js";

/** What `consume` needs of a limiter (memory or Redis). */
export interface PointLimiter {
  consume(key: string | number, points?: number): Promise<RateLimiterRes>;
}

/** Consumes `points` (default one) or throws E_RATE_LIMITED with how long to wait. */
export async function consume(limiter: PointLimiter, key: string, message?: string, points = 1): Promise<void> {
  try {
    await limiter.consume(key, points);
  } catch (rej) {
    if (rej instanceof RateLimiterRes) throw new AppError("E_RATE_LIMITED", message, Math.max(1, Math.ceil(rej.msBeforeNext)));
    throw rej;
  }
}
