/**
 * One load process of `npm run bench:flash` (forked by bench/flash.ts; not meant to be run by hand).
 *
 * Holds `clients` raw socket.io-client sockets (websocket transport only, one player per socket,
 * spread round-robin over the socket nodes by global client index), connects them in bounded
 * batches, and subscribes each to the campaign (`campaign:subscribe`, with ack) so it is in the
 * campaign room before the draw opens. Right after its subscription each client runs the SDK's clock
 * sync (bench/clock.ts `sdkClockSync`: `clockSamples` sequential `time:sync` round trips, lowest RTT
 * wins), not awaited by the connect batch, as a phone does while others are still connecting. Then
 * it only reacts:
 *
 *   draw:countdown → record deadline / serverTime, and send `draw:enter` after a random delay in
 *                    [0, enterWindowMs); join latency = enter sent → ack received;
 *   draw:tick      → record the deadline values seen (a consistency check across nodes);
 *   draw:closed    → record the entrant count each client was told;
 *   draw:reveal    → record the receipt time per tier (shared clock: performance.timeOrigin +
 *                    performance.now(), comparable with the parent's, all on one machine);
 *   draw:done / draw:result → record receipt.
 *
 * Parent → child: {type:"config", ...FlashLoadConfig}, {type:"report"}, {type:"stop"}.
 * Child → parent: {type:"ready", ...}, {type:"progress", ...}, {type:"report", ...}, {type:"fatal", message}.
 */
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { TokenService } from "../server/auth.js";
import { clockOffset, hr, sdkClockSync } from "./clock.js";
import { Histogram } from "./histogram.js";
import type { BenchSocket } from "./raw-client.js";
import { type BaseLoadConfig, connectOutcome, fatal, listen, playerSocket, send, sockets, stopping } from "./load-child.js";

export interface FlashLoadConfig extends BaseLoadConfig {
  /** Sockets connected (and subscribed) concurrently. */
  connectBatch: number;
  /** Each client sends `draw:enter` at a uniformly random delay in [0, enterWindowMs) after its countdown. */
  enterWindowMs: number;
  progressEveryMs: number;
  /** Give up connecting after this long (the parent reports the failure). */
  connectTimeoutMs: number;
  /** `time:sync` round trips per client (the SDK's `clockSamples`, default 10). */
  clockSamples: number;
  /** How long one `time:sync` round trip may take before it is given up (it then gives no sample). */
  clockTimeoutMs: number;
}

export interface FlashReady {
  type: "ready";
  proc: number;
  connected: number;
  subscribed: number;
  connectMs: number;
  /** The measured correction of timeOrigin + performance.now() to Date.now() in this process, ms. */
  clockOffsetMs: number;
  errors: Record<string, number>;
}

export interface FlashProgress {
  type: "progress";
  proc: number;
  countdowns: number;
  sent: number;
  acked: number;
  ackErrors: number;
  closed: number;
  /** Clients that received `draw:reveal`, per tier. */
  reveals: Record<string, number>;
  done: number;
  results: number;
  disconnects: number;
  connected: number;
}

export interface FlashReport {
  type: "report";
  proc: number;
  clients: number;
  connected: number;
  /** Node index (into urls) of each local client. */
  node: number[];
  /** Per client: 1 when connected and subscribed (in the campaign room) before the draw opened. */
  subscribed: number[];
  /** Per client (NaN = never): shared-clock receipt of draw:countdown. */
  countdownAt: Ts;
  /** Per client: draw:countdown's serverTime. */
  countdownServerTime: Ts;
  /** Per client: the deadline in its draw:countdown (server ms). */
  countdownDeadline: Ts;
  /** Per client: the SDK clock sync's offset (server clock − local clock) and the RTT of the winning round trip; null = no sync. */
  syncOffset: Ts;
  syncRtt: Ts;
  /** Clients whose clock sync got no answer at all. */
  syncFailed: number;
  /** Every deadline value seen, per node: [min, max] over countdowns and ticks. */
  deadlineByNode: { node: number; min: number; max: number; countdowns: number; ticks: number }[];
  /** Per client: enter sent / ack received (shared clock), NaN if never. */
  enterSentAt: Ts;
  enterAckAt: Ts;
  intentIds: (string | null)[];
  duplicateAcks: number;
  enterErrors: Record<string, number>;
  joinLatency: ReturnType<Histogram["toJSON"]>;
  /** Per client: draw:closed receipt and the entrant count in it. */
  closedAt: Ts;
  closedEntrants: Ts;
  /** Per tier, per client: draw:reveal receipt (NaN = never). */
  revealAt: Record<string, Ts>;
  revealDuplicates: number;
  revealWinners: Record<string, number>;
  /** Per tier: the reveal's serverTime (when the server decided it, Redis time), as first seen here. */
  revealServerTime: Record<string, number>;
  doneAt: Ts;
  resultAt: Ts;
  resultsWon: number;
  disconnects: number;
  disconnectReasons: Record<string, number>;
  errors: Record<string, number>;
  /** Event-loop delay of this load process over the whole run, ms. */
  eventLoop: { p50: number; p99: number; max: number };
}

