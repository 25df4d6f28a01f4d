/**
 * `node dist/bench/fanout.js`: a fan-out soak. How many room messages per second the socket nodes
 * deliver to idle subscribed clients, and what an idle client costs in memory.
 *
 * Starts a private Redis (AOF on), BENCH_NODES socket nodes and BENCH_WORKERS workers from the
 * build (bench/stack.ts), measures the nodes' RSS with 0 clients, forks BENCH_LOAD_PROCS load
 * processes (bench/fanout-load.ts) holding BENCH_CLIENTS sockets (round-robin over the nodes), each
 * subscribed to one campaign room, lets them settle idle and measures the nodes' RSS again:
 *
 *   rss_per_idle_client_kb = (Σ node RSS with the clients − Σ node RSS with 0 clients) ÷ clients connected
 *
 * Then it broadcasts small messages to the campaign room at increasing rates, through the path the
 * workers use for every reveal, `draw:closed` and `draw:done`: the Socket.IO Redis emitter
 * (`@socket.io/redis-emitter`, the project's channel prefix) → Redis pub/sub → each node's Redis
 * adapter → that node's sockets in the room. (No host or player action broadcasts to a room at a
 * controllable high rate: an open draw ticks once per LIVEDRAW_TICK_INTERVAL_MS, ≥ 100 ms, from each
 * node locally; a host opens one draw at a time and each open is an HTTP call, a Lua script and a
 * BullMQ job. The emitter is what a reveal storm really goes through.) The messages are
 * `draw:tick`-shaped (≈ 170 bytes on the wire): `serverTime` = send time on the shared clock,
 * `eventSeq` = sequence number, `entrants` = rate step. Each step lasts BENCH_STEP_S at an open-loop
 * broadcast rate (message k due at t0 + k / rate), then BENCH_DRAIN_MS for stragglers.
 *
 *   delivered %   = client × message receipts ÷ (messages sent × clients subscribed); a message a
 *                   client never got counts as missing (ranked +∞ in the latency percentiles);
 *   delivery p99  = receipt − serverTime, over every expected receipt;
 *   fanout_msgs_per_s = client receipts ÷ BENCH_STEP_S at the highest step with delivered ≥ 99.9 %
 *                   and p99 < 1 s — the system keeps up (the ramp stops at the first step that fails;
 *                   the latency of one broadcast to everyone is what bench:flash's reveal reports);
 *   fanout_msgs_per_s_per_core = that ÷ (CPU % of nodes + Redis + workers over that step ÷ 100).
 *
 * The load processes share the 2 cores with what they measure (their CPU is reported beside it).
 * Writes bench/results/<BENCH_NAME>.json (BENCH_NAME defaults to "fanout") and prints a Markdown summary.
 *
 * BENCH_QUICK=1: 3,000 clients, 2 s steps, each 1.7× the last; budget 35 s.
 *
 * Environment: BENCH_CLIENTS (10000; quick 3000), BENCH_LOAD_PROCS (2), BENCH_NODES (2),
 * BENCH_WORKERS (1), BENCH_CONNECT_BATCH (100), BENCH_STEP_S (10; quick 2), BENCH_DRAIN_MS (1000;
 * quick 500), BENCH_START_MSGS_PER_S (offered client receipts/s of the first step, 10000),
 * BENCH_STEP_FACTOR (1.41; quick 1.7), BENCH_MAX_STEPS (12), BENCH_NAME ("fanout"), and any
 * LIVEDRAW_* option.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Emitter } from "@socket.io/redis-emitter";
import { projectRoot } from "../core/assets.js";
import type { ServerToClientEvents } from "../core/protocol.js";
import { rooms } from "../core/protocol.js";
import { SOCKET_IO_CHANNEL_PREFIX } from "../core/redis-keys.js";
import { createRedis, waitReady } from "../core/redis.js";
import { chart, clockOffset, commitId, hr, loadAvg, machine, rssKb, startSampler } from "./clock.js";
import { cpuBetween, cpuMark, tracked, trackPid } from "./cpu.js";
import { benchClient, benchName, numEnv } from "./env.js";
import { Histogram } from "./histogram.js";
import { abort, guardProcess, onStop, runMain, sleep, stopAll } from "./lifecycle.js";
import { allWithin, forkLoads, sumProgress } from "./load-ipc.js";
import { fmt, round, say, setLogTag } from "./log.js";
import { add, yes } from "./report.js";
import { startStack, systemContext } from "./stack.js";
import type { FanoutLoadConfig, FanoutProgress, FanoutReady, FanoutReport, FanoutStepReport } from "./fanout-load.js";

// ------------------------------------------------------------------------------------ settings

const QUICK = process.env.BENCH_QUICK === "1";
const CLIENTS = Math.round(numEnv("BENCH_CLIENTS", QUICK ? 3000 : 10_000));
const CLIENT = benchClient();
const LOAD_PROCS = Math.min(CLIENTS, Math.round(numEnv("BENCH_LOAD_PROCS", 2)));
const NODES = Math.round(numEnv("BENCH_NODES", 2));
const WORKERS = Math.round(numEnv("BENCH_WORKERS", 1, 0));
const CONNECT_BATCH = Math.round(numEnv("BENCH_CONNECT_BATCH", 100));
const STEP_S = numEnv("BENCH_STEP_S", QUICK ? 2 : 10, 0.5);
const DRAIN_MS = Math.round(numEnv("BENCH_DRAIN_MS", QUICK ? 500 : 1000, 0));
const START_RATE = numEnv("BENCH_START_MSGS_PER_S", 10_000, 100);
const FACTOR = numEnv("BENCH_STEP_FACTOR", QUICK ? 1.7 : 1.41, 1.05);
const MAX_STEPS = Math.round(numEnv("BENCH_MAX_STEPS", 12));
const NAME = benchName("fanout");
/** Quick mode's budget is 35 s wall clock with boot and teardown: no step starts after this. */
const BUDGET_MS = QUICK ? 35_000 : 300_000;
const TEARDOWN_MS = 4000;
// Keeping up, not the reveal target: on the 2-core machine one broadcast a second to 10,000 clients
// already takes ~300 ms at p99 (a write per socket, the load processes on the same cores), so a 250 ms
// bound would pass no step at any rate (docs/decisions.md, "Fan-out throughput is measured at keep-up").
const TARGET = { delivered_pct: 99.9, p99_ms: 1000 };

