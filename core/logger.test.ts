/**
 * Log lines never carry Redis command arguments (player ids, often phone numbers): real ioredis
 * errors from a real private redis-server, through the process logger, into the JSON line. Also the
 * mapping of Redis-unavailable errors to E_UNAVAILABLE, with real ones (a closed port, maxmemory).
 */
import { Writable } from "node:stream";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureRedis, freePort, type RunningRedis } from "../scripts/redis-server.js";
import { toAppError, UNAVAILABLE_RETRY_AFTER_MS } from "./errors.js";
import { createLogger } from "./logger.js";
import { campaignKeys } from "./redis-keys.js";
import { createRedis } from "./redis.js";

const PHONE = "13800138000";

/** A logger writing into memory; returns the lines written so far. */
function memoryLogger(): { log: ReturnType<typeof createLogger>; lines: () => string[] } {
  const chunks: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const log = createLogger("test", "unit", "info", dest);
  return { log, lines: () => chunks.join("").split("\n").filter(Boolean) };
}

const flush = () => new Promise((r) => setImmediate(r));

describe("logs without Redis command arguments (real Redis errors)", () => {
  let server: RunningRedis;
  let redis: Redis;

  beforeAll(async () => {
    server = await ensureRedis({ name: `unit-logger-${process.pid}`, removeDataOnStop: true });
    redis = createRedis(server.url, { name: "unit-logger" });
  });
  afterAll(async () => {
    await redis.quit();
    await server.stop();
  });

  it("drops command.args of a WRONGTYPE reply error, keeps the command name and message", async () => {
    const key = campaignKeys("logger-test").players;
    await redis.set(key, "a string, not a hash");
    const err = await redis.hincrby(key, `${PHONE}:used`, 1).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    // The premise: ioredis does attach the arguments.
    expect(JSON.stringify((err as { command?: unknown }).command)).toContain(PHONE);

    const { log, lines } = memoryLogger();
    log.error({ err, campaignId: "logger-test" }, "handler failed");
    log.error(err as Error); // an error as the first argument takes the same serializer
    await flush();
    const written = lines();
    expect(written).toHaveLength(2);
    for (const line of written) {
      expect(line).not.toContain(PHONE);
      const parsed = JSON.parse(line) as { err: { message: string; command?: { name: string; args?: unknown }; stack: string } };
      expect(parsed.err.message).toMatch(/^WRONGTYPE/);
      expect(parsed.err.command).toEqual({ name: "hincrby" });
      expect(parsed.err.stack).toContain("WRONGTYPE");
    }
  });

  it("drops arguments of a failed Lua script, including any its error message quotes", async () => {
    const err = await redis.eval("return redis.error_reply('no such player ' .. ARGV[1])", 0, PHONE).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as Error).message).toContain(PHONE);
    const { log, lines } = memoryLogger();
    log.warn({ err: new Error("spin failed", { cause: err }) }, "wrapped");
    log.warn({ err }, "direct");
    await flush();
    for (const line of lines()) expect(line).not.toContain(PHONE);
    expect(lines().join("\n")).toContain("[redacted]");
  });

  it("drops previousErrors of a failed transaction", async () => {
    const key = campaignKeys("logger-test").players;
    const err = await redis
      .multi()
      .hset(key, PHONE, "1")
      .exec()
      .then(
        (replies) => replies?.find(([e]) => e)?.[0] ?? null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(Error);
    const { log, lines } = memoryLogger();
    log.error({ err }, "transaction failed");
    await flush();
    expect(lines()[0]).not.toContain(PHONE);
  });

  it("maps Redis refusing writes at maxmemory (noeviction) to E_UNAVAILABLE with retryAfterMs", async () => {
    const key = campaignKeys("logger-test").spins;
    await redis.config("SET", "maxmemory", "1");
    try {
      const err = await redis.set(key, PHONE).then(
        () => null,
        (e: unknown) => e,
      );
      expect((err as Error).message).toMatch(/^OOM command not allowed/);
      const app = toAppError(err);
      expect(app.code).toBe("E_UNAVAILABLE");
      expect(app.toAckError().retryAfterMs).toBe(UNAVAILABLE_RETRY_AFTER_MS);
    } finally {
      await redis.config("SET", "maxmemory", "1gb");
    }
  });

  it("maps a fail-fast connection to a Redis that is not there to E_UNAVAILABLE within a few ms", async () => {
    const nobody = createRedis(`redis://127.0.0.1:${await freePort()}`, { name: "unit-nobody", failFast: { commandTimeoutMs: 200 } });
    nobody.on("error", () => undefined);
    try {
      const started = performance.now();
      const err = await nobody.get("x").then(
        () => null,
        (e: unknown) => e,
      );
      expect(performance.now() - started).toBeLessThan(250);
      expect(toAppError(err).code).toBe("E_UNAVAILABLE");
      expect(toAppError(new Error("something else")).code).toBe("E_INTERNAL");
    } finally {
      nobody.disconnect();
    }
  });
});