/** Per-client values; null = never happened (JSON has no NaN). */
export type Ts = (number | null)[];

interface AckMsg<T> {
  ok: boolean;
  data?: T;
  error?: { code: string; message: string };
}

let cfg: FlashLoadConfig | undefined;
const errors: Record<string, number> = {};
const bump = (rec: Record<string, number>, key: string, n = 1) => {
  rec[key] = (rec[key] ?? 0) + n;
};
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

listen((msg) => {
  if (msg.type === "config") {
    cfg = msg as unknown as FlashLoadConfig;
    setup(cfg);
    connectAll(cfg).then(
      (r) => send(r),
      (err: unknown) => fatal(err),
    );
  } else if (msg.type === "report" && cfg) {
    send(report(cfg));
  }
});

// ------------------------------------------------------------------------------------ per-client state

let n = 0;
let nodeOf: Int8Array;
let subscribedFlag: Uint8Array;
let countdownAt: Float64Array;
let countdownServerTime: Float64Array;
let countdownDeadline: Float64Array;
let syncOffset: Float64Array;
let syncRtt: Float64Array;
let syncFailed = 0;
const syncs: Promise<void>[] = [];
let enterSentAt: Float64Array;
let enterAckAt: Float64Array;
let enterState: Uint8Array; // 0 none, 1 sent, 2 acked, 3 refused
let intentIds: (string | null)[];
let closedAt: Float64Array;
let closedEntrants: Float64Array;
let doneAt: Float64Array;
let resultAt: Float64Array;
const revealAt = new Map<string, Float64Array>();
const revealWinners: Record<string, number> = {};
const revealServerTime: Record<string, number> = {};
const deadlineByNode = new Map<number, { node: number; min: number; max: number; countdowns: number; ticks: number }>();
const joinLatency = new Histogram();
const enterErrors: Record<string, number> = {};
const disconnectReasons: Record<string, number> = {};
const counts = { countdowns: 0, sent: 0, acked: 0, ackErrors: 0, closed: 0, done: 0, results: 0, resultsWon: 0, duplicateAcks: 0, revealDuplicates: 0, disconnects: 0 };

function setup(c: FlashLoadConfig): void {
  n = c.clients;
  const nan = () => new Float64Array(n).fill(Number.NaN);
  nodeOf = new Int8Array(n);
  subscribedFlag = new Uint8Array(n);
  countdownAt = nan();
  countdownServerTime = nan();
  countdownDeadline = nan();
  syncOffset = nan();
  syncRtt = nan();
  enterSentAt = nan();
  enterAckAt = nan();
  enterState = new Uint8Array(n);
  intentIds = new Array<string | null>(n).fill(null);
  closedAt = nan();
  closedEntrants = nan();
  doneAt = nan();
  resultAt = nan();
  const progress = setInterval(() => {
    if (stopping()) return clearInterval(progress);
    const reveals: Record<string, number> = {};
    for (const [tier, arr] of revealAt) {
      let k = 0;
      for (let i = 0; i < n; i++) if (!Number.isNaN(arr[i]!)) k++;
      reveals[tier] = k;
    }
    const p: FlashProgress = {
      type: "progress", proc: c.proc, countdowns: counts.countdowns, sent: counts.sent, acked: counts.acked, ackErrors: counts.ackErrors,
      closed: counts.closed, reveals, done: counts.done, results: counts.results, disconnects: counts.disconnects,
      connected: sockets.filter((s) => s?.connected).length,
    };
    send(p);
  }, c.progressEveryMs);
  progress.unref();
}

