/**
 * One load process of `npm run bench:spin` (forked by bench/spin.ts; not meant to be run by hand).
 *
 * Holds `clients` raw socket.io-client sockets (websocket transport only, one player per socket,
 * spread round-robin over the socket nodes) and sends `spin` intents at a steady open-loop rate:
 * intent i is due at t0 + i / rate, whatever happened to earlier ones. Every intent has a unique
 * idempotency key `k<proc>_<index in base 36>`, so the key alone identifies it: a `spin:result`
 * is matched by its `idempotencyKey` (it may arrive before the ack) and cross-checked against the
 * acked `intentId`.
 *
 * Per intent it keeps (in typed arrays, no per-intent objects): scheduled time, send time, ack
 * time, result time and state bits. Latency = result received − intent sent (same process clock).
 * At the end it waits up to `drainS` for missing results, writes the acked intent ids to
 * `ackedFile` (one per line, for the parent's Redis check) and sends one JSON report over IPC.
 *
 * Parent → child messages: {type:"config", ...LoadConfig}, {type:"start", startAtEpochMs}, {type:"stop"}.
 * Child → parent: {type:"ready"}, {type:"progress", ...}, {type:"report", ...}, {type:"fatal", message}.
 */
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { TokenService } from "../server/auth.js";
import { Histogram } from "./histogram.js";
import { type BaseLoadConfig, connectOutcome, fatal, listen, playerSocket, send, sockets, stopping } from "./load-child.js";

export interface LoadConfig extends BaseLoadConfig {
  /** This process's share of the aggregate rate, intents/s. */
  rate: number;
  warmupS: number;
  /** Ramp linearly from 0 to `rate` during the warm-up instead of starting at full rate. */
  ramp: boolean;
  durationS: number;
  drainS: number;
  ackedFile: string;
  progressEveryMs: number;
}

export interface LoadProgress {
  type: "progress";
  proc: number;
  sent: number;
  acked: number;
  ackErrors: number;
  results: number;
  /** How far the sender is behind its schedule right now, ms. */
  behindMs: number;
  /** p99 of the latencies recorded since the last progress message, ms. */
  recentP99: number;
  recentCount: number;
  disconnects: number;
}

export interface LoadReport {
  type: "report";
  proc: number;
  clients: number;
  connected: number;
  sent: number;
  acked: number;
  ackDuplicates: number;
  ackErrors: Record<string, number>;
  /** Sent but neither acked nor refused by the end of the drain. */
  noAck: number;
  results: number;
  /** Results whose intentId differs from the acked one. */
  mismatched: number;
  /** A second `spin:result` for the same intent. */
  resultDuplicates: number;
  /** `spin:result` for a key this process never sent. */
  unknownResults: number;
  /** Acked intents with no `spin:result` after the drain. */
  missingResults: number;
  outcomes: Record<string, number>;
  /** Results received during the measurement window (by arrival time). */
  resultsInWindow: number;
  /** Intents scheduled in the measurement window. */
  measuredSent: number;
  measuredResolved: number;
  latency: ReturnType<Histogram["toJSON"]>;
  /** Result received − intent's scheduled time (includes the sender's own lag: no coordinated omission). */
  latencyFromSchedule: ReturnType<Histogram["toJSON"]>;
  ackLatency: ReturnType<Histogram["toJSON"]>;
  sendLagMaxMs: number;
  /** First time (s after the window start; negative = warm-up) a spin landed on a sold-out tier. */
  firstSoldOutAtS: number | null;
  disconnects: number;
  connectErrors: Record<string, number>;
  drainMs: number;
}

interface SpinAckMsg {
  ok: boolean;
  data?: { intentId: string; duplicate: boolean };
  error?: { code: string; message: string };
}

interface SpinResultMsg {
  intentId: string;
  idempotencyKey: string;
  outcome: "won" | "lost" | "rejected";
  tierId: string | null;
  reason: string | null;
}

const ACKED = 1;
const ACK_ERROR = 2;
const RESULT = 4;

let cfg: LoadConfig | undefined;

