/**
 * `npm run bench:spin`: sustained instant-win spins through the whole system on this machine.
 *
 * Starts a private Redis (AOF on), BENCH_NODES socket nodes and BENCH_WORKERS workers from the
 * build, creates a campaign that is live now (tiers at 1 %, 5 % and 20 %; the first two with finite
 * stock that sells out during the run), forks BENCH_LOAD_PROCS load processes (bench/spin-load.ts)
 * holding BENCH_CLIENTS raw socket.io-client sockets over all nodes, and sends spins at an aggregate
 * open-loop BENCH_RATE for BENCH_WARMUP_S (not measured) + BENCH_DURATION_S. Latency = intent sent →
 * `spin:result` received by the client. Afterwards it checks Redis directly: lost (acked intents
 * with no result in the campaign's results hash), duplicated (intents with more than one ledger
 * entry, or results pushed twice), oversold (a tier with issued > stocked or stocked ≠ issued +
 * remaining). Then it measures the Redis Lua ceiling with `redis-benchmark` on the same Redis.
 *
 * Writes bench/results/<BENCH_NAME>.json and .md (BENCH_NAME defaults to "spin").
 *
 * Environment: BENCH_RATE (20000), BENCH_DURATION_S (60), BENCH_WARMUP_S (5), BENCH_CLIENTS (400),
 * BENCH_LOAD_PROCS (2), BENCH_NODES (2), BENCH_WORKERS (2), BENCH_DRAIN_S (20), BENCH_NAME ("spin"),
 * BENCH_CEILING (1; 0 skips the redis-benchmark part), BENCH_RAMP (1: the warm-up ramps linearly from 0 to
 * BENCH_RATE; 0 starts at full rate), BENCH_SETTLE_S (180: how long the workers may take to drain
 * the backlog before "lost" is counted), and any LIVEDRAW_* option (passed to the
 * nodes and workers as-is).
 */
import { mkdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { projectRoot } from "../core/assets.js";
import { campaignKeys } from "../core/redis-keys.js";
import { byRole, cpuPercent, cpuSnapshot, trackPid } from "./cpu.js";
import { benchClient, benchName, numEnv } from "./env.js";
import { Histogram } from "./histogram.js";
import { abort, guardProcess, onStop, runMain } from "./lifecycle.js";
import { forkLoads, sumProgress } from "./load-ipc.js";
import { fmt, round, say, setLogTag } from "./log.js";
import { measureCeiling } from "./redis-ceiling.js";
import { commandStats, redisCommandDiff } from "./redis-stats.js";
import { add, writeResultsAndExit } from "./report.js";
import { spinMarkdown } from "./spin-markdown.js";
import { verifySpins } from "./spin-verify.js";
import { createLiveCampaign, startStack, systemContext } from "./stack.js";
import type { LoadConfig, LoadProgress, LoadReport } from "./spin-load.js";

// ------------------------------------------------------------------------------------ settings

const RATE = numEnv("BENCH_RATE", 20_000);
const DURATION_S = numEnv("BENCH_DURATION_S", 60);
const WARMUP_S = numEnv("BENCH_WARMUP_S", 5, 0);
const CLIENTS = Math.round(numEnv("BENCH_CLIENTS", 400));
const CLIENT = benchClient();
const LOAD_PROCS = Math.round(numEnv("BENCH_LOAD_PROCS", 2));
const NODES = Math.round(numEnv("BENCH_NODES", 2));
const WORKERS = Math.round(numEnv("BENCH_WORKERS", 2, 0));
const DRAIN_S = numEnv("BENCH_DRAIN_S", 20, 1);
const SETTLE_S = numEnv("BENCH_SETTLE_S", 180, 1);
const RAMP = numEnv("BENCH_RAMP", 1, 0) > 0;
const CEILING = numEnv("BENCH_CEILING", 1, 0) > 0;
const NAME = benchName("spin");
const PROGRESS_MS = 3000;
/** Hard limit for the whole program: nothing may run forever. */
const HARD_LIMIT_MS = (WARMUP_S + DURATION_S + DRAIN_S + SETTLE_S) * 1000 + 300_000;

const TARGETS = { resolved_per_s: 20_000, p95_ms: 50, p99_ms: 100 };

/** Server options for the benchmark, unless the caller set them. Rate limits high enough for ~RATE/CLIENTS per player. */
const SERVER_DEFAULTS: Record<string, string> = {
  LIVEDRAW_SPINS_PER_SECOND_PER_PLAYER: "10000",
  LIVEDRAW_SOCKET_MESSAGES_PER_SECOND: "10000",
};

setLogTag("bench:spin");

// ------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  guardProcess(HARD_LIMIT_MS);
  const root = projectRoot();
  const startedAt = new Date().toISOString();
  const runTag = Date.now().toString(36);
  const workDir = path.join(root, ".data", `bench-spin-${runTag}`);
  mkdirSync(workDir, { recursive: true });
  onStop("work dir", async () => rmSync(workDir, { recursive: true, force: true }));
  trackPid("bench", "bench", process.pid);

  say(`target ${fmt(RATE)} spins/s for ${DURATION_S} s (+${WARMUP_S} s warm-up), ${CLIENTS} clients in ${LOAD_PROCS} load processes, ${NODES} nodes, ${WORKERS} workers, ${os.cpus().length} CPUs`);

  const serverEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(SERVER_DEFAULTS)) serverEnv[k] = process.env[k] ?? v;
  const stack = await startStack({ tag: "spin", runTag, nodes: NODES, workers: WORKERS, serverEnv, nodeIdPrefix: "bench-" });
  const { redisProc, redis, secret, nodes, health, roleProblems, hostToken } = stack;
  say(`${NODES} nodes on ${nodes.map((n) => `:${n.port}`).join(" ")} (engine ${health.engine}), ${WORKERS} workers; logs in ${stack.logDirShown}/`);

  // The campaign: live now, several tiers, finite stock on two of them (they sell out mid-run).
  const campaignId = `bench-spin-${runTag}`;
  const expected = RATE * (WARMUP_S + DURATION_S);
  const tiers = [
    // Sells out about a third of the way through the measured window.
    { tierId: "grand", name: "Grand prize", probability: 0.01, inventory: Math.max(10, Math.round(0.01 * RATE * (WARMUP_S + DURATION_S / 3))) },
    // Sells out about two thirds of the way through.
    { tierId: "coupon", name: "Coupon", probability: 0.05, inventory: Math.max(10, Math.round(0.05 * RATE * (WARMUP_S + (2 * DURATION_S) / 3))) },
    // Never sells out.
    { tierId: "points", name: "Points", probability: 0.2, inventory: Math.min(100_000_000, Math.round(expected)) },
  ];
  const campaignBody = {
    campaignId,
    title: "bench:spin",
    tiers,
    limits: { spinsPerDay: 100_000, spinsPerCampaign: 1_000_000, winsPerCampaign: 1_000_000 },
    freeSpins: 1_000_000,
  };
  await createLiveCampaign(stack, campaignBody);
  say(`campaign ${campaignId}: ${tiers.map((x) => `${x.tierId} p=${x.probability} stock=${fmt(x.inventory)}`).join(", ")}`);
  const perPlayer = RATE / CLIENTS;
  if (perPlayer > Number(serverEnv.LIVEDRAW_SPINS_PER_SECOND_PER_PLAYER) || perPlayer > Number(serverEnv.LIVEDRAW_SOCKET_MESSAGES_PER_SECOND)) {
    say(`warning: ${fmt(perPlayer, 1)} spins/s per client exceeds the per-player or per-socket rate limit; expect E_RATE_LIMITED`);
  }
  if (RATE * (WARMUP_S + DURATION_S) / CLIENTS > campaignBody.limits.spinsPerDay) {
    say(`warning: more spins per player than the daily cap; expect rejected results`);
  }

  // Load processes.
  const loads = forkLoads<unknown, LoadProgress, LoadReport, LoadConfig>({
    script: "spin-load.js", procs: LOAD_PROCS, clients: CLIENTS, stopGraceMs: 2000,
    exitNotes: { ready: " before it was ready", report: " before reporting" },
    config: (p, clientOffset, clients) => ({
      proc: p, urls: nodes.map((n) => n.url), campaignId, secret, clientOffset, clients, client: CLIENT,
      rate: RATE / LOAD_PROCS, warmupS: WARMUP_S, ramp: RAMP, durationS: DURATION_S, drainS: DRAIN_S,
      ackedFile: path.join(workDir, `acked-${p}.txt`), progressEveryMs: PROGRESS_MS,
    }),
  });
  try {
    await Promise.all(loads.map((l) => l.ready));
  } catch (err) {
    await abort(`load processes could not connect: ${err instanceof Error ? err.message : String(err)}`);
  }
  say(`${CLIENTS} clients connected; starting in 1 s`);

  // Run.
  const startAtEpochMs = Date.now() + 1000;
  for (const l of loads) l.child.send({ type: "start", startAtEpochMs });
  const k = campaignKeys(campaignId);
  let lastCpu = cpuSnapshot();
  let lastAt = performance.now();
  let windowCpuStart: Map<number, number> | null = null;
  let windowCpuStartAt = 0;
  let windowCpu: ReturnType<typeof cpuPercent> | null = null;
  let cmdStart: Map<string, { calls: number; usec: number }> | null = null;
  let cmdEnd: Map<string, { calls: number; usec: number }> | null = null;
  let cmdSeconds = 0;
  const cpuSamples: { t_s: number; by_role: Record<string, number> }[] = [];
  const progressLines: string[] = [];
  const monitor = setInterval(() => {
    void (async () => {
      const elapsedS = (Date.now() - startAtEpochMs) / 1000;
      const snap = cpuSnapshot();
      const nowP = performance.now();
      const cpu = cpuPercent(lastCpu, snap, nowP - lastAt);
      lastCpu = snap;
      lastAt = nowP;
      if (windowCpuStart === null && elapsedS >= WARMUP_S) {
        windowCpuStart = snap;
        windowCpuStartAt = nowP;
        cmdStart = await commandStats(redis);
      } else if (windowCpuStart !== null && windowCpu === null && elapsedS >= WARMUP_S + DURATION_S) {
        windowCpu = cpuPercent(windowCpuStart, snap, nowP - windowCpuStartAt);
        cmdEnd = await commandStats(redis);
        cmdSeconds = (nowP - windowCpuStartAt) / 1000;
      }
      const roles = byRole(cpu);
      cpuSamples.push({ t_s: Math.round(elapsedS), by_role: roles });
      const [pending, resolved] = await Promise.all([redis.xlen(k.spins).catch(() => -1), redis.hlen(k.results).catch(() => -1)]);
      const ps = loads.map((l) => l.progress).filter((p): p is LoadProgress => p !== null);
      const sum = (f: (p: LoadProgress) => number) => sumProgress(loads, f);
      const line =
        `t=${elapsedS.toFixed(0)}s sent=${fmt(sum((p) => p.sent))} acked=${fmt(sum((p) => p.acked))} ackErr=${fmt(sum((p) => p.ackErrors))} ` +
        `results=${fmt(sum((p) => p.results))} redis resolved=${fmt(resolved)} pending=${fmt(pending)} ` +
        `recent p99≤${fmt(Math.max(0, ...ps.map((p) => p.recentP99)), 1)}ms behind=${fmt(Math.max(0, ...ps.map((p) => p.behindMs)))}ms ` +
        `cpu% ${Object.entries(roles).map(([r, v]) => `${r}=${fmt(v)}`).join(" ")}`;
      progressLines.push(line);
      say(line);
    })();
  }, PROGRESS_MS);

  let reports: LoadReport[];
  try {
    reports = await Promise.all(loads.map((l) => l.report));
  } catch (err) {
    clearInterval(monitor);
    return abort(`a load process failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  clearInterval(monitor);
  if (windowCpu === null && windowCpuStart !== null) windowCpu = cpuPercent(windowCpuStart, cpuSnapshot(), performance.now() - windowCpuStartAt);
  say(`load finished; verifying against Redis`);

  // ---------------------------------------------------------------- verification in Redis
  const { settleS, pendingAfter, ackedIds, lost, lostSamples, ackedIdDuplicates, ledgerSpinEntries, ledgerDuplicates, resolvedNotAcked, resultsHashLen, stock, oversold, apiStats } =
    await verifySpins({ redis, k, loadProcs: LOAD_PROCS, workDir, settleS: SETTLE_S, tiers, nodeUrl: nodes[0]!.url, campaignId, hostToken });

  // ---------------------------------------------------------------- the Redis Lua ceiling (same Redis)
  let ceiling: Awaited<ReturnType<typeof measureCeiling>> | null = null;
  if (CEILING) {
    say(`measuring the Redis Lua ceiling with redis-benchmark on :${redisProc.port}`);
    try {
      ceiling = await measureCeiling(redis, redisProc.port);
    } catch (err) {
      say(`ceiling measurement failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // ---------------------------------------------------------------- aggregate and write
  const latency = new Histogram();
  const latencyFromSchedule = new Histogram();
  const ackLatency = new Histogram();
  const errorsByCode: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  for (const r of reports) {
    latency.merge(r.latency);
    latencyFromSchedule.merge(r.latencyFromSchedule);
    ackLatency.merge(r.ackLatency);
    add(errorsByCode, r.ackErrors);
    add(outcomes, r.outcomes);
    if (r.noAck) errorsByCode.NO_ACK = (errorsByCode.NO_ACK ?? 0) + r.noAck;
    if (r.disconnects) errorsByCode.DISCONNECT = (errorsByCode.DISCONNECT ?? 0) + r.disconnects;
    if (r.mismatched) errorsByCode.INTENT_MISMATCH = (errorsByCode.INTENT_MISMATCH ?? 0) + r.mismatched;
    if (r.unknownResults) errorsByCode.UNKNOWN_RESULT = (errorsByCode.UNKNOWN_RESULT ?? 0) + r.unknownResults;
    if (r.missingResults) errorsByCode.RESULT_NOT_PUSHED = (errorsByCode.RESULT_NOT_PUSHED ?? 0) + r.missingResults;
  }
  for (const [reason, n] of Object.entries(outcomes)) if (reason.startsWith("rejected")) errorsByCode[reason] = (errorsByCode[reason] ?? 0) + n;
  const sum = (f: (r: LoadReport) => number) => reports.reduce((a, r) => a + f(r), 0);
  const errors = Object.values(errorsByCode).reduce((a, b) => a + b, 0);
  const resultDuplicates = sum((r) => r.resultDuplicates) + sum((r) => r.ackDuplicates);
  const duplicated = ledgerDuplicates + resultDuplicates + ackedIdDuplicates;
  const resolvedPerS = sum((r) => r.resultsInWindow) / DURATION_S;
  const firstSoldOut = reports.map((r) => r.firstSoldOutAtS).filter((x): x is number => x !== null);
  const cpuWindow = windowCpu ?? [];

  const result = {
    resolved_per_s: round(resolvedPerS, 1),
    p50_ms: round(latency.percentile(50)),
    p95_ms: round(latency.percentile(95)),
    p99_ms: round(latency.percentile(99)),
    errors,
    lost,
    duplicated,
    oversold,
    redis_lua_ceiling_per_s: ceiling?.resolveOne ?? null,
    targets: {
      resolved_per_s: TARGETS.resolved_per_s, p95_ms: TARGETS.p95_ms, p99_ms: TARGETS.p99_ms, errors: 0, lost: 0, duplicated: 0, oversold: 0,
    },
    met: {
      resolved_per_s: resolvedPerS >= TARGETS.resolved_per_s,
      p95_ms: latency.count > 0 && latency.percentile(95) <= TARGETS.p95_ms,
      p99_ms: latency.count > 0 && latency.percentile(99) <= TARGETS.p99_ms,
      errors: errors === 0, lost: lost === 0, duplicated: duplicated === 0, oversold: oversold === 0,
    },
    all_targets_met: false,
    context: {
      started_at: startedAt,
      duration_s: DURATION_S,
      warmup_s: WARMUP_S,
      warmup_ramp: RAMP,
      drain_grace_s: DRAIN_S,
      target_rate_per_s: RATE,
      ...systemContext(stack, { clients: CLIENTS, client: CLIENT, load_processes: LOAD_PROCS, nodes: NODES, workers: WORKERS }),
      server_options: { ...serverEnv, ...Object.fromEntries(Object.entries(process.env).filter(([key]) => key.startsWith("LIVEDRAW_"))) },
      campaign: { campaignId, tiers },
    },
    sent: sum((r) => r.sent),
    acked: sum((r) => r.acked),
    measured: {
      sent_in_window: sum((r) => r.measuredSent),
      resolved_of_those: sum((r) => r.measuredResolved),
      results_received_in_window: sum((r) => r.resultsInWindow),
      sent_per_s: round(sum((r) => r.measuredSent) / DURATION_S, 1),
    },
    latency_ms: {
      mean: round(latency.mean()), p50: round(latency.percentile(50)), p90: round(latency.percentile(90)), p95: round(latency.percentile(95)),
      p99: round(latency.percentile(99)), p999: round(latency.percentile(99.9)), max: round(latency.max), count: latency.count,
    },
    latency_from_schedule_ms: {
      note: "result received − intent's scheduled send time: includes the load process's own lag (no coordinated omission)",
      p50: round(latencyFromSchedule.percentile(50)), p95: round(latencyFromSchedule.percentile(95)), p99: round(latencyFromSchedule.percentile(99)), max: round(latencyFromSchedule.max),
    },
    ack_latency_ms: { p50: round(ackLatency.percentile(50)), p95: round(ackLatency.percentile(95)), p99: round(ackLatency.percentile(99)), max: round(ackLatency.max) },
    send_lag_max_ms: round(Math.max(0, ...reports.map((r) => r.sendLagMaxMs))),
    errors_by_code: errorsByCode,
    outcomes,
    verification: {
      acked_intent_ids: ackedIds,
      lost_samples: lostSamples,
      results_hash_len: resultsHashLen,
      ledger_spin_entries: ledgerSpinEntries,
      ledger_duplicate_intents: ledgerDuplicates,
      pushed_result_duplicates: sum((r) => r.resultDuplicates),
      ack_duplicates: sum((r) => r.ackDuplicates),
      resolved_not_acked: resolvedNotAcked,
      pending_after_drain: pendingAfter,
      settle_s: round(settleS, 1),
      results_not_pushed_within_grace: sum((r) => r.missingResults),
      first_sold_out_result_at_s: firstSoldOut.length ? round(Math.min(...firstSoldOut), 1) : null,
      stock,
      stats_endpoint: apiStats,
    },
    redis_ceiling: ceiling,
    cpu: {
      note: "percent of one core, averaged over the measured window, from /proc/<pid>/stat; 2 cores = 200 %",
      by_role: byRole(cpuWindow),
      by_process: cpuWindow.map((c) => ({ label: c.label, pid: c.pid, pct: round(c.pct, 1) })),
      machine_total_pct: round(cpuWindow.reduce((a, c) => a + c.pct, 0), 1),
      samples: cpuSamples,
    },
    redis_commands_in_window: redisCommandDiff(cmdStart, cmdEnd, cmdSeconds),
    server_warnings: roleProblems.slice(0, 20),
    progress: progressLines,
  };
  result.all_targets_met = Object.values(result.met).every(Boolean);

  say(
    `RESULT resolved/s=${fmt(result.resolved_per_s)} p50=${result.p50_ms}ms p95=${result.p95_ms}ms p99=${result.p99_ms}ms ` +
      `errors=${errors} lost=${lost} duplicated=${duplicated} oversold=${oversold} redis_lua_ceiling/s=${ceiling ? fmt(ceiling.resolveOne) : "n/a"}`,
  );
  if (errors) say(`errors by code: ${JSON.stringify(errorsByCode)}`);
  say(`cpu (% of one core, measured window): ${JSON.stringify(result.cpu.by_role)}`);
  await writeResultsAndExit(NAME, result, spinMarkdown(result, NAME));
}

runMain(main, "bench:spin");
