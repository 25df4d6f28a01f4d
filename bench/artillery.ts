/**
 * `npm run bench:artillery` — instant-win spins driven by Artillery, a load tool anyone can rerun.
 *
 * 1. installs bench/artillery/ (its own package: artillery 2.0.21 + artillery-engine-socketio-v3, with
 *    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1) unless it is already installed;
 * 2. starts a private redis-server, BENCH_NODES socket nodes and BENCH_WORKERS workers (bench/stack.ts);
 * 3. creates a live campaign and writes one player token per virtual user;
 * 4. runs bench/artillery/spin.yml once per socket node, all at once, each with its share of
 *    BENCH_ARRIVAL_RATE new players per second for BENCH_DURATION_S (every player reads the rules, then
 *    spins 20 times, 0.2 s apart, each spin acknowledged);
 * 5. waits for the workers to resolve everything, checks stock accounting in Redis, and writes
 *    bench/results/<BENCH_NAME>.json (default `artillery-spin`) and .md.
 *
 * Latency here is Artillery's: `spin` emitted → its acknowledgement (stored in Redis), per node.
 * `npm run bench:spin` measures the full path to the pushed result at much higher rates.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { projectRoot } from "../core/assets.js";
import { campaignKeys } from "../core/redis-keys.js";
import { TokenService } from "../server/auth.js";
import { numEnv, benchName } from "./env.js";
import { abort, guardProcess, onStop, runMain, sleep } from "./lifecycle.js";
import { fmt, say, setLogTag } from "./log.js";
import { writeResultsAndExit } from "./report.js";
import { createLiveCampaign, startStack, systemContext } from "./stack.js";

const ARRIVAL_RATE = numEnv("BENCH_ARRIVAL_RATE", 100);
const DURATION_S = Math.round(numEnv("BENCH_DURATION_S", 60));
const NODES = Math.round(numEnv("BENCH_NODES", 2));
const WORKERS = Math.round(numEnv("BENCH_WORKERS", 2, 0));
const SETTLE_S = numEnv("BENCH_SETTLE_S", 60, 1);
const NAME = benchName("artillery-spin");
const SPINS_PER_PLAYER = 20; // bench/artillery/spin.yml
const HARD_LIMIT_MS = (DURATION_S + SETTLE_S) * 1000 + 900_000;

setLogTag("bench:artillery");

interface Summary {
  min: number;
  max: number;
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
}
interface ArtilleryReport {
  aggregate: { counters: Record<string, number>; summaries: Record<string, Summary>; rates?: Record<string, number> };
}

/** Runs a command, inheriting stdio; resolves with its exit code. */
function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: "inherit" });
    onStop(`${cmd} ${args[0] ?? ""}`, async () => void (child.exitCode === null && child.kill("SIGTERM")));
    child.on("error", reject);
    child.on("exit", (code) => resolve(code ?? 1));
  });
}