listen((msg) => {
  if (msg.type === "config") {
    cfg = msg as unknown as LoadConfig;
    connectAll(cfg).then(
      () => send({ type: "ready", proc: cfg!.proc }),
      (err: unknown) => fatal(err),
    );
  } else if (msg.type === "start" && cfg) {
    run(cfg, Number(msg.startAtEpochMs)).catch((err: unknown) => fatal(err));
  }
});

let disconnects = 0;
const connectErrors: Record<string, number> = {};

async function connectAll(c: LoadConfig): Promise<void> {
  const tokens = new TokenService(c.secret);
  const batch = 50;
  for (let i = 0; i < c.clients; i += batch) {
    const group = Array.from({ length: Math.min(batch, c.clients - i) }, (_, j) => i + j);
    await Promise.all(
      group.map(async (local) => {
        const global = c.clientOffset + local;
        const url = c.urls[global % c.urls.length]!;
        const socket = await playerSocket(c.client, tokens, `bp${global}`, 3600, url, 10_000);
        sockets[local] = socket;
        const outcome = await connectOutcome(socket, 15_000);
        if (outcome === "timeout") throw new Error(`client ${global}: no connection to ${url} within 15 s`);
        if (outcome) {
          connectErrors[outcome.message] = (connectErrors[outcome.message] ?? 0) + 1;
          throw new Error(`client ${global}: connect_error ${outcome.message}`);
        }
        socket.on("disconnect", () => {
          if (!stopping()) disconnects++;
        });
      }),
    );
  }
}

