/**
 * `npm run bench:spin`: the sustained instant-win spin rate of the whole system on this machine, a
 * ladder of offered rates on one stack, measured from the server's own records, and the Redis
 * ceilings of exactly this work in the same run.
 *
 * 1. Starts a private Redis (AOF on), BENCH_NODES socket nodes and BENCH_WORKERS workers from the
 *    build, and forks BENCH_LOAD_PROCS load processes (bench/spin-load.ts) holding BENCH_CLIENTS
 *    sockets (one player each) over all nodes, for the whole run.
 * 2. For each offered rate of BENCH_LADDER: a fresh campaign (tiers at 1 %, 5 %, 20 %; `grand` stocked
 *    to sell out half-way through the window, `coupon` at ~80 %), BENCH_WARMUP_S of warm-up (a linear
 *    ramp) and BENCH_DURATION_S measured, open loop; then BENCH_DRAIN_S for late answers, and the
 *    check in Redis (bench/spin-verify.ts). A step is *held* when the client p99 (scheduled → result)
 *    is ≤ 100 ms, nothing was refused and nothing went unanswered; the ladder stops at the first step
 *    that is not. `sustained_per_s` = the highest offered rate held.
 * 3. Truth from Redis per step: resolved/s = ledger entries with a Redis time in the window; server
 *    latency = intent id time → `resolvedAt`; lost, duplicated, stock accounting, sell-out time.
 * 4. CPU per process from /proc over each window: server CPU µs per resolved spin (nodes + workers +
 *    Redis), the load generator's separately; Redis commands and CPU µs per spin (INFO).
 * 5. Ceilings on a FRESH private Redis (bench/redis-ceiling.ts): XADD, admitSpins (batches of 10), resolveSpins,
 *    saturating Redis; `redis_limit_spins_per_s` = 1 / (1/append + 1/resolve).
 * 6. Writes bench/results/<BENCH_NAME>.json (+ .md) with charts, and stops everything (also on errors,
 *    Ctrl-C and a hard time limit).
 *
 * Environment: BENCH_QUICK (1: ≤ 75 s in all), BENCH_LADDER (1000,2000,3000,4000,5000,7500,10000,15000,20000; quick 1500,3000),
 * BENCH_DURATION_S (60; quick 20), BENCH_WARMUP_S (5; quick 2), BENCH_RAMP (1), BENCH_DRAIN_S (5;
 * quick 2), BENCH_SETTLE_S (30; quick 3), BENCH_CLIENTS (400), BENCH_LOAD_PROCS (2), BENCH_NODES (2),
 * BENCH_WORKERS (2), BENCH_CEILING (1; 0 skips the ceilings), BENCH_CEILING_PHASE_S (5; quick 2),
 * BENCH_NAME ("spin"), BENCH_CLIENT, and any LIVEDRAW_* option (passed to nodes and workers as-is).
 */
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { projectRoot } from "../core/assets.js";
import { campaignKeys } from "../core/redis-keys.js";
import { byRole, cpuMark, cpuPercent, cpuSnapshot, rssByLabel, trackPid, tracked } from "./cpu.js";
import { benchClient, benchName, numEnv } from "./env.js";
import { CoarseHistogram } from "./histogram.js";
import { abort, guardProcess, isStopping, onStop, runMain, sleep } from "./lifecycle.js";
import { allWithin, forkLoads, sumProgress } from "./load-ipc.js";
import { fmt, round, say, setLogTag } from "./log.js";
import { measureCeilings } from "./redis-ceiling.js";
import { commandStats, forkDiff, forkStats, redisCpuSeconds } from "./redis-stats.js";
import { writeResultsAndExit } from "./report.js";
import type { LoadConfig, LoadProgress, SpinStep, StepReport } from "./spin-load.js";
import { spinMarkdown } from "./spin-markdown.js";
import { aggregateStep, P99_LIMIT_MS, type StepResult, type StepWindowMarks } from "./spin-step.js";
import { verifyStep } from "./spin-verify.js";
import { createLiveCampaign, gitCommit, loadAvg, machineInfo, startStack, systemContext } from "./stack.js";
import { type Chart, chart } from "./stats.js";