setLogTag("bench:fanout");

/** Σ RSS (kB) of the tracked processes of `role`; median of `n` samples `gapMs` apart (GC noise). */
async function roleRssKb(role: string, n = 3, gapMs = 200): Promise<{ total_kb: number; by_process_kb: Record<string, number | null> }> {
  const runs: Record<string, number | null>[] = [];
  for (let i = 0; i < n; i++) {
    runs.push(Object.fromEntries(tracked.filter((p) => p.role === role).map((p) => [p.label, rssKb(p.pid)])));
    if (i < n - 1) await sleep(gapMs);
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  const by: Record<string, number | null> = {};
  for (const label of Object.keys(runs[0]!)) {
    const v = runs.map((r) => r[label]).filter((x): x is number => x !== null);
    by[label] = v.length ? median(v) : null;
  }
  return { total_kb: Object.values(by).reduce<number>((a, b) => a + (b ?? 0), 0), by_process_kb: by };
}

/** The p-th percentile over `h` plus `missing` samples ranked +∞: null when the rank falls among the missing. */
function pctWithMissing(h: Histogram, missing: number, p: number): number | null {
  const total = h.count + Math.max(0, missing);
  if (total === 0) return null;
  const rank = Math.min(total, Math.max(1, Math.ceil((p / 100) * total)));
  if (rank > h.count) return null;
  return round(h.percentile(((rank - 0.5) / h.count) * 100));
}

async function main(): Promise<void> {
  const t0 = performance.now();
  guardProcess(QUICK ? BUDGET_MS - 2000 : BUDGET_MS + 60_000);
  const loadAvgStart = loadAvg();
  const startedAt = new Date().toISOString();
  const runTag = Date.now().toString(36);
  trackPid("bench", "bench", process.pid);

  const serverEnv: Record<string, string> = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith("LIVEDRAW_") && e[1] !== undefined));
  if (QUICK) serverEnv.LIVEDRAW_SHUTDOWN_GRACE_MS ??= "2000";
  say(`${fmt(CLIENTS)} idle clients in ${LOAD_PROCS} load processes, ${NODES} nodes, ${WORKERS} worker(s); steps of ${STEP_S} s from ${fmt(START_RATE)} client msgs/s × ${FACTOR}`);
  const stack = await startStack({ tag: "fanout", runTag, nodes: NODES, workers: WORKERS, serverEnv, nodeIdPrefix: "fanout-" });
  const { nodes, secret, roleProblems } = stack;
  const healthAll = await Promise.all(nodes.map(async (n) => (await (await fetch(`${n.url}/healthz`)).json()) as { engine: string; uwsNative?: boolean; engineReason?: string }));
  say(`${NODES} nodes on ${nodes.map((n) => `:${n.port}`).join(" ")} (engine ${healthAll.map((h) => `${h.engine}${h.uwsNative ? " native" : ""}`).join(", ")}); logs in ${stack.logDirShown}/`);

  // ---------------------------------------------------------------- RSS with 0 clients
  let extra: () => Record<string, number | null> = () => ({ connected: 0, received_per_s: 0 });
  const sampler = startSampler(QUICK ? 250 : 500, () => extra());
  onStop("sampler", async () => sampler.stop());
  await sleep(QUICK ? 1000 : 3000);
  const rss0 = await roleRssKb("node");
  say(`node RSS with 0 clients: ${fmt(rss0.total_kb / 1024, 1)} MB`);

  // ---------------------------------------------------------------- connect
  const campaignId = `fanout-${runTag}`;
  const connectStart = performance.now();
  const loads = forkLoads<FanoutReady, FanoutProgress, FanoutReport, FanoutLoadConfig>({
    script: "fanout-load.js", procs: LOAD_PROCS, clients: CLIENTS, stopGraceMs: 3000, exitNotes: { ready: "", report: "" },
    config: (p, clientOffset, clients) => ({
      proc: p, urls: nodes.map((n) => n.url), campaignId, secret, clientOffset, clients, client: CLIENT, connectBatch: CONNECT_BATCH,
      connectTimeoutMs: (QUICK ? 12 : 120) * 1000, progressEveryMs: QUICK ? 250 : 500,
    }),
  });
  const sum = (f: (p: FanoutProgress) => number) => sumProgress(loads, f);
  let lastRecv = { at: performance.now(), n: 0 };
  extra = () => {
    const now = performance.now();
    const n = sum((p) => p.received);
    const rate = now > lastRecv.at ? ((n - lastRecv.n) / (now - lastRecv.at)) * 1000 : 0;
    lastRecv = { at: now, n };
    return { connected: sum((p) => p.connected), received_per_s: Math.round(rate) };
  };
  const phases: Record<string, number> = { connect_start_s: round(sampler.now()) };
  let readies: FanoutReady[];
  try {
    readies = await allWithin(loads.map((l) => l.ready), (QUICK ? 15 : 150) * 1000, "clients not connected in time");
  } catch (err) {
    return abort(`load processes could not connect: ${err instanceof Error ? err.message : String(err)}`);
  }
  const connectS = (performance.now() - connectStart) / 1000;
  phases.connected_s = round(sampler.now());
  const connected = readies.reduce((a, r) => a + r.connected, 0);
  const subscribed = readies.reduce((a, r) => a + r.subscribed, 0);
  const connectErrors: Record<string, number> = {};
  for (const r of readies) add(connectErrors, r.errors);
  say(`${fmt(connected)} of ${fmt(CLIENTS)} connected, ${fmt(subscribed)} subscribed in ${fmt(connectS, 1)} s${Object.keys(connectErrors).length ? `; errors ${JSON.stringify(connectErrors)}` : ""}`);
  if (subscribed === 0) return abort("no client could connect and subscribe");

  // ---------------------------------------------------------------- RSS with C idle clients
  await sleep(QUICK ? 1500 : 5000);
  const idle0 = cpuMark();
  const rss1 = await roleRssKb("node", 5, QUICK ? 200 : 500);
  const cpuIdle = cpuBetween(idle0, cpuMark());
  const rssPerClientKb = round((rss1.total_kb - rss0.total_kb) / connected, 2);
  say(`node RSS with ${fmt(connected)} idle clients: ${fmt(rss1.total_kb / 1024, 1)} MB → ${rssPerClientKb} KB per idle client; idle CPU ${JSON.stringify(cpuIdle.by_role)}`);
  phases.idle_measured_s = round(sampler.now());

  // ---------------------------------------------------------------- broadcast steps
  const emitterRedis = createRedis(stack.redisProc.url, { name: "bench:fanout-emitter" });
  emitterRedis.on("error", () => undefined);
  await waitReady(emitterRedis);
  onStop("emitter redis", async () => emitterRedis.disconnect());
  const emitter = new Emitter<ServerToClientEvents>(emitterRedis, { key: SOCKET_IO_CHANNEL_PREFIX });
  const room = rooms.campaign(campaignId);
  const stepReports = new Map<number, FanoutStepReport[]>();
  const stepWaiters = new Map<number, () => void>();
  for (const l of loads) {
    l.child.on("message", (m: { type: string; step?: number }) => {
      if (m.type !== "step-report") return;
      const list = stepReports.get(m.step!) ?? [];
      list.push(m as FanoutStepReport);
      stepReports.set(m.step!, list);
      if (list.length === loads.length) stepWaiters.get(m.step!)?.();
    });
  }
  let seq = 0;
  const steps: ReturnType<typeof stepResult>[] = [];
  function stepResult(step: number, broadcastsPerS: number, sent: number, emitMs: number, reps: FanoutStepReport[], cpu: ReturnType<typeof cpuBetween>, sendLagMaxMs: number) {
    const h = new Histogram();
    for (const r of reps) h.merge(r.latency);
    const receivedN = reps.reduce((a, r) => a + r.received, 0);
    const duplicates = reps.reduce((a, r) => a + r.duplicates, 0);
    const expected = sent * subscribed;
    const missing = Math.max(0, expected - (receivedN - duplicates));
    const deliveredPct = expected ? round(((receivedN - duplicates) / expected) * 100, 3) : 0;
    const p99 = pctWithMissing(h, missing, 99);
    const serverCpu = round((cpu.by_role.node ?? 0) + (cpu.by_role.redis ?? 0) + (cpu.by_role.worker ?? 0), 1);
    // Over the nominal span of what was sent (sent ÷ rate): = offered × delivered, whatever the timer granularity.
    const receivedPerS = round(receivedN / (sent / broadcastsPerS), 0);
    const pass = deliveredPct >= TARGET.delivered_pct && p99 !== null && p99 < TARGET.p99_ms && duplicates === 0;
    return {
      step, offered_client_msgs_per_s: round(broadcastsPerS * subscribed, 0), broadcasts_per_s: round(broadcastsPerS, 2), broadcasts_sent: sent, emit_s: round(emitMs / 1000, 2),
      send_lag_max_ms: round(sendLagMaxMs), expected, received: receivedN, duplicates, missing, delivered_pct: deliveredPct,
      received_msgs_per_s: receivedPerS,
      latency_ms: { p50: pctWithMissing(h, missing, 50), p90: pctWithMissing(h, missing, 90), p99, p999: pctWithMissing(h, missing, 99.9), max_received: round(h.max), mean_received: round(h.mean()) },
      connected_after: reps.reduce((a, r) => a + r.connected, 0),
      server_cpu_pct: serverCpu,
      received_msgs_per_s_per_core: serverCpu > 0 ? round(receivedPerS / (serverCpu / 100), 0) : null,
      cpu,
      pass,
    };
  }
  const stepWindows: { step: number; from_s: number; to_s: number }[] = [];
  for (let step = 1; step <= MAX_STEPS; step++) {
    const elapsed = performance.now() - t0;
    if (elapsed + STEP_S * 1000 + DRAIN_MS + 1000 + TEARDOWN_MS > BUDGET_MS) {
      say(`  no time left for step ${step} within the ${BUDGET_MS / 1000} s budget; stopping the ramp`);
      break;
    }
    const clientRate = START_RATE * FACTOR ** (step - 1);
    const rate = clientRate / subscribed; // broadcasts per second
    const from = sampler.now();
    const c0 = cpuMark();
    const start = performance.now();
    let sent = 0;
    let lagMax = 0;
    const durationMs = STEP_S * 1000;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const now = performance.now();
        const due = Math.min(Math.floor(((now - start) / 1000) * rate) + 1, Math.ceil((durationMs / 1000) * rate));
        while (sent < due) {
          const dueAt = start + (sent / rate) * 1000;
          lagMax = Math.max(lagMax, now - dueAt);
          seq++;
          emitter.to(room).emit("draw:tick", { campaignId, drawId: "fanout", deadline: 0, serverTime: hr(), remainingMs: 0, entrants: step, recentEntrants: [], eventSeq: seq });
          sent++;
        }
        if (now - start >= durationMs) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    const emitMs = performance.now() - start;
    const cpu = cpuBetween(c0, cpuMark());
    await sleep(DRAIN_MS);
    stepWindows.push({ step, from_s: round(from), to_s: round(sampler.now()) });
    const got = new Promise<void>((resolve) => stepWaiters.set(step, resolve));
    for (const l of loads) l.child.send({ type: "step", step });
    await Promise.race([got, sleep(5000)]);
    const reps = stepReports.get(step) ?? [];
    const r = stepResult(step, rate, sent, emitMs, reps, cpu, lagMax);
    steps.push(r);
    say(
      `  step ${step}: ${fmt(r.broadcasts_per_s, 1)} broadcasts/s × ${fmt(subscribed)} = ${fmt(r.offered_client_msgs_per_s)} offered; received ${fmt(r.received_msgs_per_s)}/s, ` +
        `delivered ${r.delivered_pct} %, p50 ${r.latency_ms.p50} / p99 ${r.latency_ms.p99} ms; server CPU ${r.server_cpu_pct} % (load ${cpu.by_role.load ?? 0} %) ${r.pass ? "PASS" : "FAIL"}`,
    );
    if (reps.length < loads.length) say(`  only ${reps.length} of ${loads.length} load processes reported on step ${step}`);
    if (!r.pass) break;
  }
  phases.steps_done_s = round(sampler.now());
  sampler.stop();

  for (const l of loads) l.child.send({ type: "report" });
  let reports: FanoutReport[] = [];
  try {
    reports = await allWithin(loads.map((l) => l.report), 5000, "no report in time");
  } catch (err) {
    say(`load reports: ${err instanceof Error ? err.message : String(err)}`);
  }

  const passing = steps.filter((s) => s.pass);
  const best = passing.length ? passing.reduce((a, b) => (b.received_msgs_per_s > a.received_msgs_per_s ? b : a)) : null;
  const firstFail = steps.find((s) => !s.pass) ?? null;
  const disconnectReasons: Record<string, number> = {};
  for (const r of reports) add(disconnectReasons, r.disconnectReasons);

  const charts = [
    chart("fanout-received-per-step", "fan-out: client-received messages/s per rate step", "msgs/s", "offered client msgs/s",
      steps.map((s) => ({ x: s.offered_client_msgs_per_s, y: { offered: s.offered_client_msgs_per_s, received: s.received_msgs_per_s } }))),
    chart("fanout-latency-per-step", "fan-out: delivery latency per rate step (missing ranked as ∞, shown as gaps)", "ms", "offered client msgs/s",
      steps.map((s) => ({ x: s.offered_client_msgs_per_s, y: { p50: s.latency_ms.p50, p99: s.latency_ms.p99, p999: s.latency_ms.p999 } }))),
    chart("fanout-received-over-time", "fan-out: connections and received messages/s over time", "count, msgs/s", "s", sampler.samples.map((x) => ({ x: x.t, y: x.extra }))),
    ...sampler.charts("fanout"),
  ];

  const result = {
    date: startedAt,
    commit: commitId(),
    quick: QUICK,
    machine: machine(loadAvgStart),
    engine: healthAll.map((h, i) => ({ node: `node-${i + 1}`, engine: h.engine, uws_native: h.uwsNative === true, reason: h.engineReason ?? null })),
    clients: CLIENTS,
    connected,
    subscribed,
    fanout_msgs_per_s: best?.received_msgs_per_s ?? null,
    fanout_msgs_per_s_per_core: best?.received_msgs_per_s_per_core ?? null,
    fanout_p99_ms: best?.latency_ms.p99 ?? null,
    fanout_server_cpu_pct: best?.server_cpu_pct ?? null,
    fanout_ramp_ended_by: firstFail
      ? `step ${firstFail.step} failed (${fmt(firstFail.offered_client_msgs_per_s)} offered msgs/s: delivered ${firstFail.delivered_pct} %, p99 ${firstFail.latency_ms.p99 ?? "among the missing"} ms, duplicates ${firstFail.duplicates})`
      : steps.length >= MAX_STEPS
        ? `BENCH_MAX_STEPS (${MAX_STEPS}) reached: the highest rate tried still passed (a lower bound)`
        : "the time budget ended the ramp before any step failed (a lower bound)",
    rss_per_idle_client_kb: rssPerClientKb,
    targets: { delivered_pct: TARGET.delivered_pct, p99_ms: TARGET.p99_ms, rss_per_idle_client_kb: 15 },
    met: { some_step_passed: best !== null, rss_per_idle_client_kb: rssPerClientKb <= 15 },
    all_targets_met: false,
    definitions: {
      path: "the bench process broadcasts with @socket.io/redis-emitter to the campaign room (as the workers do for reveals, draw:closed and draw:done): Redis PUBLISH → each node's @socket.io/redis-adapter → the node's sockets in the room",
      message: "draw:tick-shaped (serverTime = send time on the shared clock, eventSeq = sequence, entrants = step)",
      fanout_msgs_per_s: `client × message receipts ÷ the nominal span of the step's broadcasts (sent ÷ rate), at the highest step where ≥ ${TARGET.delivered_pct} % of (messages sent × clients subscribed) arrived (counted until ${DRAIN_MS} ms after the step) and the p99 of receipt − serverTime over every expected receipt (missing = +∞) was < ${TARGET.p99_ms} ms, with no duplicates`,
      fanout_msgs_per_s_per_core: "fanout_msgs_per_s ÷ (CPU % of nodes + Redis + workers over that step's emission ÷ 100); the load processes' and the bench's (emitter) CPU are not in it (see steps[].cpu)",
      rss_per_idle_client_kb: "(Σ node VmRSS with every client connected, subscribed and idle − Σ node VmRSS with 0 clients) ÷ clients connected; each Σ is the median of several samples, the first after boot, the second after the connect storm settled",
    },
    rss: { nodes_0_clients_kb: rss0, nodes_idle_clients_kb: rss1, idle_cpu: cpuIdle },
    steps,
    step_windows_s: stepWindows,
    connect: { connect_time_s: round(connectS, 1), connections_per_s: round(connected / connectS, 0), errors: connectErrors, by_load_process: readies.map((r) => ({ proc: r.proc + 1, connected: r.connected, subscribed: r.subscribed, connect_ms: round(r.connectMs, 0) })) },
    disconnects: reports.reduce((a, r) => a + r.disconnects, 0),
    disconnect_reasons: disconnectReasons,
    load_event_loop_ms: reports.map((r) => ({ proc: r.proc + 1, p50: round(r.eventLoop.p50), p99: round(r.eventLoop.p99), max: round(r.eventLoop.max) })),
    phases_s: phases,
    charts,
    context: {
      started_at: startedAt,
      campaign_id: campaignId,
      ...systemContext(stack, { clients: CLIENTS, client: CLIENT, load_processes: LOAD_PROCS, nodes: NODES, workers: WORKERS }),
      step_s: STEP_S, drain_ms: DRAIN_MS, start_client_msgs_per_s: START_RATE, step_factor: FACTOR, max_steps: MAX_STEPS,
      clock_offsets_ms: { bench: round(clockOffset, 3), load: readies.map((r) => round(r.clockOffsetMs, 3)) },
      server_options: serverEnv,
    },
    server_warnings: roleProblems.slice(0, 20),
  };
  result.all_targets_met = Object.values(result.met).every(Boolean);
  say(
    `RESULT fanout_msgs_per_s=${result.fanout_msgs_per_s ?? "none"} per_core=${result.fanout_msgs_per_s_per_core ?? "none"} (p99 ${result.fanout_p99_ms} ms, server CPU ${result.fanout_server_cpu_pct} %) ` +
      `rss_per_idle_client_kb=${rssPerClientKb} disconnects=${result.disconnects}`,
  );
  const outDir = path.join(projectRoot(), "bench", "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, `${NAME}.json`), `${JSON.stringify(result, null, 2)}\n`);
  console.log(fanoutMarkdown(result));
  say(`wrote bench/results/${NAME}.json`);
  await stopAll();
  process.exit(0);
}

