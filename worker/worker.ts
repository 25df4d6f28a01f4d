/** A BullMQ worker process: resolves draw jobs and pushes results to rooms through the Redis emitter. */
import { Emitter } from "@socket.io/redis-emitter";
import { Queue, Worker, type Job } from "bullmq";
import type { Config } from "../config/options.js";
import { RedisClock } from "../core/clock.js";
import { JOB_CLOSE_DRAW, JOB_RESOLVE_SPINS, JOB_SWEEP_SPINS, type CloseDrawJob, type WorkerJob } from "../core/jobs.js";
import { SpinStore } from "../core/spin-store.js";
import { BeaconService } from "../core/beacon.js";
import type { Logger } from "../core/logger.js";
import type { ServerToClientEvents } from "../core/protocol.js";
import { BULL_PREFIX, QUEUE_NAME, SOCKET_IO_CHANNEL_PREFIX } from "../core/redis-keys.js";
import { catchPublishErrors, checkRedisServer, createRedis, waitReady } from "../core/redis.js";
import { closeDraw, type CloseDrawResult } from "./close-draw.js";
import { FULL_SWEEP_EVERY_MS, drainCampaign, sweep } from "./resolve-spins.js";
import { SpinResolver } from "./spin-resolver.js";
import { Issuer } from "./issuer.js";
import { QrSigner, WinStore } from "../core/wins.js";
import { deriveKey } from "../core/privacy.js";
import { startMetricsListener } from "../core/metrics.js";
import { JOB_RETENTION_SWEEP, retentionPolicy, sweepRetention, type RetentionSweepResult } from "../core/retention.js";
import { createWorkerMetrics } from "./metrics.js";
import { reindex } from "../core/work-index.js";
import { failpointFrom } from "../core/failpoint.js";

/** A worker's Redis commands (Lua batches included) fail after this long on a hung Redis, in ms. */
const WORKER_COMMAND_TIMEOUT_MS = 10_000;

