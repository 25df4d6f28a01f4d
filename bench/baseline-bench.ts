/**
 * `node dist/bench/baseline-bench.js`: the baseline, "what a team would build without us", measured
 * on this machine so the report can show ratios. See bench/baseline/ (server, worker, shared) and the
 * "Baseline" section of bench/README.md.
 *
 * Starts a private redis-server (AOF everysec, as for our stack), BENCH_BASELINE_SERVERS (2) baseline
 * servers and BENCH_BASELINE_WORKERS (2) baseline workers from dist/bench/baseline/, and
 * BENCH_LOAD_PROCS (2) load processes (bench/baseline-load.ts, socket.io-client). In this order:
 *
 * 1. RSS per idle client: server RSS with C idle clients connected and subscribed to one room,
 *    minus without them (both readings with the spin clients connected, after a 20-client warm-up), ÷ C.
 * 2. Fan-out: those C clients; server-1 broadcasts a small message to the room at increasing rates
 *    for a few seconds each; a step passes when ≥ 99.9 % of (messages × C) arrive and p99 delivery
 *    < 1 s (keeping up, as bench:fanout). Also messages per CPU-second of servers + Redis + workers.
 * 3. Reveal: 10 single broadcasts of a 1 KB JSON payload to the C clients (time from the bench's POST).
 * 4. Spin ladder: BENCH_BASELINE_SPIN_CLIENTS (400) other clients spin at each offered rate for the
 *    step duration (open loop), each step on a fresh campaign whose two scarce tiers sell out
 *    mid-step; a step passes when p99 (emit → spin:result, over every offered intent) ≤ 100 ms and
 *    nothing is refused or unanswered after the drain. Stops at the first failing step.
 * Then waits for the queue to empty and checks every step's campaign in Redis (lost, duplicated,
 * oversold), and writes bench/results/<BENCH_NAME or "baseline">.json.
 *
 * BENCH_QUICK=1: 2,000 clients, fan-out steps of 2 s, ladder steps of 8 s; budget 50 s in all.
 * Environment (all optional): BENCH_DURATION_S (full mode: ladder step, 60), BENCH_BASELINE_DURATION_S
 * (ladder step in either mode), BENCH_BASELINE_RATES ("1000,2000,..."), BENCH_BASELINE_CLIENTS (C),
 * BENCH_BASELINE_FANOUT_RATES (broadcasts/s, "5,10,..."), BENCH_BASELINE_SPIN_CLIENTS,
 * BENCH_BASELINE_DRAIN_S, BENCH_BASELINE_CLIENT (socket.io-client | raw), BENCH_LOAD_PROCS,
 * BASELINE_WORKER_CONCURRENCY (50), BENCH_NAME.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { projectRoot } from "../core/assets.js";
import { ensureRedis } from "../scripts/redis-server.js";
import { baselineKeys, type BaselineTier, type BroadcastRequest, type BroadcastResponse, QUEUE_NAME, ROOM_CAMPAIGN } from "./baseline/shared.js";
import { rssKb, startServer, startWorker, type BaselineServer } from "./baseline/procs.js";
import { type Chart, commitId, downsample, loadAvg, machineAtStart } from "./baseline/report.js";
import type { BaselineLoadConfig, SpinStepCmd, SpinStepReport } from "./baseline-load.js";
import { hr } from "./clock.js";
import { cpuBetween, cpuMark, type CpuMark, tracked, trackPid } from "./cpu.js";
import { benchName, numEnv } from "./env.js";
import { Histogram, type HistogramJSON } from "./histogram.js";
import { abort, guardProcess, isStopping, onStop, runMain, sleep, stopAll } from "./lifecycle.js";
import { allWithin, type ChildLoad, forkLoads } from "./load-ipc.js";
import { fmt, round, say, setLogTag } from "./log.js";
import { commandStats, redisCommandDiff } from "./redis-stats.js";

// ------------------------------------------------------------------------------------ settings

const QUICK = process.env.BENCH_QUICK === "1";
const listEnv = (name: string, fallback: number[]): number[] => {
  const raw = process.env[name];
  if (!raw) return fallback;
  const v = raw.split(",").map(Number);
  if (v.some((n) => !Number.isFinite(n) || n <= 0)) {
    console.error(`${name} must be a comma-separated list of positive numbers (got ${JSON.stringify(raw)})`);
    process.exit(2);
  }
  return v;
};
const STEP_S = process.env.BENCH_BASELINE_DURATION_S ? numEnv("BENCH_BASELINE_DURATION_S", 6) : QUICK ? 6 : numEnv("BENCH_DURATION_S", 60);
const RATES = listEnv("BENCH_BASELINE_RATES", QUICK ? [250, 500, 1000, 1500, 2000] : [500, 1000, 1500, 2000, 2500, 3000, 4000, 6000]);
const CLIENTS = Math.round(numEnv("BENCH_BASELINE_CLIENTS", QUICK ? 2000 : 10_000)); // full: as many as bench:flash, so reveal p99 compares
// Broadcasts/s from 1, ×1.41 a step (×1.7 quick), as bench:fanout does for ours.
const FANOUT_RATES = listEnv("BENCH_BASELINE_FANOUT_RATES", QUICK ? [1, 1.7, 2.9, 4.9, 8.4, 14.2, 24.1] : [1, 1.41, 1.99, 2.8, 3.95, 5.57, 7.86, 11.1, 15.6]);
const FANOUT_STEP_S = QUICK ? 1 : 4;
const FANOUT_GRACE_MS = QUICK ? 1000 : 3000;
const REVEALS = 10;
const SPIN_CLIENTS = Math.round(numEnv("BENCH_BASELINE_SPIN_CLIENTS", 400));
const DRAIN_S = numEnv("BENCH_BASELINE_DRAIN_S", QUICK ? 2 : 10);
const SETTLE_S = QUICK ? 5 : 60;
const WARMUP_S = QUICK ? 2 : 5;
const SERVERS = Math.round(numEnv("BENCH_BASELINE_SERVERS", 2));
const WORKERS = Math.round(numEnv("BENCH_BASELINE_WORKERS", 2));
const LOAD_PROCS = Math.round(numEnv("BENCH_LOAD_PROCS", 2));
const CLIENT = process.env.BENCH_BASELINE_CLIENT === "raw" ? "raw" : "socket.io-client";
const NAME = benchName("baseline");
const P99_LIMIT_MS = 100;
const FANOUT_P99_LIMIT_MS = 1000; // keeping up, the same bound as bench:fanout's
const FANOUT_DELIVERED_MIN = 0.999;
const SAMPLE_MS = QUICK ? 1000 : 2000;
/** The campaign the idle clients `campaign:subscribe` to; broadcasts go to its room. */
const ROOM = "fanout";
const FANOUT_ROOM = ROOM_CAMPAIGN(ROOM);
const HARD_LIMIT_MS = QUICK ? 120_000 : 20 * 60_000;
/** Wall-clock budget (quick: 50 s, full: ~6 min); steps that would not end within it (less teardown) are skipped and listed. */
const BUDGET_S = QUICK ? 48 : 380;