function fanoutMarkdown(r: {
  date: string; quick: boolean; machine: ReturnType<typeof machine>; engine: { node: string; engine: string; uws_native: boolean }[]; clients: number; connected: number; subscribed: number;
  fanout_msgs_per_s: number | null; fanout_msgs_per_s_per_core: number | null; fanout_p99_ms: number | null; fanout_server_cpu_pct: number | null; rss_per_idle_client_kb: number;
  met: Record<string, boolean>; disconnects: number;
  steps: { step: number; offered_client_msgs_per_s: number; broadcasts_per_s: number; received_msgs_per_s: number; delivered_pct: number; latency_ms: { p50: number | null; p99: number | null }; server_cpu_pct: number; cpu: { by_role: Record<string, number> }; pass: boolean }[];
}): string {
  const m = r.machine;
  return [
    `# bench:fanout — ${r.date}${r.quick ? " (quick)" : ""}`,
    "",
    `${fmt(r.connected)} of ${fmt(r.clients)} idle clients (${fmt(r.subscribed)} subscribed to one campaign room) over ${r.engine.length} nodes (${r.engine.map((e) => `${e.engine}${e.uws_native ? " native" : ""}`).join(", ")}); broadcasts through the Redis emitter. ` +
      `${m.cores} CPUs (${m.cpu_model}) shared by everything; load average ${m.load_avg_start.join(" ")} → ${m.load_avg_end.join(" ")}; Node ${m.node}.`,
    "",
    "| figure | value | target |",
    "|---|---|---|",
    `| fan-out: client-received msgs/s at the highest passing step | ${r.fanout_msgs_per_s === null ? "— (no step passed)" : fmt(r.fanout_msgs_per_s)} (p99 ${r.fanout_p99_ms ?? "—"} ms) | ≥ 99.9 % delivered, p99 < 1 s |`,
    `| per core of server CPU (nodes + Redis + workers ${r.fanout_server_cpu_pct ?? "—"} %) | ${r.fanout_msgs_per_s_per_core === null ? "—" : fmt(r.fanout_msgs_per_s_per_core)} | ≥ 2× the baseline |`,
    `| RSS per idle client | ${r.rss_per_idle_client_kb} KB | ≤ 15 KB (${yes(r.met.rss_per_idle_client_kb)}) |`,
    "",
    "| step | broadcasts/s | offered msgs/s | received msgs/s | delivered | p50 / p99 ms | server CPU % | load CPU % | pass |",
    "|---|---|---|---|---|---|---|---|---|",
    ...r.steps.map((s) => `| ${s.step} | ${fmt(s.broadcasts_per_s, 1)} | ${fmt(s.offered_client_msgs_per_s)} | ${fmt(s.received_msgs_per_s)} | ${s.delivered_pct} % | ${s.latency_ms.p50 ?? "—"} / ${s.latency_ms.p99 ?? "—"} | ${s.server_cpu_pct} | ${s.cpu.by_role.load ?? 0} | ${s.pass ? "yes" : "no"} |`),
    "",
    `Disconnects during the run: ${r.disconnects}. The load processes run on the same 2 cores (their CPU is in the table): on separate machines the nodes would have more.`,
    "",
  ].join("\n");
}

runMain(main, "bench:fanout");
