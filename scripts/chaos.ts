/**
 * `npm run chaos`: mixed load on real processes while faults are injected, then a verdict computed
 * from Redis. Starts a private redis-server (AOF on), 3 socket nodes and 2 workers; 60 SDK players
 * (each knowing every node, as behind a load balancer) spin continuously with idempotency keys and
 * enter a live draw opened every 10 s (4 s window, two tiers, auto-reveal). Meanwhile: a worker is
 * SIGKILLed every 5 s and replaced; a socket node is SIGKILLed twice (restarted on its port 3 s
 * later); redis-server is SIGKILLed once (restarted on its port and AOF 3 s later). Then it lets
 * everything settle and counts acknowledged, lost, duplicated and oversold from Redis, and checks
 * every client's final state against the server's. Writes bench/results/chaos.json and chaos.md;
 * exits 1 when anything is lost, duplicated, oversold, a process exited on its own, or a client
 * ends inconsistent. Ctrl-C stops everything it started.
 *
 * Environment: CHAOS_SECONDS (60; 20 for a quick run), CHAOS_PLAYERS (60), CHAOS_SETTLE_SECONDS (90),
 * CHAOS_SELF_TEST=1 (damage Redis before the verdict and check the counters see it; writes nothing).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import WebSocket from "ws";
import { LiveDrawClient, webSocketTransport, type DrawCountdown, type DrawSnapshot } from "@livedraw/client-sdk";
import { projectRoot } from "../core/assets.js";
import { campaignKeys, drawKeys } from "../core/redis-keys.js";
import { TokenService } from "../server/auth.js";
import { Fleet } from "./chaos-fleet.js";
import { checkPrivacy } from "./chaos-privacy.js";
import { Pseudonymiser } from "../core/privacy.js";
import { Player, sleep } from "./chaos-players.js";
import { chaosMarkdown } from "./chaos-report.js";
import { tamper, verifyClient, verifyRedis, type ClientVerdict } from "./chaos-verify.js";
import { RedisUnavailableError } from "./redis-server.js";
import { intEnv } from "./env.js";


const SECONDS = intEnv("CHAOS_SECONDS", 60, 20);
const PLAYERS = intEnv("CHAOS_PLAYERS", 60, 3);
const SETTLE_SECONDS = intEnv("CHAOS_SETTLE_SECONDS", 90, 10);
/** Damage Redis on purpose before the verdict and check that it is counted (writes no results). */
const SELF_TEST = process.env.CHAOS_SELF_TEST === "1";
const NODES = 3;
const WORKERS = 2;
const DRAW_EVERY_MS = 10_000;
const DRAW_WINDOW_MS = 4_000;
const WORKER_KILL_EVERY_MS = 5_000;
const NODE_DOWN_MS = 3_000;
const REDIS_DOWN_MS = 3_000;
/** Each player's pause between spins (a modest rate: ~1 spin/s per player). */
const SPIN_GAP_MS = [600, 1400] as const;
const CAMPAIGN = `chaos-${randomBytes(3).toString("hex")}`;
const HOUR = 3_600_000;

let t0 = Date.now();
const since = () => Date.now() - t0;
const stamp = () => `${(since() / 1000).toFixed(1).padStart(5)}s`;
const say = (msg: string) => console.log(`[chaos ${stamp()}] ${msg}`);

interface Fault {
  kind: "worker" | "node" | "redis";
  target: string;
  /** ms since the load started */
  killed_at_ms: number;
  /** the node or Redis accepting connections again; for a worker, its replacement ready */
  back_at_ms: number | null;
  killed_at: string;
  replacement?: string;
  error?: string;
}

const secret = randomBytes(32).toString("hex");
const tokens = new TokenService(secret);
// The run's own keys: player pseudonyms and the key ring of sealed personal data.
const pseudonymKey = randomBytes(32).toString("hex");
const pseudonyms = new Pseudonymiser(Buffer.from(pseudonymKey, "utf8"));
const dataKeys = `run:${randomBytes(32).toString("base64")}`;
let fleet: Fleet;
let admin: Redis | null = null;
const players: Player[] = [];
let shuttingDown = false;

