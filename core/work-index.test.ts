/**
 * The work index (core/work-index.ts, core/lua/indexWork-7.lua) on a real private redis-server: it
 * names exactly the campaigns with work, a spin is never left out of it, and the safety net finds
 * work whose entry was lost.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureRedis, type RunningRedis } from "../scripts/redis-server.js";
import { uniqueId } from "../test/harness.js";
import { liveCampaign } from "../test/fixtures.js";
import { campaignKeys, workIndexKeys } from "./redis-keys.js";
import { createRedis } from "./redis.js";
import { SpinStore } from "./spin-store.js";
import { SPIN_WORK_LINGER_MS, indexWork, issueDueCampaigns, reindex, spinWorkCampaigns, wokenCampaigns } from "./work-index.js";

const POLICY = { minTierProbability: 0.01, maxTierProbability: 1, maxTotalProbability: 1, prizeValueCapYuan: 50_000, requirePrizeTerms: false, defaultPlatform: "web" as const, defaultInviteTickets: 1 };
const HOUR = 3_600_000;

describe("work index", () => {
  let server: RunningRedis;
  let redis: Redis;
  let store: SpinStore;

  beforeAll(async () => {
    server = await ensureRedis({ name: uniqueId("unit-redis"), removeDataOnStop: true });
    redis = createRedis(server.url, { name: "unit" });
    store = new SpinStore(redis);
  });
  afterAll(async () => {
    await redis.quit();
    await server.stop();
  });

  const redisNow = async () => {
    const [s, us] = await redis.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  };
  const spinScore = (c: string) => redis.zscore(workIndexKeys(c).spins, c);
  const wakes = async () => wokenCampaigns(await redis.xrange(workIndexKeys("x").wake, "-", "+"));
  async function create(c: string, probability: number) {
    await store.save("create", liveCampaign(c, { tiers: [{ tierId: "p", name: "P", probability, inventory: 100, value: 1 }] }), POLICY);
  }

  it("a stored spin is indexed in the same step; an emptied stream lingers, then leaves without losing a later spin", async () => {
    const c = uniqueId("c");
    await create(c, 0.01);
    expect(await spinScore(c)).toBeNull(); // created, no work: not indexed
    await store.append(c, "p1", "key-1", 100);
    expect(await spinScore(c)).toBe("inf");
    expect((await wakes()).filter((x) => x === c)).toHaveLength(1); // announced once
    await store.append(c, "p2", "key-2", 100);
    expect((await wakes()).filter((x) => x === c)).toHaveLength(1); // already active: not again
    expect(await spinWorkCampaigns(redis, await redisNow())).toContain(c);

    await store.resolveBatch(c, 100, 10);
    const lingerUntil = Number(await spinScore(c));
    expect(lingerUntil).toBeGreaterThan(await redisNow());
    expect(lingerUntil).toBeLessThanOrEqual((await redisNow()) + SPIN_WORK_LINGER_MS);
    // Still read while it lingers; dropped once its time (and the clock grace) has passed.
    expect(await spinWorkCampaigns(redis, await redisNow())).toContain(c);
    expect(await spinWorkCampaigns(redis, lingerUntil + 10_000)).not.toContain(c);
    expect(await spinScore(c)).toBeNull();

    // A spin after it left: indexed again and announced again.
    await store.append(c, "p3", "key-3", 100);
    expect(await spinScore(c)).toBe("inf");
    expect((await wakes()).filter((x) => x === c)).toHaveLength(2);
    // Pruning "expired" members never drops a campaign with unresolved spins (its score is +inf).
    expect(await spinWorkCampaigns(redis, (await redisNow()) + 365 * 24 * HOUR)).toContain(c);
  });

  it("the issue index holds each campaign at its next due time: the win to issue, then the claim deadline", async () => {
    const c = uniqueId("c");
    await create(c, 1); // every spin wins an onsite prize
    await store.append(c, "p1", "key-1", 100);
    expect(await issueDueCampaigns(redis, await redisNow())).not.toContain(c);
    const { results } = await store.resolveBatch(c, 100, 10);
    expect(results[0]!.result.outcome).toBe("won");
    const wonAt = results[0]!.result.resolvedAt;
    expect(Number(await redis.zscore(workIndexKeys(c).issue, c))).toBe(wonAt);
    expect(await issueDueCampaigns(redis, await redisNow())).toContain(c);

    // Issued: the next thing due is the claim deadline (72 h), not now.
    const k = campaignKeys(c);
    await redis.zrem(k.issuePending, results[0]!.result.intentId);
    await redis.zrem(k.issueDue, results[0]!.result.intentId);
    expect((await indexWork(redis, c, "i")).issueAt).toBe(wonAt + 72 * HOUR);
    expect(await issueDueCampaigns(redis, await redisNow())).not.toContain(c);
    expect(await issueDueCampaigns(redis, wonAt + 72 * HOUR)).toContain(c);
    // Nothing left: removed.
    await redis.del(k.winsExpiry);
    expect((await indexWork(redis, c, "i")).issueAt).toBeNull();
    expect(await redis.zscore(workIndexKeys(c).issue, c)).toBeNull();
  });

  it("the safety net re-derives lost entries: spins and wins whose index entry was deleted are found", async () => {
    const c = uniqueId("c");
    await create(c, 0.01);
    await store.append(c, "p1", "key-1", 100);
    // An entry lost (a node of an earlier version stored the spin, or a hand-made change).
    await redis.zrem(workIndexKeys(c).spins, c);
    const other = uniqueId("idle");
    await create(other, 0.01);
    const states = await reindex(redis, [c, other]);
    expect(states.get(c)).toEqual({ spins: true, announced: true, issueAt: null });
    expect(states.get(other)).toEqual({ spins: false, announced: false, issueAt: null });
    expect(await spinScore(c)).toBe("inf");
    expect(await spinScore(other)).toBeNull();
  });
});
