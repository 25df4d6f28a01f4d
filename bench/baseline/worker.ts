/**
 * The baseline's BullMQ worker (started by bench/baseline-bench.ts as `node dist/bench/baseline/worker.js`):
 * one job per spin. For each job it builds the result, records it once in Redis (RECORD_LUA:
 * HSETNX into the campaign's results hash, a per-second counter, wins per tier, a duplicate
 * counter) and emits `spin:result` to the player's room through `@socket.io/redis-emitter`.
 *
 * Environment: REDIS_URL, BASELINE_WORKER_CONCURRENCY (50: jobs in flight per worker; BullMQ's
 * default of 1 would make the baseline round-trip bound). Prints {msg:"ready"} on stdout once the
 * worker runs; stops on SIGTERM.
 */
import { Emitter } from "@socket.io/redis-emitter";
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { baselineKeys, QUEUE_NAME, RECORD_LUA, ROOM_PLAYER, type SpinJobData, type SpinResultMsg } from "./shared.js";

/** The readiness line this process prints on stdout. */
export interface WorkerReadyLine {
  msg: "ready";
  pid: number;
  concurrency: number;
}

interface RecordRedis extends Redis {
  baselineRecord(k1: string, k2: string, k3: string, k4: string, intentId: string, json: string, second: number, tierId: string): Promise<number>;
}

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const CONCURRENCY = Math.max(1, Number(process.env.BASELINE_WORKER_CONCURRENCY ?? 50) || 50);

const redis = new Redis(REDIS_URL) as RecordRedis;
redis.defineCommand("baselineRecord", { numberOfKeys: 4, lua: RECORD_LUA });
redis.on("error", (err: Error) => console.error(`redis: ${err.message}`));
const emitter = new Emitter(redis);

const worker = new Worker<SpinJobData>(
  QUEUE_NAME,
  async (job) => {
    const d = job.data;
    const result: SpinResultMsg = { intentId: d.i, idempotencyKey: d.k, outcome: d.o === "won" ? "won" : "lost", tierId: d.t || null, reason: d.r || null };
    const k = baselineKeys(d.c);
    const recorded = await redis.baselineRecord(k.results, k.resolvedBySecond, k.wins, k.duplicates, d.i, JSON.stringify(result), Math.floor(Date.now() / 1000), d.t);
    if (recorded === 1) emitter.to(ROOM_PLAYER(d.p)).emit("spin:result", result);
  },
  { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }), concurrency: CONCURRENCY },
);
worker.on("error", (err) => console.error(`worker: ${err.message}`));

void worker.waitUntilReady().then(() => {
  const line: WorkerReadyLine = { msg: "ready", pid: process.pid, concurrency: CONCURRENCY };
  console.log(JSON.stringify(line));
});

let closing = false;
process.on("SIGTERM", () => {
  if (closing) return;
  closing = true;
  void (async () => {
    await worker.close().catch(() => undefined);
    redis.disconnect();
    process.exit(0);
  })();
  setTimeout(() => process.exit(0), 3000).unref();
});
