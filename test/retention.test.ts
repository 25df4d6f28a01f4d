/**
 * Retention of campaign keys (core/retention.ts) with a real node, a real worker (its
 * `retention.sweep` job every second) and a real Redis:
 * - an instant-win campaign whose `closedAt` passes, and a live-draw campaign whose draw is done,
 *   get an expiry on **every** key: the campaign's retention after the close (30 days), the audit
 *   log with its index and draw ids the audit retention (365 days), a done draw's own keys their
 *   shorter draw retention (7 days, never extended);
 * - a live instant-win campaign and a campaign with an open draw get none;
 * - sweeping again changes nothing (idempotent); a closed campaign that opens a new draw loses the
 *   expiries the sweep set, and keeps the shorter ones of its own keys.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveDrawClient } from "@livedraw/client-sdk";
import { campaignKeys, drawKeys } from "../core/redis-keys.js";
import { retentionPolicy, sweepRetention } from "../core/retention.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, collect, http, uniqueId, type NodeProcess } from "./harness.js";

const DAY = 86_400_000;
const CAMPAIGN_MS = 30 * DAY;
const AUDIT_MS = 365 * DAY;
const DRAW_MS = 7 * DAY;
const AUDIT_GROUP = new Set(["audit", "audit-index", "draws", "retention"]);

/** Keys that expire on their own within seconds and keep their short TTL: source counts, spin rate limits, the resolver lease. */
const selfExpiring = (rest: string) => rest.startsWith("src:") || rest.startsWith("rl:") || rest === "spins:resolver" || rest === "online";

