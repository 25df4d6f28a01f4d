/**
 * `npm run demo`: the whole system on one machine. Finds or starts Redis, starts two socket nodes
 * and one worker, connects a simulated audience (200 players by default, built on the client SDK,
 * spread over both nodes), and acts as a host that opens a live draw every ~20 s in campaign "demo".
 * The console and the big screen are pointed at campaign "gala", which nothing automatic touches:
 * a host trying the console runs their own night there, and the audience enters those draws too.
 * Prints each draw's entrant count and winners, and a warning when the big screen's QR code would
 * open the placeholder LIVEDRAW_JOIN_URL. Ctrl-C stops everything it started.
 *
 * Environment: DEMO_PLAYERS (default 200), DEMO_INTERVAL_MS (20000), DEMO_WINDOW_MS (8000),
 * DEMO_WINNERS (3 lucky-prize winners, plus 1 grand prize), DEMO_PORT (first node's port, default 3001; the second uses the next free one),
 * DEMO_BIND (interface the nodes listen on, default 127.0.0.1), REDIS_URL (used if it answers).
 * A host account `demo-host` with a fresh random password is created for the console; both are printed.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import WebSocket from "ws";
import { LiveDrawClient, webSocketTransport } from "@livedraw/client-sdk";
import { verifyBundle } from "@livedraw/fairness";
import type { DrawCountdown, DrawDone, DrawReveal } from "@livedraw/protocol";
import { projectRoot } from "../core/assets.js";
import { hashPassword } from "../server/host-accounts.js";
import { RedisUnavailableError, ensureRedis, freePort, type RunningRedis } from "./redis-server.js";
import { startNodeProcess, startWorkerProcess, type RoleProcess } from "./spawn-role.js";
import { intEnv } from "./env.js";
import { DEFAULT_JOIN_URL } from "../config/options.js";

const PLAYERS = intEnv("DEMO_PLAYERS", 200);
const INTERVAL_MS = intEnv("DEMO_INTERVAL_MS", 20_000);
const WINDOW_MS = intEnv("DEMO_WINDOW_MS", 8_000);
const WINNERS = intEnv("DEMO_WINNERS", 3);
/** The host's own campaign: the console and the big screen follow it; nothing automatic opens draws in it. */
const HOST_CAMPAIGN = "gala";
/** The demo's automatic draws (one every DEMO_INTERVAL_MS), in a campaign of their own so they never interrupt a host trying the console. */
const CAMPAIGN = "demo";
/** The demo's instant-win campaign (bench/artillery/spin.yml's default campaignId). */
const SPIN_CAMPAIGN = "demo-spins";
const BIND = process.env.DEMO_BIND || "127.0.0.1";
const HOST_ID = "demo-host";


