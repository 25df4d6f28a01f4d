import type { Redis } from "ioredis";

/**
 * Redis server time is the one clock of the system (deadlines are set in Lua from TIME). A process
 * measures its offset from it once at start and on demand, and uses `now()` wherever it stamps
 * `serverTime`, so two nodes with drifting clocks still tell clients the same time.
 */
export class RedisClock {
  private offsetMs = 0;

  async sync(redis: Redis): Promise<void> {
    const before = Date.now();
    const [sec, usec] = await redis.time();
    const after = Date.now();
    const redisMs = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
    this.offsetMs = redisMs - (before + after) / 2;
  }

  now(): number {
    return Math.round(Date.now() + this.offsetMs);
  }
}