// ------------------------------------------------------------------------------------ settings

const QUICK = /^(1|true|yes)$/i.test(process.env.BENCH_QUICK ?? "");
// From well below what this machine sustains, so that the ladder finds it (it stops at the first step not held).
const LADDER = parseLadder(process.env.BENCH_LADDER, QUICK ? [1500, 3000] : [1000, 2000, 3000, 4000, 5000, 7500, 10_000, 15_000, 20_000]);
const DURATION_S = numEnv("BENCH_DURATION_S", QUICK ? 20 : 60);
const WARMUP_S = numEnv("BENCH_WARMUP_S", QUICK ? 2 : 5, 0);
const RAMP = numEnv("BENCH_RAMP", 1, 0) > 0;
const DRAIN_S = numEnv("BENCH_DRAIN_S", QUICK ? 2 : 5, 0.5);
const SETTLE_S = numEnv("BENCH_SETTLE_S", QUICK ? 3 : 30, 1);
const CLIENTS = Math.round(numEnv("BENCH_CLIENTS", 400));
const CLIENT = benchClient();
const LOAD_PROCS = Math.round(numEnv("BENCH_LOAD_PROCS", 2));
const NODES = Math.round(numEnv("BENCH_NODES", 2));
const WORKERS = Math.round(numEnv("BENCH_WORKERS", 2, 0));
const CEILING = numEnv("BENCH_CEILING", 1, 0) > 0;
const CEILING_PHASE_S = numEnv("BENCH_CEILING_PHASE_S", QUICK ? 2 : 5, 0.5);
const NAME = benchName("spin");
/** Whole-run budget (the quick one is the issue's): a step that would not fit is not started. */
const BUDGET_S = QUICK ? 75 : 8 * 60;
/** Hard limit for the whole program: nothing may run forever. */
const HARD_LIMIT_MS = (BUDGET_S + (QUICK ? 20 : 120)) * 1000;
const SAMPLE_MS = 1000;
const TARGETS = { sustained_per_s: 20_000, server_cpu_us_per_spin: 50 };

/** Server options for the benchmark, unless the caller set them: rate limits above ~rate/clients per player. */
const SERVER_DEFAULTS: Record<string, string> = {
  LIVEDRAW_SPINS_PER_SECOND_PER_PLAYER: "10000",
  LIVEDRAW_SOCKET_MESSAGES_PER_SECOND: "10000",
};

setLogTag("bench:spin");

function parseLadder(raw: string | undefined, fallback: number[]): number[] {
  if (raw === undefined || raw.trim() === "") return fallback;
  const rates = raw.split(",").map((x) => Number(x.trim()));
  if (rates.some((r) => !Number.isFinite(r) || r <= 0)) {
    console.error(`BENCH_LADDER must be comma-separated positive rates (got ${JSON.stringify(raw)})`);
    process.exit(2);
  }
  return rates;
}

const stepTiers = (rate: number) => {
  const warmupIntents = RAMP ? (rate * WARMUP_S) / 2 : rate * WARMUP_S;
  return [
    // Sells out half-way through the measured window (if the system resolves what is offered).
    { tierId: "grand", name: "Grand prize", probability: 0.01, inventory: Math.max(5, Math.round(0.01 * (warmupIntents + rate * DURATION_S * 0.5))), value: 2000 },
    // Sells out at about 80 % of the window.
    { tierId: "coupon", name: "Coupon", probability: 0.05, inventory: Math.max(5, Math.round(0.05 * (warmupIntents + rate * DURATION_S * 0.8))), value: 10 },
    // Never sells out.
    { tierId: "points", name: "Points", probability: 0.2, inventory: 100_000_000, value: 1 },
  ];
};

