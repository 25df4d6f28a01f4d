/**
 * One load process of bench/baseline-bench.ts (forked by it; not meant to be run by hand): the
 * simulated players of the baseline, on socket.io-client by default (BENCH_CLIENT=raw for
 * bench/raw-client.ts). The parent drives it with request/response commands over IPC:
 *
 * - {op:"connect", kind, count, offset, room?}: opens `count` sockets (websocket only, player
 *   `bp<offset+i>`, round-robin over the servers), `campaign:subscribe`s each to `room` when set.
 * - {op:"close", kind}: closes them.
 * - {op:"spin-step", ...}: open-loop spins from the "spin" sockets at `rate` for `durationS`
 *   (intent i due at t0 + i / rate, late or not), then waits up to `drainS` for every result.
 *   Latency = emit → `spin:result` received, over every offered intent: one refused or still
 *   unanswered at the end of the drain enters the percentiles with the time waited (a lower bound).
 * - {op:"fanout-count", phase} / {op:"fanout-collect", phase}: broadcast messages of a phase
 *   received so far / and their delivery times (received − the `t` they carry, shared clock).
 *
 * Parent → child: {type:"config", ...}, {type:"cmd", id, op, ...}, {type:"stop"}.
 * Child → parent: {type:"ready"}, {type:"reply", id, ...}, {type:"fatal", message}.
 */
import { performance } from "node:perf_hooks";
import { io } from "socket.io-client";
import type { SpinResultMsg, BroadcastMsg } from "./baseline/shared.js";
import { hr } from "./clock.js";
import type { BenchClient } from "./env.js";
import { Histogram, type HistogramJSON } from "./histogram.js";
import { fatal, listen, send, sockets as allSockets, stopping } from "./load-child.js";
import { type BenchSocket, RawSocket } from "./raw-client.js";

export interface BaselineLoadConfig {
  proc: number;
  urls: string[];
  client: BenchClient;
}

export type Kind = "spin" | "idle";

export interface SpinStepCmd {
  op: "spin-step";
  campaignId: string;
  /** This process's share of the offered rate, intents/s. */
  rate: number;
  durationS: number;
  drainS: number;
  /** The step's t0 on the shared clock (bench/clock.ts). */
  startAt: number;
}

export interface SpinStepReport {
  /** Intents scheduled in the step (all are sent unless the run is stopped). */
  offered: number;
  sent: number;
  acked: number;
  /** Acks that said `duplicate` (every key is new: each one is a server error). */
  ackDuplicates: number;
  refused: Record<string, number>;
  /** Sent, never acked nor refused by the end of the drain. */
  noAck: number;
  /** Acked, but no `spin:result` by the end of the drain. */
  ackedNoResult: number;
  results: number;
  resultDuplicates: number;
  unknownResults: number;
  /** Result's intentId ≠ the acked one. */
  mismatched: number;
  outcomes: Record<string, number>;
  /** Every offered intent: emit → result, or the time waited when none came. */
  latency: HistogramJSON;
  /** The same from the intent's scheduled time (includes the sender's own lag: no coordinated omission). */
  latencyFromSchedule: HistogramJSON;
  ackLatency: HistogramJSON;
  sendLagMaxMs: number;
  drainMs: number;
  /** Per second of the step (by scheduled send time): intents sent and their latency. */
  perSecond: { sent: number; latency: HistogramJSON }[];
  /** Per second of the step (by arrival time): results received. */
  resultsBySecond: number[];
  disconnects: number;
}

interface AckMsg {
  ok: boolean;
  data?: { intentId: string; duplicate: boolean };
  error?: { code: string };
}

let cfg: BaselineLoadConfig | undefined;
const socketsOf: Record<Kind, BenchSocket[]> = { spin: [], idle: [] };
let disconnects = 0;
/** The running spin step's result handler (results outside a step are not counted here; Redis has them). */
let onSpinResult: ((r: SpinResultMsg) => void) | null = null;

// ------------------------------------------------------------------------------- fan-out receipt

const phases = new Map<string, { received: number; latency: Histogram }>();
const onBroadcast = (m: BroadcastMsg) => {
  const now = hr();
  let ph = phases.get(m.p);
  if (!ph) {
    ph = { received: 0, latency: new Histogram() };
    phases.set(m.p, ph);
  }
  ph.received++;
  ph.latency.record(now - m.t);
};

// ------------------------------------------------------------------------------- connections

function open(url: string, playerId: string): BenchSocket {
  const auth = { playerId };
  if (cfg!.client === "raw") return new RawSocket(url, auth, 15_000);
  return io(url, { transports: ["websocket"], auth, reconnection: false, forceNew: true, timeout: 15_000 }) as unknown as BenchSocket;
}