describe("campaign retention", () => {
  const h = new Harness();
  let node: NodeProcess;
  let redis: Redis;
  let host: string;

  /** Every key of a campaign with its absolute expiry (ms; -1 without one) and its suffix. */
  async function keysOf(campaignId: string): Promise<{ key: string; rest: string; expireAt: number; ttl: number }[]> {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", `ld:{campaign:${campaignId}}:*`, "COUNT", 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== "0");
    const rows = await Promise.all([...new Set(keys)].map(async (key) => ({ key, rest: key.slice(`ld:{campaign:${campaignId}}:`.length), expireAt: Number(await redis.call("PEXPIRETIME", key)), ttl: await redis.pttl(key) })));
    return rows.sort((a, b) => a.key.localeCompare(b.key));
  }

  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function drawDone(client: LiveDrawClient, campaignId: string, body: Record<string, unknown>): Promise<string> {
    await client.subscribe(campaignId);
    const done = collect<unknown>(`draw:done of ${campaignId}`, 1, 20_000);
    const off = client.on("draw:done", (d) => (d.campaignId === campaignId ? done.add(d) : undefined));
    const opened = await http<{ drawId: string }>(`${node.url}/v1/campaigns/${campaignId}/draws`, { token: host, body });
    expect(opened.status).toBe(201);
    await client.enter(campaignId, opened.body.drawId);
    await done.done;
    off();
    return opened.body.drawId;
  }

  beforeAll(async () => {
    await h.startRedis();
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
    [node] = await Promise.all([h.startNode(), h.startWorker({ LIVEDRAW_RETENTION_SWEEP_MS: "1000" })]);
    host = await h.hostToken();
  });
  afterAll(() => h.cleanup());

  it("expires every key of closed campaigns, none of live ones, idempotently, and restores a campaign live again", async () => {
    const closing = uniqueId("closing");
    const live = uniqueId("live");
    const drawn = uniqueId("drawn");
    const open = uniqueId("open");
    const now = Date.now();
    const closedAt = now + 4000;
    const closingInput = liveCampaign(closing, { schedule: { warmupAt: now - 7200_000, liveAt: now - 3600_000, longTailAt: closedAt, closedAt } });
    expect((await http(`${node.url}/v1/campaigns`, { token: host, body: closingInput })).status).toBe(201);
    expect((await http(`${node.url}/v1/campaigns`, { token: host, body: liveCampaign(live) })).status).toBe(201);

    const playerId = uniqueId("p");
    const player = await h.player(node.url, playerId, "Ada");
    for (const c of [closing, closing, live]) await player.spin(c); // results, history, ledger, counters
    for (const c of [closing, live]) {
      await player.subscribe(c); // names
      expect((await http(`${node.url}/v1/campaigns/${c}/points`, { token: host, body: { playerId, points: 5 } })).status).toBe(200); // leaderboards
    }
    const drawId = await drawDone(player, drawn, { durationMs: 1000, winners: 1, autoReveal: true });
    const opened = await http<{ drawId: string }>(`${node.url}/v1/campaigns/${open}/draws`, { token: host, body: { durationMs: 60_000, winners: 1 } });
    expect(opened.status).toBe(201);
    await player.enter(open, opened.body.drawId);

    // The worker's sweep (every second) gives the closed campaigns their expiries once closedAt passes.
    await until("expiries on the closed campaigns", async () => {
      const rows = [...(await keysOf(closing)), ...(await keysOf(drawn))];
      return rows.every((r) => r.ttl > 0) && rows.some((r) => r.rest === "config");
    });

    const closingKeys = await keysOf(closing);
    expect(closingKeys.map((r) => r.rest)).toEqual(expect.arrayContaining(["config", "inventory", "players", "spins:results", "spins:idem", "ledger", "audit", "names", "retention"]));
    expect(closingKeys.some((r) => r.rest.startsWith("history:")), "a player's history list").toBe(true);
    expect(closingKeys.some((r) => r.rest.startsWith("lb:")), "a leaderboard").toBe(true);
    for (const r of closingKeys) {
      // closedAt has passed, so every TTL is at most the retention itself.
      const wanted = closedAt + (AUDIT_GROUP.has(r.rest) ? AUDIT_MS : CAMPAIGN_MS);
      expect(r.ttl, r.key).toBeGreaterThan(0);
      expect(r.ttl, r.key).toBeLessThanOrEqual(AUDIT_GROUP.has(r.rest) ? AUDIT_MS : CAMPAIGN_MS);
      if (!selfExpiring(r.rest)) expect(Math.abs(r.expireAt - wanted), r.key).toBeLessThan(1500); // closedAt = the schedule's
    }

    const drawnKeys = await keysOf(drawn);
    // The draw's own keys (its claims hash exists only for a draw with a claim window).
    const { claims: _claims, ...always } = drawKeys(drawn, drawId);
    const own = new Set(Object.values(always).map((k) => k.slice(`ld:{campaign:${drawn}}:`.length)));
    expect(drawnKeys.map((r) => r.rest)).toEqual(expect.arrayContaining(["draws", "audit", "audit-index", "event-seq", "retention", ...own]));
    for (const r of drawnKeys) {
      expect(r.ttl, r.key).toBeGreaterThan(0);
      const bound = own.has(r.rest) || r.rest.startsWith("proof:") ? DRAW_MS : AUDIT_GROUP.has(r.rest) ? AUDIT_MS : CAMPAIGN_MS;
      expect(r.ttl, r.key).toBeLessThanOrEqual(bound);
      if (AUDIT_GROUP.has(r.rest)) expect(r.ttl, r.key).toBeGreaterThan(CAMPAIGN_MS); // the audit log outlives the rest
    }

    // Live campaigns: no key has an expiry the sweep set.
    for (const c of [live, open]) {
      const rows = await keysOf(c);
      expect(rows.length, c).toBeGreaterThan(2);
      for (const r of rows) if (!selfExpiring(r.rest)) expect(r.ttl, r.key).toBe(-1);
    }

    // Idempotent: sweeping again sets nothing new and moves no expiry.
    const policy = retentionPolicy({ campaignRetentionDays: 30, auditRetentionDays: 365 });
    const redisNow = async () => {
      const [sec, usec] = await redis.time();
      return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
    };
    const again = await sweepRetention(redis, policy, await redisNow());
    expect(again.keysExpired).toBe(0);
    expect(again.closed).toBeGreaterThanOrEqual(2);
    // (The resolver lease is the worker's, renewed while the campaign's spins were recent: not the sweep's.)
    expect(await keysOf(closing)).toEqual(closingKeys.map((r) => ({ ...r, ttl: expect.any(Number), ...(selfExpiring(r.rest) ? { expireAt: expect.any(Number) } : {}) })));

    // Live again: a new draw in the drawn campaign. The sweep removes its expiries but the draw's own.
    const reopened = await http<{ drawId: string }>(`${node.url}/v1/campaigns/${drawn}/draws`, { token: host, body: { durationMs: 60_000, winners: 1 } });
    expect(reopened.status).toBe(201);
    const restored = await sweepRetention(redis, policy, await redisNow());
    expect(restored.live).toBeGreaterThanOrEqual(3); // live, open, drawn again (the worker may have restored its keys first)
    for (const r of await keysOf(drawn)) {
      if (own.has(r.rest) || r.rest.startsWith("proof:") || selfExpiring(r.rest)) expect(r.ttl, r.key).toBeGreaterThan(0);
      else expect(r.ttl, r.key).toBe(-1);
    }
    expect(await redis.exists(campaignKeys(drawn).retention)).toBe(0);
  });
});