setLogTag("bench:baseline");

// ------------------------------------------------------------------------------------ helpers

type Load = ChildLoad<unknown, never, never>;
let rpcSeq = 0;

/** One request/response with a load process (bench/baseline-load.ts). */
function rpc<T>(l: Load, cmd: Record<string, unknown>, timeoutMs: number): Promise<T> {
  const id = ++rpcSeq;
  return new Promise<T>((resolve, reject) => {
    const onMsg = (m: { type: string; id?: number }) => {
      if (m.type !== "reply" || m.id !== id) return;
      clearTimeout(timer);
      l.child.off("message", onMsg);
      resolve(m as T);
    };
    const timer = setTimeout(() => {
      l.child.off("message", onMsg);
      reject(new Error(`load-${l.proc + 1}: ${String(cmd.op)} got no reply within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    l.child.on("message", onMsg);
    l.child.send({ type: "cmd", id, ...cmd });
  });
}

/** The share [offset, offset + count) of `n` clients that load process `p` holds. */
const share = (n: number, p: number) => {
  const offset = Math.floor((p * n) / LOAD_PROCS);
  return { offset, count: Math.floor(((p + 1) * n) / LOAD_PROCS) - offset };
};

async function postBroadcast(s: BaselineServer, b: BroadcastRequest): Promise<BroadcastResponse> {
  const res = await fetch(`${s.url}/broadcast`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(b) });
  if (!res.ok) throw new Error(`POST /broadcast: HTTP ${res.status}`);
  return (await res.json()) as BroadcastResponse;
}

/** CPU-seconds of the tracked processes of `roles` between two marks. */
function cpuSeconds(a: CpuMark, b: CpuMark, roles: string[]): number {
  const c = cpuBetween(a, b);
  return (roles.reduce((x, r) => x + (c.by_role[r] ?? 0), 0) / 100) * c.seconds;
}

const pct = (h: Histogram) => ({ p50_ms: round(h.percentile(50)), p95_ms: round(h.percentile(95)), p99_ms: round(h.percentile(99)), max_ms: round(h.max), count: h.count });

// ------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  const wallStart = performance.now();
  guardProcess(HARD_LIMIT_MS);
  const machine = machineAtStart();
  const date = new Date().toISOString();
  const runTag = Date.now().toString(36);
  trackPid("bench", "bench", process.pid);
  const logDir = path.join(projectRoot(), ".data", "bench-baseline-logs");
  mkdirSync(logDir, { recursive: true });
  say(`${QUICK ? "quick: " : ""}ladder ${RATES.join("/")} spins/s × ${STEP_S} s, ${SPIN_CLIENTS} spin clients; fan-out ${fmt(CLIENTS)} clients at ${FANOUT_RATES.join("/")} broadcasts/s; ${CLIENT}`);

  // ---------------------------------------------------------------- the stack
  const redisProc = await ensureRedis({ useEnvUrl: false, name: `bench-baseline-redis-${runTag}`, removeDataOnStop: true, log: say });
  onStop("redis", () => redisProc.stop());
  const redis = new Redis(redisProc.url, { maxRetriesPerRequest: null });
  redis.on("error", () => undefined);
  onStop("bench redis connection", async () => redis.disconnect());
  const info = await redis.info("server");
  trackPid("redis", "redis", Number(/process_id:(\d+)/.exec(info)?.[1] ?? 0));
  const problems: string[] = [];
  const env = { REDIS_URL: redisProc.url };
  const [servers, workers] = await Promise.all([
    Promise.all(Array.from({ length: SERVERS }, (_, i) => startServer(`server-${i + 1}`, env, logDir, problems))),
    Promise.all(Array.from({ length: WORKERS }, (_, i) => startWorker(`worker-${i + 1}`, env, logDir, problems))),
  ]);
  const queue = new Queue(QUEUE_NAME, { connection: redis });
  onStop("bench queue", () => queue.close());
  say(`${SERVERS} servers on ${servers.map((s) => `:${s.port}`).join(" ")}, ${WORKERS} workers (concurrency ${workers[0]?.concurrency}); logs in ${path.relative(process.cwd(), logDir)}/`);

  const loads = forkLoads<unknown, never, never, BaselineLoadConfig>({
    script: "baseline-load.js", procs: LOAD_PROCS, clients: 0, stopGraceMs: 3000,
    exitNotes: { ready: " before it was ready", report: "" },
    config: (p) => ({ proc: p, urls: servers.map((s) => s.url), client: CLIENT }),
  });
  for (const l of loads) {
    l.child.on("message", (m: { type: string; message?: string }) => {
      if (m.type === "fatal") void abort(`load-${l.proc + 1} failed: ${m.message}`);
    });
    l.child.once("exit", (code) => {
      if (!isStopping()) void abort(`load-${l.proc + 1} exited unexpectedly (code ${code})`);
    });
  }
  await allWithin(loads.map((l) => l.ready), 20_000, "load processes not ready within 20 s");
  const all = <T>(cmd: (p: number) => Record<string, unknown>, timeoutMs: number) => Promise.all(loads.map((l) => rpc<T>(l, cmd(l.proc), timeoutMs)));

  // CPU and RSS samples over the whole run (charts).
  const samples: { t: number; cpu: Record<string, number>; rssMb: Record<string, number> }[] = [];
  let lastMark = cpuMark();
  const sampler = setInterval(() => {
    const m = cpuMark();
    const c = cpuBetween(lastMark, m);
    lastMark = m;
    samples.push({ t: round((m.at - wallStart) / 1000, 1), cpu: c.by_process, rssMb: Object.fromEntries(servers.map((s) => [s.label, round(rssKb(s.pid) / 1024, 1)])) });
  }, SAMPLE_MS);
  onStop("sampler", async () => clearInterval(sampler));

  // ---------------------------------------------------------------- 1. RSS per idle client
  // The spin clients connect first (they are in both RSS readings, so the difference is the idle clients'),
  // then 20 idle clients connect, subscribe and leave (warm-up), then the C idle clients.
  await all((p) => ({ op: "connect", kind: "spin", count: share(SPIN_CLIENTS, p).count, offset: share(SPIN_CLIENTS, p).offset }), 60_000);
  await all((p) => ({ op: "connect", kind: "idle", count: share(20, p).count, offset: 900_000 + share(20, p).offset, room: ROOM }), 30_000);
  await all(() => ({ op: "close", kind: "idle" }), 10_000);
  await sleep(QUICK ? 1000 : 2000);
  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
  const rss0 = servers.map((s) => rssKb(s.pid));
  const connectStart = performance.now();
  await all((p) => ({ op: "connect", kind: "idle", count: share(CLIENTS, p).count, offset: 100_000 + share(CLIENTS, p).offset, room: ROOM }), 180_000);
  const connectS = (performance.now() - connectStart) / 1000;
  await sleep(QUICK ? 1000 : 2000);
  const rssC = servers.map((s) => rssKb(s.pid));
  const counted = await Promise.all(servers.map(async (s) => ((await (await fetch(`${s.url}/healthz`)).json()) as { clients: number }).clients));
  if (sum(counted) !== CLIENTS + SPIN_CLIENTS) say(`warning: the servers count ${sum(counted)} clients, expected ${CLIENTS + SPIN_CLIENTS}`);
  const rssPerClientKb = round((sum(rssC) - sum(rss0)) / CLIENTS, 2);
  say(`${fmt(CLIENTS)} idle clients connected and subscribed in ${connectS.toFixed(1)} s (servers count ${counted.join(" + ")}); server RSS ${fmt(sum(rss0) / 1024)} → ${fmt(sum(rssC) / 1024)} MB: ${rssPerClientKb} KB per client`);

  // ---------------------------------------------------------------- 2. fan-out
  const collectPhase = async (phase: string, expected: number, graceMs: number, waitedFrom: number) => {
    const deadline = performance.now() + graceMs;
    let received = 0;
    while (performance.now() < deadline) {
      received = sum((await all<{ received: number }>(() => ({ op: "fanout-count", phase }), 10_000)).map((r) => r.received));
      if (received >= expected) break;
      await sleep(25);
    }
    const got = await all<{ received: number; latency: HistogramJSON }>(() => ({ op: "fanout-collect", phase }), 10_000);
    const h = new Histogram();
    for (const g of got) h.merge(g.latency);
    received = sum(got.map((g) => g.received));
    // Messages that never arrived enter the percentiles with the time waited for them (a lower bound).
    const waited = hr() - waitedFrom;
    for (let i = received; i < expected; i++) h.record(waited);
    return { received, h };
  };
  const fanout: Record<string, unknown>[] = [];
  let fanoutBest: { msgsPerS: number; perCore: number } | null = null;
  const elapsedS = () => (performance.now() - wallStart) / 1000;
  /** What the reveal, the warm-up, three ladder steps and the settle need after the fan-out. */
  const afterFanoutS = 4 + WARMUP_S + 1 + 3 * (STEP_S + 1.5) + 2;
  const skipped: string[] = [];
  // Warm-up (not measured): the first broadcasts of a cold server are several times slower.
  {
    const rate = FANOUT_RATES[0]!;
    const count = Math.max(2, Math.round(rate));
    const t0 = hr();
    await postBroadcast(servers[0]!, { room: FANOUT_ROOM, event: "bcast", phase: "fanout-warmup", count, ratePerS: rate, padBytes: 40 });
    await collectPhase("fanout-warmup", count * CLIENTS, FANOUT_GRACE_MS, t0);
  }
  for (const rate of FANOUT_RATES) {
    // The first step always runs; later ones only within the budget.
    if (rate !== FANOUT_RATES[0] && elapsedS() + FANOUT_STEP_S + FANOUT_GRACE_MS / 1000 + afterFanoutS > BUDGET_S) {
      skipped.push(`fan-out ${rate}/s`);
      continue;
    }
    const phase = `fanout-${rate}`;
    const count = Math.round(rate * FANOUT_STEP_S);
    const expected = count * CLIENTS;
    const m0 = cpuMark();
    const t0 = hr();
    const emitted = await postBroadcast(servers[0]!, { room: FANOUT_ROOM, event: "bcast", phase, count, ratePerS: rate, padBytes: 40 });
    const { received, h } = await collectPhase(phase, expected, FANOUT_GRACE_MS, t0 + ((count - 1) * 1000) / rate);
    const m1 = cpuMark();
    const cpuS = cpuSeconds(m0, m1, ["node", "redis", "worker"]);
    const windowS = (m1.at - m0.at) / 1000;
    const delivered = received / expected;
    const p99 = h.percentile(99);
    const pass = delivered >= FANOUT_DELIVERED_MIN && p99 < FANOUT_P99_LIMIT_MS;
    const msgsPerS = received / (count / rate);
    const perCore = cpuS > 0 ? received / cpuS : 0;
    fanout.push({
      broadcasts_per_s: rate, seconds: round(count / rate, 2), broadcasts: count, clients: CLIENTS, offered_msgs_per_s: rate * CLIENTS, received_msgs_per_s: Math.round(msgsPerS),
      delivered_ratio: round(delivered, 5), missing: expected - received, ...pct(h), server_emit_lag_max_ms: round(emitted.lagMaxMs),
      server_cores_used: round(cpuS / windowS, 2), msgs_per_s_per_core: Math.round(perCore), cpu_window_s: round(windowS, 2),
      cpu_pct_by_process: cpuBetween(m0, m1).by_process, pass,
    });
    say(`fan-out ${rate}/s × ${fmt(CLIENTS)}: ${fmt(msgsPerS)} msgs/s received (${(delivered * 100).toFixed(2)} %), p50 ${round(h.percentile(50))} p99 ${round(p99)} ms, ${fmt(perCore)} msgs per server CPU-second: ${pass ? "pass" : "FAIL"}`);
    if (!pass) break;
    fanoutBest = { msgsPerS, perCore };
  }

  // ---------------------------------------------------------------- 3. reveal
  const revealPayload = { type: "reveal", drawId: "draw-0001", tierId: "grand", tierName: "Grand prize", winners: Array.from({ length: 22 }, (_, i) => ({ playerId: `p-${(i * 7919).toString(36).padStart(8, "0")}`, rank: i + 1 })) };
  const revealBytes = JSON.stringify(revealPayload).length;
  const reveal = new Histogram();
  const revealRuns: { p50_ms: number; p99_ms: number; missing: number }[] = [];
  for (let r = 0; r < REVEALS; r++) {
    const phase = `reveal-${r}`;
    const sentAt = hr();
    await postBroadcast(servers[0]!, { room: FANOUT_ROOM, event: "bcast", phase, count: 1, ratePerS: 0, payload: revealPayload, sentAt });
    const { received, h } = await collectPhase(phase, CLIENTS, 5000, sentAt);
    reveal.merge(h);
    revealRuns.push({ p50_ms: round(h.percentile(50)), p99_ms: round(h.percentile(99)), missing: CLIENTS - received });
    await sleep(QUICK ? 50 : 300);
  }
  say(`reveal (${revealBytes} B to ${fmt(CLIENTS)} clients) × ${REVEALS}: p50 ${round(reveal.percentile(50))} ms, p99 ${round(reveal.percentile(99))} ms`);
  await all(() => ({ op: "close", kind: "idle" }), 30_000);

  // ---------------------------------------------------------------- 4. spin ladder
  type StepRun = { startAt: number; campaignId: string; tiers: BaselineTier[]; reports: SpinStepReport[]; rps: Record<string, string> };
  /** Every campaign spun on (warm-up included), for the Redis checks. */
  const campaignsRun: StepRun[] = [];
  /** One open-loop step at `rate` for `seconds` on a fresh campaign whose two scarce tiers sell out mid-step. */
  const runStep = async (campaignId: string, rate: number, seconds: number) => {
    const k = baselineKeys(campaignId);
    const offered = rate * seconds;
    const tiers: BaselineTier[] = [
      { tierId: "grand", probability: 0.01, stock: Math.max(5, Math.round(0.01 * offered * 0.4)) }, // sells out ~40 % into the step
      { tierId: "coupon", probability: 0.05, stock: Math.max(5, Math.round(0.05 * offered * 0.7)) }, // ~70 %
      { tierId: "points", probability: 0.2, stock: offered }, // never
    ];
    const m = redis.multi().set(k.config, JSON.stringify({ campaignId, tiers }));
    for (const t of tiers) m.set(k.stock(t.tierId), t.stock);
    await m.exec();
    const startAt = Math.ceil((hr() + 300) / 1000) * 1000; // a whole second: Redis counts results per epoch second
    const replies = Promise.all(
      loads.map((l) => rpc<SpinStepReport>(l, { op: "spin-step", campaignId, rate: rate / LOAD_PROCS, durationS: seconds, drainS: DRAIN_S, startAt } satisfies SpinStepCmd, (seconds + DRAIN_S + 60) * 1000)),
    );
    await sleep(Math.max(0, startAt - hr()));
    const m0 = cpuMark();
    const cmd0 = await commandStats(redis);
    const reports = await replies;
    const m1 = cpuMark();
    const cmd1 = await commandStats(redis);
    const rps = await redis.hgetall(k.resolvedBySecond);
    const resolvedInWindow = Object.entries(rps).reduce((a, [sec, n]) => (Number(sec) >= startAt / 1000 && Number(sec) < startAt / 1000 + seconds ? a + Number(n) : a), 0);
    const resolvedTotal = await redis.hlen(k.results);
    const run: StepRun = { startAt, campaignId, tiers, reports, rps };
    campaignsRun.push(run);
    return { run, m0, m1, cmd0, cmd1, resolvedInWindow, resolvedTotal };
  };

  // Warm-up (not measured): JIT, connection pools and BullMQ's first jobs; the first seconds of a cold stack are ~10× slower.
  const warm = await runStep(`bl-${runTag}-warmup`, RATES[0]!, WARMUP_S);
  say(`warm-up ${fmt(RATES[0]!)}/s × ${WARMUP_S} s (not measured): ${fmt(warm.resolvedTotal)} resolved`);
  for (let i = 0; i < 50 && (await queueBacklog(queue)) > 0; i++) await sleep(100);

  const steps: Record<string, unknown>[] = [];
  const stepData: StepRun[] = [];
  let sustained = 0;
  let sustainedCpu: number | null = null;
  for (const [idx, rate] of RATES.entries()) {
    if (idx > 0 && elapsedS() + STEP_S + 1.5 + 2 > BUDGET_S) {
      skipped.push(`spin ${rate}/s`);
      say(`spin ${fmt(rate)}/s skipped: it would not end within the ${BUDGET_S} s budget`);
      continue;
    }
    const { run, m0, m1, cmd0, cmd1, resolvedInWindow, resolvedTotal } = await runStep(`bl-${runTag}-${idx}`, rate, STEP_S);
    const { reports } = run;
    stepData.push(run);

    const latency = new Histogram();
    const fromSchedule = new Histogram();
    const ack = new Histogram();
    const refused: Record<string, number> = {};
    for (const r of reports) {
      latency.merge(r.latency);
      fromSchedule.merge(r.latencyFromSchedule);
      ack.merge(r.ackLatency);
      for (const [code, n] of Object.entries(r.refused)) refused[code] = (refused[code] ?? 0) + n;
    }
    const rsum = (f: (r: SpinStepReport) => number) => sum(reports.map(f));
    const refusedN = sum(Object.values(refused));
    const unanswered = rsum((r) => r.noAck + r.ackedNoResult);
    const cpuS = cpuSeconds(m0, m1, ["node", "worker", "redis"]);
    const cpuUs = resolvedTotal > 0 ? round((cpuS * 1e6) / resolvedTotal, 1) : null;
    const cmdDiff = redisCommandDiff(cmd0, cmd1, (m1.at - m0.at) / 1000);
    const redisUsec = [...cmd1.entries()].reduce((a, [c, v]) => a + v.usec - (cmd0.get(c)?.usec ?? 0), 0);
    const pass = latency.count > 0 && latency.percentile(99) <= P99_LIMIT_MS && refusedN === 0 && unanswered === 0;
    const c = cpuBetween(m0, m1);
    steps.push({
      offered_per_s: rate,
      seconds: STEP_S,
      offered: rsum((r) => r.offered),
      sent: rsum((r) => r.sent),
      resolved_per_s_from_redis: round(resolvedInWindow / STEP_S, 1),
      resolved_total_from_redis: resolvedTotal,
      ...pct(latency),
      latency_from_schedule_p99_ms: round(fromSchedule.percentile(99)),
      ack_p50_ms: round(ack.percentile(50)),
      ack_p99_ms: round(ack.percentile(99)),
      refused: refusedN,
      refused_by_code: refused,
      unanswered,
      unanswered_no_ack: rsum((r) => r.noAck),
      unanswered_acked_no_result: rsum((r) => r.ackedNoResult),
      results_received: rsum((r) => r.results),
      send_lag_max_ms: round(Math.max(...reports.map((r) => r.sendLagMaxMs))),
      drain_ms: round(Math.max(...reports.map((r) => r.drainMs))),
      server_cpu_us_per_spin: cpuUs,
      redis_us_per_spin: resolvedTotal > 0 ? round(redisUsec / resolvedTotal, 1) : null,
      cpu_window_s: c.seconds,
      cpu_pct_by_role: c.by_role,
      cpu_pct_by_process: c.by_process,
      redis_commands: cmdDiff,
      pass,
    });
    say(
      `spin ${fmt(rate)}/s × ${STEP_S} s: resolved ${fmt(resolvedInWindow / STEP_S)}/s (Redis), p50 ${round(latency.percentile(50))} p99 ${round(latency.percentile(99))} ms, ` +
        `refused ${refusedN}, unanswered ${unanswered}, ${cpuUs ?? "?"} µs CPU/spin (cpu% ${JSON.stringify(c.by_role)}): ${pass ? "pass" : "FAIL"}`,
    );
    if (!pass) break;
    sustained = rate;
    sustainedCpu = cpuUs;
    // The next step starts on an empty queue.
    for (let i = 0; i < 50 && (await queueBacklog(queue)) > 0; i++) await sleep(100);
  }

  // ---------------------------------------------------------------- settle and verify in Redis
  const settleStart = performance.now();
  while (performance.now() - settleStart < SETTLE_S * 1000 && (await queueBacklog(queue)) > 0) await sleep(200);
  const backlogAfter = await queueBacklog(queue);
  const settleS = (performance.now() - settleStart) / 1000;
  let unrecorded = 0;
  let duplicated = 0;
  let oversold = 0;
  let soldOutReached = false;
  let ledgerMatchesIssued = true;
  const verification: Record<string, unknown>[] = [];
  for (const s of campaignsRun) {
    const k = baselineKeys(s.campaignId);
    const [created, recorded, dups, wins] = await Promise.all([redis.get(k.created), redis.hlen(k.results), redis.get(k.duplicates), redis.hgetall(k.wins)]);
    const stock = [];
    for (const t of s.tiers) {
      const [remaining, issued] = (await redis.mget(k.stock(t.tierId), k.issued(t.tierId))).map((v) => Number(v ?? 0)) as [number, number];
      const bad = issued > t.stock || t.stock !== issued + remaining || remaining < 0;
      if (bad) oversold++;
      if (remaining === 0) soldOutReached = true;
      const w = Number(wins[t.tierId] ?? 0);
      if (w !== issued) ledgerMatchesIssued = false;
      stock.push({ tierId: t.tierId, stocked: t.stock, issued, remaining, wins_recorded: w, oversold: bad });
    }
    const stepLost = Math.max(0, Number(created ?? 0) - recorded); // includes jobs still queued
    const clientDups = s.reports.reduce((a, r) => a + r.resultDuplicates, 0);
    const ackDups = s.reports.reduce((a, r) => a + r.ackDuplicates, 0);
    unrecorded += stepLost;
    duplicated += Number(dups ?? 0) + clientDups + ackDups;
    verification.push({ campaignId: s.campaignId, intents_created: Number(created ?? 0), results_recorded: recorded, not_recorded: stepLost, worker_duplicate_records: Number(dups ?? 0), results_pushed_twice: clientDups, acks_marked_duplicate: ackDups, mismatched: s.reports.reduce((a, r) => a + r.mismatched, 0), stock });
  }
  // Jobs still queued after the settle time are late, not lost (only a failing last step leaves a backlog).
  const lost = Math.max(0, unrecorded - backlogAfter);
  say(`verified in Redis: lost ${lost}, duplicated ${duplicated}, oversold ${oversold}, sold out reached ${soldOutReached}, queue backlog ${backlogAfter}`);

  // ---------------------------------------------------------------- charts
  clearInterval(sampler);
  const charts: Chart[] = [];
  if (stepData.length > 0) {
    const s0 = stepData[0]!.startAt;
    const len = Math.ceil((stepData[stepData.length - 1]!.startAt - s0) / 1000) + STEP_S + Math.ceil(DRAIN_S) + 1;
    const x = Array.from({ length: len }, (_, i) => i);
    const p50: (number | null)[] = new Array<number | null>(len).fill(null);
    const p99 = [...p50];
    const offeredY = [...p50];
    const resolvedY = [...p50];
    const receivedY = [...p50];
    const addAt = (arr: (number | null)[], i: number, v: number) => {
      if (i >= 0 && i < len) arr[i] = (arr[i] ?? 0) + v;
    };
    for (const s of stepData) {
      const off = Math.round((s.startAt - s0) / 1000);
      for (let sec = 0; sec < STEP_S; sec++) {
        const h = new Histogram();
        let sent = 0;
        for (const r of s.reports) {
          const ps = r.perSecond[sec];
          if (ps) {
            h.merge(ps.latency);
            sent += ps.sent;
          }
        }
        if (h.count > 0) {
          p50[off + sec] = round(h.percentile(50));
          p99[off + sec] = round(h.percentile(99));
        }
        addAt(offeredY, off + sec, sent);
      }
      for (const r of s.reports) r.resultsBySecond.forEach((n, sec) => n > 0 && addAt(receivedY, off + sec, n));
      for (const [sec, n] of Object.entries(s.rps)) addAt(resolvedY, Number(sec) - s0 / 1000, Number(n));
    }
    charts.push(downsample({ id: "spin-latency", title: "Baseline spin latency per second over the ladder (emit → spin:result, every offered intent)", unit: "ms", x_label: "seconds since the first ladder step", x, lines: [{ name: "p50", y: p50 }, { name: "p99", y: p99 }] }));
    charts.push(downsample({ id: "spin-throughput", title: "Baseline spins per second over the ladder", unit: "spins/s", x_label: "seconds since the first ladder step", x, lines: [{ name: "offered (sent)", y: offeredY }, { name: "resolved (Redis)", y: resolvedY }, { name: "spin:result received", y: receivedY }] }));
  }
  if (fanout.length > 0) {
    charts.push({ id: "fanout", title: `Baseline fan-out to ${fmt(CLIENTS)} clients`, unit: "msgs/s", x_label: "broadcasts/s to the room", x: fanout.map((f) => f.broadcasts_per_s as number), lines: [{ name: "offered", y: fanout.map((f) => f.offered_msgs_per_s as number) }, { name: "received", y: fanout.map((f) => f.received_msgs_per_s as number) }] });
    charts.push({ id: "fanout-latency", title: `Baseline fan-out delivery latency (${fmt(CLIENTS)} clients)`, unit: "ms", x_label: "broadcasts/s to the room", x: fanout.map((f) => f.broadcasts_per_s as number), lines: [{ name: "p50", y: fanout.map((f) => f.p50_ms as number) }, { name: "p99", y: fanout.map((f) => f.p99_ms as number) }] });
  }
  const labels = tracked.map((t) => t.label);
  charts.push(downsample({ id: "cpu", title: "Baseline CPU per process over the run (% of one core; 2 cores = 200 %)", unit: "% of one core", x_label: "seconds since start", x: samples.map((s) => s.t), lines: labels.map((l) => ({ name: l, y: samples.map((s) => s.cpu[l] ?? null) })) }));
  charts.push(downsample({ id: "rss", title: "Baseline server RSS over the run", unit: "MB", x_label: "seconds since start", x: samples.map((s) => s.t), lines: servers.map((sv) => ({ name: sv.label, y: samples.map((s) => s.rssMb[sv.label] ?? null) })) }));

  // ---------------------------------------------------------------- write
  machine.load_avg_end = loadAvg();
  const result = {
    sustained_per_s: sustained > 0 ? sustained : null,
    server_cpu_us_per_spin: sustainedCpu,
    fanout_msgs_per_s: fanoutBest ? Math.round(fanoutBest.msgsPerS) : null,
    fanout_msgs_per_s_per_core: fanoutBest ? Math.round(fanoutBest.perCore) : null,
    rss_per_idle_client_kb: rssPerClientKb,
    reveal_p99_ms: round(reveal.percentile(99)),
    reveal_clients: CLIENTS,
    lost,
    duplicated,
    oversold,
    sold_out_reached: soldOutReached,
    ledger_matches_issued: ledgerMatchesIssued,
    ladder: steps,
    fanout,
    reveal: { payload_bytes: revealBytes, repeats: REVEALS, clients: CLIENTS, ...pct(reveal), runs: revealRuns },
    rss: { clients: CLIENTS, servers_kb_with_0: rss0, servers_kb_with_clients: rssC, clients_counted_by_servers: counted, connect_s: round(connectS, 1) },
    verification: { steps: verification, queue_backlog_after_settle: backlogAfter, not_recorded_total: unrecorded, settle_s: round(settleS, 1) },
    skipped_for_time_budget: skipped,
    definitions: {
      sustained_per_s: `highest offered rate held ${STEP_S} s with p99 ≤ ${P99_LIMIT_MS} ms (emit → spin:result over every offered intent), 0 refused and 0 unanswered after a ${DRAIN_S} s drain; null when no step passed (below the lowest step)`,
      latency: "emit → spin:result in the load process; an intent refused or unanswered at the end of the drain enters the percentiles with the time waited (a lower bound); latency_from_schedule also counts the sender's own lag",
      resolved_per_s_from_redis: "results the workers recorded (HSETNX into the campaign's results hash) in the step's whole seconds ÷ step seconds, from a per-second counter in Redis",
      server_cpu_us_per_spin: "CPU of servers + workers + Redis (/proc/<pid>/stat) from the step's start to the end of its drain ÷ results recorded for the step's campaign; at the sustained step",
      fanout_msgs_per_s: `client-received messages per second at the highest broadcast rate with ≥ ${FANOUT_DELIVERED_MIN * 100} % delivered and p99 < ${FANOUT_P99_LIMIT_MS} ms (server-1 emits; server-2 gets it through the Redis adapter); null when no step passed`,
      fanout_msgs_per_s_per_core: "received messages ÷ CPU-seconds of servers + Redis + workers (idle here) over the step (from the first emit until all arrived or the grace ended)",
      rss_per_idle_client_kb: "(sum of server VmRSS with C idle subscribed clients − without them, after a 20-client warm-up; both readings with the spin clients connected) ÷ C",
      reveal_p99_ms: `p99 over ${REVEALS} single broadcasts × C clients of received − the bench's POST time (shared clock)`,
      lost: "intents the spin Lua created minus results recorded minus jobs still queued, after the queue emptied or the settle time ended (queued jobs are late, not lost: see verification.queue_backlog_after_settle)",
      duplicated: "worker attempts to record an intent twice + spin:result received twice by a client + acks marked duplicate (every key is new)",
      oversold: "tiers with issued > stocked, stocked ≠ issued + remaining, or remaining < 0",
    },
    context: {
      servers: SERVERS, workers: WORKERS, worker_concurrency: workers[0]?.concurrency ?? null, load_processes: LOAD_PROCS, spin_clients: SPIN_CLIENTS, idle_clients: CLIENTS, client: CLIENT,
      step_s: STEP_S, warmup_s: WARMUP_S, drain_s: DRAIN_S, rates: RATES, fanout_rates: FANOUT_RATES, fanout_step_s: FANOUT_STEP_S, engine: "ws (socket.io default)", adapter: "@socket.io/redis-adapter createAdapter(pub, sub)",
      redis_version: /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? null, redis_aof: "everysec", wall_clock_s: round((performance.now() - wallStart) / 1000, 1),
    },
    server_warnings: problems,
    machine,
    date,
    commit: commitId(),
    quick: QUICK,
    charts,
  };
  const outDir = path.join(projectRoot(), "bench", "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, `${NAME}.json`), `${JSON.stringify(result, null, 2)}\n`);
  say(
    `RESULT sustained ${sustained > 0 ? fmt(sustained) : "none"} spins/s at ${sustainedCpu ?? "?"} µs CPU/spin; fan-out ${result.fanout_msgs_per_s ?? "none"} msgs/s (${result.fanout_msgs_per_s_per_core ?? "none"}/core); ` +
      `RSS ${rssPerClientKb} KB/client; reveal p99 ${result.reveal_p99_ms} ms; lost ${lost} duplicated ${duplicated} oversold ${oversold}; wrote bench/results/${NAME}.json`,
  );
  await stopAll();
  say(`done in ${((performance.now() - wallStart) / 1000).toFixed(1)} s`);
  process.exit(0);
}

async function queueBacklog(q: Queue): Promise<number> {
  const c = await q.getJobCounts("wait", "active", "delayed", "prioritized", "waiting-children");
  return Object.values(c).reduce((a, b) => a + b, 0);
}

runMain(main, "bench:baseline");