const say = (msg: string) => console.log(`[demo ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, BIND, () => srv.close(() => resolve(true)));
  });
}

async function pickPort(preferred: number): Promise<number> {
  return (await portIsFree(preferred)) ? preferred : freePort();
}

const SURNAMES = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴"];
function displayName(i: number): string {
  if (i % 2 === 0) return `138${String(10_000_000 + ((i * 7919) % 90_000_000)).slice(0, 8)}`;
  return `${SURNAMES[i % SURNAMES.length]}${"伟芳娜敏静丽强磊"[i % 8]}`;
}

const stoppers: (() => Promise<unknown>)[] = [];
let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say("stopping everything the demo started...");
  for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  say("stopped.");
  process.exit(code);
}

async function main(): Promise<void> {
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  let redis: RunningRedis;
  try {
    // A fresh private Redis every run (its data is removed on exit; a crashed run's is removed here).
    rmSync(path.join(projectRoot(), ".data", "demo-redis"), { recursive: true, force: true });
    redis = await ensureRedis({ useEnvUrl: true, name: "demo-redis", removeDataOnStop: true, log: say });
  } catch (err) {
    if (err instanceof RedisUnavailableError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  stoppers.push(() => redis.stop());

  const logDir = path.join(projectRoot(), ".data", "demo-logs");
  mkdirSync(logDir, { recursive: true });
  const secret = randomBytes(32).toString("hex");
  // The console's sign-in: a local account with a fresh password every run (printed below).
  const hostPassword = randomBytes(9).toString("base64url");
  const baseEnv = {
    LIVEDRAW_HOST: BIND,
    LIVEDRAW_HOSTS: `${HOST_ID}:${await hashPassword(hostPassword)}`,
    REDIS_URL: redis.url,
    LIVEDRAW_JWT_SECRET: secret,
    LIVEDRAW_DEV_TOKENS: "1",
    // The whole simulated audience fetches its tokens from this one address at start-up.
    LIVEDRAW_HTTP_REQUESTS_PER_SECOND_PER_IP: "10000",
    // The simulated audience all comes from this machine: no per-address intent limit, no source flags.
    LIVEDRAW_INTENTS_PER_SECOND_PER_ADDRESS: "0",
    LIVEDRAW_ACCOUNTS_PER_ADDRESS: "0",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
  };
  const firstPort = await pickPort(intEnv("DEMO_PORT", 3001));
  const secondPort = await pickPort(firstPort + 1);

  const processes: RoleProcess[] = [];
  const track = <P extends RoleProcess>(p: P, label: string): P => {
    processes.push(p);
    stoppers.push(() => p.stop("SIGTERM"));
    p.onLog((l) => {
      if (l.level >= 40 && !stopping) say(`${label} ${l.level >= 50 ? "ERROR" : "warn"}: ${l.msg}${typeof l.err === "string" ? ` (${l.err})` : ""}`);
    });
    void p.exited.then((code) => {
      if (!stopping) {
        say(`${label} exited unexpectedly (code ${code}); see ${path.relative(process.cwd(), logDir)}/${label}.log`);
        void shutdown(1);
      }
    });
    return p;
  };
  const opts = (label: string, env: Record<string, string>) => ({ env: { ...baseEnv, LIVEDRAW_NODE_ID: `demo-${label}`, ...env }, logFile: path.join(logDir, `${label}.log`), keepLogs: false });
  const [nodeA, nodeB] = await Promise.all([
    startNodeProcess(opts("node-a", { PORT: String(firstPort) })).then((p) => track(p, "node-a")),
    startNodeProcess(opts("node-b", { PORT: String(secondPort) })).then((p) => track(p, "node-b")),
  ]);
  track(await startWorkerProcess(opts("worker", {})), "worker");
  const health = (await (await fetch(`${nodeA.url}/healthz`)).json()) as { engine: string };
  say(`socket nodes on :${nodeA.port} and :${nodeB.port} (engine: ${health.engine}), one worker; logs in ${path.relative(process.cwd(), logDir)}/`);
  const origin = `http://${BIND === "0.0.0.0" ? "localhost" : BIND}:${nodeA.port}`;
  say(`host console: ${origin}/control?campaign=${HOST_CAMPAIGN}  — sign in as "${HOST_ID}" with password "${hostPassword}" (this run only)`);
  say(`big screen:   ${origin}/screen/${HOST_CAMPAIGN}  (no sign-in; for the projector; ?lang=en for English)`);
  say(`automatic draws run in campaign "${CAMPAIGN}" (screen: ${origin}/screen/${CAMPAIGN}); campaign "${HOST_CAMPAIGN}" is yours alone`);
  if (!process.env.LIVEDRAW_JOIN_URL || process.env.LIVEDRAW_JOIN_URL === DEFAULT_JOIN_URL) {
    say(`WARNING: the big screen's QR code opens a placeholder (${DEFAULT_JOIN_URL.replace("{campaignId}", HOST_CAMPAIGN)}): set LIVEDRAW_JOIN_URL to your mini-program's link, e.g. LIVEDRAW_JOIN_URL='https://your.domain/join?c={campaignId}' npm run demo`);
  }

  // The audience: players spread over both nodes, each entering a little after the countdown starts.
  const devToken = async (url: string, body: object) => {
    const res = await fetch(`${url}/dev/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`dev token: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  };
  const acked = new Map<string, number>();
  const results = new Map<string, { won: number; lost: number }>();
  const audience = await Promise.all(
    Array.from({ length: PLAYERS }, async (_, i) => {
      const url = (i % 2 === 0 ? nodeA : nodeB).url;
      const client = new LiveDrawClient({ url, transport: webSocketTransport(WebSocket), token: await devToken(url, { playerId: `player-${i}`, name: displayName(i), ttlSeconds: 86_400 }) });
      await client.connect();
      // Both campaigns: the audience enters the host's draws as well as the automatic ones.
      await client.subscribe(CAMPAIGN);
      await client.subscribe(HOST_CAMPAIGN);
      client.on("draw:countdown", (c: DrawCountdown) => {
        const wait = Math.random() * Math.min(WINDOW_MS * 0.7, 5000);
        setTimeout(() => {
          client.enter(c.campaignId, c.drawId).then(
            () => acked.set(c.drawId, (acked.get(c.drawId) ?? 0) + 1),
            (err: unknown) => say(`player-${i} could not enter: ${err instanceof Error ? err.message : String(err)}`),
          );
        }, wait);
      });
      client.on("draw:result", (r) => {
        const tally = results.get(r.drawId) ?? { won: 0, lost: 0 };
        tally[r.won ? "won" : "lost"]++;
        results.set(r.drawId, tally);
      });
      return client;
    }),
  );
  stoppers.push(async () => audience.forEach((c) => c.close()));
  say(`${PLAYERS} players connected and subscribed to campaigns "${HOST_CAMPAIGN}" and "${CAMPAIGN}"`);

  audience[0]!.on("draw:reveal", (r: DrawReveal) => {
    const names = r.winners.map((w) => `${w.name} (${w.intentId})`).join(", ") || "nobody (no entrants)";
    say(`draw ${r.drawId} revealed "${r.tierName}": ${r.entrants} entrants, ${acked.get(r.drawId) ?? 0} entries acknowledged; winners: ${names}`);
  });
  audience[0]!.on("draw:done", (d: DrawDone) => {
    setTimeout(() => {
      const t = results.get(d.drawId) ?? { won: 0, lost: 0 };
      say(`draw ${d.drawId}: personal results delivered to ${t.won + t.lost} players (${t.won} won, ${t.lost} did not)`);
    }, 500);
    // Anyone can check the draw: fetch the published proof bundle and recompute it.
    fetch(`${nodeB.url}${d.proofPath}`)
      .then((res) => res.json())
      .then((bundle: unknown) => {
        const verdict = verifyBundle(bundle);
        say(`draw ${d.drawId}: proof bundle ${verdict.ok ? "verified — winners recomputed from the published seed and entries" : `FAILED: ${verdict.problems.join("; ")}`} (${nodeB.url}${d.proofPath})`);
      })
      .catch((err: unknown) => say(`draw ${d.drawId}: could not check the proof: ${String(err)}`));
  });

  const hostToken = await devToken(nodeA.url, { role: "host", playerId: "demo-host", ttlSeconds: 86_400 });
  // An instant-win campaign, live for a day, for spins from the SDK or Artillery (bench/artillery/spin.yml).
  const now = Date.now();
  const spinCampaign = await fetch(`${nodeA.url}/v1/campaigns`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${hostToken}` },
    body: JSON.stringify({
      campaignId: SPIN_CAMPAIGN,
      title: "Demo spins",
      rules: "Spin as often as you like during the demo; prizes while stock lasts.",
      schedule: { warmupAt: now - 60_000, liveAt: now, longTailAt: now + 86_400_000, closedAt: now + 2 * 86_400_000 },
      tiers: [
        { tierId: "grand", name: "Grand prize", probability: 0.01, inventory: 100, value: 2000 },
        { tierId: "coupon", name: "Coupon", probability: 0.1, inventory: 100_000, value: 10 },
      ],
      limits: { spinsPerDay: 100_000, spinsPerCampaign: 100_000, winsPerCampaign: 1000 },
      freeSpins: 100_000,
      claim: { windowHours: 72, conditions: "Show the redemption code at the demo desk within 72 hours." },
    }),
  });
  // 409 E_CAMPAIGN_EXISTS: a demo against a REDIS_URL that still holds it from an earlier run.
  if (!spinCampaign.ok && spinCampaign.status !== 409) say(`could not create the spin campaign: HTTP ${spinCampaign.status} ${await spinCampaign.text()}`);
  else say(`instant-win campaign "${SPIN_CAMPAIGN}" is live: drive it with Artillery from bench/artillery/ (npm ci there first): npx artillery run spin.yml${nodeA.port === 3001 ? "" : ` --target ${nodeA.url}`}`);
  let round = 0;
  const openDraw = async () => {
    round++;
    const node = round % 2 === 1 ? nodeA : nodeB;
    const res = await fetch(`${node.url}/v1/campaigns/${CAMPAIGN}/draws`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${hostToken}` },
      body: JSON.stringify({
        title: `Demo draw #${round}`,
        durationMs: WINDOW_MS,
        tiers: [
          { tierId: "grand", name: "Grand prize", count: 1 },
          { tierId: "lucky", name: "Lucky prize", count: WINNERS },
        ],
      }),
    });
    const body = (await res.json()) as DrawCountdown | { error: { code: string; message: string } };
    if (!res.ok || "error" in body) return say(`host could not open a draw: ${JSON.stringify(body)}`);
    say(`host opened draw ${body.drawId} ("${body.title}") on :${node.port}: ${body.tiers.map((t) => `${t.count} × ${t.name}`).join(", ")}; entries close in ${(WINDOW_MS / 1000).toFixed(1)} s; seed commitment ${body.commitment.slice(0, 16)}…`);
  };
  await openDraw();
  const timer = setInterval(() => void openDraw().catch((err: unknown) => say(`host error: ${String(err)}`)), INTERVAL_MS);
  stoppers.push(async () => clearInterval(timer));
  say(`a new draw opens every ${INTERVAL_MS / 1000} s; press Ctrl-C to stop`);
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  void shutdown(1);
});
