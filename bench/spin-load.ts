/**
 * One load process of `npm run bench:spin` (forked by bench/spin.ts; not meant to be run by hand).
 *
 * Holds `clients` sockets (bench/raw-client.ts or socket.io-client; websocket only, one player per
 * socket, round-robin over the socket nodes) for the whole run and plays one ladder step per
 * {type:"step"} message: `spin` intents at a steady open-loop rate, intent i due at t0 + its
 * scheduled offset whatever happened to earlier ones (a linear ramp during the warm-up). Every
 * intent has a unique idempotency key `k<proc>s<step>_<index in base 36>`, so the key alone
 * identifies it: a `spin:result` is matched by its `idempotencyKey` (it may arrive before the ack)
 * and cross-checked against the acked `intentId`.
 *
 * Per intent it keeps (typed arrays, no per-intent objects) its send time, state bits and refusal
 * code. Every latency is measured from the intent's *scheduled* time (so the sender's own lag counts:
 * no coordinated omission); `latencyFromSend` is the same from the actual emit. For the intents
 * scheduled in the measured window it reports:
 *   - answered: a `spin:result` received (ack ok) — `latency` = scheduled → result;
 *   - refused:  an error ack, by code — they count in `answer` (scheduled → refusal) but not `latency`;
 *   - unanswered: no ack, or acked without a result, by the end of the drain (`noAck`, `noResult`).
 * Per second of the step (by the intent's scheduled time) it also reports offered, sent, acked,
 * refused and results (the last three by arrival) and a coarse latency histogram of answered ones.
 * At the end of a step it writes the acked intent ids to `ackedFile` for the parent's Redis check.
 *
 * Parent → child: {type:"config", ...BaseLoadConfig, progressEveryMs}, {type:"step", ...SpinStep}, {type:"stop"}.
 * Child → parent: {type:"ready"}, {type:"progress", ...}, {type:"step-report", ...StepReport}, {type:"fatal", message}.
 */
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { TokenService } from "../server/auth.js";
import { CoarseHistogram, type CoarseJSON, Histogram, type HistogramJSON } from "./histogram.js";
import { type BaseLoadConfig, connectOutcome, fatal, listen, playerSocket, send, sockets, stopping } from "./load-child.js";

export interface LoadConfig extends BaseLoadConfig {
  progressEveryMs: number;
}

/** One ladder step, as this process plays it. */
export interface SpinStep {
  type: "step";
  step: number;
  campaignId: string;
  /** This process's share of the step's offered rate, intents/s. */
  rate: number;
  warmupS: number;
  /** Ramp linearly from 0 to `rate` during the warm-up instead of starting at full rate. */
  ramp: boolean;
  durationS: number;
  /** After the last send, how long to wait for missing acks and results before calling them unanswered. */
  drainS: number;
  /** t0 of the step (epoch ms): intent 0 is due then; the window is [t0 + warmupS, t0 + warmupS + durationS). */
  startAtEpochMs: number;
  ackedFile: string;
}

export interface LoadProgress {
  type: "progress";
  proc: number;
  step: number;
  sent: number;
  acked: number;
  refused: number;
  results: number;
  /** How far the sender is behind its schedule right now, ms. */
  behindMs: number;
  /** p99 (scheduled → result) of the results since the last progress message, ms. */
  recentP99: number;
  disconnects: number;
}