async function main(): Promise<void> {
  guardProcess(HARD_LIMIT_MS);
  const root = projectRoot();
  const artilleryDir = path.join(root, "bench", "artillery");
  const artilleryBin = path.join(artilleryDir, "node_modules", ".bin", "artillery");
  if (!existsSync(artilleryBin)) {
    say("installing Artillery into bench/artillery/ (its own package; once)…");
    const code = await run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: artilleryDir, env: { PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1" } });
    if (code !== 0 || !existsSync(artilleryBin)) await abort(`npm ci in bench/artillery failed (exit ${code})`);
  }

  const startedAt = new Date().toISOString();
  const runTag = Date.now().toString(36);
  const workDir = path.join(root, ".data", `bench-artillery-${runTag}`);
  mkdirSync(workDir, { recursive: true });
  onStop("work dir", async () => rmSync(workDir, { recursive: true, force: true }));

  const serverEnv: Record<string, string> = { LIVEDRAW_SOCKET_MESSAGES_PER_SECOND: process.env.LIVEDRAW_SOCKET_MESSAGES_PER_SECOND ?? "100" };
  const stack = await startStack({ tag: "artillery", runTag, nodes: NODES, workers: WORKERS, serverEnv, nodeIdPrefix: "art-" });
  const { redis, secret, nodes, hostToken, roleProblems } = stack;

  // Every player spins 20 times: the campaign allows that, and stock sells out for two tiers.
  const players = Math.ceil(ARRIVAL_RATE * DURATION_S);
  const expectedSpins = players * SPINS_PER_PLAYER;
  const campaignId = `bench-art-${runTag}`;
  const tiers = [
    { tierId: "grand", name: "Grand prize", probability: 0.01, inventory: Math.max(10, Math.round(0.004 * expectedSpins)), value: 2000 },
    { tierId: "coupon", name: "Coupon", probability: 0.05, inventory: Math.max(10, Math.round(0.03 * expectedSpins)), value: 10 },
    { tierId: "points", name: "Points", probability: 0.2, inventory: expectedSpins, value: 1 },
  ];
  await createLiveCampaign(stack, {
    campaignId, title: "bench:artillery", tiers,
    limits: { spinsPerDay: 1000, spinsPerCampaign: 1000, winsPerCampaign: 1000 }, freeSpins: 1000,
  });

  // One token per virtual user, split by node (virtual user i of node n is player n:i).
  const tokens = new TokenService(secret);
  const perNode = Math.ceil(players / NODES);
  const csvFiles: string[] = [];
  for (let n = 0; n < NODES; n++) {
    const lines = ["token"];
    for (let i = 0; i < perNode; i++) lines.push(await tokens.sign({ sub: `art${n}x${i}`, role: "player" }, 7200));
    const file = path.join(workDir, `tokens-${n + 1}.csv`);
    writeFileSync(file, `${lines.join("\n")}\n`);
    csvFiles.push(file);
  }
  say(`campaign ${campaignId}; ${fmt(players)} players arrive at ${fmt(ARRIVAL_RATE)}/s over ${DURATION_S} s, ${SPINS_PER_PLAYER} spins each, split over ${NODES} nodes`);

  // One Artillery per node, all at once.
  const reports = nodes.map((_, n) => path.join(workDir, `report-${n + 1}.json`));
  const codes = await Promise.all(
    nodes.map((node, n) => {
      const overrides = {
        config: {
          target: node.url,
          phases: [{ duration: DURATION_S, arrivalRate: ARRIVAL_RATE / NODES }],
          payload: [{ path: csvFiles[n], fields: ["token"], order: "sequence", skipHeader: true }],
          variables: { campaignId },
        },
      };
      return run(artilleryBin, ["run", "--quiet", "--output", reports[n]!, "--overrides", JSON.stringify(overrides), path.join(artilleryDir, "spin.yml")], {
        cwd: artilleryDir,
        env: { ARTILLERY_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "1" },
      });
    }),
  );
  if (codes.some((c, n) => c !== 0 && !existsSync(reports[n]!))) await abort(`artillery failed (exit codes ${codes.join(", ")}) and wrote no report`);
  if (codes.some((c) => c !== 0)) say(`warning: artillery exit codes ${codes.join(", ")}`);

  // Wait for the workers, then check stock accounting in Redis.
  const fetchStats = async () =>
    (await (await fetch(`${nodes[0]!.url}/v1/campaigns/${campaignId}/stats`, { headers: { authorization: `Bearer ${hostToken}` } })).json()) as {
      pending: number; resolved: number; tiers: { tierId: string; stocked: number; issued: number; remaining: number }[];
    };
  let stats = await fetchStats();
  const settleUntil = Date.now() + SETTLE_S * 1000;
  while (stats.pending > 0 && Date.now() < settleUntil) {
    await sleep(500);
    stats = await fetchStats();
  }
  const resultsStored = await redis.hlen(campaignKeys(campaignId).results);
  const oversold = stats.tiers.filter((x) => x.issued > x.stocked || x.issued + x.remaining !== x.stocked).length;

  const per = reports.map((file, n) => {
    const r = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as ArtilleryReport) : null;
    const c = r?.aggregate.counters ?? {};
    const s = r?.aggregate.summaries ?? {};
    const latency = s["livedraw.spin_ack_ms"] ?? null;
    const errors = Object.fromEntries(Object.entries(c).filter(([k]) => k.startsWith("errors.")));
    return { node: `node-${n + 1}`, exit_code: codes[n], counters: c, ack_latency_ms: latency, errors };
  });
  const emits = per.reduce((a, p) => a + (p.counters["engine.socketio.emit"] ?? 0), 0);
  const acked = per.reduce((a, p) => a + (p.counters["livedraw.spins_acked"] ?? 0), 0);
  // The last players to arrive spin for another ~4 s (20 spins, 0.2 s apart) after the arrival phase.
  const spinWindowS = DURATION_S + SPINS_PER_PLAYER * 0.2;
  const errorCount = per.reduce((a, p) => a + Object.values(p.errors).reduce((x, y) => x + y, 0), 0);
  const failedUsers = per.reduce((a, p) => a + (p.counters["vusers.failed"] ?? 0), 0);
  const worst = (k: keyof Summary) => Math.max(...per.map((p) => (p.ack_latency_ms ? p.ack_latency_ms[k] : Number.NaN)));

  const result = {
    tool: "artillery 2.0.21 + artillery-engine-socketio-v3 1.2.0",
    players,
    arrival_rate_per_s: ARRIVAL_RATE,
    duration_s: DURATION_S,
    emits,
    spins_acked: acked,
    spins_resolved: resultsStored,
    spins_expected: expectedSpins,
    spins_per_s: Math.round(resultsStored / spinWindowS),
    ack_p50_ms: worst("p50"),
    ack_p95_ms: worst("p95"),
    ack_p99_ms: worst("p99"),
    errors: errorCount,
    vusers_failed: failedUsers,
    pending_after_settle: stats.pending,
    oversold,
    all_targets_met: errorCount === 0 && failedUsers === 0 && stats.pending === 0 && oversold === 0 && acked === expectedSpins && resultsStored === expectedSpins,
    definitions: {
      ack: "`spin` emitted → its acknowledgement (the intent is stored in Redis), timed by bench/artillery/processor.cjs into the histogram livedraw.spin_ack_ms; per Artillery process (one per node), the worst node's percentile is reported",
      spins_resolved: "fields in the campaign's results hash after the settle time (each resolved intent once)",
      spins_per_s: "spins_resolved ÷ (duration_s + 4 s during which the last players are still spinning)",
      oversold: "tiers whose issued count exceeds stock or whose issued + remaining differs from stock (stats endpoint)",
    },
    per_node: per,
    stock: stats.tiers,
    context: {
      started_at: startedAt,
      campaign_id: campaignId,
      ...systemContext(stack, { clients: players, client: "artillery (socket.io-client)", load_processes: NODES, nodes: NODES, workers: WORKERS }),
      total_mem_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      server_options: serverEnv,
    },
    server_warnings: roleProblems.slice(0, 20),
  };
  say(`RESULT spins acked=${fmt(acked)} resolved=${fmt(resultsStored)} of ${fmt(expectedSpins)} (${fmt(result.spins_per_s)}/s) ack p50=${result.ack_p50_ms} p95=${result.ack_p95_ms} p99=${result.ack_p99_ms} ms errors=${errorCount} failed users=${failedUsers} pending=${stats.pending} oversold=${oversold}`);
  const md = [
    `# bench:artillery — ${startedAt}`,
    "",
    `Artillery 2.0.21 (artillery-engine-socketio-v3 1.2.0), one process per socket node; ${fmt(players)} players arriving at ${fmt(ARRIVAL_RATE)}/s for ${DURATION_S} s, each reading the rules and spinning ${SPINS_PER_PLAYER} times 0.2 s apart; ${NODES} nodes (${stack.health.engine}), ${WORKERS} workers; ${os.cpus().length} CPUs shared by everything.`,
    "",
    "| figure | value |",
    "|---|---|",
    `| spins acknowledged / resolved / expected | ${fmt(acked)} / ${fmt(resultsStored)} / ${fmt(expectedSpins)} |`,
    `| spins per second (resolved ÷ (duration + 4 s)) | ${fmt(result.spins_per_s)} |`,
    `| ack latency p50 / p95 / p99 (worst node) | ${result.ack_p50_ms} / ${result.ack_p95_ms} / ${result.ack_p99_ms} ms |`,
    `| errors / failed virtual users | ${errorCount} / ${failedUsers} |`,
    `| pending after settle / oversold tiers | ${stats.pending} / ${oversold} |`,
    "",
    `Stock: ${stats.tiers.map((x) => `${x.tierId} ${fmt(x.issued)} of ${fmt(x.stocked)}`).join(", ")}.`,
    "",
  ].join("\n");
  await writeResultsAndExit(NAME, result, md);
}

runMain(main, "bench:artillery");
