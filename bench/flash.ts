/**
 * `npm run bench:flash`: a flash crowd entering one live draw, through the whole system on this machine.
 *
 * Starts a private Redis (AOF on), BENCH_NODES socket nodes and BENCH_WORKERS workers from the
 * build, forks BENCH_LOAD_PROCS load processes (bench/flash-load.ts) that connect BENCH_CLIENTS
 * sockets (websocket only, round-robin over the nodes, in bounded batches), subscribe each to the
 * campaign and run the SDK's clock sync on each (BENCH_CLOCK_SAMPLES `time:sync` round trips, lowest
 * RTT wins). Then the host opens one draw (`autoReveal: false`, tiers of 1, 10 and 100 winners,
 * window BENCH_DRAW_MS) and every client sends `draw:enter` at a random moment in the first
 * BENCH_ENTER_WINDOW_MS after its `draw:countdown`.
 *
 *   join latency     = `draw:enter` sent → ack received (per client);
 *   entries          = acked by clients vs stored in Redis (XLEN of the draw's intents stream, HLEN
 *                      of its entrants hash, the state hash's `entrants`, and the acked intent ids
 *                      vs the hash's values) once the draw is `drawn`;
 *   countdown        = per client, the instant its SDK-style countdown reaches zero (deadline − its
 *                      clock-sync offset, on the local clock), read on the authoritative clock (Redis
 *                      TIME, whose offset from the shared clock the bench measures), minus the
 *                      authoritative deadline: `countdown_spread_ms` is max − min over clients,
 *                      `countdown_error_p99_ms` the p99 of |error|;
 *   reveal latency   = the host's `POST …/reveal` sent (parent) → `draw:reveal` received by each
 *                      client (load process), on one shared clock; over every offered client × tier
 *                      (clients that never got a reveal, connected or not, rank as +∞: a percentile
 *                      that falls among them is null). Also from the reveal's serverTime (decided).
 *                      Tiers are revealed one at a time; the next reveal waits until every client
 *                      has the previous one (or BENCH_REVEAL_TIMEOUT_S passed).
 *
 * After the last tier it fetches the proof bundle from another node and checks it with the SDK's
 * `verifyBundle`, and checks that the acked intent ids are exactly the bundle's entries.
 *
 * Writes bench/results/<BENCH_NAME>.json and .md (BENCH_NAME defaults to "flash"), with the
 * machine stamp and charts (bench/clock.ts).
 *
 * BENCH_QUICK=1: 5,000 clients, a 3 s window, shorter pauses and timeouts; budget 45 s.
 *
 * Environment: BENCH_CLIENTS (10000), BENCH_LOAD_PROCS (4), BENCH_NODES (2), BENCH_WORKERS (1),
 * BENCH_DRAW_MS (5000; quick 3000), BENCH_ENTER_WINDOW_MS (2000), BENCH_CONNECT_BATCH (50 concurrent
 * handshakes per load process), BENCH_CONNECT_TIMEOUT_S (300; quick 18), BENCH_REVEAL_TIMEOUT_S
 * (10; quick 4), BENCH_CLOCK_SAMPLES (10, the SDK's default), BENCH_NAME ("flash"), and any LIVEDRAW_*
 * option (passed to the nodes and workers as-is).
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { verifyBundle } from "@livedraw/fairness";
import { chart, clockOffset, commitId, hr, loadAvg, machine, startSampler } from "./clock.js";
import { cpuBetween, cpuMark, rssByLabel, trackPid } from "./cpu.js";
import { drawKeys } from "../core/redis-keys.js";
import { describeOptions } from "../config/options.js";
import { benchClient, benchName, numEnv } from "./env.js";
import { aggregateFlash, PCT_POINTS, pctLine, statsAll } from "./flash-aggregate.js";
import { flashMarkdown } from "./flash-markdown.js";
import { abort, guardProcess, isStopping, onStop, runMain, sleep } from "./lifecycle.js";
import { allWithin, forkLoads, sumProgress } from "./load-ipc.js";
import { fmt, round, say, setLogTag, t } from "./log.js";
import { add, writeResultsAndExit } from "./report.js";
import { startStack, systemContext } from "./stack.js";
import { stats } from "./stats.js";
import type { FlashLoadConfig, FlashProgress, FlashReady, FlashReport } from "./flash-load.js";

// ------------------------------------------------------------------------------------ settings

const QUICK = process.env.BENCH_QUICK === "1";
// Quick: 5,000, so that they all connect within the quick budget on a slow 2-core VM (10,000 took
// ~27 s there, past the quick connect timeout; a reveal p99 with missing clients is null).
const CLIENTS = Math.round(numEnv("BENCH_CLIENTS", QUICK ? 5000 : 10_000));
const CLIENT = benchClient();
const LOAD_PROCS = Math.min(CLIENTS, Math.round(numEnv("BENCH_LOAD_PROCS", 4)));
const NODES = Math.round(numEnv("BENCH_NODES", 2));
const WORKERS = Math.round(numEnv("BENCH_WORKERS", 1));
const DRAW_MS = Math.round(numEnv("BENCH_DRAW_MS", QUICK ? 3000 : 5000, 1000));
const ENTER_WINDOW_MS = Math.round(numEnv("BENCH_ENTER_WINDOW_MS", 2000, 0));
const CONNECT_BATCH = Math.round(numEnv("BENCH_CONNECT_BATCH", 50));
const CONNECT_TIMEOUT_S = numEnv("BENCH_CONNECT_TIMEOUT_S", QUICK ? 18 : 300, 5);
const REVEAL_TIMEOUT_S = numEnv("BENCH_REVEAL_TIMEOUT_S", QUICK ? 4 : 10, 1);
const CLOCK_SAMPLES = Math.round(numEnv("BENCH_CLOCK_SAMPLES", 10));
/** Pause between phases (garbage of the connect storm, between tiers). */
const PAUSE_MS = QUICK ? 200 : 500;
const NAME = benchName("flash");
const PROGRESS_MS = 200;
/** Hard limit for the whole program: nothing may run forever (quick: the 45 s budget, teardown included). */
const HARD_LIMIT_MS = QUICK ? 60_000 : (CONNECT_TIMEOUT_S + 60) * 1000 + DRAW_MS + 3 * REVEAL_TIMEOUT_S * 1000 + 300_000;