async function shutdown(code: number, why?: string): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    if (why) say(why);
    for (const p of players) p.client.close();
    admin?.disconnect();
    await fleet?.stopAll().catch(() => undefined);
  }
  process.exit(code);
}

async function main(): Promise<void> {
  process.on("SIGINT", () => void shutdown(130, "interrupted: stopping everything the chaos run started"));
  process.on("SIGTERM", () => void shutdown(143, "terminated: stopping everything the chaos run started"));
  process.on("exit", () => fleet?.killAllNow());
  const hardLimit = setTimeout(() => void shutdown(1, "hard time limit reached: stopping everything"), (SECONDS + SETTLE_SECONDS + 240) * 1000);
  hardLimit.unref();

  const runTag = randomBytes(3).toString("hex");
  let redisUrl = "";
  fleet = new Fleet(runTag, () => ({
    REDIS_URL: redisUrl,
    LIVEDRAW_JWT_SECRET: secret,
    LIVEDRAW_PSEUDONYM_KEY: pseudonymKey,
    LIVEDRAW_DATA_KEYS: dataKeys,
    LIVEDRAW_HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    // Every client of this run is 127.0.0.1: lift the per-address limits.
    LIVEDRAW_HTTP_REQUESTS_PER_SECOND_PER_IP: "10000",
    LIVEDRAW_MAX_CONNECTIONS_PER_ADDRESS: "0",
    LIVEDRAW_INTENTS_PER_SECOND_PER_ADDRESS: "0",
    LIVEDRAW_ACCOUNTS_PER_ADDRESS: "0",
  }), since);
  try {
    redisUrl = (await fleet.startRedis(say)).url;
  } catch (err) {
    if (err instanceof RedisUnavailableError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  admin = new Redis(redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => 200, enableOfflineQueue: true });
  admin.on("error", () => undefined);
  const nodes = await Promise.all(Array.from({ length: NODES }, (_, i) => fleet.startNode(i)));
  for (let i = 0; i < WORKERS; i++) await fleet.startWorker();
  const urls = nodes.map((n) => n.url);
  say(`redis ${redisUrl}, nodes ${nodes.map((n) => `:${n.port}`).join(" ")}, ${WORKERS} workers; logs in ${path.relative(process.cwd(), fleet.logDir)}/`);

  // The instant-win campaign (also the campaign of the live draws).
  const hostToken = await tokens.sign({ sub: "chaos-host", role: "host" }, 3 * 3600);
  const now = Date.now();
  const created = await fetch(`${urls[0]}/v1/campaigns`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${hostToken}` },
    body: JSON.stringify({
      campaignId: CAMPAIGN,
      title: "Chaos wheel",
      schedule: { warmupAt: now - 2 * HOUR, liveAt: now - HOUR, longTailAt: now + 3 * HOUR, closedAt: now + 4 * HOUR },
      // Small stock, so tiers sell out under fire (oversell would show).
      tiers: [
        { tierId: "gold", name: "Gold", probability: 0.02, inventory: 10, value: 500 },
        { tierId: "silver", name: "Silver", probability: 0.1, inventory: 150, value: 20 },
      ],
      limits: { spinsPerDay: 100_000, spinsPerCampaign: 100_000, winsPerCampaign: 100_000 },
      freeSpins: 100_000,
      claim: { windowHours: 72, conditions: "Chaos test: prizes are not handed out." },
    }),
  });
  if (created.status !== 201) throw new Error(`creating the campaign: HTTP ${created.status} ${await created.text()}`);

  // The audience: player i starts on node i mod 3 and knows all of them.
  for (let i = 0; i < PLAYERS; i++) {
    const rotated = urls.map((_, j) => urls[(i + j) % urls.length]!);
    // Players known by phone number or by openid, with real-looking names: the privacy scan looks for these.
    const phone = `1397654${String(1000 + i)}`;
    const person = i % 2 === 0 ? { sub: phone, name: `司马相如${i}`, phone } : { sub: `oChaos${String(i).padStart(3, "0")}Wx8Lq2Zr`, name: `Genevieve Hartley ${i}`, phone: `+86${phone}` };
    players.push(new Player(person, pseudonyms.player(person.sub), rotated, tokens, since));
  }
  await Promise.all(players.map((p) => p.start(CAMPAIGN)));
  say(`${PLAYERS} players connected and subscribed to ${CAMPAIGN}`);

  // ------------------------------------------------------------------ load + faults
  t0 = Date.now();
  const startedAt = new Date(t0).toISOString();
  const endAt = SECONDS * 1000;
  let loadRunning = true;
  let settleDeadline = Infinity;
  const giveUp = () => Date.now() > settleDeadline;
  for (const p of players) {
    // Staggered start, then about one spin per second each.
    setTimeout(() => p.spinLoop(CAMPAIGN, () => loadRunning, () => SPIN_GAP_MS[0] + Math.random() * (SPIN_GAP_MS[1] - SPIN_GAP_MS[0]), giveUp), Math.random() * 1000);
  }

  const drawIds: string[] = [];
  const drawLog: { drawId: string | null; opened_at_ms: number; node: string; attempts: number; error?: string }[] = [];
  const openDraw = async (round: number) => {
    const startedMs = since();
    let lastError = "";
    for (let attempt = 1; attempt <= 20; attempt++) {
      const node = fleet.nodes[(round + attempt) % NODES];
      if (!node) continue;
      try {
        const res = await fetch(`${node.url}/v1/campaigns/${CAMPAIGN}/draws`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${hostToken}` },
          body: JSON.stringify({ title: `Chaos draw #${round}`, durationMs: DRAW_WINDOW_MS, tiers: [{ tierId: "grand", name: "Grand", count: 1 }, { tierId: "lucky", name: "Lucky", count: 3 }] }),
          signal: AbortSignal.timeout(3000),
        });
        const body = (await res.json()) as DrawCountdown | { error: { code: string; message: string } };
        if (res.status === 201 && !("error" in body)) {
          drawIds.push(body.drawId);
          drawLog.push({ drawId: body.drawId, opened_at_ms: since(), node: `:${node.port}`, attempts: attempt });
          say(`host opened draw ${body.drawId} on :${node.port}${attempt > 1 ? ` (attempt ${attempt})` : ""}; every player enters`);
          for (const p of players) p.enter(CAMPAIGN, body.drawId, 200 + Math.random() * 2300);
          return;
        }
        lastError = "error" in body ? body.error.code : `HTTP ${res.status}`;
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
      }
      await sleep(250);
    }
    drawLog.push({ drawId: null, opened_at_ms: startedMs, node: "-", attempts: 20, error: lastError });
    say(`host could not open draw #${round}: ${lastError}`);
  };
  const drawTimers: Promise<void>[] = [];
  for (let at = 1000, round = 1; at <= endAt - 5000; at += DRAW_EVERY_MS, round++) {
    const r = round;
    drawTimers.push(sleep(at).then(() => openDraw(r)));
  }

  const faults: Fault[] = [];
  const record = (kind: Fault["kind"], target: string): Fault => {
    const f: Fault = { kind, target, killed_at_ms: since(), back_at_ms: null, killed_at: new Date().toISOString() };
    faults.push(f);
    return f;
  };
  const workerKills = (async () => {
    for (let at = WORKER_KILL_EVERY_MS; at < endAt; at += WORKER_KILL_EVERY_MS) {
      await sleep(Math.max(0, at - since()));
      const victim = fleet.liveWorkers()[0];
      if (!victim) continue;
      const f = record("worker", victim.label);
      await fleet.kill(victim.proc);
      try {
        const next = await fleet.startWorker();
        f.replacement = next.label;
        f.back_at_ms = since();
        say(`SIGKILLed ${victim.label}; ${next.label} ready after ${f.back_at_ms - f.killed_at_ms} ms`);
      } catch (err) {
        f.error = String(err instanceof Error ? err.message.split("\n")[0] : err);
        say(`SIGKILLed ${victim.label}; its replacement failed to start: ${f.error}`);
      }
    }
  })();
  const nodeKill = async (at: number, index: number) => {
    await sleep(Math.max(0, at - since()));
    const node = fleet.nodes[index]!;
    const label = fleet.labelOf(node);
    const f = record("node", `${label} :${node.port}`);
    fleet.nodes[index] = null;
    await fleet.kill(node);
    say(`SIGKILLed ${label} (:${node.port}); restarting it in ${NODE_DOWN_MS / 1000} s`);
    await sleep(NODE_DOWN_MS);
    try {
      await fleet.startNode(index);
      f.back_at_ms = since();
      say(`${label} listening again on :${node.port}`);
    } catch (err) {
      f.error = String(err instanceof Error ? err.message.split("\n")[0] : err);
      say(`${label} failed to restart: ${f.error}`);
    }
  };
  const redisKill = async (at: number) => {
    await sleep(Math.max(0, at - since()));
    const f = record("redis", `redis-server :${fleet.redis.port}`);
    await fleet.redis.kill();
    say(`SIGKILLed redis-server; restarting it (same port, same AOF) in ${REDIS_DOWN_MS / 1000} s`);
    await sleep(REDIS_DOWN_MS);
    await fleet.redis.restart();
    f.back_at_ms = since();
    say("redis-server accepting connections again");
  };
  // With draws opening at 1 s, 11 s, 21 s…: the first node dies while entries of a draw are in
  // flight; Redis dies while entries are in flight too, and that draw's deadline passes during the
  // outage; the second node dies as a draw closes and its reveals go out.
  const faultsDone = Promise.all([workerKills, nodeKill(Math.round(endAt * 0.22), 0), redisKill(Math.round(endAt * 0.38)), nodeKill(Math.round(endAt * 0.75), 1)]);

  const progress = setInterval(() => {
    const acked = players.reduce((n, p) => n + p.spins.filter((s) => s.intentIds.length > 0).length, 0);
    const connected = players.filter((p) => p.client.state === "connected").length;
    say(`${acked} spins acknowledged so far; ${connected}/${PLAYERS} players connected`);
  }, 10_000);

  await sleep(endAt);
  loadRunning = false;
  say("load and faults stop; waiting for everything to settle");
  await Promise.all(drawTimers);
  await faultsDone;
  clearInterval(progress);
  const loadEndedMs = since();

  // ------------------------------------------------------------------ settle (bounded)
  settleDeadline = Date.now() + SETTLE_SECONDS * 1000;
  const k = campaignKeys(CAMPAIGN);
  let waiting: string[] = [];
  for (;;) {
    waiting = [];
    const idle = players.filter((p) => p.busy || p.spins.some((s) => s.endedAt === null)).length;
    if (idle > 0) waiting.push(`${idle} players with a spin or entry in flight`);
    const pending = await admin.xlen(k.spins).catch(() => -1);
    if (pending !== 0) waiting.push(`spin pending ${pending}`);
    for (const drawId of drawIds) {
      const dk = drawKeys(CAMPAIGN, drawId);
      const [phase, ttl] = await Promise.all([admin.hget(dk.state, "phase").catch(() => null), admin.pttl(dk.state).catch(() => -3)]);
      if (phase !== "done" || ttl <= 0) waiting.push(`draw ${drawId} ${phase}${phase === "done" ? " (results not sent yet)" : ""}`);
    }
    const offline = players.filter((p) => p.client.state !== "connected").length;
    if (offline > 0) waiting.push(`${offline} players not connected`);
    const missing = players.reduce((n, p) => n + p.ackedEntries().filter((e) => drawIds.includes(e.drawId) && (p.results.get(e.drawId)?.length ?? 0) === 0).length, 0);
    if (missing > 0) waiting.push(`${missing} own draw results not delivered yet`);
    if (waiting.length === 0 || Date.now() > settleDeadline) break;
    await sleep(500);
  }
  const settled = waiting.length === 0;
  await Promise.race([Promise.all(players.map((p) => p.idle())), sleep(5000)]);
  await sleep(1000); // late duplicates of events, if any, would arrive now
  const settleMs = since() - loadEndedMs;
  say(settled ? `settled after ${(settleMs / 1000).toFixed(1)} s` : `did NOT settle within ${SETTLE_SECONDS} s: ${waiting.join("; ")}`);

  // ------------------------------------------------------------------ verdict
  const expected = SELF_TEST ? await tamper(admin, CAMPAIGN, players, drawIds) : null;
  if (expected) say(`self-test: damaged Redis on purpose: ${expected.done.join("; ")}`);
  const { verdict, draws } = await verifyRedis(admin, CAMPAIGN, players, drawIds);
  const clientVerdicts: ClientVerdict[] = [];
  for (let i = 0; i < players.length; i += 10) {
    const batch = players.slice(i, i + 10);
    clientVerdicts.push(...(await Promise.all(batch.map(async (p) => verifyClient(p, CAMPAIGN, await freshSnapshot(p.person.sub, urls), draws)))));
  }
  const consistent = clientVerdicts.filter((c) => c.consistent).length;
  say("privacy: searching logs, received frames, Redis keys, RDB and AOF for raw ids, phones and names; then erasing everyone");
  const privacy = await checkPrivacy({ admin, dataDir: fleet.redis.dataDir, logDir: fleet.logDir, players, url: urls[0]!, hostToken, campaignId: CAMPAIGN, drawIds });

  // Recovery per fault: for each client whose connection the fault cut, the time from the service
  // being reachable again (a node: at once, the other nodes are up; Redis: its restart) to the
  // client being connected again. Also how long until each client's next successful request.
  const faultRows = faults.map((f, i) => {
    const next = faults.slice(i + 1).find((g) => g.kind !== "worker")?.killed_at_ms ?? Infinity;
    const available = f.kind === "node" ? f.killed_at_ms : f.back_at_ms ?? f.killed_at_ms;
    // A worker holds no sockets: connection losses are put down to node and Redis faults only.
    const hits = f.kind === "worker" ? [] : players.flatMap((p) => p.outages().filter((o) => o.left >= f.killed_at_ms - 100 && o.left < Math.min(next, (f.back_at_ms ?? f.killed_at_ms) + 2000)).map((o) => ({ p, o })));
    const reconnect = hits.map(({ o }) => (o.back === null ? null : Math.max(0, o.back - available)));
    const serviceBack = f.back_at_ms ?? f.killed_at_ms;
    const service = f.kind === "worker" ? [] : players.map((p) => p.successes.find((t) => t >= serviceBack)).map((t) => (t === undefined ? null : t - serviceBack));
    const nums = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
    return {
      ...f,
      down_ms: f.back_at_ms === null ? null : f.back_at_ms - f.killed_at_ms,
      clients_disconnected: hits.length,
      clients_never_reconnected: reconnect.filter((x) => x === null).length,
      recovery_ms: hits.length ? Math.max(...nums(reconnect), 0) : 0,
      p50_recovery_ms: hits.length ? percentile(nums(reconnect), 0.5) : 0,
      ...(f.kind === "worker" ? {} : { max_first_success_after_back_ms: Math.max(...nums(service), 0), clients_without_success_after_back: service.filter((x) => x === null).length }),
    };
  });
  const maxRecovery = Math.max(0, ...faultRows.filter((f) => f.kind !== "worker").map((f) => f.recovery_ms));
  const lost = verdict.lost_spins + verdict.lost_entries;
  const duplicated = verdict.duplicated_spins + verdict.duplicated_entries;
  const unexpected = fleet.unexpectedExits.length;

  const spinErrors: Record<string, number> = {};
  for (const p of players) for (const s of p.spins) for (const e of s.errors) spinErrors[e] = (spinErrors[e] ?? 0) + 1;
  const outcomes: Record<string, number> = {};
  for (const p of players) for (const s of p.spins) if (s.result) outcomes[s.result.outcome] = (outcomes[s.result.outcome] ?? 0) + 1;

  // Stricter than the headline counts: also a run that did not settle, a spin answered with another
  // result than the stored one, or a process that never became ready fails.
  const ok = lost === 0 && duplicated === 0 && verdict.oversold_tiers === 0 && unexpected === 0 && consistent === PLAYERS && verdict.spin_result_mismatches === 0 && settled && fleet.startFailures.length === 0 && privacy.ok;
  const report = {
    ok,
    acked: verdict.acked_spins + verdict.acked_entries,
    lost,
    duplicated,
    oversold: verdict.oversold_tiers,
    clients: PLAYERS,
    clients_consistent: consistent,
    max_recovery_ms: maxRecovery,
    unexpected_exits: unexpected,
    settled,
    settle_ms: settleMs,
    still_waiting_for: settled ? [] : waiting,
    privacy,
    detail: {
      acked_spins: verdict.acked_spins,
      acked_entries: verdict.acked_entries,
      lost_spins: verdict.lost_spins,
      lost_entries: verdict.lost_entries,
      duplicated_spins: verdict.duplicated_spins,
      duplicated_entries: verdict.duplicated_entries,
      spin_result_mismatches: verdict.spin_result_mismatches,
      spin_keys: players.reduce((n, p) => n + p.spins.length, 0),
      unacked_spin_keys: verdict.unacked_spin_keys,
      unacked_spin_keys_stored: verdict.unacked_spin_keys_stored,
      spin_pending: verdict.spin_pending,
      spins_resolved_in_redis: verdict.spins_resolved_in_redis,
      spin_outcomes: outcomes,
      spin_errors_seen_by_clients: spinErrors,
      max_service_recovery_ms: Math.max(0, ...faultRows.map((f) => ("max_first_success_after_back_ms" in f ? f.max_first_success_after_back_ms ?? 0 : 0))),
    },
    inventory: verdict.inventory,
    draws: verdict.draws.map((d) => {
      const opened = drawLog.find((l) => l.drawId === d.drawId);
      return { ...d, opened_at_ms: opened?.opened_at_ms ?? null, opened_on: opened?.node ?? null, open_attempts: opened?.attempts ?? null };
    }),
    draws_not_opened: drawLog.filter((l) => l.drawId === null),
    faults: faultRows,
    inconsistent_clients: clientVerdicts.filter((c) => !c.consistent).slice(0, 20),
    samples: verdict.samples,
    unexpected_exit_list: fleet.unexpectedExits,
    start_failures: fleet.startFailures,
    log_problems: Object.fromEntries([...fleet.problemCounts].sort((a, b) => b[1] - a[1]).slice(0, 30)),
    params: {
      seconds: SECONDS,
      players: PLAYERS,
      nodes: NODES,
      workers: WORKERS,
      campaign: CAMPAIGN,
      spin_gap_ms: SPIN_GAP_MS,
      draw_every_ms: DRAW_EVERY_MS,
      draw_window_ms: DRAW_WINDOW_MS,
      draw_tiers: "grand ×1, lucky ×3, autoReveal",
      worker_kill_every_ms: WORKER_KILL_EVERY_MS,
      node_down_ms: NODE_DOWN_MS,
      redis_down_ms: REDIS_DOWN_MS,
      settle_limit_s: SETTLE_SECONDS,
      campaign_stock: { gold: 10, silver: 150 },
    },
    machine: { cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100), node: process.version, platform: `${os.platform()} ${os.release()}` },
    date: startedAt,
    commit: git(["rev-parse", "--short", "HEAD"]),
    worktree_dirty: git(["status", "--porcelain"]) !== "",
  };

  if (expected) {
    const got = { lost, duplicated, oversold: verdict.oversold_tiers };
    const pass = got.lost === expected.lost && got.duplicated === expected.duplicated && got.oversold === expected.oversold;
    console.log(`self-test ${pass ? "passed" : "FAILED"}: expected lost ${expected.lost}, duplicated ${expected.duplicated}, oversold ${expected.oversold}; counted ${JSON.stringify(got)}; clients consistent ${consistent}/${PLAYERS}`);
    for (const [what, list] of Object.entries(verdict.samples)) console.log(`  ${what}: ${list.slice(0, 3).join(" | ")}`);
    for (const c of report.inconsistent_clients.slice(0, 5)) console.log(`  ${c.playerId}: ${c.problems.slice(0, 3).join(" | ")}`);
    await shutdown(pass ? 0 : 1);
  }
  const dir = path.join(projectRoot(), "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "chaos.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(dir, "chaos.md"), chaosMarkdown(report));

  console.log("");
  console.log(`chaos run (${SECONDS} s, ${PLAYERS} players, ${faults.length} faults): ${ok ? "OK" : "FAILED"}`);
  console.log(`  acked ${report.acked} (${verdict.acked_spins} spins + ${verdict.acked_entries} entries), lost ${lost}, duplicated ${duplicated}, oversold ${report.oversold}`);
  console.log(`  clients consistent ${consistent}/${PLAYERS}, max recovery ${maxRecovery} ms, unexpected exits ${unexpected}${settled ? "" : `, NOT settled (${waiting.join("; ")})`}`);
  for (const c of report.inconsistent_clients.slice(0, 5)) console.log(`  ${c.playerId}: ${c.problems.slice(0, 3).join(" | ")}`);
  for (const [what, list] of Object.entries(verdict.samples)) console.log(`  ${what}: ${list.slice(0, 3).join(" | ")}`);
  for (const e of fleet.unexpectedExits) console.log(`  unexpected exit: ${e.label} code ${e.code} signal ${e.signal} at ${e.at} ms`);
  console.log(`  privacy: ${privacy.findings.length} raw ids/phones/names found in ${privacy.searched.redis_keys} keys, ${privacy.searched.files.length} Redis files and ${Math.round(privacy.searched.log_and_frame_bytes / 1e6)} MB of logs and frames; erased ${privacy.erased}/${PLAYERS}, profiles left ${privacy.profiles_after_erasure}, audit chain ${privacy.audit_chain_ok ? "verifies" : "BROKEN"}, ${privacy.bundles_verified}/${drawIds.length} proof bundles verify`);
  console.log(`  written: ${path.relative(process.cwd(), path.join(dir, "chaos.json"))}, chaos.md`);
  await shutdown(ok ? 0 : 1);
}

/** The snapshot a fresh subscribe returns for this player (a new connection, same identity). */
async function freshSnapshot(playerId: string, urls: string[]): Promise<DrawSnapshot | null | "error"> {
  const c = new LiveDrawClient({ url: urls, transport: webSocketTransport(WebSocket), token: await tokens.sign({ sub: playerId, role: "player" }, 600) });
  try {
    await c.connect(10_000);
    return (await c.subscribe(CAMPAIGN)).draw;
  } catch {
    return "error";
  } finally {
    c.close();
  }
}

function percentile(xs: number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function git(args: string[]): string {
  const r = spawnSync("git", args, { cwd: projectRoot(), encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : "unknown";
}

main().catch((err: unknown) => void shutdown(2, `chaos run failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`));
