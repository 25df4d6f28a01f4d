/**
 * bench:spin's Redis ceilings: what one Redis core can do with exactly the spin path's Redis work,
 * measured on a FRESH private redis-server (same settings as the stack's: AOF everysec, noeviction),
 * never on the Redis the ladder just loaded. Three closed-loop phases of `phaseS` each, driven from
 * this process over `connections` raw sockets (RESP written and counted directly: a client library
 * would be the bottleneck before Redis), each keeping `inflight` batches of `pipeline` commands in
 * flight, so round trips never bound the rate:
 *
 *   xadd     XADD <spin stream> * p <player> k <key>: the bare stream append;
 *   append   the project's admitSpins script (core/lua/admitSpins-3.lua, EVALSHA; `appendBatch`
 *            intents per call, unique keys, the per-player rate limit taking its point as on the
 *            bench's servers); appends/s = growth of the stream (XLEN), not replies;
 *   resolve  the project's resolveSpins script (core/lua/resolveSpins-15.lua, EVALSHA, batches of
 *            `batch` with one random number per intent, 2 calls in flight per connection) draining
 *            what `append` stored; intents/s = results stored (HLEN), cross-checked by the `read` replies.
 *
 * Players are `players` distinct ids (as many as the ladder's sockets), so per-player counters and
 * history lists are as hot as in the ladder. For each phase it reports Redis's own CPU (INFO cpu) as %
 * of one core: near 100 % means Redis, not the driver, was the limit; `per_redis_cpu_second` is the
 * rate divided by that share (what a fully busy Redis core would do). `redis_limit_spins_per_s` =
 * 1 / (1/append + 1/resolve): one append plus its share of a resolve batch per spin, on one core.
 */
import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { Redis } from "ioredis";
import { createRedis, loadScripts, waitReady } from "../core/redis.js";
import { campaignKeys, intentLimitPrefix, sourceKeys } from "../core/redis-keys.js";
import { admissionArgs, type AdmitIntent } from "../core/admission.js";
import { SpinStore } from "../core/spin-store.js";
import { ensureRedis } from "../scripts/redis-server.js";
import { trackPid } from "./cpu.js";
import { onStop } from "./lifecycle.js";
import { fmt, round, say } from "./log.js";
import { redisCpuSeconds } from "./redis-stats.js";

export interface CeilingOptions {
  runTag: string;
  phaseS: number;
  connections: number;
  inflight: number;
  pipeline: number;
  players: number;
  /** Intents per admitSpins call (what a node's batch holds under load). */
  appendBatch: number;
  /** The per-player spin limit the admission takes a point of (the bench servers' LIVEDRAW_SPINS_PER_SECOND_PER_PLAYER). */
  perPlayerPerSecond: number;
  /** resolveSpins batch size (the workers' LIVEDRAW_SPIN_BATCH_SIZE). */
  batch: number;
  historyLength: number;
}

interface Phase {
  per_s: number;
  ops: number;
  seconds: number;
  redis_cpu_pct: number | null;
  per_redis_cpu_second: number | null;
  saturated: boolean;
}

/** RESP bulk strings for `args`, without the array header. */
const bulks = (args: string[]): string => {
  let out = "";
  for (const a of args) out += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return out;
};
/** A maker of RESP commands `head..., tail...` with the constant head encoded once. */
const command = (head: string[], tailLength: number) => {
  const prefix = `*${head.length + tailLength}\r\n${bulks(head)}`;
  return (tail: string[]): string => prefix + bulks(tail);
};

/** The end offset of the RESP reply starting at `i` in `b`, or -1 when it is not complete yet; `errors` counts `-` replies. */
function skipReply(b: Buffer, i: number, errors: { n: number }): number {
  if (i >= b.length) return -1;
  const eol = b.indexOf("\r\n", i);
  if (eol < 0) return -1;
  const type = b[i];
  if (type === 0x2b /* + */ || type === 0x3a /* : */) return eol + 2;
  if (type === 0x2d /* - */) {
    errors.n++;
    return eol + 2;
  }
  const len = Number(b.toString("latin1", i + 1, eol));
  if (type === 0x24 /* $ */) {
    if (len < 0) return eol + 2;
    const end = eol + 2 + len + 2;
    return end <= b.length ? end : -1;
  }
  if (type === 0x2a /* * */) {
    let at = eol + 2;
    for (let k = 0; k < len; k++) {
      at = skipReply(b, at, errors);
      if (at < 0) return -1;
    }
    return at;
  }
  throw new Error(`unexpected RESP type byte ${type}`);
}

/**
 * The load for the bare-command phases without a client library in the way: a raw socket that writes
 * batches of `pipeline` pre-encoded commands (`next()` makes each) and keeps `inflight` batches
 * outstanding until `deadline`. Resolves with the replies received (errors excluded) and the errors.
 */