const TIERS = [
  { tierId: "grand", name: "Grand prize", count: 1 },
  { tierId: "second", name: "Second prize", count: 10 },
  { tierId: "third", name: "Third prize", count: 100 },
];
const TARGETS = { reveal_p99_ms: 250, countdown_spread_ms: 20 };

setLogTag("bench:flash");

/** Polls `pred` every `stepMs` until it holds or `timeoutMs` passed; true when it held. */
async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  for (let i = 0; i < 1_000_000; i++) {
    if (await pred()) return true;
    if (performance.now() >= end || isStopping()) return false;
    await sleep(stepMs);
  }
  return false;
}

// ------------------------------------------------------------------------------------ open files

function openFilesLimit(): number | null {
  try {
    const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync("/proc/self/limits", "utf8"));
    return m ? (m[1] === "unlimited" ? Number.POSITIVE_INFINITY : Number(m[1])) : null;
  } catch {
    return null;
  }
}

/**
 * Redis TIME − the shared clock, ms: the offset of the authoritative clock (deadlines are Redis
 * time), lowest-RTT of `n` TIME calls on an idle Redis (≈ 0 on one machine; measured, not assumed).
 */
async function redisClockOffset(redis: { time(): Promise<[string, string] | unknown> }, n = 20): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: 0, rttMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < n; i++) {
    const sent = hr();
    const [sec, usec] = (await redis.time()) as [string, string];
    const received = hr();
    const rtt = received - sent;
    if (rtt < best.rttMs) best = { offsetMs: Number(sec) * 1000 + Number(usec) / 1000 - (sent + rtt / 2), rttMs: rtt };
  }
  return { offsetMs: round(best.offsetMs, 3), rttMs: round(best.rttMs, 3) };
}

// ------------------------------------------------------------------------------------ main

