/**
 * Instant-win spins across real processes: 2 socket nodes, 2 workers, 520 sockets (500 players plus
 * one player on 20 parallel sockets). One worker is SIGKILLed while batches are being resolved.
 * Asserts the invariants: no tier issues more than its inventory and stock accounting is exact;
 * every acknowledged intent is resolved exactly once; per-player caps hold under concurrency.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveDrawError, type LiveDrawClient } from "@livedraw/client-sdk";
import type { PublishedRules, SpinResult } from "@livedraw/protocol";
import { campaignKeys } from "../core/redis-keys.js";
import type { CampaignStats } from "../core/spin-store.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, http, pseudonym, uniqueId, type NodeProcess, type RoleProcess } from "./harness.js";

const PLAYERS = 500;
const WORKER_IDS = [uniqueId("spin-worker"), uniqueId("spin-worker")];
const SPINS_EACH = 3;
const WHALE_SOCKETS = 20;
const LIMITS = { spinsPerDay: 5, spinsPerCampaign: 5, winsPerCampaign: 2 };
const TIERS = [
  { tierId: "gold", name: "Gold", probability: 0.2, inventory: 25, value: 500 },
  { tierId: "silver", name: "Silver", probability: 0.3, inventory: 120, value: 20 },
];

describe("instant-win spins: 2 nodes, 2 workers, 520 sockets, a worker SIGKILLed mid-run", () => {
  const h = new Harness();
  let nodes: NodeProcess[];
  let workers: RoleProcess[];
  let redis: Redis;
  let hostToken: string;
  const campaignId = uniqueId("spin");

  beforeAll(async () => {
    await h.startRedis();
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
    // Many small batches, so the kill lands among them. Load shedding off: this test counts every spin,
    // and a CI machine can stall a node's event loop past the threshold (server/load-shedder.test.ts covers it).
    const env = { LIVEDRAW_SPIN_BATCH_SIZE: "25", LIVEDRAW_SPIN_SHED_LAG_MS: "0" };
    nodes = await Promise.all([h.startNode(env), h.startNode(env)]);
    // Short resolver leases, so the survivor takes the campaign over within the test (lease / 3 rounds).
    const workerEnv = { ...env, LIVEDRAW_WORKER_LOCK_MS: "2000" };
    workers = await Promise.all(WORKER_IDS.map((id) => h.startWorker({ ...workerEnv, LIVEDRAW_NODE_ID: id })));
    hostToken = await h.hostToken();
  });
  afterAll(() => h.cleanup());

  it("creates the campaign through the host API and publishes its rules", async () => {
    const bad = await http<{ error: { code: string; message: string } }>(`${nodes[0]!.url}/v1/campaigns`, {
      token: hostToken,
      body: liveCampaign(campaignId, { tiers: [{ tierId: "gold", name: "Gold", probability: 0.6, inventory: 1, value: 500 }] }),
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe("E_POLICY_VIOLATION");
    expect(bad.body.error.message).toContain("tier gold");

    const created = await http<PublishedRules>(`${nodes[0]!.url}/v1/campaigns`, {
      token: hostToken,
      body: liveCampaign(campaignId, { tiers: TIERS, limits: LIMITS, freeSpins: 5 }),
    });
    expect(created.status).toBe(201);
    const rules = await http<PublishedRules>(`${nodes[1]!.url}/v1/campaigns/${campaignId}/rules`);
    expect(rules.body.tiers.map((t) => [t.tierId, t.probability, t.remaining])).toEqual([
      ["gold", 0.2, 25],
      ["silver", 0.3, 120],
    ]);
    expect(rules.body.noPrizeProbability).toBeCloseTo(0.5, 12);
  });

  it("resolves every acknowledged spin exactly once, never oversells, and holds caps", async () => {
    const players = await Promise.all(Array.from({ length: PLAYERS }, (_, i) => h.player(nodes[i % 2]!.url, `sp${i}`)));
    const whale = await Promise.all(Array.from({ length: WHALE_SOCKETS }, (_, i) => h.player(nodes[i % 2]!.url, "whale")));

    // Kill the worker whose resolver loop holds the campaign, with SIGKILL, as soon as results start
    // flowing: batches are in progress. The other one must take the campaign over.
    let killed = false;
    let victim = -1;
    const killOnFirstResult = () => {
      if (killed) return;
      killed = true;
      void redis.get(campaignKeys(campaignId).resolverLease).then((holder) => {
        victim = Math.max(0, WORKER_IDS.indexOf(holder ?? ""));
        workers[victim]!.child.kill("SIGKILL");
      });
    };
    players[0]!.on("spin:result", killOnFirstResult);
    players[1]!.on("spin:result", killOnFirstResult);

    const results: SpinResult[] = [];
    const errors: string[] = [];
    const spin = (c: LiveDrawClient, key?: string) =>
      c.spin(campaignId, { ...(key ? { idempotencyKey: key } : {}), timeoutMs: 30_000 }).then(
        (r) => {
          results.push(r);
          return r;
        },
        (err: unknown) => {
          errors.push(err instanceof LiveDrawError ? err.code : String(err));
          return null;
        },
      );

    // 500 players × 3 spins, all at once; every player also retries its first spin with the same key.
    const first = await Promise.all(players.map((c, i) => spin(c, `first-spin-${i}`)));
    const rest = Promise.all(players.flatMap((c) => Array.from({ length: SPINS_EACH - 1 }, () => spin(c))));
    const retries = Promise.all(players.map((c, i) => c.spin(campaignId, { idempotencyKey: `first-spin-${i}` })));
    // The whale: 20 sockets, 2 spins each, all at once (more than its caps and its rate limit allow).
    const whaleSpins = Promise.all(whale.flatMap((c) => [spin(c), spin(c)]));
    const [, retried] = await Promise.all([rest, retries, whaleSpins]);
    expect(killed).toBe(true);
    expect(victim).toBeGreaterThanOrEqual(0);
    expect(await workers[victim]!.exited).toBeNull(); // it really died by signal
    // The survivor's resolver loop holds the campaign now (its lease round follows the dead lease's expiry).
    const survivor = WORKER_IDS[1 - victim]!;
    const deadline = Date.now() + 10_000;
    while ((await redis.get(campaignKeys(campaignId).resolverLease)) !== survivor && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await redis.get(campaignKeys(campaignId).resolverLease)).toBe(survivor);

    // Retries with the same idempotency key are the same intent and the same result.
    retried.forEach((r, i) => expect(r).toEqual(first[i]));
    // Only the whale can be rate limited (10 spins/s per player per node); nobody else errs.
    expect(errors.every((e) => e === "E_RATE_LIMITED")).toBe(true);
    expect(results.filter((r) => r.outcome === "rejected" && !r.reason?.startsWith("E_"))).toEqual([]);

    // Exactly once: every result a client received is stored once, the ledger has one entry per intent,
    // and every intent in the stream was resolved (nothing pending).
    const k = campaignKeys(campaignId);
    const intentIds = new Set(results.map((r) => r.intentId));
    expect(intentIds.size).toBe(results.length);
    const ledger = await redis.xrange(k.ledger, "-", "+");
    const perIntent = new Map<string, number>();
    for (const [, fields] of ledger) {
      if (fields[1] !== "spin") continue;
      const intent = fields[3]!;
      perIntent.set(intent, (perIntent.get(intent) ?? 0) + 1);
    }
    expect([...perIntent.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(perIntent.keys())).toEqual(intentIds);
    expect(await redis.hlen(k.results)).toBe(intentIds.size);
    const stats = (await http<CampaignStats>(`${nodes[1]!.url}/v1/campaigns/${campaignId}/stats`, { token: hostToken })).body;
    expect(stats.pending).toBe(0);
    expect(stats.resolved).toBe(intentIds.size);

    // Never oversold, and the accounting is exact: stocked = issued + remaining = initial inventory,
    // and issued equals the wins players were told about.
    for (const tier of TIERS) {
      const t = stats.tiers.find((x) => x.tierId === tier.tierId)!;
      const wins = results.filter((r) => r.outcome === "won" && r.tierId === tier.tierId).length;
      expect(t.issued).toBe(wins);
      expect(t.issued).toBeLessThanOrEqual(tier.inventory);
      expect(t.stocked).toBe(tier.inventory);
      expect(t.issued + t.remaining).toBe(t.stocked);
    }
    // With 1500+ spins at a 20% gold chance, gold sold out; spins landing in its slot were told so.
    expect(stats.tiers.find((x) => x.tierId === "gold")!.remaining).toBe(0);
    expect(results.some((r) => r.reason === "sold_out")).toBe(true);

    // Per-player caps hold, including for the player on 20 parallel sockets.
    const whaleResults = await whale[0]!.spinHistory(campaignId, 100);
    const counted = whaleResults.filter((r) => r.outcome !== "rejected");
    expect(counted.length).toBeLessThanOrEqual(LIMITS.spinsPerCampaign);
    expect(whaleResults.filter((r) => r.outcome === "won").length).toBeLessThanOrEqual(LIMITS.winsPerCampaign);
    const byPlayer = await redis.hgetall(k.players);
    for (const [field, value] of Object.entries(byPlayer)) {
      if (field.endsWith(":used")) expect(Number(value)).toBeLessThanOrEqual(LIMITS.spinsPerCampaign);
      if (field.endsWith(":wins")) expect(Number(value)).toBeLessThanOrEqual(LIMITS.winsPerCampaign);
    }
    expect(Number(byPlayer[`${pseudonym("whale")}:used`])).toBe(counted.length);
  });
});