export interface StepReport {
  type: "step-report";
  proc: number;
  step: number;
  connected: number;
  /** Every intent of the step (warm-up included). */
  sent: number;
  acked: number;
  /** Intents scheduled in the measured window. */
  offered: number;
  /** Of those: acked and its `spin:result` received. */
  answered: number;
  /** Of those: refused by an error ack, by code (whatever came after it). */
  refused: Record<string, number>;
  /** Of the refused: a `spin:result` came anyway (the intent was stored although the ack said it was not). */
  refusedThenResolved: number;
  /** Of those: neither acked nor refused by the end of the drain. */
  noAck: number;
  /** Of those: acked, but no `spin:result` by the end of the drain. */
  noResult: number;
  /** Warm-up included: acks flagged `duplicate`, second results, result/ack intent id mismatches, results for keys never sent. */
  ackDuplicates: number;
  resultDuplicates: number;
  mismatched: number;
  unknownResults: number;
  /** Results whose key belongs to an earlier step (late pushes; not counted anywhere else). */
  otherStepResults: number;
  /** Outcome of the window's answered intents (`won:<tier>`, `lost`, `lost:sold_out`, `rejected:<reason>`). */
  outcomes: Record<string, number>;
  /** Scheduled → result (answered intents of the window). */
  latency: HistogramJSON;
  /** Emit → result (answered intents of the window). */
  latencyFromSend: HistogramJSON;
  /** Scheduled → ack ok. */
  ackLatency: HistogramJSON;
  /** Scheduled → first final answer: the result, or the refusal (answered + refused intents of the window). */
  answer: HistogramJSON;
  sendLagMaxMs: number;
  disconnects: number;
  drainMs: number;
  /** Per second of the step (index = second since t0). By scheduled time: offered, latency; by emit time: sent; by arrival: acked, refused, results. */
  perSecond: { offered: number[]; sent: number[]; acked: number[]; refused: number[]; results: number[]; latency: CoarseJSON[] };
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
const REFUSED = 2;
const RESULT = 4;

let cfg: LoadConfig | undefined;
let busy = false;

listen((msg) => {
  if (msg.type === "config") {
    cfg = msg as unknown as LoadConfig;
    connectAll(cfg).then(
      () => send({ type: "ready", proc: cfg!.proc }),
      (err: unknown) => fatal(err),
    );
  } else if (msg.type === "step" && cfg) {
    if (busy) return fatal(new Error("a step arrived while the previous one was running"));
    busy = true;
    runStep(cfg, msg as unknown as SpinStep).then(
      () => (busy = false),
      (err: unknown) => fatal(err),
    );
  }
});

let disconnects = 0;
/** The current step's result handler (one listener per socket for the whole run). */
let onResult: (r: SpinResultMsg) => void = () => undefined;

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
        if (outcome) throw new Error(`client ${global}: connect_error ${outcome.message}`);
        socket.on("disconnect", () => {
          if (!stopping()) disconnects++;
        });
        socket.on("spin:result", (r: SpinResultMsg) => onResult(r));
      }),
    );
  }
}

const bump = (a: number[], i: number) => {
  if (i >= 0 && i < a.length) a[i]!++;
};

