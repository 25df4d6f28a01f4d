import { RateLimiterRes, type RateLimiterMemory } from "rate-limiter-flexible";
import { AppError } from "../core/errors.js";

/** Consumes one point or throws E_RATE_LIMITED with how long to wait. */
export async function consume(limiter: RateLimiterMemory, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (rej) {
    if (rej instanceof RateLimiterRes) throw new AppError("E_RATE_LIMITED", undefined, Math.max(1, Math.ceil(rej.msBeforeNext)));
    throw rej;
  }
}
