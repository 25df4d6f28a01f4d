import type { Redis } from "ioredis";
import type { Queue } from "bullmq";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { ACK_BUCKETS_SECONDS } from "../core/metrics.js";
import type { Logger } from "../core/logger.js";
import { campaignKeys, spinCampaignsKey } from "../core/redis-keys.js";
import type { IoServer } from "./context.js";

/** The backlog gauges are read from Redis at most this often, however often Prometheus scrapes. */
export const BACKLOG_SAMPLE_EVERY_MS = 5000;
/** Campaigns whose spin streams one sample reads (each one XLEN and one XRANGE … COUNT 1). */
const BACKLOG_MAX_CAMPAIGNS = 1000;
const QUEUE_STATES = ["waiting", "active", "delayed", "prioritized", "waiting-children", "failed"] as const;

export interface Backlog {
  /** Spin intents appended and not yet resolved, over every campaign's stream. */
  pendingSpins: number;
  /** Age of the oldest unresolved spin intent (its stream id is Redis time), in seconds; 0 when none. */
  oldestPendingSeconds: number;
  /** BullMQ job counts by state. */
  jobs: Record<(typeof QUEUE_STATES)[number], number>;
}

/** Prometheus metrics of one socket node, served at GET /metrics (see docs/operations.md for access). */
export function createMetrics(nodeId: string, engine: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  collectDefaultMetrics({ register: registry });
  let readBacklog: (() => Promise<Backlog | null>) | undefined;
  const pendingSpins: Gauge = new Gauge({
    name: "livedraw_spin_pending_intents",
    help: `Spin intents not yet resolved, over every campaign's stream (sampled from Redis at most every ${BACKLOG_SAMPLE_EVERY_MS / 1000} s).`,
    registers: [registry],
    async collect() {
      const b = await readBacklog?.();
      if (b) {
        pendingSpins.set(b.pendingSpins);
        oldestPending.set(b.oldestPendingSeconds);
        for (const state of QUEUE_STATES) queueJobs.labels(state).set(b.jobs[state]);
      }
    },
  });
  const oldestPending = new Gauge({
    name: "livedraw_spin_oldest_pending_seconds",
    help: "Age of the oldest unresolved spin intent (stream lag), in seconds; 0 when none is waiting (sampled).",
    registers: [registry],
  });
  const queueJobs = new Gauge({ name: "livedraw_queue_jobs", help: "BullMQ jobs of the draws queue by state (sampled).", labelNames: ["state"], registers: [registry] });
  return {
    registry,
    engine: new Gauge({ name: "livedraw_engine_info", help: "Socket engine in use (1 for the active one).", labelNames: ["engine"], registers: [registry] }).labels(engine),
    sockets: new Gauge({ name: "livedraw_sockets", help: "Connected sockets on this node.", registers: [registry] }),
    intents: new Counter({ name: "livedraw_intents_total", help: "Enter intents by outcome.", labelNames: ["outcome"], registers: [registry] }),
    errors: new Counter({ name: "livedraw_errors_total", help: "Errors returned to clients, by code.", labelNames: ["code"], registers: [registry] }),
    rooms: new Gauge({ name: "livedraw_rooms", help: "Socket.IO rooms on this node, by kind (campaign, leaderboard, player, other).", labelNames: ["kind"], registers: [registry] }),
    connectionsRefused: new Counter({ name: "livedraw_connections_refused_total", help: "Handshakes refused by a per-address connection limit.", registers: [registry] }),
    forcedDisconnects: new Counter({ name: "livedraw_forced_disconnects_total", help: "Sockets this node disconnected, by reason.", labelNames: ["reason"], registers: [registry] }),
    drawsOpened: new Counter({ name: "livedraw_draws_opened_total", help: "Live draws opened through this node.", registers: [registry] }),
    /** Entries and spins from a flagged (concentrated) source, by intent and what the challenge hook answered (server/sources.ts). */
    flaggedIntents: new Counter({ name: "livedraw_flagged_intents_total", help: "Entries and spins from a flagged source (too many accounts per address or device), by intent and hook action (allow, challenge, block).", labelNames: ["intent", "action"], registers: [registry] }),
    /** From a client message's arrival at its handler to its ack, by event (draw:enter, spin, …) and outcome (ok, error). */
    ackLatency: new Histogram({
      name: "livedraw_ack_latency_seconds",
      help: "Time from a client message reaching its handler to its ack being sent, by event and outcome (ok or error).",
      labelNames: ["event", "outcome"],
      buckets: ACK_BUCKETS_SECONDS,
      registers: [registry],
    }),
    /** Host reveals made through this node: from the reveal's compare-and-set to its broadcast (core/metrics.ts timedBroadcaster). */
    revealEmit: new Histogram({
      name: "livedraw_reveal_emit_seconds",
      help: "Reveals decided on this node (host reveals): time from the reveal's compare-and-set to its broadcast being handed to the adapter.",
      buckets: ACK_BUCKETS_SECONDS,
      registers: [registry],
    }),
    /** Every draw:reveal this node writes to its sockets (its own or a worker's): from the reveal's serverTime to the write. */
    revealFanout: new Histogram({
      name: "livedraw_reveal_fanout_seconds",
      help: "Every draw:reveal this node writes to its own sockets, whoever decided it: time from the reveal's serverTime (Redis time) to the write.",
      buckets: ACK_BUCKETS_SECONDS,
      registers: [registry],
    }),
    /** Where the backlog gauges read from (set once the node has its Redis and queue). */
    setBacklogSource(read: () => Promise<Backlog | null>) {
      readBacklog = read;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Reads the backlog (spin stream lag, queue depth) from Redis at most once per `everyMs`, one read at
 * a time, so a storm of scrapes costs Redis one sample. While Redis is away the last sample stays.
 */
export function backlogSampler(redis: Redis, queue: Queue, now: () => number, log: Logger, everyMs = BACKLOG_SAMPLE_EVERY_MS): () => Promise<Backlog | null> {
  let last: { at: number; value: Backlog } | null = null;
  let inflight: Promise<Backlog | null> | null = null;
  const read = async (): Promise<Backlog> => {
    const campaigns = (await redis.smembers(spinCampaignsKey)).slice(0, BACKLOG_MAX_CAMPAIGNS);
    const pipeline = redis.pipeline();
    for (const c of campaigns) {
      const k = campaignKeys(c);
      pipeline.xlen(k.spins);
      pipeline.xrange(k.spins, "-", "+", "COUNT", 1);
    }
    const replies = campaigns.length > 0 ? ((await pipeline.exec()) ?? []) : [];
    let pendingSpins = 0;
    let oldest = Infinity;
    for (let i = 0; i + 1 < replies.length; i += 2) {
      const len = replies[i]![1];
      const first = replies[i + 1]![1] as [string, string[]][] | null;
      if (typeof len === "number") pendingSpins += len;
      const id = first?.[0]?.[0];
      if (id) oldest = Math.min(oldest, Number(id.split("-")[0]));
    }
    const counts = await queue.getJobCounts(...QUEUE_STATES);
    const jobs = Object.fromEntries(QUEUE_STATES.map((s) => [s, counts[s] ?? 0])) as Backlog["jobs"];
    return { pendingSpins, oldestPendingSeconds: oldest === Infinity ? 0 : Math.max(0, now() - oldest) / 1000, jobs };
  };
  return () => {
    if (last && Date.now() - last.at < everyMs) return Promise.resolve(last.value);
    inflight ??= read()
      .then((value) => {
        last = { at: Date.now(), value };
        return value;
      })
      .catch((err: unknown) => {
        log.debug({ err }, "backlog sample failed; the gauges keep the last one");
        return last?.value ?? null;
      })
      .finally(() => {
        inflight = null;
      });
    return inflight;
  };
}

/**
 * Observes `livedraw_reveal_fanout_seconds` as this node writes each `draw:reveal` to its sockets.
 * Every broadcast of the namespace's adapter — this node's own or one from another process through
 * Redis, on the in-memory path or uWS's fast publish — is encoded once with `adapter.encoder` before
 * it is written to the local sockets: that is the one place all paths meet, so the encoder is
 * wrapped. If a Socket.IO upgrade removes it, the histogram stays empty and a warning says so.
 */
export function observeRevealFanout(io: IoServer, now: () => number, metrics: Metrics, log: Logger): void {
  type Encoder = { encode(packet: { data?: unknown }): unknown };
  const adapter = io.of("/").adapter as unknown as { encoder?: Encoder };
  const encoder = adapter.encoder;
  if (!encoder || typeof encoder.encode !== "function") {
    log.warn("socket.io adapter has no encoder: livedraw_reveal_fanout_seconds stays empty");
    return;
  }
  const timed: Encoder = Object.create(encoder) as Encoder;
  timed.encode = (packet) => {
    const data = packet.data;
    if (Array.isArray(data) && data[0] === "draw:reveal") {
      const at = (data[1] as { serverTime?: unknown } | undefined)?.serverTime;
      if (typeof at === "number") metrics.revealFanout.observe(Math.max(0, now() - at) / 1000);
    }
    return encoder.encode(packet);
  };
  adapter.encoder = timed;
}
