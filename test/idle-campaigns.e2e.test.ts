/**
 * Idle campaigns cost nothing measurable (issue 17, item 9; docs/operations.md, "Idle campaigns"):
 * a real node, a real worker and a real Redis, measured twice over the same fixed window — once with
 * one busy campaign only, once more after 2,000 instant-win campaigns were created, each spun once
 * (about 1 % won and were issued) and then left idle:
 * - the CPU time Redis and the worker spend (utime + stime from /proc/<pid>/stat, so other processes
 *   on a shared machine do not count) grows by < 5 % of a core each;
 * - Redis commands per second (INFO commandstats deltas) are reported as a second figure;
 * - issuance latency (a spin sent → the `win:status` push saying issued) stays within 2× of the
 *   stack without the idle campaigns.
 */
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveDrawClient } from "@livedraw/client-sdk";
import type { Win } from "@livedraw/protocol";
import { createRedis } from "../core/redis.js";
import { SpinStore } from "../core/spin-store.js";
import { campaignKeys } from "../core/redis-keys.js";
import { workIndexSize } from "../core/work-index.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, http, pseudonym, uniqueId, type NodeProcess, type RoleProcess } from "./harness.js";

const IDLE_CAMPAIGNS = 2000;
/** The fixed measuring window. */
const WINDOW_MS = 10_000;
const LATENCY_SAMPLES = 10;
const POLICY = { minTierProbability: 0.01, maxTierProbability: 1, maxTotalProbability: 1, prizeValueCapYuan: 50_000, requirePrizeTerms: false, defaultPlatform: "web" as const, defaultInviteTickets: 1 };
const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces), 1-based from field 3: utime is 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

async function commandsDone(redis: Redis): Promise<number> {
  const info = await redis.info("commandstats");
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) calls += Number(m[1]);
  return calls;
}

interface Figures {
  /** Share of one core over the window. */
  redisCpu: number;
  workerCpu: number;
  commandsPerSecond: number;
}