function connected(s: BenchSocket, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: no connection within 15 s`)), 15_000);
    s.once("connect", () => {
      clearTimeout(timer);
      resolve();
    });
    s.once("connect_error", (err: Error) => {
      clearTimeout(timer);
      reject(new Error(`${label}: connect_error ${err.message}`));
    });
  });
}

function subscribe(s: BenchSocket, room: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`campaign:subscribe not acked within 15 s`)), 15_000);
    s.emit("campaign:subscribe", { campaignId: room }, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function connectMany(kind: Kind, count: number, offset: number, room: string | undefined): Promise<{ connected: number; ms: number }> {
  const t0 = performance.now();
  const batch = 50;
  for (let i = 0; i < count; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, async (_, j) => {
        const global = offset + i + j;
        const url = cfg!.urls[global % cfg!.urls.length]!;
        const s = open(url, `bp${global}`);
        socketsOf[kind].push(s);
        allSockets.push(s);
        await connected(s, `client ${global} (${url})`);
        s.on("disconnect", () => {
          if (!stopping()) disconnects++;
        });
        s.on("bcast", onBroadcast);
        s.on("spin:result", (r: SpinResultMsg) => onSpinResult?.(r));
        if (room !== undefined) await subscribe(s, room);
      }),
    );
  }
  return { connected: socketsOf[kind].filter((s) => s.connected).length, ms: performance.now() - t0 };
}

function closeKind(kind: Kind): void {
  for (const s of socketsOf[kind]) s.close();
  socketsOf[kind] = [];
}

// ------------------------------------------------------------------------------- spins

const ACKED = 1;
const REFUSED = 2;
const RESULT = 4;

async function spinStep(c: SpinStepCmd): Promise<SpinStepReport> {
  const sockets = socketsOf.spin;
  if (sockets.length === 0) throw new Error("spin-step without spin sockets");
  const total = Math.max(1, Math.round(c.rate * c.durationS));
  const seconds = Math.ceil(c.durationS);
  const prefix = `s${Math.round(c.startAt).toString(36)}p${cfg!.proc}_`;
  const sentAt = new Float64Array(total); // shared clock
  const state = new Uint8Array(total);
  const intentIds: (string | undefined)[] = new Array<string | undefined>(total);
  const latency = new Histogram();
  const latencyFromSchedule = new Histogram();
  const ackLatency = new Histogram();
  const perSecond = Array.from({ length: seconds }, () => ({ sent: 0, latency: new Histogram() }));
  const resultsBySecond = new Array<number>(seconds + Math.ceil(c.drainS) + 1).fill(0);
  const refused: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  let ackDuplicates = 0;
  let sent = 0, acked = 0, results = 0, resultDuplicates = 0, unknownResults = 0, mismatched = 0, sendLagMaxMs = 0;
  const scheduled = (i: number) => c.startAt + (1000 * i) / c.rate;
  const secondOf = (i: number) => Math.min(seconds - 1, Math.floor(i / c.rate));
  const recordLatency = (i: number, at: number) => {
    const ms = at - (sentAt[i] || scheduled(i));
    latency.record(ms);
    latencyFromSchedule.record(at - scheduled(i));
    perSecond[secondOf(i)]!.latency.record(ms);
  };

  const onResult = (r: SpinResultMsg) => {
    const now = hr();
    const key = r?.idempotencyKey;
    if (typeof key !== "string" || !key.startsWith(prefix)) {
      // A result of an earlier step that came late is not this step's; one of no step is unknown.
      if (!(typeof key === "string" && key.startsWith("s"))) unknownResults++;
      return;
    }
    const i = parseInt(key.slice(prefix.length), 36);
    if (!(i >= 0 && i < total) || sentAt[i] === 0) {
      unknownResults++;
      return;
    }
    if (state[i]! & RESULT) {
      resultDuplicates++;
      return;
    }
    state[i] = state[i]! | RESULT;
    results++;
    const id = intentIds[i];
    if (id !== undefined && id !== r.intentId) mismatched++;
    if (id === undefined) intentIds[i] = r.intentId;
    const label = r.outcome === "won" ? `won:${r.tierId}` : r.reason ? `lost:${r.reason}` : "lost";
    outcomes[label] = (outcomes[label] ?? 0) + 1;
    const sec = Math.floor((now - c.startAt) / 1000);
    if (sec >= 0 && sec < resultsBySecond.length) resultsBySecond[sec]!++;
    recordLatency(i, now);
  };
  onSpinResult = onResult;

  const emitSpin = (i: number) => {
    const s = sockets[i % sockets.length]!;
    const now = hr();
    sentAt[i] = now;
    sendLagMaxMs = Math.max(sendLagMaxMs, now - scheduled(i));
    sent++;
    perSecond[secondOf(i)]!.sent++;
    s.emit("spin", { campaignId: c.campaignId, idempotencyKey: prefix + i.toString(36) }, (ack: AckMsg) => {
      if (state[i]! & (ACKED | REFUSED)) return;
      if (ack?.ok && ack.data) {
        state[i] = state[i]! | ACKED;
        acked++;
        if (ack.data.duplicate) ackDuplicates++;
        ackLatency.record(hr() - sentAt[i]!);
        const earlier = intentIds[i];
        if (earlier !== undefined && earlier !== ack.data.intentId) mismatched++;
        intentIds[i] = ack.data.intentId;
      } else {
        state[i] = state[i]! | REFUSED;
        const code = ack?.error?.code ?? "E_MALFORMED_ACK";
        refused[code] = (refused[code] ?? 0) + 1;
      }
    });
  };

  // Open-loop sender: every ~1 ms, send everything that is due by now.
  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = () => {
      if (stopping()) return resolve();
      const elapsed = hr() - c.startAt;
      if (elapsed < 0) {
        setTimeout(tick, Math.min(50, Math.max(1, -elapsed - 1)));
        return;
      }
      const due = Math.min(total, Math.floor((elapsed * c.rate) / 1000) + 1);
      while (next < due) emitSpin(next++);
      if (next >= total) return resolve();
      setTimeout(tick, 1);
    };
    tick();
  });

  // Drain: wait (bounded) until every intent has its result or was refused.
  const drainStart = performance.now();
  const open = () => {
    let n = 0;
    for (let i = 0; i < total; i++) if (sentAt[i] !== 0 && !(state[i]! & (RESULT | REFUSED))) n++;
    return n;
  };
  while (!stopping() && performance.now() - drainStart < c.drainS * 1000 && open() > 0) await new Promise((r) => setTimeout(r, 50));
  const drainMs = performance.now() - drainStart;
  onSpinResult = null;

  // Every offered intent without a result enters the percentiles with the time waited for it.
  const end = hr();
  let noAck = 0, ackedNoResult = 0;
  for (let i = 0; i < total; i++) {
    const st = state[i]!;
    if (sentAt[i] === 0) {
      // Never sent (stopped early): it was offered all the same.
      recordLatency(i, end);
      noAck++;
      continue;
    }
    if (st & RESULT) continue;
    recordLatency(i, end);
    if (st & REFUSED) continue;
    if (st & ACKED) ackedNoResult++;
    else noAck++;
  }
  return {
    offered: total, sent, acked, ackDuplicates, refused, noAck, ackedNoResult, results, resultDuplicates, unknownResults, mismatched, outcomes,
    latency: latency.toJSON(), latencyFromSchedule: latencyFromSchedule.toJSON(), ackLatency: ackLatency.toJSON(), sendLagMaxMs, drainMs,
    perSecond: perSecond.map((p) => ({ sent: p.sent, latency: p.latency.toJSON() })), resultsBySecond, disconnects,
  };
}

// ------------------------------------------------------------------------------- commands

async function handle(cmd: Record<string, unknown>): Promise<unknown> {
  switch (cmd.op) {
    case "connect":
      return connectMany(cmd.kind as Kind, Number(cmd.count), Number(cmd.offset), cmd.room as string | undefined);
    case "close":
      closeKind(cmd.kind as Kind);
      return {};
    case "spin-step":
      return spinStep(cmd as unknown as SpinStepCmd);
    case "fanout-count":
      return { received: phases.get(String(cmd.phase))?.received ?? 0 };
    case "fanout-collect": {
      const ph = phases.get(String(cmd.phase));
      phases.delete(String(cmd.phase));
      return { received: ph?.received ?? 0, latency: (ph?.latency ?? new Histogram()).toJSON() };
    }
    default:
      throw new Error(`unknown op ${String(cmd.op)}`);
  }
}

listen((msg) => {
  if (msg.type === "config") {
    cfg = msg as unknown as BaselineLoadConfig;
    send({ type: "ready", proc: cfg.proc });
  } else if (msg.type === "cmd") {
    handle(msg).then(
      (r) => send({ type: "reply", id: msg.id, ...(r as object) }),
      (err: unknown) => fatal(err),
    );
  }
});
