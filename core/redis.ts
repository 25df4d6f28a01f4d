/**
 * ioredis connections and the Lua scripts. Scripts live in `core/lua/<name>-<numberOfKeys>.lua` and
 * are registered once per connection with `defineCommand` under a versioned name (`ld1_<name>`), so a
 * changed script never collides with an old one cached by a running Redis.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { Redis, type RedisOptions, type Result } from "ioredis";
import { projectRoot } from "./assets.js";

export const SCRIPT_VERSION = 1;

type ScriptArg = string | number;

declare module "ioredis" {
  interface RedisCommander<Context> {
    ld1_openDraw(k1: string, k2: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_admitEntries(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, k7: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_closeDraw(k1: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_closeEarly(k1: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_setDrawn(k1: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_revealTier(k1: string, k2: string, k3: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_redrawWinner(k1: string, k2: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_cancelDraw(k1: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_appendAudit(k1: string, k2: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_resolveSpins(...keysAndArgv: ScriptArg[]): Result<unknown, Context>;
    ld1_saveCampaign(k1: string, k2: string, k3: string, k4: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_addInventory(k1: string, k2: string, k3: string, k4: string, k5: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_assist(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, k7: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_issueWins(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, k7: string, k8: string, k9: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_settleWin(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, k7: string, k8: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_redeemWin(k1: string, k2: string, k3: string, k4: string, k5: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_claimWin(k1: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_expireWins(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_indexWins(k1: string, k2: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_noticeDelays(k1: string, k2: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_loadCoupons(k1: string, k2: string, k3: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_viewCampaign(k1: string, k2: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_claimDrawPrize(k1: string, k2: string, k3: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_checkIn(k1: string, k2: string, k3: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_share(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_awardPoints(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_joinTeam(k1: string, k2: string, k3: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_grantTickets(k1: string, k2: string, k3: string, k4: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_signInAttempt(k1: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_signInGiveBack(k1: string): Result<unknown, Context>;
    ld1_signInFailed(k1: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_checkPhoneCode(k1: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_resolverLease(k1: string, ...argv: ScriptArg[]): Result<unknown, Context>;
    ld1_admitSpins(k1: string, k2: string, k3: string, ...argv: ScriptArg[]): Result<unknown, Context>;
  }
}

interface LoadedScript {
  name: string;
  numberOfKeys: number;
  lua: string;
}

let cache: LoadedScript[] | undefined;

/** Expands `--- @include "includes/x"` lines with core/lua/includes/x.lua (also used by the benchmarks' scripts). */
export function expandIncludes(lua: string): string {
  const dir = path.join(projectRoot(), "core", "lua");
  return lua
    .split("\n")
    .map((line) => {
      const m = /^--- @include "([\w/-]+)"\s*$/.exec(line);
      return m ? readFileSync(path.join(dir, `${m[1]}.lua`), "utf8") : line;
    })
    .join("\n");
}

/** Reads every script once per process, expanding its includes. */
export function loadScripts(): LoadedScript[] {
  if (cache) return cache;
  const dir = path.join(projectRoot(), "core", "lua");
  cache = readdirSync(dir)
    .filter((f) => f.endsWith(".lua"))
    .map((file) => {
      const m = /^(\w+)-(\d+)\.lua$/.exec(file);
      if (!m) throw new Error(`Lua script ${file} must be named <name>-<numberOfKeys>.lua`);
      const lua = expandIncludes(readFileSync(path.join(dir, file), "utf8"));
      return { name: m[1]!, numberOfKeys: Number(m[2]), lua };
    });
  return cache;
}

export interface RedisFactoryOptions {
  /** Connection name shown by CLIENT LIST, e.g. `node-a:commands`. */
  name: string;
  /** BullMQ needs `null` here; command connections keep a bound so callers fail fast when Redis is down. */
  maxRetriesPerRequest?: number | null;
  /**
   * For connections whose commands answer a client (or must never pile up while Redis is away): no
   * offline queue (a command sent while disconnected fails at once), commands in flight when the
   * connection drops fail at once and are not resent, and each command fails after `commandTimeoutMs`.
   * Errors then map to E_UNAVAILABLE (core/errors.ts). Never for a BullMQ Worker's connection.
   */
  failFast?: { commandTimeoutMs: number };
  /**
   * ioredis auto-pipelining (default on): commands of one tick go out in one write on the next
   * tick. Off, each command is written when it is called (a publisher that must not wait for the
   * rest of the tick).
   */
  autoPipelining?: boolean;
}