// ------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  guardProcess(HARD_LIMIT_MS);
  const loadAvgStart = loadAvg();
  const programStart = performance.now();
  const elapsedS = () => (performance.now() - programStart) / 1000;
  const root = projectRoot();
  const startedAt = new Date().toISOString();
  const runTag = Date.now().toString(36);
  const workDir = path.join(root, ".data", `bench-spin-${runTag}`);
  mkdirSync(workDir, { recursive: true });
  onStop("work dir", async () => rmSync(workDir, { recursive: true, force: true }));
  trackPid("bench", "bench", process.pid);

  say(`ladder ${LADDER.map((r) => fmt(r)).join(" → ")} spins/s, ${DURATION_S} s each (+${WARMUP_S} s warm-up)${QUICK ? " [quick]" : ""}; ${CLIENTS} clients in ${LOAD_PROCS} load processes, ${NODES} nodes, ${WORKERS} workers`);

  const serverEnv: Record<string, string> = {};
  for (const [key, v] of Object.entries(SERVER_DEFAULTS)) serverEnv[key] = process.env[key] ?? v;
  const stack = await startStack({ tag: "spin", runTag, nodes: NODES, workers: WORKERS, serverEnv, nodeIdPrefix: "bench-", maxmemory: process.env.LIVEDRAW_REDIS_MAXMEMORY ?? "4gb" });
  const { redis, nodes, health, roleProblems } = stack;
  say(`${NODES} nodes on ${nodes.map((n) => `:${n.port}`).join(" ")} (engine ${health.engine}), ${WORKERS} workers; logs in ${stack.logDirShown}/`);

  const loads = forkLoads<unknown, LoadProgress, StepReport, LoadConfig>({
    script: "spin-load.js", procs: LOAD_PROCS, clients: CLIENTS, stopGraceMs: 2000,
    exitNotes: { ready: " before it was ready", report: " before reporting" },
    config: (p, clientOffset, clients) => ({ proc: p, urls: nodes.map((n) => n.url), campaignId: "", secret: stack.secret, clientOffset, clients, client: CLIENT, progressEveryMs: 3000 }),
  });
  try {
    await allWithin(loads.map((l) => l.ready), 60_000, "load processes did not connect within 60 s");
  } catch (err) {
    await abort(`load processes could not connect: ${err instanceof Error ? err.message : String(err)}`);
  }
  const stepReports = new Map<number, StepReport[]>();
  const stepWaiters = new Map<number, () => void>();
  for (const l of loads) {
    l.child.on("message", (m: { type: string }) => {
      if (m.type !== "step-report") return;
      const r = m as StepReport;
      const list = stepReports.get(r.step) ?? [];
      list.push(r);
      stepReports.set(r.step, list);
      if (list.length === loads.length) stepWaiters.get(r.step)?.();
    });
    l.child.once("exit", (code) => {
      if (!isStopping()) void abort(`load-${l.proc + 1} exited with ${code} during the run`);
    });
  }
  say(`${CLIENTS} clients connected (${fmt(elapsedS(), 1)} s after start)`);

  // The run's clock: second 0 of every chart. Steps start on whole seconds of it.
  const runStartMs = Date.now();
  const samples: { t: number; cpu: Record<string, number>; rss: Record<string, number | null> }[] = [];
  let lastCpu = cpuSnapshot();
  let lastAt = performance.now();
  const sampler = setInterval(() => {
    const snap = cpuSnapshot();
    const nowP = performance.now();
    const rows = cpuPercent(lastCpu, snap, nowP - lastAt);
    lastCpu = snap;
    lastAt = nowP;
    samples.push({ t: round((Date.now() - runStartMs) / 1000, 1), cpu: byRole(rows), rss: rssByLabel() });
  }, SAMPLE_MS);

  // ---------------------------------------------------------------- the ladder
  const steps: StepResult[] = [];
  const skipped: { offered_per_s: number; reason: string }[] = [];
  const resolvedPerSecond = new Map<number, number>();
  const serverLatencyPerSecond = new Map<number, CoarseHistogram>();
  const clientPerSecond = new Map<number, { offered: number; sent: number; acked: number; refused: number; results: number; latency: CoarseHistogram }>();
  const stepSpans: { step: number; offered_per_s: number; window_start_s: number; window_end_s: number }[] = [];
  const ceilingReserveS = CEILING ? CEILING_PHASE_S * 3 + 2 : 0;
  for (let si = 0; si < LADDER.length; si++) {
    const rate = LADDER[si]!;
    // Worst case of a step: its load, the drain, the settle, and ~2 s of start and checks.
    const stepS = WARMUP_S + DURATION_S + DRAIN_S + SETTLE_S + 2;
    if (elapsedS() + stepS + ceilingReserveS + 2 > BUDGET_S) {
      for (const r of LADDER.slice(si)) skipped.push({ offered_per_s: r, reason: `would not finish within the ${BUDGET_S} s budget` });
      say(`skipping ${LADDER.slice(si).join(", ")}/s: not enough of the ${BUDGET_S} s budget left`);
      break;
    }
    const campaignId = `bench-spin-${runTag}-s${si + 1}`;
    const tiers = stepTiers(rate);
    await createLiveCampaign(stack, {
      campaignId, title: `bench:spin ${rate}/s`, tiers,
      limits: { spinsPerDay: 100_000, spinsPerCampaign: 1_000_000, winsPerCampaign: 1_000_000 }, freeSpins: 1_000_000,
    });
    if (rate / CLIENTS > Number(serverEnv.LIVEDRAW_SPINS_PER_SECOND_PER_PLAYER)) say(`warning: ${fmt(rate / CLIENTS, 1)} spins/s per client exceeds the per-player limit; expect E_RATE_LIMITED`);
    const startAt = runStartMs + Math.ceil((Date.now() + 500 - runStartMs) / 1000) * 1000;
    const windowStartMs = startAt + WARMUP_S * 1000;
    const windowEndMs = windowStartMs + DURATION_S * 1000;
    const secOffset = Math.round((startAt - runStartMs) / 1000);
    stepSpans.push({ step: si + 1, offered_per_s: rate, window_start_s: (windowStartMs - runStartMs) / 1000, window_end_s: (windowEndMs - runStartMs) / 1000 });
    const ackedFiles = loads.map((l) => path.join(workDir, `acked-s${si + 1}-${l.proc}.txt`));
    say(`step ${si + 1}: ${fmt(rate)} spins/s offered, campaign ${campaignId} (grand stock ${fmt(tiers[0]!.inventory)}, coupon ${fmt(tiers[1]!.inventory)})`);
    const done = new Promise<void>((resolve) => stepWaiters.set(si + 1, resolve));
    for (const l of loads) {
      const msg: SpinStep = {
        type: "step", step: si + 1, campaignId, rate: rate / LOAD_PROCS, warmupS: WARMUP_S, ramp: RAMP, durationS: DURATION_S, drainS: DRAIN_S,
        startAtEpochMs: startAt, ackedFile: ackedFiles[l.proc]!,
      };
      l.child.send(msg);
    }
    // Window marks: CPU ticks, INFO commandstats and Redis's CPU at the window's start and end.
    const mark = async () => ({ cpu: cpuMark(), cmd: await commandStats(redis), redisCpu: await redisCpuSeconds(redis), forks: await forkStats(redis) });
    const atEpoch = (ms: number) => sleep(Math.max(0, ms - Date.now()));
    const marksP = (async () => {
      await atEpoch(windowStartMs);
      const a = await mark();
      await atEpoch(windowEndMs);
      const b = await mark();
      return { cpuStart: a.cpu, cpuEnd: b.cpu, cmdStart: a.cmd, cmdEnd: b.cmd, redisCpuStart: a.redisCpu, redisCpuEnd: b.redisCpu, forks: forkDiff(a.forks, b.forks) } satisfies StepWindowMarks;
    })();
    const progress = setInterval(() => {
      const ps = loads.map((l) => l.progress).filter((p): p is LoadProgress => p !== null && p.step === si + 1);
      const s = (f: (p: LoadProgress) => number) => sumProgress(loads.map((l) => ({ progress: l.progress?.step === si + 1 ? l.progress : null })), f);
      void redis.xlen(campaignKeys(campaignId).spins).then((pending) =>
        say(`  t=${fmt((Date.now() - startAt) / 1000)}s sent=${fmt(s((p) => p.sent))} acked=${fmt(s((p) => p.acked))} refused=${fmt(s((p) => p.refused))} results=${fmt(s((p) => p.results))} pending=${fmt(pending)} recent p99≤${fmt(Math.max(0, ...ps.map((p) => p.recentP99)), 1)}ms behind=${fmt(Math.max(0, ...ps.map((p) => p.behindMs)))}ms cpu% ${JSON.stringify(samples.at(-1)?.cpu ?? {})}`),
        () => undefined,
      );
    }, 3000);
    const timeoutMs = (WARMUP_S + DURATION_S + DRAIN_S) * 1000 + 30_000;
    const stuck = setTimeout(() => void abort(`step ${si + 1}: no report from every load process within ${timeoutMs / 1000} s`), timeoutMs);
    await done;
    clearTimeout(stuck);
    clearInterval(progress);
    const marks = await marksP;
    const reports = stepReports.get(si + 1)!;
    const verify = await verifyStep({
      redis, campaignId, k: campaignKeys(campaignId), ackedFiles, settleS: SETTLE_S, tiers, windowStartMs, windowEndMs, runStartMs,
      nodeUrl: nodes[0]!.url, hostToken: stack.hostToken,
    });
    for (const [sec, n] of verify.resolvedPerSecond) resolvedPerSecond.set(sec, (resolvedPerSecond.get(sec) ?? 0) + n);
    for (const [sec, h] of verify.serverLatencyPerSecond) serverLatencyPerSecond.set(sec, h);
    for (const r of reports) {
      r.perSecond.offered.forEach((_, i) => {
        const sec = secOffset + i;
        const c = clientPerSecond.get(sec) ?? { offered: 0, sent: 0, acked: 0, refused: 0, results: 0, latency: new CoarseHistogram() };
        c.offered += r.perSecond.offered[i]!;
        c.sent += r.perSecond.sent[i]!;
        c.acked += r.perSecond.acked[i]!;
        c.refused += r.perSecond.refused[i]!;
        c.results += r.perSecond.results[i]!;
        c.latency.merge(r.perSecond.latency[i]!);
        clientPerSecond.set(sec, c);
      });
    }
    const step = aggregateStep({ step: si + 1, offeredPerS: rate, durationS: DURATION_S, reports, verify, marks, redisLimit: null, campaignId, tiers });
    steps.push(step);
    say(
      `step ${si + 1} ${step.held ? "HELD" : "NOT HELD"}: offered ${fmt(rate)}/s, goodput ${fmt(step.goodput_per_s)}/s, resolved (Redis) ${fmt(step.resolved_per_s_from_redis)}/s, ` +
        `client p50 ${step.p50_ms} ms p99 ${step.p99_ms} ms, server p99 ${step.server_latency_ms.p99} ms, refused ${step.refused_total}, unanswered ${step.unanswered}, ` +
        `server CPU ${step.server_cpu_us_per_spin} µs/spin, lost ${step.lost}, dup ${step.duplicated}, oversold ${step.oversold}, sold out ${step.sold_out_at_s === null ? "no" : `${step.sold_out_tier} at ${step.sold_out_at_s} s${step.sold_out_reached ? "" : " (outside the window)"}`}` +
        (step.held ? "" : ` (${step.failed_because.join("; ")})`),
    );
    if (!step.held) {
      for (const r of LADDER.slice(si + 1)) skipped.push({ offered_per_s: r, reason: `step ${si + 1} (${rate}/s) was not held` });
      break;
    }
  }

  // ---------------------------------------------------------------- ceilings on a fresh Redis
  let ceilings: Awaited<ReturnType<typeof measureCeilings>> | null = null;
  if (CEILING) {
    say(`ceilings on a fresh private Redis (${CEILING_PHASE_S} s per phase)`);
    try {
      ceilings = await measureCeilings({
        runTag, phaseS: CEILING_PHASE_S, connections: 4, inflight: 2, pipeline: 128, players: CLIENTS, appendBatch: 10,
        perPlayerPerSecond: Number(serverEnv.LIVEDRAW_SPINS_PER_SECOND_PER_PLAYER),
        batch: Number(process.env.LIVEDRAW_SPIN_BATCH_SIZE ?? 500), historyLength: Number(process.env.LIVEDRAW_SPIN_HISTORY_LENGTH ?? 100),
      });
    } catch (err) {
      say(`ceiling measurement failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  clearInterval(sampler);
  const limit = ceilings?.redis_limit_spins_per_s ?? null;
  const frac = (x: number | null) => (limit && x !== null ? round(x / limit, 3) : null);
  for (const s of steps) s.fraction_of_redis_limit = { offered: frac(s.offered_per_s), goodput: frac(s.goodput_per_s), resolved: frac(s.resolved_per_s_from_redis) };

  // ---------------------------------------------------------------- results
  const held = steps.filter((s) => s.held);
  const sustained = held.length ? held.reduce((a, b) => (b.offered_per_s > a.offered_per_s ? b : a)) : null;
  const lost = steps.reduce((a, s) => a + s.lost, 0);
  const duplicated = steps.reduce((a, s) => a + s.duplicated, 0);
  const oversold = steps.reduce((a, s) => a + s.oversold, 0);
  const soldOutReached = steps.length > 0 && steps.every((s) => s.sold_out_reached);
  const result = {
    sustained_per_s: sustained?.offered_per_s ?? 0,
    sustained_criterion: `highest offered rate held ${DURATION_S} s with client p99 ≤ ${P99_LIMIT_MS} ms (scheduled → result), 0 refused, 0 unanswered`,
    server_cpu_us_per_spin: sustained?.server_cpu_us_per_spin ?? null,
    load_generator_cpu_us_per_spin: sustained?.load_generator_cpu_us_per_spin ?? null,
    redis_commands_per_spin: sustained?.redis_commands_per_spin ?? null,
    redis_us_per_spin: sustained?.redis_us_per_spin ?? null,
    redis_limit_spins_per_s: limit,
    fraction_of_redis_limit: frac(sustained?.offered_per_s ?? null),
    ceilings: ceilings?.ceilings ?? null,
    lost,
    duplicated,
    oversold,
    sold_out_reached: soldOutReached,
    ladder: steps,
    ladder_skipped: skipped,
    targets: { sustained_per_s: TARGETS.sustained_per_s, server_cpu_us_per_spin: TARGETS.server_cpu_us_per_spin, lost: 0, duplicated: 0, oversold: 0, sold_out_reached: true },
    met: {
      sustained_per_s: (sustained?.offered_per_s ?? 0) >= TARGETS.sustained_per_s,
      server_cpu_us_per_spin: sustained?.server_cpu_us_per_spin != null && sustained.server_cpu_us_per_spin <= TARGETS.server_cpu_us_per_spin,
      lost: lost === 0, duplicated: duplicated === 0, oversold: oversold === 0, sold_out_reached: soldOutReached,
    },
    all_targets_met: false,
    machine: machineInfo(loadAvgStart),
    date: startedAt,
    commit: gitCommit(),
    quick: QUICK,
    charts: buildCharts({ samples, resolvedPerSecond, serverLatencyPerSecond, clientPerSecond }),
    context: {
      ladder_per_s: LADDER, duration_s: DURATION_S, warmup_s: WARMUP_S, warmup_ramp: RAMP, drain_s: DRAIN_S, settle_s: SETTLE_S,
      budget_s: BUDGET_S, wall_clock_s: round(elapsedS() + 1, 1), steps: stepSpans,
      ...systemContext(stack, { clients: CLIENTS, client: CLIENT, load_processes: LOAD_PROCS, nodes: NODES, workers: WORKERS }),
      server_options: { ...serverEnv, ...Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith("LIVEDRAW_"))) },
      processes: tracked.map((p) => ({ label: p.label, role: p.role })),
    },
    server_warnings: roleProblems.slice(0, 20),
  };
  result.all_targets_met = Object.values(result.met).every(Boolean);
  say(
    `RESULT sustained ${fmt(result.sustained_per_s)}/s (${result.fraction_of_redis_limit ?? "?"} of the Redis limit ${limit === null ? "n/a" : fmt(limit)}/s), ` +
      `server CPU ${result.server_cpu_us_per_spin ?? "n/a"} µs/spin, lost ${lost}, duplicated ${duplicated}, oversold ${oversold}, sold out ${soldOutReached}; ${fmt(elapsedS(), 1)} s so far`,
  );
  await writeResultsAndExit(NAME, result, spinMarkdown(result));
}

function buildCharts(o: {
  samples: { t: number; cpu: Record<string, number>; rss: Record<string, number | null> }[];
  resolvedPerSecond: Map<number, number>;
  serverLatencyPerSecond: Map<number, CoarseHistogram>;
  clientPerSecond: Map<number, { offered: number; sent: number; acked: number; refused: number; results: number; latency: CoarseHistogram }>;
}): Chart[] {
  const last = Math.max(0, ...o.clientPerSecond.keys(), ...o.resolvedPerSecond.keys());
  const secs = Array.from({ length: last + 1 }, (_, i) => i);
  const c = (s: number) => o.clientPerSecond.get(s);
  const lat = (s: number, p: number) => {
    const v = c(s)?.latency.percentile(p);
    return v === undefined || v === null ? null : round(v, 2);
  };
  const srv = (s: number, p: number) => o.serverLatencyPerSecond.get(s)?.percentile(p) ?? null;
  const roles = [...new Set(o.samples.flatMap((s) => Object.keys(s.cpu)))];
  const labels = [...new Set(o.samples.flatMap((s) => Object.keys(s.rss)))];
  const st = o.samples.map((s) => s.t);
  return [
    chart({
      id: "spin-latency", title: "Spin latency per second (client: scheduled → result, by scheduled second; server: append → resolvedAt)", unit: "ms", x_label: "s since the first step",
      x: secs,
      lines: [
        { name: "client p50", y: secs.map((s) => lat(s, 50)) },
        { name: "client p99", y: secs.map((s) => lat(s, 99)) },
        { name: "server p50", y: secs.map((s) => srv(s, 50)) },
        { name: "server p99", y: secs.map((s) => srv(s, 99)) },
      ],
    }, "max"),
    chart({
      id: "spin-throughput", title: "Spins per second: offered (schedule), acked and results at the clients, resolved (Redis ledger)", unit: "spins/s", x_label: "s since the first step",
      x: secs,
      lines: [
        { name: "offered", y: secs.map((s) => c(s)?.offered ?? 0) },
        { name: "acked", y: secs.map((s) => c(s)?.acked ?? 0) },
        { name: "refused", y: secs.map((s) => c(s)?.refused ?? 0) },
        { name: "results received", y: secs.map((s) => c(s)?.results ?? 0) },
        { name: "resolved (Redis)", y: secs.map((s) => o.resolvedPerSecond.get(s) ?? 0) },
      ],
    }),
    chart({
      id: "spin-cpu", title: "CPU per process role (% of one core; the machine has 200 %)", unit: "% of one core", x_label: "s since the first step",
      x: st, lines: roles.map((r) => ({ name: r, y: o.samples.map((s) => s.cpu[r] ?? null) })),
    }),
    chart({
      id: "spin-rss", title: "Resident memory per process", unit: "MB", x_label: "s since the first step",
      x: st, lines: labels.map((l) => ({ name: l, y: o.samples.map((s) => s.rss[l] ?? null) })),
    }),
  ];
}

runMain(main, "bench:spin");