function seenDeadline(node: number, deadline: number, kind: "countdowns" | "ticks"): void {
  if (!Number.isFinite(deadline)) return;
  let d = deadlineByNode.get(node);
  if (!d) deadlineByNode.set(node, (d = { node, min: deadline, max: deadline, countdowns: 0, ticks: 0 }));
  if (deadline < d.min) d.min = deadline;
  if (deadline > d.max) d.max = deadline;
  d[kind]++;
}

function wire(c: FlashLoadConfig, socket: BenchSocket, i: number): void {
  socket.on("draw:countdown", (p: { campaignId: string; drawId: string; deadline: number; serverTime: number }) => {
    const at = hr();
    if (p?.campaignId !== c.campaignId) return;
    seenDeadline(nodeOf[i]!, Number(p.deadline), "countdowns");
    if (!Number.isNaN(countdownAt[i]!)) return; // one draw per run: a second countdown is ignored
    countdownAt[i] = at;
    countdownServerTime[i] = Number(p.serverTime);
    countdownDeadline[i] = Number(p.deadline);
    counts.countdowns++;
    const drawId = p.drawId;
    setTimeout(() => enter(c, socket, i, drawId), Math.random() * c.enterWindowMs);
  });
  socket.on("draw:tick", (p: { campaignId: string; deadline: number }) => {
    if (p?.campaignId !== c.campaignId) return;
    seenDeadline(nodeOf[i]!, Number(p.deadline), "ticks");
  });
  socket.on("draw:closed", (p: { entrants: number }) => {
    if (!Number.isNaN(closedAt[i]!)) return;
    closedAt[i] = hr();
    closedEntrants[i] = Number(p?.entrants);
    counts.closed++;
  });
  socket.on("draw:reveal", (p: { tierId: string; winners: unknown[]; serverTime: number }) => {
    const at = hr();
    const tier = String(p?.tierId);
    let arr = revealAt.get(tier);
    if (!arr) {
      revealAt.set(tier, (arr = new Float64Array(n).fill(Number.NaN)));
      revealWinners[tier] = Array.isArray(p?.winners) ? p.winners.length : -1;
      revealServerTime[tier] = Number(p?.serverTime);
    }
    if (!Number.isNaN(arr[i]!)) {
      counts.revealDuplicates++;
      return;
    }
    arr[i] = at;
  });
  socket.on("draw:done", () => {
    if (!Number.isNaN(doneAt[i]!)) return;
    doneAt[i] = hr();
    counts.done++;
  });
  socket.on("draw:result", (p: { won: boolean }) => {
    if (!Number.isNaN(resultAt[i]!)) return;
    resultAt[i] = hr();
    counts.results++;
    if (p?.won) counts.resultsWon++;
  });
  socket.on("disconnect", (reason: string) => {
    if (stopping()) return;
    counts.disconnects++;
    bump(disconnectReasons, reason);
  });
}

function enter(c: FlashLoadConfig, socket: BenchSocket, i: number, drawId: string): void {
  if (stopping() || enterState[i] !== 0) return;
  enterState[i] = 1;
  const sentAt = hr();
  enterSentAt[i] = sentAt;
  counts.sent++;
  socket.emit("draw:enter", { campaignId: c.campaignId, drawId }, (ack: AckMsg<{ intentId: string; duplicate: boolean }>) => {
    const at = hr();
    if (enterState[i] !== 1) return;
    if (ack?.ok && ack.data) {
      enterState[i] = 2;
      enterAckAt[i] = at;
      intentIds[i] = ack.data.intentId;
      counts.acked++;
      if (ack.data.duplicate) counts.duplicateAcks++;
      joinLatency.record(at - sentAt);
    } else {
      enterState[i] = 3;
      counts.ackErrors++;
      bump(enterErrors, ack?.error?.code ?? "E_MALFORMED_ACK");
    }
  });
}

// ------------------------------------------------------------------------------------ connect