function rawDriver(
  port: number,
  next: () => string,
  o: { pipeline: number; inflight: number },
  deadline: number,
  /** Units of work in the reply at `start` (default 1); a negative value ends the phase (nothing left to do). */
  units?: (b: Buffer, start: number) => number,
): Promise<{ ok: number; errors: number }> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect({ host: "127.0.0.1", port, noDelay: true });
    let pending: Buffer = Buffer.alloc(0);
    let outstanding = 0;
    let replies = 0;
    let done = 0;
    let exhausted = false;
    const errors = { n: 0 };
    const send = () => {
      let batch = "";
      for (let i = 0; i < o.pipeline; i++) batch += next();
      outstanding += o.pipeline;
      sock.write(batch);
    };
    sock.once("error", reject);
    sock.once("connect", () => {
      for (let i = 0; i < o.inflight; i++) send();
    });
    sock.on("data", (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let at = 0;
      for (;;) {
        const errorsBefore = errors.n;
        const end = skipReply(pending, at, errors);
        if (end < 0) break;
        if (errors.n === errorsBefore) {
          const u = units ? units(pending, at) : 1;
          if (u < 0) exhausted = true;
          else done += u;
        }
        at = end;
        replies++;
        outstanding--;
        if (outstanding % o.pipeline === 0 && !exhausted && performance.now() < deadline) send();
      }
      pending = pending.subarray(at);
      if (outstanding === 0) {
        sock.destroy();
        resolve({ ok: done, errors: errors.n });
      }
    });
  });
}

async function measured(control: Redis, run: () => Promise<number>, unitsAfter?: () => Promise<number>): Promise<Phase> {
  const cpu0 = await redisCpuSeconds(control);
  const t0 = performance.now();
  const replies = await run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = await redisCpuSeconds(control);
  const ops = unitsAfter ? await unitsAfter() : replies;
  const cpuPct = cpu0 !== null && cpu1 !== null ? ((cpu1 - cpu0) / seconds) * 100 : null;
  const perS = ops / seconds;
  return {
    per_s: Math.round(perS), ops, seconds: round(seconds, 2),
    redis_cpu_pct: cpuPct === null ? null : round(cpuPct, 1),
    per_redis_cpu_second: cpuPct ? Math.round(perS / (cpuPct / 100)) : null,
    saturated: cpuPct !== null && cpuPct >= 90,
  };
}

