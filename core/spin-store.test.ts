/** Instant-win campaigns on a real private redis-server: policy, stock, caps, exactly-once, odds. */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureRedis, type RunningRedis } from "../scripts/redis-server.js";
import { uniqueId } from "../test/harness.js";
import { liveCampaign } from "../test/fixtures.js";
import { PPM } from "./campaign.js";
import { campaignKeys } from "./redis-keys.js";
import { createRedis } from "./redis.js";
import { SpinStore } from "./spin-store.js";
import { TicketLedger } from "./ticket-ledger.js";

const HOUR = 3_600_000;
const POLICY = { minTierProbability: 0.01, maxTierProbability: 0.5, maxTotalProbability: 1, prizeValueCapYuan: 50_000, requirePrizeTerms: false, defaultPlatform: "web" as const, defaultInviteTickets: 1 };

describe("SpinStore (Lua on real Redis)", () => {
  let server: RunningRedis;
  let redis: Redis;
  let store: SpinStore;
  let tickets: TicketLedger;

  beforeAll(async () => {
    server = await ensureRedis({ name: uniqueId("unit-redis"), removeDataOnStop: true });
    redis = createRedis(server.url, { name: "unit" });
    store = new SpinStore(redis);
    tickets = new TicketLedger(redis);
  });
  afterAll(async () => {
    await redis.quit();
    await server.stop();
  });

  /** Resolves everything pending, feeding the given random numbers in order (then crypto). */
  async function drain(campaignId: string, randoms: number[] = []) {
    const out = [];
    for (;;) {
      const { read, results } = await store.resolveBatch(campaignId, 100, 100, randoms.length ? () => randoms.shift() ?? 0 : undefined);
      out.push(...results);
      if (read < 100) return out;
    }
  }

  it("refuses a configuration outside the compliance policy, naming the tier", async () => {
    const c = uniqueId("c");
    const bad = liveCampaign(c, { tiers: [{ tierId: "jackpot", name: "Jackpot", probability: 0.005, inventory: 1 }] });
    await expect(store.save("create", bad, POLICY)).rejects.toMatchObject({ code: "E_POLICY_VIOLATION", message: expect.stringContaining("tier jackpot") });
    const tooMuch = liveCampaign(c, {
      tiers: [
        { tierId: "a", name: "A", probability: 0.5, inventory: 1 },
        { tierId: "b", name: "B", probability: 0.5, inventory: 1 },
        { tierId: "c", name: "C", probability: 0.2, inventory: 1 },
      ],
    });
    await expect(store.save("create", tooMuch, POLICY)).rejects.toMatchObject({ code: "E_POLICY_VIOLATION", message: expect.stringContaining("total probability 1.2") });
    await expect(store.save("create", { ...liveCampaign(c), tiers: [] }, POLICY)).rejects.toMatchObject({ code: "E_BAD_REQUEST" });
    expect(await redis.exists(campaignKeys(c).config)).toBe(0); // nothing stored
  });

  it("publishes exact odds and stock, and locks a live campaign against replacement", async () => {
    const c = uniqueId("c");
    await store.save("create", liveCampaign(c), POLICY);
    await expect(store.save("create", liveCampaign(c), POLICY)).rejects.toMatchObject({ code: "E_CAMPAIGN_EXISTS" });
    await expect(store.save("replace", liveCampaign(c), POLICY)).rejects.toMatchObject({ code: "E_CAMPAIGN_LOCKED" });
    const rules = await store.rules(c, Date.now());
    expect(rules.phase).toBe("live");
    expect(rules.tiers).toEqual([
      { tierId: "gold", name: "Gold", probability: 0.01, probabilityPpm: 10_000, remaining: 5, soldOut: false, value: 500, prizeKind: "onsite" },
      { tierId: "silver", name: "Silver", probability: 0.1, probabilityPpm: 100_000, remaining: 100, soldOut: false, value: 20, prizeKind: "onsite" },
    ]);
    expect(rules.noPrizeProbability).toBeCloseTo(0.89, 12);
    expect(rules.soldOutPolicy).toMatch(/sold out.*wins nothing/i);
    expect(await store.addInventory(c, "gold", 3)).toBe(8);
    // A retried request with the same idempotency key is applied once and answered the same.
    expect(await store.addInventory(c, "gold", 10, "restock-0001")).toBe(18);
    expect(await store.addInventory(c, "gold", 10, "restock-0001")).toBe(18);
    expect(await tickets.grant(c, "p9", 2, "host-1", "grant-p9-0001")).toBe(2);
    expect(await tickets.grant(c, "p9", 2, "host-1", "grant-p9-0001")).toBe(2);
    expect((await store.stats(c)).tiers.find((t) => t.tierId === "gold")).toMatchObject({ stocked: 18, remaining: 18 });
    await expect(store.addInventory(c, "bronze", 3)).rejects.toMatchObject({ code: "E_TIER_NOT_FOUND" });
  });

  it("lets a campaign be replaced before it goes live", async () => {
    const c = uniqueId("c");
    const future = liveCampaign(c);
    future.schedule = { warmupAt: Date.now() + HOUR, liveAt: Date.now() + 2 * HOUR, longTailAt: Date.now() + 3 * HOUR, closedAt: Date.now() + 4 * HOUR };
    await store.save("create", future, POLICY);
    await store.save("replace", { ...future, title: "Renamed" }, POLICY);
    expect((await store.rules(c, Date.now())).title).toBe("Renamed");
    expect((await store.rules(c, Date.now())).phase).toBe("scheduled");
  });

  it("sold-out behaviour matches what is published: the tier's slot wins nothing, other odds unchanged", async () => {
    const c = uniqueId("c");
    await store.save("create", liveCampaign(c, {
      tiers: [
        { tierId: "gold", name: "Gold", probability: 0.5, inventory: 2 },
        { tierId: "silver", name: "Silver", probability: 0.3, inventory: 1000 },
      ],
    }), POLICY);
    // r < 500000 lands in gold's slot, 500000 ≤ r < 800000 in silver's, r ≥ 800000 is no prize.
    const randoms = [0, 499_999, 1, 250_000, 500_000, 799_999, 800_000, 999_999];
    for (let i = 0; i < randoms.length; i++) await store.append(c, "p1", `key-${i}-abcdef`, 1000);
    const results = (await drain(c, [...randoms])).map((r) => r.result);
    expect(results.map((r) => [r.outcome, r.tierId, r.reason])).toEqual([
      ["won", "gold", null],
      ["won", "gold", null],
      ["lost", null, "sold_out"], // gold is sold out: its slot is now "no prize"...
      ["lost", null, "sold_out"],
      ["won", "silver", null], // ...and silver keeps exactly its own slot
      ["won", "silver", null],
      ["lost", null, null],
      ["lost", null, null],
    ]);
    const rules = await store.rules(c, Date.now());
    expect(rules.tiers[0]).toMatchObject({ tierId: "gold", remaining: 0, soldOut: true, probability: 0.5 });
    const stats = await store.stats(c);
    for (const t of stats.tiers) expect(t.stocked).toBe(t.issued + t.remaining);
    expect(stats.tiers[0]).toMatchObject({ issued: 2, remaining: 0 });
  });

  it("resolves each intent exactly once, keeps idempotency keys, and enforces spins left, caps and tickets", async () => {
    const c = uniqueId("c");
    await store.save("create", liveCampaign(c, { freeSpins: 2, limits: { spinsPerDay: 3, spinsPerCampaign: 10, winsPerCampaign: 1 } }), POLICY);
    const a = await store.append(c, "p1", "key-one-abcdef", 1000);
    const again = await store.append(c, "p1", "key-one-abcdef", 1000);
    expect(again).toEqual({ intentId: a.intentId, duplicate: true });
    await store.append(c, "p1", "key-two-abcdef", 1000);
    await store.append(c, "p1", "key-three-abcd", 1000); // beyond 2 free spins
    const first = await drain(c, [0, 0, 0]); // every spin lands in gold's slot
    expect(first.map((r) => [r.result.outcome, r.result.reason])).toEqual([
      ["won", null],
      ["lost", "win_cap"], // winsPerCampaign = 1
      ["rejected", "E_NO_SPINS_LEFT"],
    ]);
    expect(first.map((r) => r.result.spinsLeft)).toEqual([1, 0, 0]);
    expect(await drain(c)).toEqual([]); // nothing resolves twice
    expect(await tickets.grant(c, "p1", 5, "host-1")).toBe(5);
    for (let i = 0; i < 3; i++) await store.append(c, "p1", `key-more-${i}-abc`, 1000);
    const more = await drain(c, [999_999, 999_999, 999_999]);
    expect(more.map((r) => [r.result.outcome, r.result.reason])).toEqual([
      ["lost", null],
      ["rejected", "E_DAILY_LIMIT"], // spinsPerDay = 3 (two used before)
      ["rejected", "E_DAILY_LIMIT"],
    ]);
    const history = await store.history(c, "p1", 10);
    expect(history).toHaveLength(6);
    expect(history[0]!.idempotencyKey).toBe("key-more-2-abc");
    expect(await store.resultFor(c, "p1", a.intentId)).toMatchObject({ outcome: "won" });
    expect(await store.resultFor(c, "someone-else", a.intentId)).toBeNull();
    expect(await redis.xlen(campaignKeys(c).spins)).toBe(0); // trimmed behind the cursor
  });

  it("sheds load with E_BUSY when too many intents are unresolved", async () => {
    const c = uniqueId("c");
    await store.save("create", liveCampaign(c), POLICY);
    await store.append(c, "p1", "key-busy-0-abc", 2);
    await store.append(c, "p1", "key-busy-1-abc", 2);
    await expect(store.append(c, "p1", "key-busy-2-abc", 2)).rejects.toMatchObject({ code: "E_BUSY" });
  });

  it("applies the published probabilities: 100,000 resolutions pass a chi-square test (p > 0.001)", async () => {
    const c = uniqueId("c");
    const tiers = [
      { tierId: "t1", name: "T1", probability: 0.01, inventory: 1_000_000 },
      { tierId: "t2", name: "T2", probability: 0.04, inventory: 1_000_000 },
      { tierId: "t3", name: "T3", probability: 0.15, inventory: 1_000_000 },
      { tierId: "t4", name: "T4", probability: 0.3, inventory: 1_000_000 },
    ];
    const N = 100_000;
    const players = 500;
    await store.save("create", liveCampaign(c, { tiers, freeSpins: N, limits: { spinsPerDay: N, spinsPerCampaign: N, winsPerCampaign: N } }), POLICY);
    const appends = [];
    for (let i = 0; i < N; i++) appends.push(store.append(c, `p${i % players}`, `stat-${i}-abcdef`, N + 1));
    await Promise.all(appends);
    const counts = new Map<string, number>();
    for (;;) {
      const { read, results } = await store.resolveBatch(c, 2000, 10);
      for (const { result } of results) counts.set(result.tierId ?? "none", (counts.get(result.tierId ?? "none") ?? 0) + 1);
      if (read < 2000) break;
    }
    const expected = new Map([...tiers.map((t) => [t.tierId, t.probability] as const), ["none", 1 - tiers.reduce((s, t) => s + t.probability, 0)]]);
    let chi2 = 0;
    let total = 0;
    for (const [tier, p] of expected) {
      const observed = counts.get(tier) ?? 0;
      total += observed;
      chi2 += (observed - N * p) ** 2 / (N * p);
    }
    expect(total).toBe(N);
    // 4 degrees of freedom: P(χ² > 18.467) = 0.001.
    expect(chi2).toBeLessThan(18.467);
    expect(PPM).toBe(1_000_000);
  });
});