/** Creates a connection with the project's scripts defined on it. */
export function createRedis(url: string, opts: RedisFactoryOptions): Redis {
  const options: RedisOptions = {
    connectionName: opts.name,
    maxRetriesPerRequest: opts.maxRetriesPerRequest === undefined ? 2 : opts.maxRetriesPerRequest,
    enableAutoPipelining: opts.autoPipelining ?? true,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
    ...(opts.failFast
      ? { maxRetriesPerRequest: 0, enableOfflineQueue: false, autoResendUnfulfilledCommands: false, commandTimeout: opts.failFast.commandTimeoutMs }
      : {}),
  };
  const redis = new Redis(url, options);
  for (const s of loadScripts()) {
    redis.defineCommand(`ld${SCRIPT_VERSION}_${s.name}`, { numberOfKeys: s.numberOfKeys, lua: s.lua });
  }
  return redis;
}

/**
 * The Socket.IO Redis adapter and emitter call `publish` without handling its promise: while Redis
 * is away every broadcast would be an unhandled rejection. This gives each publish of `redis` a
 * handler (the broadcast is lost, as it would be on a dropped socket; clients resync by snapshot).
 */
export function catchPublishErrors(redis: Redis, onError: (err: unknown) => void): void {
  const publish = redis.publish.bind(redis) as (...args: unknown[]) => Promise<number>;
  (redis as unknown as { publish: (...args: unknown[]) => Promise<number> }).publish = (...args: unknown[]) => {
    const sent = publish(...args);
    sent.catch(onError);
    return sent;
  };
}

/** A Redis whose settings would lose or corrupt data: the process refuses to start (exit 2). */
export class RedisSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RedisSettingsError";
  }
}

export interface RedisServerInfo {
  version: string;
  maxmemoryPolicy: string;
  maxmemory: number;
  aofEnabled: boolean;
}

/** Parses INFO's `key:value` lines. */
function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(":");
    if (at > 0 && !line.startsWith("#")) out.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return out;
}

/**
 * Checks the server at start-up (INFO only, so it works where CONFIG is disabled): Redis 6.2 or
 * later and `maxmemory-policy noeviction` are required (BullMQ's jobs and the draw state must never
 * be evicted; at maxmemory writes are then refused and answered E_UNAVAILABLE), else it throws
 * RedisSettingsError; AOF off or no maxmemory is warned about loudly.
 */
export async function checkRedisServer(redis: Redis, warn: (fields: Record<string, unknown>, msg: string) => void, opts: { allowNoAof?: boolean } = {}): Promise<RedisServerInfo> {
  const info = parseInfo(await redis.info());
  const server = { version: info.get("redis_version") ?? "0", maxmemoryPolicy: info.get("maxmemory_policy") ?? "unknown", maxmemory: Number(info.get("maxmemory") ?? 0), aofEnabled: info.get("aof_enabled") === "1" };
  const [major = 0, minor = 0] = server.version.split(".").map(Number);
  if (major < 6 || (major === 6 && minor < 2)) {
    throw new RedisSettingsError(`Redis ${server.version} is too old: livedraw needs Redis 6.2 or later (7 recommended).`);
  }
  if (server.maxmemoryPolicy !== "noeviction") {
    throw new RedisSettingsError(
      `Redis maxmemory-policy is ${server.maxmemoryPolicy}; livedraw needs noeviction (an evicted key loses entries, spins or jobs). ` +
        "Set `maxmemory-policy noeviction` in redis.conf (or CONFIG SET maxmemory-policy noeviction).",
    );
  }
  if (!server.aofEnabled && opts.allowNoAof !== true) {
    throw new RedisSettingsError(
      "Redis has AOF off (appendonly no): acknowledged entries and spins would be lost if it restarts. Set `appendonly yes` (or CONFIG SET appendonly yes); " +
        "if your Redis persists another way (a managed service, replicas), set LIVEDRAW_ALLOW_NO_AOF=1 to accept that.",
    );
  }
  if (!server.aofEnabled) {
    warn({ redisVersion: server.version }, "REDIS AOF IS OFF (LIVEDRAW_ALLOW_NO_AOF=1): acknowledged entries and spins are lost if Redis restarts without another form of persistence.");
  }
  if (server.maxmemory === 0) {
    warn({ redisVersion: server.version }, "Redis has no maxmemory: it can grow until the host runs out of memory. Set `maxmemory` (docs/operations.md, Redis).");
  }
  return server;
}

/**
 * Resolves once the connection is ready. Connection errors in the meantime are retried by ioredis;
 * after `timeoutMs` it rejects with the last error, naming the URL (without its password).
 */
export async function waitReady(redis: Redis, timeoutMs = 30_000): Promise<void> {
  if (redis.status === "ready") return;
  const { host, port } = redis.options;
  await new Promise<void>((resolve, reject) => {
    let lastError = "no answer";
    const onError = (err: Error) => {
      lastError = err.message;
    };
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      redis.off("error", onError);
      reject(new Error(`cannot reach Redis at ${host}:${port} within ${timeoutMs} ms (${lastError}); check REDIS_URL`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      redis.off("error", onError);
      resolve();
    };
    redis.once("ready", onReady);
    redis.on("error", onError);
  });
}