export async function measureCeilings(o: CeilingOptions) {
  const redisProc = await ensureRedis({ useEnvUrl: false, name: `bench-spin-ceiling-redis-${o.runTag}`, removeDataOnStop: true, log: say });
  onStop("ceiling redis", () => redisProc.stop());
  const control = createRedis(redisProc.url, { name: "bench:ceiling:control" });
  control.on("error", () => undefined);
  await waitReady(control);
  onStop("ceiling redis connection", async () => control.disconnect());
  const info = await control.info("server");
  const redisVersion = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? null;
  trackPid("redis-ceiling", "redis", Number(/process_id:(\d+)/.exec(info)?.[1] ?? 0));

  const campaignId = `bench-ceiling-${o.runTag}`;
  const now = Date.now();
  await new SpinStore(control).save("create", {
    campaignId, title: "ceiling", rules: "",
    schedule: { warmupAt: now - 60_000, liveAt: now - 30_000, longTailAt: now + 3_600_000, closedAt: now + 7_200_000 },
    tiers: [
      { tierId: "grand", name: "Grand prize", probability: 0.01, inventory: 100_000_000 },
      { tierId: "coupon", name: "Coupon", probability: 0.05, inventory: 100_000_000 },
      { tierId: "points", name: "Points", probability: 0.2, inventory: 100_000_000 },
    ],
    limits: { spinsPerDay: 100_000, spinsPerCampaign: 1_000_000, winsPerCampaign: 1_000_000 },
    freeSpins: 1_000_000,
  }, { minTierProbability: 0.01, maxTierProbability: 0.5, maxTotalProbability: 1, prizeValueCapYuan: 50_000, requirePrizeTerms: false, defaultPlatform: "web" as const, defaultInviteTickets: 1 });
  const k = campaignKeys(campaignId);
  const xaddKey = campaignKeys(`${campaignId}-xadd`).spins;
  let seq = 0;
  const player = () => `bp${seq % o.players}`;
  let errors = 0;
  const rawPhase = (next: () => string, units?: (b: Buffer, start: number) => number, shape = { pipeline: o.pipeline, inflight: o.inflight }) => async () => {
    const deadline = performance.now() + o.phaseS * 1000;
    const runs = await Promise.all(Array.from({ length: o.connections }, () => rawDriver(redisProc.port, next, shape, deadline, units)));
    errors += runs.reduce((a, r) => a + r.errors, 0);
    return runs.reduce((a, r) => a + r.ok, 0);
  };

  // 1. XADD alone (the same fields as an intent).
  const xaddCmd = command(["XADD", xaddKey, "*", "p"], 3);
  const xadd = await measured(control, rawPhase(() => xaddCmd([player(), "k", `x${seq++}`])));
  await control.unlink(xaddKey);
  say(`  ceiling xadd: ${fmt(xadd.per_s)}/s (Redis CPU ${xadd.redis_cpu_pct ?? "?"} %)`);

  // 2. admitSpins through EVALSHA in batches of `appendBatch` intents, with the bench servers'
  // admission (per-player limit on, address and device absent): appends/s from the stream's growth.
  const appendSha = String(await control.script("LOAD", loadScripts().find((x) => x.name === "admitSpins")!.lua));
  const admission = { perPlayerPerSecond: o.perPlayerPerSecond, perAddressPerSecond: 0, perDevicePerSecond: 0, sourceWindowMs: 600_000, accountsPerAddress: 0, accountsPerDevice: 0 };
  const appendHead = ["EVALSHA", appendSha, "3", k.idempotency, k.spins, sourceKeys(campaignId).blocklist];
  const appendCmd = (): string => {
    const intents = Array.from({ length: o.appendBatch }, (): AdmitIntent => [player(), `a${seq++}`, "", "", "", "", ""]);
    const args = [...appendHead, "1000000000", ...admissionArgs(intentLimitPrefix(campaignId, "spin"), admission, intents).map(String)];
    return `*${args.length}\r\n${bulks(args)}`;
  };
  const append = await measured(
    control,
    rawPhase(appendCmd, undefined, { pipeline: Math.max(1, Math.round(o.pipeline / o.appendBatch)), inflight: o.inflight }),
    () => control.xlen(k.spins),
  );
  say(`  ceiling admitSpins (batches of ${o.appendBatch}): ${fmt(append.per_s)} intents/s (Redis CPU ${append.redis_cpu_pct ?? "?"} %)`);

  // 3. resolveSpins draining that backlog through EVALSHA, `read` (the reply's first element) counted
  // as the work done; a batch that reads less than `batch` means the backlog is drained.
  const backlog = await control.xlen(k.spins);
  const resolveSha = String(await control.script("LOAD", loadScripts().find((x) => x.name === "resolveSpins")!.lua));
  const resolveCmd = command(["EVALSHA", resolveSha, "15", k.config, k.spins, k.cursor, k.inventory, k.issued, k.results, k.players, k.ledger, k.ticketLedger, k.wins, k.issuePending, k.issueDue, k.funnel, k.winsExpiry, k.winsOrder, String(o.batch), k.historyPrefix, String(o.historyLength), k.winsPlayerPrefix], o.batch);
  const readOf = (b: Buffer, start: number) => {
    // *<n>\r\n:<read>\r\n...
    const first = b.indexOf("\r\n", start) + 2;
    const read = Number(b.toString("latin1", first + 1, b.indexOf("\r\n", first)));
    return read < o.batch ? (read > 0 ? read : -1) : read;
  };
  const resolve = await measured(
    control,
    rawPhase(() => resolveCmd(Array.from({ length: o.batch }, () => String(Math.floor(Math.random() * 1_000_000)))), readOf, { pipeline: 1, inflight: 2 }),
    () => control.hlen(k.results),
  );
  const resolvedAll = (await control.xlen(k.spins)) === 0;
  say(`  ceiling resolveSpins (batch ${o.batch}): ${fmt(resolve.per_s)} intents/s (Redis CPU ${resolve.redis_cpu_pct ?? "?"} %)${resolvedAll ? " — backlog drained" : ""}`);

  control.disconnect();
  await redisProc.stop();
  const limit = 1 / (1 / append.per_s + 1 / resolve.per_s);
  const limitPerCore = append.per_redis_cpu_second && resolve.per_redis_cpu_second ? 1 / (1 / append.per_redis_cpu_second + 1 / resolve.per_redis_cpu_second) : null;
  return {
    redis_limit_spins_per_s: Math.round(limit),
    ceilings: {
      xadd_per_s: xadd.per_s,
      append_per_s: append.per_s,
      resolve_per_s: resolve.per_s,
      /** 1 / (1/append + 1/resolve) from each phase's rate per fully busy Redis core (Redis CPU share below 100 % means the driver held it back). */
      limit_per_redis_cpu_second: limitPerCore === null ? null : Math.round(limitPerCore),
      phases: { xadd, append, resolve: { ...resolve, backlog, drained: resolvedAll } },
      driver_errors: errors,
      driver: { connections: o.connections, inflight_per_connection: o.inflight, pipeline: o.pipeline, append_batch: o.appendBatch, per_player_per_second: o.perPlayerPerSecond, players: o.players, resolve_batch: o.batch, history_length: o.historyLength, phase_s: o.phaseS },
      redis_version: redisVersion,
      redis: "fresh private redis-server (AOF everysec, noeviction), started after the ladder and stopped after the ceilings",
    },
  };
}