const started = performance.now();
const say = (what: string) => console.log(`[idle-campaigns +${((performance.now() - started) / 1000).toFixed(1)} s] ${what}`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe("idle campaigns cost nothing measurable", () => {
  const h = new Harness();
  let node: NodeProcess;
  let worker: RoleProcess;
  let redis: Redis;
  let redisPid: number;
  let host: string;
  let player: LiveDrawClient;
  const hot = uniqueId("hot");
  const issued = new Map<string, number>(); // winId → when its issued push arrived
  const waiting = new Map<string, () => void>();

  beforeAll(async () => {
    await h.startRedis();
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
    redisPid = Number(/process_id:(\d+)/.exec(await redis.info("server"))![1]);
    const env = { LIVEDRAW_TIER_MAX_PROBABILITY: "1", LIVEDRAW_SPINS_PER_SECOND_PER_PLAYER: "1000", LIVEDRAW_SOCKET_MESSAGES_PER_SECOND: "1000" };
    [node, worker] = await Promise.all([h.startNode(env), h.startWorker(env)]);
    host = await h.hostToken();
    const created = await http(`${node.url}/v1/campaigns`, {
      token: host,
      body: liveCampaign(hot, { tiers: [{ tierId: "prize", name: "Prize", probability: 1, inventory: 1000, value: 1 }] }),
    });
    expect(created.status).toBe(201);
    player = await h.player(node.url, uniqueId("p"));
    player.on("win:status", (w: Win) => {
      if (w.status !== "issued" || issued.has(w.winId)) return;
      issued.set(w.winId, performance.now());
      waiting.get(w.winId)?.();
    });
  });
  afterAll(() => h.cleanup());

  /** Spin → issued push, in ms, for `n` spins one after another (at random phases of the issuer's round). */
  async function issuanceLatencies(tag: string, n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, Math.random() * 250));
      const sent = performance.now();
      const result = await player.spin(hot, { idempotencyKey: `${tag}-${i}-key`, timeoutMs: 30_000 });
      expect(result.outcome).toBe("won");
      if (!issued.has(result.intentId)) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`win ${result.intentId} not issued within 30 s`)), 30_000);
          waiting.set(result.intentId, () => (clearTimeout(timer), resolve()));
        });
      }
      out.push(issued.get(result.intentId)! - sent);
    }
    return out;
  }

  async function measure(): Promise<Figures> {
    const pid = worker.child.pid!;
    const [r0, w0, c0, t0] = [cpuSeconds(redisPid), cpuSeconds(pid), await commandsDone(redis), performance.now()];
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const [r1, w1, c1, t1] = [cpuSeconds(redisPid), cpuSeconds(pid), await commandsDone(redis), performance.now()];
    const s = (t1 - t0) / 1000;
    // The two INFO calls themselves are 2 commands: negligible.
    return { redisCpu: (r1 - r0) / s, workerCpu: (w1 - w0) / s, commandsPerSecond: (c1 - c0) / s };
  }

  it("2,000 idle campaigns add < 5 % of a core to Redis and to a worker; issuance latency stays within 2×", { timeout: 180_000 }, async () => {
    const baseLatency = await issuanceLatencies("base", LATENCY_SAMPLES);
    say(`baseline latencies ${baseLatency.map((x) => Math.round(x)).join(" ")} ms`);
    const base = await measure();
    say(`baseline ${JSON.stringify(base)}`);

    // 2,000 campaigns, created through the same store as POST /v1/campaigns, each spun once by a
    // visitor (about 1 % win, and those wins are issued), so spin and issuance work has come and
    // gone in them before they fall idle.
    const storeRedis = createRedis(h.redis.url, { name: "test-store" });
    const store = new SpinStore(storeRedis);
    const ids = Array.from({ length: IDLE_CAMPAIGNS }, (_, i) => `idle-${i}`);
    for (let i = 0; i < ids.length; i += 200) {
      await Promise.all(ids.slice(i, i + 200).map(async (id) => {
        await store.save("create", liveCampaign(id, { tiers: [{ tierId: "prize", name: "Prize", probability: 0.01, inventory: 10, value: 1 }] }), POLICY);
        await store.append(id, pseudonym(`visitor-${id}`), "only-spin-key", 1000);
      }));
    }
    say("2,000 campaigns created and spun");
    // Wait until the worker has resolved every one of those spins and issued every win.
    for (;;) {
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.hlen(campaignKeys(id).results).hget(campaignKeys(id).funnel, "wins:pending");
      const replies = ((await pipeline.exec()) ?? []).map(([, v]) => Number(v ?? 0));
      let done = 0;
      for (let i = 0; i < replies.length; i += 2) if (replies[i] === 1 && replies[i + 1] === 0) done++;
      if (done === IDLE_CAMPAIGNS) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    say("2,000 spins resolved, their wins issued");
    // …and until the workers' index has let them go (their work is done; they linger briefly).
    const settleBy = Date.now() + 60_000;
    while ((await workIndexSize(redis)).spins > 1 && Date.now() < settleBy) await new Promise((r) => setTimeout(r, 250));
    await storeRedis.quit();

    say(`work index ${JSON.stringify(await workIndexSize(redis))}`);
    const idle = await measure();
    say(`with idle campaigns ${JSON.stringify(idle)}`);
    const idleLatency = await issuanceLatencies("idle", LATENCY_SAMPLES);
    say(`latencies with idle campaigns ${idleLatency.map((x) => Math.round(x)).join(" ")} ms`);
    const report = {
      baseline: { ...base, latencyMedianMs: median(baseLatency) },
      withIdle: { ...idle, latencyMedianMs: median(idleLatency) },
    };
    console.log(`idle campaigns: ${JSON.stringify(report)}`);

    // < 5 % of a core each, over the same fixed window.
    expect(idle.redisCpu - base.redisCpu).toBeLessThan(0.05);
    expect(idle.workerCpu - base.workerCpu).toBeLessThan(0.05);
    // The second figure: only the minute safety-net sweep touches every campaign (one command each
    // per minute, 2,000/min); anything above that would be a round visiting idle campaigns.
    expect(idle.commandsPerSecond - base.commandsPerSecond).toBeLessThan(IDLE_CAMPAIGNS / 10);
    // Issuance latency within 2× of the stack without idle campaigns.
    expect(median(idleLatency)).toBeLessThanOrEqual(2 * median(baseLatency));
  });
});