async function runStep(c: LoadConfig, s: SpinStep): Promise<void> {
  const rate = s.rate;
  const W = s.warmupS;
  const ramp = s.ramp && W > 0;
  const warmupCount = Math.round(ramp ? (rate * W) / 2 : rate * W);
  const total = Math.max(1, warmupCount + Math.round(rate * s.durationS));
  const t0 = performance.now() + (s.startAtEpochMs - Date.now());
  /** Intents due by `e` seconds after t0. */
  const dueBy = (e: number) => (ramp && e < W ? Math.floor((rate * e * e) / (2 * W)) : warmupCount + Math.floor(rate * (e - W))) + 1;
  const scheduled = (i: number) => t0 + 1000 * (ramp && i < warmupCount ? Math.sqrt((2 * W * i) / rate) : W + (i - warmupCount) / rate);
  const inWindow = (i: number) => i >= warmupCount;
  const prefix = `k${c.proc}s${s.step}_`;
  const stepPrefix = `k${c.proc}s`;

  const seconds = Math.ceil(W + s.durationS + s.drainS) + 2;
  const perSecond = {
    offered: new Array<number>(seconds).fill(0), sent: new Array<number>(seconds).fill(0), acked: new Array<number>(seconds).fill(0),
    refused: new Array<number>(seconds).fill(0), results: new Array<number>(seconds).fill(0),
  };
  const latencyPerSecond = Array.from({ length: seconds }, () => new CoarseHistogram());
  const secOf = (t: number) => Math.floor((t - t0) / 1000);

  const sentAt = new Float64Array(total);
  /** performance.now() of the ack (ok or refusal) and of the `spin:result`; 0 = none yet. */
  const ackAt = new Float64Array(total);
  const resultAt = new Float64Array(total);
  const refusalCode = new Array<string | undefined>(total);
  const state = new Uint8Array(total);
  const intentIds: (string | undefined)[] = new Array<string | undefined>(total);
  const latency = new Histogram();
  const latencyFromSend = new Histogram();
  const ackLatency = new Histogram();
  const answer = new Histogram();
  let recent = new Histogram();
  const refused: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  let sent = 0;
  let acked = 0;
  let refusedCount = 0;
  let ackDuplicates = 0;
  let results = 0;
  let mismatched = 0;
  let resultDuplicates = 0;
  let unknownResults = 0;
  let otherStepResults = 0;
  let sendLagMaxMs = 0;
  let behindMs = 0;

  onResult = (r: SpinResultMsg) => {
    const now = performance.now();
    const key = r?.idempotencyKey;
    if (typeof key !== "string" || !key.startsWith(prefix)) {
      if (typeof key === "string" && key.startsWith(stepPrefix)) otherStepResults++;
      else unknownResults++;
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
    bump(perSecond.results, secOf(now));
    const id = intentIds[i];
    if (id !== undefined && id !== r.intentId) mismatched++;
    if (id === undefined) intentIds[i] = r.intentId; // result before ack: the ack cross-checks it
    resultAt[i] = now;
    if (!inWindow(i)) return;
    const label = r.outcome === "won" ? `won:${r.tierId}` : r.reason ? `${r.outcome}:${r.reason}` : r.outcome;
    outcomes[label] = (outcomes[label] ?? 0) + 1;
    recent.record(now - scheduled(i));
  };

  const emitSpin = (i: number) => {
    const socket = sockets[i % sockets.length]!;
    const key = `${prefix}${i.toString(36).padStart(7, "0")}`;
    const now = performance.now();
    sentAt[i] = now;
    const lag = now - scheduled(i);
    if (lag > sendLagMaxMs) sendLagMaxMs = lag;
    sent++;
    bump(perSecond.sent, secOf(now));
    bump(perSecond.offered, secOf(scheduled(i)));
    socket.emit("spin", { campaignId: s.campaignId, idempotencyKey: key }, (ack: SpinAckMsg) => {
      const at = performance.now();
      if (state[i]! & (ACKED | REFUSED)) return;
      ackAt[i] = at;
      if (ack && ack.ok && ack.data) {
        state[i] = state[i]! | ACKED;
        acked++;
        bump(perSecond.acked, secOf(at));
        if (ack.data.duplicate) ackDuplicates++;
        const earlier = intentIds[i];
        if (earlier !== undefined && earlier !== ack.data.intentId) mismatched++;
        intentIds[i] = ack.data.intentId;
      } else {
        state[i] = state[i]! | REFUSED;
        refusedCount++;
        bump(perSecond.refused, secOf(at));
        refusalCode[i] = ack?.error?.code ?? "E_MALFORMED_ACK";
      }
    });
  };

  const progress = setInterval(() => {
    const p: LoadProgress = {
      type: "progress", proc: c.proc, step: s.step, sent, acked, refused: refusedCount, results, behindMs,
      recentP99: recent.percentile(99), disconnects,
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

  // Drain: wait (bounded) until every intent has its answer (a result, or a refusal).
  const drainStart = performance.now();
  const outstanding = () => {
    let n = 0;
    for (let i = 0; i < total; i++) {
      const st = state[i]!;
      if (sentAt[i] === 0 || st & REFUSED) continue;
      if (!(st & ACKED) || !(st & RESULT)) n++;
    }
    return n;
  };
  while (!stopping() && performance.now() - drainStart < s.drainS * 1000) {
    if (outstanding() === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const drainMs = performance.now() - drainStart;
  clearInterval(progress);
  onResult = () => undefined;

  // Every window intent falls in exactly one class: refused (an error ack, whatever came after it),
  // answered (its result received), or unanswered (no ack, or acked without a result).
  let noAck = 0;
  let noResult = 0;
  let offered = 0;
  let answered = 0;
  let refusedThenResolved = 0;
  const ackedLines: string[] = [];
  for (let i = 0; i < total; i++) {
    const st = state[i]!;
    if (st & ACKED) ackedLines.push(intentIds[i]!);
    if (!inWindow(i)) continue;
    offered++; // sent or not: an intent the sender never got to is still offered (and unanswered)
    const due = scheduled(i);
    if (st & REFUSED) {
      const code = refusalCode[i]!;
      refused[code] = (refused[code] ?? 0) + 1;
      if (st & RESULT) refusedThenResolved++;
      answer.record(ackAt[i]! - due);
      continue;
    }
    if (!(st & ACKED)) noAck++;
    else if (!(st & RESULT)) noResult++;
    else {
      answered++;
      const l = resultAt[i]! - due;
      latency.record(l);
      latencyFromSend.record(resultAt[i]! - sentAt[i]!);
      ackLatency.record(ackAt[i]! - due);
      answer.record(l);
      latencyPerSecond[secOf(due)]?.record(l);
    }
  }
  writeFileSync(s.ackedFile, ackedLines.join("\n"));

  const report: StepReport = {
    type: "step-report", proc: c.proc, step: s.step, connected: sockets.filter((x) => x.connected).length,
    sent, acked, offered, answered, refused, refusedThenResolved, noAck, noResult, ackDuplicates, resultDuplicates, mismatched, unknownResults, otherStepResults,
    outcomes, latency: latency.toJSON(), latencyFromSend: latencyFromSend.toJSON(), ackLatency: ackLatency.toJSON(), answer: answer.toJSON(),
    sendLagMaxMs, disconnects, drainMs,
    perSecond: { ...perSecond, latency: latencyPerSecond.map((h) => h.toJSON()) },
  };
  send(report);
}