async function main(): Promise<void> {
  guardProcess(HARD_LIMIT_MS);
  const loadAvgStart = loadAvg();
  const startedAt = new Date().toISOString();
  const runTag = Date.now().toString(36);
  trackPid("bench", "bench", process.pid);

  // File descriptors: every socket is one fd in a load process and one in a node (limits are inherited).
  const nofile = openFilesLimit();
  const needLoad = Math.ceil(CLIENTS / LOAD_PROCS) + 200;
  const needNode = Math.ceil(CLIENTS / NODES) + 500;
  say(
    `${fmt(CLIENTS)} clients in ${LOAD_PROCS} load processes, ${NODES} nodes, ${WORKERS} worker(s), draw window ${DRAW_MS} ms, entries within ${ENTER_WINDOW_MS} ms; ` +
      `${os.cpus().length} CPUs, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB; open-files limit ${nofile ?? "?"} (need ≥ ${Math.max(needLoad, needNode)} per process)`,
  );
  if (nofile !== null && nofile < Math.max(needLoad, needNode)) {
    await abort(`the open-files limit (ulimit -n = ${nofile}) is below the ${Math.max(needLoad, needNode)} one process needs; raise it (ulimit -n 65536) or use more load processes/nodes`);
  }

  const serverEnv: Record<string, string> = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith("LIVEDRAW_") && e[1] !== undefined));
  // Quick mode: the nodes' graceful drain at teardown must fit the budget (the clients are gone by then).
  if (QUICK) serverEnv.LIVEDRAW_SHUTDOWN_GRACE_MS ??= "2000";
  const stack = await startStack({ tag: "flash", runTag, nodes: NODES, workers: WORKERS, serverEnv, nodeIdPrefix: "flash-" });
  const { secret, nodes, workers, health, roleProblems, hostToken } = stack;
  const healthAll = await Promise.all(nodes.map(async (n) => (await (await fetch(`${n.url}/healthz`)).json()) as { engine: string; uwsNative?: boolean; engineReason?: string }));
  say(`${NODES} nodes on ${nodes.map((n) => `:${n.port}`).join(" ")} (engine ${healthAll.map((h) => `${h.engine}${h.uwsNative ? " native" : ""}`).join(", ")}), ${workers.length} worker(s); logs in ${stack.logDirShown}/`);
  const redisClock = await redisClockOffset(stack.redis);
  say(`Redis TIME − shared clock: ${redisClock.offsetMs} ms (RTT ${redisClock.rttMs} ms)`);

  const hostHeaders = { "content-type": "application/json", authorization: `Bearer ${hostToken}` };
  const campaignId = `flash-${runTag}`;
  const drawId = `d-flash-${runTag}`;

  // ---------------------------------------------------------------- connect
  const cpuConnect0 = cpuMark();
  const connectStart = hr();
  const loads = forkLoads<FlashReady, FlashProgress, FlashReport, FlashLoadConfig>({
    script: "flash-load.js", procs: LOAD_PROCS, clients: CLIENTS, stopGraceMs: 3000, exitNotes: { ready: "", report: "" },
    config: (p, clientOffset, clients) => ({
      proc: p, urls: nodes.map((n) => n.url), campaignId, secret, clientOffset, clients, client: CLIENT, connectBatch: CONNECT_BATCH,
      enterWindowMs: ENTER_WINDOW_MS, progressEveryMs: PROGRESS_MS, connectTimeoutMs: CONNECT_TIMEOUT_S * 1000, clockSamples: CLOCK_SAMPLES, clockTimeoutMs: QUICK ? 1000 : 5000,
    }),
  });
  const sum = (f: (p: FlashProgress) => number) => sumProgress(loads, f);
  const sampler = startSampler(QUICK ? 250 : 500, () => ({ connected: sum((p) => p.connected), entries_acked: sum((p) => p.acked) }));
  onStop("sampler", async () => sampler.stop());
  const phases: Record<string, number> = { connect_start_s: 0 };
  const connectMonitor = setInterval(() => say(`  connecting: ${fmt(sum((p) => p.connected))} / ${fmt(CLIENTS)} sockets open`), 5000);
  let readies: FlashReady[];
  try {
    readies = await allWithin(loads.map((l) => l.ready), (CONNECT_TIMEOUT_S + (QUICK ? 8 : 60)) * 1000, `not connected (and clock-synced) within ${CONNECT_TIMEOUT_S + (QUICK ? 8 : 60)} s`);
  } catch (err) {
    clearInterval(connectMonitor);
    return abort(`load processes could not connect: ${err instanceof Error ? err.message : String(err)}`);
  }
  clearInterval(connectMonitor);
  const connectS = (hr() - connectStart) / 1000;
  phases.connected_s = round(sampler.now());
  const cpuConnect1 = cpuMark();
  const connected = readies.reduce((a, r) => a + r.connected, 0);
  const subscribed = readies.reduce((a, r) => a + r.subscribed, 0);
  const connectErrors: Record<string, number> = {};
  for (const r of readies) add(connectErrors, r.errors);
  say(`${fmt(connected)} of ${fmt(CLIENTS)} connected, ${fmt(subscribed)} subscribed in ${fmt(connectS, 1)} s (${fmt(connected / connectS)} connections/s)${Object.keys(connectErrors).length ? `; errors ${JSON.stringify(connectErrors)}` : ""}`);
  if (subscribed === 0) return abort("no client could connect and subscribe");
  const memAfterConnect = rssByLabel();
  await sleep(QUICK ? 500 : 2000); // let the connect storm's garbage settle before the draw opens
  const cpuIdle0 = cpuMark();
  await sleep(QUICK ? 500 : 1000);
  const cpuIdle = cpuBetween(cpuIdle0, cpuMark());

  // ---------------------------------------------------------------- open the draw
  const progressLines: string[] = [];
  const line = (extra = "") => {
    const reveals: Record<string, number> = {};
    for (const l of loads) for (const [k, v] of Object.entries(l.progress?.reveals ?? {})) reveals[k] = (reveals[k] ?? 0) + v;
    const s =
      `countdowns=${fmt(sum((p) => p.countdowns))} enter sent=${fmt(sum((p) => p.sent))} acked=${fmt(sum((p) => p.acked))} refused=${fmt(sum((p) => p.ackErrors))} ` +
      `closed=${fmt(sum((p) => p.closed))} reveals=${JSON.stringify(reveals)} done=${fmt(sum((p) => p.done))} results=${fmt(sum((p) => p.results))} disconnects=${fmt(sum((p) => p.disconnects))}${extra}`;
    progressLines.push(`${t()} ${s}`);
    return s;
  };
  const cpuEntry0 = cpuMark();
  phases.draw_open_s = round(sampler.now());
  const openSentAt = hr();
  const openRes = await fetch(`${nodes[0]!.url}/v1/campaigns/${campaignId}/draws`, {
    method: "POST",
    headers: hostHeaders,
    body: JSON.stringify({ drawId, title: "bench:flash", durationMs: DRAW_MS, tiers: TIERS, autoReveal: false }),
  });
  const openRespAt = hr();
  if (openRes.status !== 201) return abort(`could not open the draw: HTTP ${openRes.status} ${await openRes.text()}`);
  const countdown = (await openRes.json()) as { openedAt: number; deadline: number };
  say(`draw ${drawId} opened (HTTP ${fmt(openRespAt - openSentAt, 1)} ms); deadline in ${countdown.deadline - countdown.openedAt} ms`);
  const entryMonitor = setInterval(() => say(`  ${line()}`), 1000);

  // Wait until the worker closed and drew it (phase "drawn"), then until the clients heard `draw:closed`.
  let snapshot: { phase: string; entrants: number } | null = null;
  const drawn = await waitFor(
    async () => {
      const r = await fetch(`${nodes[1 % NODES]!.url}/v1/campaigns/${campaignId}/draws/${drawId}`).catch(() => null);
      if (r?.ok) snapshot = (await r.json()) as { phase: string; entrants: number };
      return snapshot?.phase === "drawn";
    },
    DRAW_MS + 60_000,
    100,
  );
  const drawnSeenAt = hr();
  if (!drawn) {
    clearInterval(entryMonitor);
    return abort(`the draw did not reach "drawn" within ${DRAW_MS / 1000 + 60} s (phase ${(snapshot as { phase: string } | null)?.phase ?? "?"})`);
  }
  const allClosed = await waitFor(() => sum((p) => p.closed) >= subscribed, 10_000, 50);
  const cpuEntry1 = cpuMark();
  const memAfterEntry = rssByLabel();
  clearInterval(entryMonitor);
  const entriesSnapshot = (snapshot as unknown as { entrants: number }).entrants;
  phases.drawn_s = round(sampler.now());
  // Entries as the server recorded them, from Redis itself.
  const dk = drawKeys(campaignId, drawId);
  const [streamLen, hashLen, stateEntrants, storedIds] = await Promise.all([
    stack.redis.xlen(dk.intents), stack.redis.hlen(dk.entrants), stack.redis.hget(dk.state, "entrants"), stack.redis.hvals(dk.entrants),
  ]);
  const entriesCounted = Number(stateEntrants ?? -1);
  say(`draw is drawn ${fmt(drawnSeenAt - countdown.deadline)} ms after its deadline; ${fmt(entriesCounted)} entrants; ${line()}${allClosed ? "" : " (not every client got draw:closed)"}`);

  // ---------------------------------------------------------------- reveal, tier by tier
  await sleep(PAUSE_MS);
  const cpuReveal0 = cpuMark();
  phases.first_reveal_s = round(sampler.now());
  const reveals: { tierId: string; sentAt: number; httpMs: number; status: number; allReceived: boolean; waitedMs: number }[] = [];
  for (const tier of TIERS) {
    const sentAt = hr();
    const res = await fetch(`${nodes[0]!.url}/v1/campaigns/${campaignId}/draws/${drawId}/reveal`, { method: "POST", headers: hostHeaders, body: JSON.stringify({ tierId: tier.tierId }) });
    const httpMs = hr() - sentAt;
    if (!res.ok) say(`  reveal of ${tier.tierId}: HTTP ${res.status} ${await res.text()}`);
    else await res.arrayBuffer();
    const received = () => loads.reduce((a, l) => a + (l.progress?.reveals[tier.tierId] ?? 0), 0);
    const allReceived = await waitFor(() => received() >= subscribed, REVEAL_TIMEOUT_S * 1000, 20);
    const waitedMs = hr() - sentAt;
    reveals.push({ tierId: tier.tierId, sentAt, httpMs: round(httpMs), status: res.status, allReceived, waitedMs: round(waitedMs) });
    say(`  revealed ${tier.tierId} (HTTP ${res.status} in ${fmt(httpMs, 1)} ms): ${fmt(received())} / ${fmt(subscribed)} clients have it after ${fmt(waitedMs)} ms (progress granularity ${PROGRESS_MS} ms)`);
    await sleep(PAUSE_MS);
  }
  const cpuReveal1 = cpuMark();
  phases.reveals_done_s = round(sampler.now());
  await waitFor(() => sum((p) => p.done) >= subscribed && sum((p) => p.results) >= subscribed, QUICK ? 3000 : 10_000, 100);
  say(`  after the last tier: ${line()}`);

  // ---------------------------------------------------------------- proof bundle (from another node)
  let bundleVerified = false;
  let bundleProblems: string[] = [];
  let bundleEntries: string[] = [];
  let bundleEntrantCount: number | null = null;
  try {
    const r = await fetch(`${nodes[1 % NODES]!.url}/v1/campaigns/${campaignId}/draws/${drawId}/proof`);
    const bundle = (await r.json()) as unknown;
    if (!r.ok) throw new Error(`HTTP ${r.status} ${JSON.stringify(bundle).slice(0, 300)}`);
    const v = verifyBundle(bundle);
    bundleVerified = v.ok;
    if (!v.ok) bundleProblems = v.problems.slice(0, 10);
    const b = bundle as { entrantCount: number; entries: { id: string }[] };
    bundleEntrantCount = b.entrantCount;
    bundleEntries = b.entries.map((e) => e.id);
  } catch (err) {
    bundleProblems = [`could not fetch or verify the proof: ${err instanceof Error ? err.message : String(err)}`];
  }
  say(`proof bundle: ${bundleVerified ? "verified" : `NOT verified: ${bundleProblems.join("; ")}`} (${fmt(bundleEntries.length)} entries)`);

  // ---------------------------------------------------------------- collect the load reports
  for (const l of loads) l.child.send({ type: "report" });
  let reports: FlashReport[];
  try {
    reports = await allWithin(loads.map((l) => l.report), QUICK ? 10_000 : 60_000, "no report in time");
  } catch (err) {
    return abort(`a load process failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  // ---------------------------------------------------------------- aggregate
  sampler.stop();
  const agg = aggregateFlash({ reports, offered: CLIENTS, tiers: TIERS, countdown, entriesCounted, reveals, bundleEntries, redisOffsetMs: redisClock.offsetMs });
  const storedSet = new Set(storedIds);
  const ackedNotStored = [...agg.ackedIds].filter((id) => !storedSet.has(id)).length;
  const storedNotAcked = storedIds.filter((id) => !agg.ackedIds.has(id)).length;
  const joinHist = agg.joinHist;
  const revealAll = statsAll(agg.allReveal, agg.revealMissingSamples);
  const revealDecided = statsAll(agg.allFromDecision, agg.revealMissingSamples);
  const countdownAbs = statsAll(agg.absError, agg.estimateMissing);
  const countdownErr = statsAll(agg.estimateError, 0);
  const cpuConnect = cpuBetween(cpuConnect0, cpuConnect1);
  const cpuEntry = cpuBetween(cpuEntry0, cpuEntry1);
  const cpuReveal = cpuBetween(cpuReveal0, cpuReveal1);
  const ready0 = readies.slice().sort((a, b) => a.proc - b.proc);
  const entriesEqual = agg.entriesAcked === Number(streamLen) && agg.entriesAcked === Number(hashLen) && agg.entriesAcked === entriesCounted && ackedNotStored === 0 && storedNotAcked === 0;

  const charts = [
    chart("flash-reveal-latency-distribution", `flash: reveal latency by tier (host call → client; ${fmt(CLIENTS)} clients; missing ranked as ∞, shown as gaps)`, "ms", "percentile",
      PCT_POINTS.map((p, k) => ({ x: p, y: { all: pctLine(agg.allReveal, agg.revealMissingSamples)[k]!, ...Object.fromEntries(TIERS.map((tier) => [tier.tierId, pctLine(agg.revealLat[tier.tierId]!, agg.revealMissingByTier[tier.tierId]!)[k]!])) } }))),
    chart("flash-countdown-error-distribution", "flash: countdown estimate error per client (authoritative time at the client's zero − the deadline)", "ms", "percentile",
      PCT_POINTS.map((p, k) => ({ x: p, y: { error: pctLine(agg.estimateError, 0)[k]!, abs_error: pctLine(agg.absError, agg.estimateMissing)[k]! } }))),
    chart("flash-connections", "flash: connections and acked entries over time", "count", "s", sampler.samples.map((x) => ({ x: x.t, y: x.extra }))),
    ...sampler.charts("flash"),
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
    entries_sent: agg.entriesSent,
    entries_acked: agg.entriesAcked,
    entries_stored: Number(streamLen),
    entries_counted: entriesCounted,
    join_p50_ms: round(joinHist.percentile(50)),
    join_p95_ms: round(joinHist.percentile(95)),
    join_p99_ms: round(joinHist.percentile(99)),
    join_max_ms: round(joinHist.max),
    reveal_clients: CLIENTS,
    reveal_p50_ms: revealAll.p50,
    reveal_p95_ms: revealAll.p95,
    reveal_p99_ms: revealAll.p99,
    reveal_max_ms: revealAll.max,
    reveal_missing: agg.revealMissingSamples,
    reveal_missing_clients: agg.revealMissingClients,
    countdown_spread_ms: agg.countdownSpread,
    countdown_error_p99_ms: countdownAbs.p99,
    countdown_clients: agg.estimateError.length,
    countdown_missing: agg.estimateMissing,
    bundle_verified: bundleVerified,
    targets: { entries_acked_eq_stored: true, reveal_missing: 0, reveal_p99_ms: TARGETS.reveal_p99_ms, countdown_spread_ms: TARGETS.countdown_spread_ms, bundle_verified: true },
    met: {
      entries_acked_eq_stored: entriesEqual && agg.ackedNotInBundle === 0 && agg.bundleNotAcked === 0,
      reveal_missing: agg.revealMissingSamples === 0,
      reveal_p99_ms: revealAll.p99 !== null && revealAll.p99 <= TARGETS.reveal_p99_ms,
      countdown_spread_ms: agg.countdownSpread !== null && agg.estimateMissing === 0 && agg.countdownSpread <= TARGETS.countdown_spread_ms,
      bundle_verified: bundleVerified,
    },
    all_targets_met: false,
    definitions: {
      join: "draw:enter emitted → its ack received, per client (load-process clock)",
      entries: "entries_acked: clients whose draw:enter was acked; entries_stored: XLEN of the draw's intents stream in Redis; entries_counted: the draw state hash's `entrants` in Redis; entries.redis also has HLEN of the entrants hash and the acked ids vs its values",
      reveal: "host's POST …/reveal sent (bench process) → draw:reveal received by a client (load process); shared clock (performance.timeOrigin + performance.now() corrected to Date.now(), one machine); over every offered client × tier: a client that never got a tier's reveal (not connected, not subscribed, or later than the timeout) is ranked as +∞, and a percentile whose rank falls among those is null",
      reveal_clients: "clients offered (BENCH_CLIENTS): the reveal percentiles are at this many clients",
      reveal_missing: `offered client × tier reveals not received within ${REVEAL_TIMEOUT_S} s of the tier's reveal call (reveal_missing_clients: clients missing at least one tier)`,
      countdown_spread_ms: "each client runs the SDK's clock sync (BENCH_CLOCK_SAMPLES time:sync round trips, lowest RTT wins: client-sdk bestOffset) right after subscribing; its countdown reaches zero at local time (deadline in its draw:countdown − its offset); that instant on the authoritative clock (Redis TIME, offset from the shared clock measured by the bench) minus the authoritative deadline is its error. countdown_spread_ms = max − min of the clients' estimated deadlines; countdown_error_p99_ms = p99 of |error| over every offered client (no estimate = +∞, null if that reaches p99)",
    },
    entries: {
      redis: { intents_stream_len: Number(streamLen), entrants_hash_len: Number(hashLen), state_entrants: entriesCounted, acked_not_stored: ackedNotStored, stored_not_acked: storedNotAcked },
      snapshot_entrants: entriesSnapshot,
      entries_in_proof_bundle: bundleEntries.length,
      bundle_entrant_count: bundleEntrantCount,
      acked_not_in_bundle: agg.ackedNotInBundle,
      in_bundle_not_acked: agg.bundleNotAcked,
      duplicate_acks: agg.duplicateAcks,
      acked_after_deadline: agg.ackedAfterDeadline,
      enter_sent_after_open_ms: stats(agg.sentAfterOpen),
      enter_acked_after_open_ms: stats(agg.ackAfterOpen),
      join_ms: { mean: round(joinHist.mean()), p50: round(joinHist.percentile(50)), p90: round(joinHist.percentile(90)), p95: round(joinHist.percentile(95)), p99: round(joinHist.percentile(99)), p999: round(joinHist.percentile(99.9)), max: round(joinHist.max), count: joinHist.count },
    },
    countdown: {
      opened_at: countdown.openedAt,
      deadline: countdown.deadline,
      open_http_ms: round(openRespAt - openSentAt),
      countdown_missing: agg.countdownMissing,
      clock_samples: CLOCK_SAMPLES,
      redis_clock_offset_ms: redisClock,
      estimate_error_ms: { note: "authoritative time at which the client's countdown reaches zero − the deadline (signed; positive = the client shows zero late)", ...countdownErr, by_node: Object.fromEntries([...agg.estimateErrorByNode].sort((a, b) => a[0] - b[0]).map(([k, v]) => [`node-${k + 1}`, statsAll(v, 0)])) },
      abs_error_ms: countdownAbs,
      sync_rtt_ms: { note: "RTT of each client's winning time:sync round trip", ...stats(agg.syncRtt) },
      sync_failed: reports.reduce((a, r) => a + r.syncFailed, 0),
      deadline_values_seen: { note: "consistency check only: every countdown and tick copies one stored deadline, so this is 0 by construction (it is not an accuracy figure)", spread_ms: Object.values(agg.deadlineByNode).length ? Math.max(...Object.values(agg.deadlineByNode).map((d) => d.max)) - Math.min(...Object.values(agg.deadlineByNode).map((d) => d.min)) : null, by_node: agg.deadlineByNode },
      delivery_ms: { note: "draw:countdown received − its serverTime (delivery delay, incl. ≤ 1 ms clock rounding)", ...stats(agg.countdownDelivery), by_node: Object.fromEntries([...agg.countdownDeliveryByNode].sort((a, b) => a[0] - b[0]).map(([k, v]) => [`node-${k + 1}`, stats(v)])) },
    },
    close: {
      drawn_seen_after_deadline_ms: round(drawnSeenAt - countdown.deadline),
      closed_event_after_deadline_ms: stats(agg.closedDelay),
      closed_missing: agg.closedMissing,
      closed_entrants_mismatch: agg.closedMismatch,
    },
    reveal: {
      pooled_ms: revealAll,
      from_decision_ms: { note: "the reveal's serverTime (when the node decided it, Redis time, converted to the shared clock) → received; same +∞ rule", ...revealDecided },
      by_tier: TIERS.map((x) => {
        const rv = reveals.find((y) => y.tierId === x.tierId);
        return { tierId: x.tierId, winners: x.count, http_status: rv?.status ?? null, http_ms: rv?.httpMs ?? null, all_received: rv?.allReceived ?? false,
          decided_after_call_ms: rv && agg.decidedAt[x.tierId] != null ? round(agg.decidedAt[x.tierId]! - redisClock.offsetMs - rv.sentAt) : null,
          ...statsAll(agg.revealLat[x.tierId]!, agg.revealMissingByTier[x.tierId]!),
          from_decision: statsAll(agg.revealFromDecision[x.tierId]!, agg.revealMissingByTier[x.tierId]!),
          by: Object.fromEntries(Object.entries(agg.revealBy[x.tierId]!).sort().map(([k, v]) => { const st = stats(v); return [k, { p50: st.p50, p99: st.p99, min: st.min, max: st.max }]; })) };
      }),
      duplicates: reports.reduce((a, r) => a + r.revealDuplicates, 0),
      done_missing: agg.doneMissing,
      personal_result_missing: agg.resultMissing,
      done_after_last_reveal_call_ms: stats(agg.doneLat),
      personal_result_after_last_reveal_call_ms: stats(agg.resultLat),
      results_delay_ms: Number(serverEnv.LIVEDRAW_DRAW_RESULTS_DELAY_MS ?? describeOptions().find((x) => x.option === "drawResultsDelayMs")?.default),
      personal_results_won: reports.reduce((a, r) => a + r.resultsWon, 0),
    },
    errors_by_code: agg.errorsByCode,
    connect: {
      connect_time_s: round(connectS, 1),
      connections_per_s: round(connected / connectS, 0),
      batch_per_load_process: CONNECT_BATCH,
      by_load_process: ready0.map((r) => ({ proc: r.proc + 1, connected: r.connected, subscribed: r.subscribed, connect_ms: round(r.connectMs, 0), errors: r.errors })),
      errors: connectErrors,
    },
    bundle: { verified: bundleVerified, problems: bundleProblems, fetched_from: `node-${(1 % NODES) + 1}` },
    cpu: {
      note: "percent of one core per phase from /proc/<pid>/stat; 2 cores = 200 %",
      connect: { ...cpuConnect, note: "includes every client's clock sync" },
      idle_after_connect: cpuIdle,
      entry_window: { ...cpuEntry, note: "draw opened → seen drawn (includes the deadline wait)" },
      reveals: { ...cpuReveal, note: `first reveal call → ${PAUSE_MS} ms after the last tier was everywhere (includes the ${PAUSE_MS} ms pauses)` },
    },
    memory_rss_mb: { after_connect: memAfterConnect, after_entries: memAfterEntry },
    load_event_loop_ms: reports.map((r) => ({ proc: r.proc + 1, p50: round(r.eventLoop.p50), p99: round(r.eventLoop.p99), max: round(r.eventLoop.max) })),
    phases_s: phases,
    charts,
    context: {
      started_at: startedAt,
      draw_id: drawId,
      campaign_id: campaignId,
      ...systemContext(stack, { clients: CLIENTS, client: CLIENT, load_processes: LOAD_PROCS, nodes: NODES, workers: WORKERS }),
      total_mem_gib: round(os.totalmem() / 2 ** 30, 1),
      open_files_limit: nofile === Number.POSITIVE_INFINITY ? "unlimited" : nofile,
      draw_ms: DRAW_MS,
      enter_window_ms: ENTER_WINDOW_MS,
      reveal_timeout_s: REVEAL_TIMEOUT_S,
      tiers: TIERS,
      reveal_via: "node-1",
      clock_offsets_ms: { note: "per-process correction of timeOrigin + performance.now() to Date.now()", bench: round(clockOffset, 3), load: readies.map((r) => round(r.clockOffsetMs, 3)) },
      server_options: serverEnv,
    },
    server_warnings: roleProblems.slice(0, 20),
    progress: progressLines,
  };
  result.all_targets_met = Object.values(result.met).every(Boolean);

  say(
    `RESULT clients=${fmt(CLIENTS)} connected=${fmt(connected)} acked=${fmt(agg.entriesAcked)} stored=${fmt(Number(streamLen))} counted=${fmt(entriesCounted)} join p95=${result.join_p95_ms}ms ` +
      `reveal p50=${result.reveal_p50_ms}ms p99=${result.reveal_p99_ms}ms missing=${agg.revealMissingSamples} countdown spread=${agg.countdownSpread}ms |err| p99=${countdownAbs.p99}ms bundle=${bundleVerified ? "verified" : "NOT verified"}`,
  );
  if (Object.keys(agg.errorsByCode).length) say(`errors by code: ${JSON.stringify(agg.errorsByCode)}`);
  say(`cpu % of one core — connect ${JSON.stringify(cpuConnect.by_role)}, entries ${JSON.stringify(cpuEntry.by_role)}, reveals ${JSON.stringify(cpuReveal.by_role)}`);
  await writeResultsAndExit(NAME, result, flashMarkdown(result));
}

runMain(main, "bench:flash");