export async function startWorker(config: Config, log: Logger): Promise<{ close(): Promise<void> }> {
  // Commands and the emitter fail fast while Redis is away (a job fails and BullMQ retries it);
  // only the BullMQ Worker's own connection queues and waits (it needs maxRetriesPerRequest null).
  const failFast = { commandTimeoutMs: WORKER_COMMAND_TIMEOUT_MS };
  // No auto-pipelining: the resolver loop's commands are sequential (one per await), so it would only
  // add a Pipeline object (a copy of every script command) per command.
  const redis = createRedis(config.redisUrl, { name: `${config.nodeId}:commands`, failFast, autoPipelining: false });
  const emitterRedis = createRedis(config.redisUrl, { name: `${config.nodeId}:emitter`, failFast });
  const workerRedis = createRedis(config.redisUrl, { name: `${config.nodeId}:bullmq`, maxRetriesPerRequest: null });
  // The resolver loop's blocking XREAD has a connection of its own (closed by the loop's stop()).
  const blockingRedis = createRedis(config.redisUrl, { name: `${config.nodeId}:spin-wait`, failFast });
  const connections = [redis, emitterRedis, workerRedis, blockingRedis];
  for (const c of connections) c.on("error", (err: Error) => log.warn({ err, connection: c.options.connectionName }, "redis connection error"));
  // Pushes are best effort (results stay fetchable); a lost one must not be an unhandled rejection.
  catchPublishErrors(emitterRedis, (err) => log.warn({ err }, "push lost: Redis unreachable"));
  await Promise.all(connections.map((c) => waitReady(c)));
  await checkRedisServer(redis, (fields, msg) => log.warn(fields, msg), { allowNoAof: config.allowNoAof });

  const clock = new RedisClock();
  await clock.sync(redis);
  const emitter = new Emitter<ServerToClientEvents>(emitterRedis, { key: SOCKET_IO_CHANNEL_PREFIX });
  const metrics = createWorkerMetrics(config.nodeId);
  // Crash tests only (core/failpoint.ts): stops this worker at a named step of a live draw.
  const failpoint = failpointFrom(process.env.LIVEDRAW_FAILPOINT, log);
  const deps = { config, log, redis, emitter, clock, metrics, failpoint, spins: new SpinStore(redis), beacons: new BeaconService(config) };
  const wins = new WinStore(redis, new QrSigner(deriveKey(config.jwtSecret, "redemption-qr")));
  const retention = retentionPolicy(config);

  type Outcome = CloseDrawResult | { status: "resolved"; resolved: number } | ({ status: "retention" } & RetentionSweepResult) | { status: "skipped"; reason: string };
  const worker = new Worker<WorkerJob, Outcome>(
    QUEUE_NAME,
    async (job, token): Promise<Outcome> => {
      const data = job.data;
      if (job.name === JOB_CLOSE_DRAW) return closeDraw(deps, job as Job<CloseDrawJob>, token);
      // Queued by nodes of an earlier version (nodes now leave spins to the resolver loop).
      if (job.name === JOB_RESOLVE_SPINS && data.kind === "resolve") return { status: "resolved", resolved: await drainCampaign(deps, data.campaignId) };
      if (job.name === JOB_SWEEP_SPINS) return { status: "resolved", resolved: await sweep(deps, redis) };
      if (job.name === JOB_RETENTION_SWEEP) {
        const swept = await sweepRetention(redis, retention, clock.now());
        metrics.retentionKeys.inc(swept.keysExpired);
        if (swept.keysExpired > 0 || swept.keysRestored > 0) log.info({ job: job.id, ...swept }, "retention sweep");
        return { status: "retention", ...swept };
      }
      log.warn({ job: job.id, name: job.name }, "unknown job; skipped");
      return { status: "skipped", reason: `unknown job ${job.name}` };
    },
    {
      connection: workerRedis,
      prefix: BULL_PREFIX,
      concurrency: config.workerConcurrency,
      // A worker killed mid-job (a close, a reveal, a spin batch) must not leave it for BullMQ's
      // default 30 s lock + 30 s stall check: another worker takes it over within ~2 × workerLockMs.
      // Every job is idempotent, so a takeover of a slow-but-alive worker's job is harmless.
      lockDuration: config.workerLockMs,
      stalledInterval: Math.max(500, Math.floor(config.workerLockMs / 2)),
      maxStalledCount: 20,
    },
  );
  worker.on("completed", (job) => metrics.jobs.labels(job.name, "completed").inc());
  worker.on("failed", (job) => metrics.jobs.labels(job?.name ?? "unknown", "failed").inc());
  worker.on("failed", (job, err) => log.error({ job: job?.id, attempts: job?.attemptsMade, err: err.message }, "job failed"));
  worker.on("error", (err) => log.error({ err }, "worker error"));
  await worker.waitUntilReady();
  // The safety-net sweep behind the work index, every minute (one scheduler for all workers; upsert
  // is idempotent and replaces the every-2-s one of earlier versions): worker/resolve-spins.ts.
  const queue = new Queue<WorkerJob>(QUEUE_NAME, { connection: redis, prefix: BULL_PREFIX });
  queue.on("error", (err) => log.warn({ err }, "queue error"));
  await queue.upsertJobScheduler("spins-sweep", { every: FULL_SWEEP_EVERY_MS }, { name: JOB_SWEEP_SPINS, data: { kind: "sweep" }, opts: { removeOnComplete: true, removeOnFail: 100 } });
  // Retention of closed campaigns' keys (core/retention.ts): one scheduler for all workers.
  await queue.upsertJobScheduler("retention-sweep", { every: config.retentionSweepMs }, { name: JOB_RETENTION_SWEEP, data: { kind: "sweep" }, opts: { removeOnComplete: true, removeOnFail: 100 } });
  // GET /metrics on LIVEDRAW_METRICS_PORT, if set (a worker has no other listener).
  const metricsListener = config.metricsPort >= 0 ? await startMetricsListener(config, metrics.registry, (err) => log.error({ err }, "metrics listener error")) : null;
  if (metricsListener) log.info({ port: metricsListener.port, host: config.metricsHost, token: config.metricsToken !== "" }, "metrics listening");
  // Spins: a long-lived loop per worker over the campaigns it holds a lease on (worker/spin-resolver.ts).
  const resolver = new SpinResolver(deps, redis, blockingRedis, log, { owner: config.nodeId, leaseMs: config.workerLockMs, gatherMs: config.spinGatherMs });
  resolver.start();
  // The work index from the campaigns' own keys, once at start (a Redis written by a version without
  // it has none yet); in the background, as the minute sweep does it again anyway.
  void deps.spins.spinCampaigns().then((ids) => reindex(redis, ids)).catch((err: unknown) => log.warn({ err }, "work index rebuild at start failed; the minute sweep retries"));
  // Prizes: issuance of pending wins, webhook deliveries, delay notices (worker/issuer.ts).
  const issuer = new Issuer({ config, log, redis, emitter, clock, spins: deps.spins, wins }, workerRedis);
  issuer.start();
  log.info({ queue: QUEUE_NAME, concurrency: config.workerConcurrency }, "worker ready");

  return {
    async close() {
      await resolver.stop(); // a batch in flight completes; leases are released for the other workers
      await issuer.stop();
      await worker.close(); // waits for active jobs to finish
      await metricsListener?.close();
      await queue.close();
      await Promise.all(connections.filter((c) => c !== blockingRedis).map((c) => c.quit().catch(() => c.disconnect())));
      log.info("closed");
    },
  };
}

