/**
 * One load process of `bench:fanout` (forked by bench/fanout.ts; not meant to be run by hand).
 *
 * Holds `clients` sockets (websocket only, one player each, round-robin over the nodes by global
 * client index), connects them in bounded batches and subscribes each to the campaign room; then
 * they stay idle (ping/pong only) and count what the room broadcasts. The parent broadcasts
 * `draw:tick`-shaped messages whose `serverTime` is the send time on the shared clock
 * (bench/clock.ts), `eventSeq` a global sequence number and `entrants` the rate step. Per step this
 * process counts the messages its clients received and records each one's delivery latency
 * (receipt − serverTime) in a histogram; a client seeing a sequence number ≤ its last one counts a
 * duplicate or reordering.
 *
 * Parent → child: {type:"config", ...FanoutLoadConfig}, {type:"step", step}, {type:"report"}, {type:"stop"}.
 * Child → parent: {type:"ready"}, {type:"progress"}, {type:"step-report"}, {type:"report"}, {type:"fatal", message}.
 */
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { TokenService } from "../server/auth.js";
import { clockOffset, hr } from "./clock.js";
import { Histogram, type HistogramJSON } from "./histogram.js";
import type { BenchSocket } from "./raw-client.js";
import { type BaseLoadConfig, connectOutcome, fatal, listen, playerSocket, send, sockets, stopping } from "./load-child.js";

export interface FanoutLoadConfig extends BaseLoadConfig {
  connectBatch: number;
  connectTimeoutMs: number;
  progressEveryMs: number;
}

export interface FanoutReady {
  type: "ready";
  proc: number;
  connected: number;
  subscribed: number;
  connectMs: number;
  clockOffsetMs: number;
  errors: Record<string, number>;
}

export interface FanoutProgress {
  type: "progress";
  proc: number;
  connected: number;
  /** Messages received by all of this process's clients so far. */
  received: number;
  disconnects: number;
}

export interface FanoutStepReport {
  type: "step-report";
  proc: number;
  step: number;
  /** Messages of this step received (client × message). */
  received: number;
  duplicates: number;
  latency: HistogramJSON;
  /** Sockets still connected when the step report was taken. */
  connected: number;
}

export interface FanoutReport {
  type: "report";
  proc: number;
  connected: number;
  disconnects: number;
  disconnectReasons: Record<string, number>;
  errors: Record<string, number>;
  eventLoop: { p50: number; p99: number; max: number };
}

let cfg: FanoutLoadConfig | undefined;
const errors: Record<string, number> = {};
const disconnectReasons: Record<string, number> = {};
const bump = (rec: Record<string, number>, key: string, n = 1) => {
  rec[key] = (rec[key] ?? 0) + n;
};
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

let received = 0;
let disconnects = 0;
const perStep = new Map<number, { received: number; duplicates: number; hist: Histogram }>();
let lastSeq: Float64Array;

listen((msg) => {
  if (msg.type === "config") {
    cfg = msg as unknown as FanoutLoadConfig;
    lastSeq = new Float64Array(cfg.clients).fill(-1);
    startProgress(cfg);
    connectAll(cfg).then(
      (r) => send(r),
      (err: unknown) => fatal(err),
    );
  } else if (msg.type === "step" && cfg) {
    const step = Number(msg.step);
    const s = perStep.get(step);
    const r: FanoutStepReport = {
      type: "step-report", proc: cfg.proc, step, received: s?.received ?? 0, duplicates: s?.duplicates ?? 0,
      latency: (s?.hist ?? new Histogram()).toJSON(), connected: sockets.filter((x) => x?.connected).length,
    };
    perStep.delete(step);
    send(r);
  } else if (msg.type === "report" && cfg) {
    const pct = (p: number) => Math.max(0, loopDelay.percentile(p) / 1e6 - 10);
    const r: FanoutReport = {
      type: "report", proc: cfg.proc, connected: sockets.filter((x) => x?.connected).length, disconnects, disconnectReasons, errors: { ...errors },
      eventLoop: { p50: pct(50), p99: pct(99), max: Math.max(0, loopDelay.max / 1e6 - 10) },
    };
    send(r);
  }
});

function startProgress(c: FanoutLoadConfig): void {
  const timer = setInterval(() => {
    if (stopping()) return clearInterval(timer);
    const p: FanoutProgress = { type: "progress", proc: c.proc, connected: sockets.filter((s) => s?.connected).length, received, disconnects };
    send(p);
  }, c.progressEveryMs);
  timer.unref();
}

function wire(socket: BenchSocket, i: number): void {
  socket.on("draw:tick", (p: { serverTime: number; eventSeq: number; entrants: number }) => {
    const at = hr();
    received++;
    const step = p.entrants;
    let s = perStep.get(step);
    if (!s) perStep.set(step, (s = { received: 0, duplicates: 0, hist: new Histogram() }));
    s.received++;
    if (p.eventSeq <= lastSeq[i]!) s.duplicates++;
    else lastSeq[i] = p.eventSeq;
    s.hist.record(at - p.serverTime);
  });
  socket.on("disconnect", (reason: string) => {
    if (stopping()) return;
    disconnects++;
    bump(disconnectReasons, reason);
  });
}

async function connectAll(c: FanoutLoadConfig): Promise<FanoutReady> {
  const tokens = new TokenService(c.secret);
  const started = performance.now();
  let connected = 0;
  let subscribed = 0;
  const one = async (local: number) => {
    const global = c.clientOffset + local;
    const socket = await playerSocket(c.client, tokens, `fo${global}`, 7200, c.urls[global % c.urls.length]!, 20_000);
    sockets[local] = socket;
    wire(socket, local);
    const outcome = await connectOutcome(socket, 20_000);
    if (outcome === "timeout") bump(errors, "CONNECT_TIMEOUT");
    else if (outcome) bump(errors, `CONNECT_ERROR:${outcome.message}`.slice(0, 80));
    if (outcome !== null) {
      socket.close();
      return;
    }
    connected++;
    const sub = await new Promise<{ ok: boolean; error?: { code: string } } | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 20_000);
      socket.emit("campaign:subscribe", { campaignId: c.campaignId }, (ack: { ok: boolean; error?: { code: string } }) => {
        clearTimeout(timer);
        resolve(ack);
      });
    });
    if (sub?.ok) subscribed++;
    else bump(errors, `SUBSCRIBE:${sub?.error?.code ?? "NO_ACK"}`);
  };
  for (let i = 0; i < c.clients && !stopping(); i += c.connectBatch) {
    if (performance.now() - started > c.connectTimeoutMs) {
      bump(errors, "CONNECT_PHASE_TIMEOUT", c.clients - i);
      break;
    }
    await Promise.all(Array.from({ length: Math.min(c.connectBatch, c.clients - i) }, (_, j) => one(i + j)));
  }
  return { type: "ready", proc: c.proc, connected, subscribed, connectMs: performance.now() - started, clockOffsetMs: clockOffset, errors: { ...errors } };
}