async function run(c: LoadConfig, startAtEpochMs: number): Promise<void> {
  const rate = c.rate;
  const windowStartMs = c.warmupS * 1000;
  const sendEndMs = (c.warmupS + c.durationS) * 1000;
  // With a ramp the warm-up rises linearly from 0 to `rate` (so caches fill before full load).
  const W = c.warmupS;
  const ramp = c.ramp && W > 0;
  const warmupCount = Math.round(ramp ? (rate * W) / 2 : rate * W);
  const total = Math.max(1, warmupCount + Math.round(rate * c.durationS));
  const t0 = performance.now() + (startAtEpochMs - Date.now());
  /** Intents due by `e` seconds after t0. */
  const dueBy = (e: number) => (ramp && e < W ? Math.floor((rate * e * e) / (2 * W)) : warmupCount + Math.floor(rate * (e - W))) + 1;
  const prefix = `k${c.proc}_`;

  const sentAt = new Float64Array(total);
  const state = new Uint8Array(total);
  const intentIds: (string | undefined)[] = new Array<string | undefined>(total);
  const latency = new Histogram();
  const latencyFromSchedule = new Histogram();
  const ackLatency = new Histogram();
  let recent = new Histogram();
  const ackErrors: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  let firstSoldOutAtS: number | null = null;
  let sent = 0;
  let acked = 0;
  let ackErrorCount = 0;
  let ackDuplicates = 0;
  let results = 0;
  let mismatched = 0;
  let resultDuplicates = 0;
  let unknownResults = 0;
  let resultsInWindow = 0;
  let measuredResolved = 0;
  let sendLagMaxMs = 0;
  let behindMs = 0;
  const scheduled = (i: number) =>
    t0 + 1000 * (ramp && i < warmupCount ? Math.sqrt((2 * W * i) / rate) : W + (i - warmupCount) / rate);

  const onResult = (r: SpinResultMsg) => {
    const now = performance.now();
    const key = r?.idempotencyKey;
    if (typeof key !== "string" || !key.startsWith(prefix)) {
      unknownResults++;
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
    if (id === undefined) intentIds[i] = r.intentId; // result before ack: the ack cross-checks it
    const label = r.outcome === "won" ? `won:${r.tierId}` : r.reason ? `${r.outcome}:${r.reason}` : r.outcome;
    outcomes[label] = (outcomes[label] ?? 0) + 1;
    const rel = now - t0;
    if (r.reason === "sold_out" && firstSoldOutAtS === null) firstSoldOutAtS = (rel - windowStartMs) / 1000;
    if (rel >= windowStartMs && rel < sendEndMs) resultsInWindow++;
    if (i >= warmupCount) {
      const l = now - sentAt[i]!;
      latency.record(l);
      latencyFromSchedule.record(now - scheduled(i));
      recent.record(l);
      measuredResolved++;
    }
  };
  for (const s of sockets) s.on("spin:result", onResult);

  const emitSpin = (i: number) => {
    const socket = sockets[i % sockets.length]!;
    const key = `${prefix}${i.toString(36).padStart(7, "0")}`;
    const now = performance.now();
    sentAt[i] = now;
    const lag = now - scheduled(i);
    if (lag > sendLagMaxMs) sendLagMaxMs = lag;
    sent++;
    socket.emit("spin", { campaignId: c.campaignId, idempotencyKey: key }, (ack: SpinAckMsg) => {
      const at = performance.now();
      if (ack && ack.ok && ack.data) {
        if (state[i]! & (ACKED | ACK_ERROR)) return;
        state[i] = state[i]! | ACKED;
        acked++;
        if (ack.data.duplicate) ackDuplicates++;
        const earlier = intentIds[i];
        if (earlier !== undefined && earlier !== ack.data.intentId) mismatched++;
        intentIds[i] = ack.data.intentId;
        if (i >= warmupCount) ackLatency.record(at - sentAt[i]!);
      } else {
        state[i] = state[i]! | ACK_ERROR;
        ackErrorCount++;
        const code = ack?.error?.code ?? "E_MALFORMED_ACK";
        ackErrors[code] = (ackErrors[code] ?? 0) + 1;
      }
    });
  };

  const progress = setInterval(() => {
    const p: LoadProgress = {
      type: "progress", proc: c.proc, sent, acked, ackErrors: ackErrorCount, results, behindMs,
      recentP99: recent.percentile(99), recentCount: recent.count, disconnects,
    };
    recent = new Histogram();
    send(p);
  }, c.progressEveryMs);

  // Open-loop sender: every ~1 ms, send everything that is due by now.
  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = () => {
      if (stopping()) return resolve();
      const now = performance.now();
      const elapsed = now - t0;
      if (elapsed < 0) {
        setTimeout(tick, Math.min(50, Math.max(1, -elapsed - 1)));
        return;
      }
      const due = Math.min(total, dueBy(elapsed / 1000));
      while (next < due) emitSpin(next++);
      behindMs = next < total ? Math.max(0, now - scheduled(next)) : 0;
      if (next >= total) return resolve();
      setTimeout(tick, 1);
    };
    tick();
  });

  // Drain: wait (bounded) until every acked intent has its result and every intent its ack.
  const drainStart = performance.now();
  const outstanding = () => {
    let n = 0;
    for (let i = 0; i < total; i++) {
      const s = state[i]!;
      if (sentAt[i] === 0) continue;
      if (s & ACK_ERROR) continue;
      if (!(s & ACKED) || !(s & RESULT)) n++;
    }
    return n;
  };
  while (!stopping() && performance.now() - drainStart < c.drainS * 1000) {
    if (outstanding() === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const drainMs = performance.now() - drainStart;
  clearInterval(progress);

  let noAck = 0;
  let missingResults = 0;
  let measuredSent = 0;
  const ackedLines: string[] = [];
  for (let i = 0; i < total; i++) {
    if (sentAt[i] === 0) continue;
    if (i >= warmupCount) measuredSent++;
    const s = state[i]!;
    if (s & ACKED) {
      ackedLines.push(intentIds[i]!);
      if (!(s & RESULT)) missingResults++;
    } else if (!(s & ACK_ERROR)) noAck++;
  }
  writeFileSync(c.ackedFile, ackedLines.join("\n"));

  const report: LoadReport = {
    type: "report", proc: c.proc, clients: c.clients, connected: sockets.filter((s) => s.connected).length,
    sent, acked, ackDuplicates, ackErrors, noAck, results, mismatched, resultDuplicates, unknownResults, missingResults,
    outcomes, resultsInWindow, measuredSent, measuredResolved,
    latency: latency.toJSON(), latencyFromSchedule: latencyFromSchedule.toJSON(), ackLatency: ackLatency.toJSON(),
    sendLagMaxMs, firstSoldOutAtS, disconnects, connectErrors, drainMs,
  };
  send(report);
}