async function connectAll(c: FlashLoadConfig): Promise<FlashReady> {
  const tokens = new TokenService(c.secret);
  const started = performance.now();
  let connected = 0;
  let subscribed = 0;
  const one = async (local: number) => {
    const global = c.clientOffset + local;
    const node = global % c.urls.length;
    nodeOf[local] = node;
    const socket = await playerSocket(c.client, tokens, `fp${global}`, 7200, c.urls[node]!, 20_000);
    sockets[local] = socket;
    wire(c, socket, local);
    const outcome = await connectOutcome(socket, 25_000);
    if (outcome === "timeout") bump(errors, "CONNECT_TIMEOUT");
    else if (outcome) bump(errors, `CONNECT_ERROR:${outcome.message}`.slice(0, 80));
    const ok = outcome === null;
    if (!ok) {
      socket.close();
      return;
    }
    connected++;
    const sub = await new Promise<AckMsg<unknown> | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 20_000);
      socket.emit("campaign:subscribe", { campaignId: c.campaignId }, (ack: AckMsg<unknown>) => {
        clearTimeout(timer);
        resolve(ack);
      });
    });
    if (sub?.ok) {
      subscribed++;
      subscribedFlag[local] = 1;
      // The SDK syncs its clock on every connect; not awaited here (it overlaps the next handshakes).
      syncs.push(
        sdkClockSync(socket, c.clockSamples, c.clockTimeoutMs).then((r) => {
          if (r) {
            syncOffset[local] = r.offsetMs;
            syncRtt[local] = r.rttMs;
          } else syncFailed++;
        }),
      );
    }
    else bump(errors, `SUBSCRIBE:${sub?.error?.code ?? "NO_ACK"}`);
  };
  for (let i = 0; i < c.clients && !stopping(); i += c.connectBatch) {
    if (performance.now() - started > c.connectTimeoutMs) {
      bump(errors, "CONNECT_PHASE_TIMEOUT", c.clients - i);
      break;
    }
    const group = Array.from({ length: Math.min(c.connectBatch, c.clients - i) }, (_, j) => i + j);
    await Promise.all(group.map(one));
  }
  await Promise.all(syncs);
  return {
    type: "ready", proc: c.proc, connected, subscribed, connectMs: performance.now() - started,
    clockOffsetMs: clockOffset, errors: { ...errors },
  };
}

// ------------------------------------------------------------------------------------ report

function report(c: FlashLoadConfig): FlashReport {
  const arr = (a: Float64Array): Ts => Array.from(a, (v) => (Number.isFinite(v) ? Math.round(v * 1000) / 1000 : null));
  let noAck = 0;
  for (let i = 0; i < n; i++) if (enterState[i] === 1) noAck++;
  const errs = { ...errors };
  if (noAck) bump(errs, "ENTER_NO_ACK", noAck);
  // The monitor records whole sampling intervals: subtract the 10 ms resolution to get the delay.
  const pct = (p: number) => Math.max(0, loopDelay.percentile(p) / 1e6 - 10);
  return {
    type: "report", proc: c.proc, clients: c.clients, connected: sockets.filter((s) => s?.connected).length,
    node: Array.from(nodeOf), subscribed: Array.from(subscribedFlag), countdownAt: arr(countdownAt), countdownServerTime: arr(countdownServerTime),
    countdownDeadline: arr(countdownDeadline), syncOffset: arr(syncOffset), syncRtt: arr(syncRtt), syncFailed,
    deadlineByNode: [...deadlineByNode.values()],
    enterSentAt: arr(enterSentAt), enterAckAt: arr(enterAckAt), intentIds, duplicateAcks: counts.duplicateAcks, enterErrors,
    joinLatency: joinLatency.toJSON(), closedAt: arr(closedAt), closedEntrants: arr(closedEntrants),
    revealAt: Object.fromEntries([...revealAt].map(([k, v]) => [k, arr(v)])), revealDuplicates: counts.revealDuplicates, revealWinners, revealServerTime,
    doneAt: arr(doneAt), resultAt: arr(resultAt), resultsWon: counts.resultsWon,
    disconnects: counts.disconnects, disconnectReasons, errors: errs,
    eventLoop: { p50: pct(50), p99: pct(99), max: Math.max(0, loopDelay.max / 1e6 - 10) },
  };
}
