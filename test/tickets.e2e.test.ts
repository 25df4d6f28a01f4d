/**
 * The ticket ledger and the compliance rules across real processes (2 socket nodes, 1 worker, real
 * SDK clients): refusals name their rule over HTTP and store nothing; check-in streaks, the share cap
 * and invites earn what the campaign publishes (no tickets on WeChat); and 1,000 parallel grants and
 * spins on one player's tickets leave the exact balance, with every ledger entry ≥ 0 and the ledger
 * adding up to the balance.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveDrawError } from "@livedraw/client-sdk";
import type { PublishedRules, SpinResult } from "@livedraw/protocol";
import { campaignKeys } from "../core/redis-keys.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, http, pseudonym, uniqueId, type NodeProcess } from "./harness.js";

type ErrorBody = { error: { code: string; message: string } };

interface LedgerRow {
  id: string;
  player: string;
  delta: number;
  reason: string;
  ref: string;
  balance: number;
}

describe("tickets and compliance: 2 nodes, 1 worker", () => {
  const h = new Harness();
  let nodes: NodeProcess[];
  let redis: Redis;
  let hostToken: string;

  async function ledger(campaignId: string): Promise<LedgerRow[]> {
    const raw = await redis.xrange(campaignKeys(campaignId).ticketLedger, "-", "+");
    return raw.map(([id, flat]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
      return { id, player: f.player!, delta: Number(f.delta), reason: f.reason!, ref: f.ref!, balance: Number(f.balance) };
    });
  }

  const create = (body: unknown) => http<PublishedRules & ErrorBody>(`${nodes[0]!.url}/v1/campaigns`, { token: hostToken, body });

  beforeAll(async () => {
    await h.startRedis();
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
    // One player sends 500 spins here: the per-player and per-socket rates must not refuse them, and
    // the shedder stays off (this test counts every spin).
    const env = {
      LIVEDRAW_SPINS_PER_SECOND_PER_PLAYER: "10000",
      LIVEDRAW_SOCKET_MESSAGES_PER_SECOND: "10000",
      LIVEDRAW_INTENTS_PER_SECOND_PER_DEVICE: "0",
      LIVEDRAW_HTTP_REQUESTS_PER_SECOND_PER_IP: "100000",
      LIVEDRAW_SPIN_SHED_LAG_MS: "0",
    };
    nodes = await Promise.all([h.startNode(env), h.startNode(env)]);
    await h.startWorker(env);
    hostToken = await h.hostToken();
  });
  afterAll(() => h.cleanup());

  it("refuses a top prize over the ¥50,000 cap and tickets for shares on WeChat, naming the rule; nothing is stored", async () => {
    const car = uniqueId("car");
    const overCap = await create(liveCampaign(car, { tiers: [{ tierId: "car", name: "A car", probability: 0.01, inventory: 1, value: 120_000 }] }));
    expect(overCap.status).toBe(422);
    expect(overCap.body.error).toEqual({ code: "E_POLICY_VIOLATION", message: 'rule prize-value-cap: tier car ("A car"): value ¥120,000 exceeds the cap of ¥50,000 per prize' });
    expect((await http<ErrorBody>(`${nodes[1]!.url}/v1/campaigns/${car}/rules`)).body.error.code).toBe("E_CAMPAIGN_NOT_FOUND");

    const shares = uniqueId("wx");
    const forShares = await create(liveCampaign(shares, { platform: "wechat", tasks: { share: { tickets: 1 } } }));
    expect(forShares.status).toBe(422);
    expect(forShares.body.error.code).toBe("E_POLICY_VIOLATION");
    expect(forShares.body.error.message).toMatch(/^rule wechat-no-tickets-for-sharing: tasks\.share\.tickets is 1/);
    const forInvites = await create(liveCampaign(shares, { platform: "wechat", tasks: { invite: { tickets: 1 } } }));
    expect(forInvites.body.error.message).toMatch(/^rule wechat-no-tickets-for-sharing: tasks\.invite\.tickets is 1/);
    expect((await http<ErrorBody>(`${nodes[1]!.url}/v1/campaigns/${shares}/rules`)).body.error.code).toBe("E_CAMPAIGN_NOT_FOUND");

    const { claim: _claim, ...noClaim } = liveCampaign(uniqueId("noclaim"));
    const unpublished = await create(noClaim);
    expect(unpublished.status).toBe(422);
    expect(unpublished.body.error.message).toBe("rule prize-terms-published: claim: give the claim conditions (windowHours, conditions)");

    // The same campaign with points for shares is fine, and publishes its prize terms and tasks.
    const ok = await create(liveCampaign(shares, { platform: "wechat", tasks: { share: { points: 2 } } }));
    expect(ok.status).toBe(201);
    expect(ok.body.platform).toBe("wechat");
    expect(ok.body.claim).toEqual({ windowHours: 72, conditions: "Show the redemption code at the prize desk within 72 hours." });
    expect(ok.body.tiers.map((t) => [t.tierId, t.value, t.prizeKind])).toEqual([["gold", 500, "onsite"], ["silver", 20, "onsite"]]);
    expect(ok.body.tasks).toEqual({ checkin: { tickets: 1, streakBonus: null }, share: { tickets: 0, points: 2, perDay: 3 }, invite: { tickets: 0 } });
  });

  it("check-ins earn tickets with streak bonuses once a day; shares are capped per day; WeChat shares and invites earn points only", async () => {
    const web = uniqueId("tasks");
    expect((await create(liveCampaign(web, { tasks: { checkin: { tickets: 1, streakBonus: { everyDays: 7, tickets: 5 } }, share: { tickets: 2, points: 1, perDay: 2 }, invite: { tickets: 3 } } }))).status).toBe(201);
    const anna = await h.player(nodes[0]!.url, "anna");
    const first = await anna.checkIn(web);
    expect(first).toMatchObject({ campaignId: web, streak: 1, ticketsEarned: 1, balance: 1 });
    await expect(anna.checkIn(web)).rejects.toMatchObject({ code: "E_ALREADY_CHECKED_IN" });

    // Bo checked in for the six days before today (set as the script would have left it): today is day 7.
    const bo = await h.player(nodes[1]!.url, "bo");
    await redis.hset(campaignKeys(web).players, `${pseudonym("bo")}:checkin`, first.day - 1, `${pseudonym("bo")}:streak`, 6);
    expect(await bo.checkIn(web)).toMatchObject({ day: first.day, streak: 7, ticketsEarned: 6, balance: 6 });
    // A gap of a day starts a new streak.
    await redis.hset(campaignKeys(web).players, `${pseudonym("anna")}:checkin`, first.day - 2);
    expect(await anna.checkIn(web)).toMatchObject({ streak: 1, ticketsEarned: 1, balance: 2 });

    expect(await anna.share(web)).toMatchObject({ tickets: 2, points: 1, balance: 4, sharesToday: 1, perDay: 2 });
    expect(await anna.share(web)).toMatchObject({ tickets: 2, balance: 6, sharesToday: 2 });
    await expect(anna.share(web)).rejects.toMatchObject({ code: "E_TASK_LIMIT" });
    // Bo accepts Anna's invite: Anna earns the campaign's invite tickets.
    const annaId = (await anna.subscribe(web)).playerId;
    await bo.assist(web, annaId);
    expect(await anna.tickets(web)).toEqual({ campaignId: web, balance: 9, freeSpinsLeft: 1000, streak: 1, checkedInToday: true, sharesToday: 2, variant: null, presentation: null });
    expect((await ledger(web)).filter((e) => e.player === annaId).map((e) => [e.reason, e.delta, e.balance])).toEqual([
      ["checkin", 1, 1], ["checkin", 1, 2], ["share", 2, 4], ["share", 2, 6], ["invite", 3, 9],
    ]);
    expect((await ledger(web)).filter((e) => e.player === pseudonym("bo")).map((e) => [e.reason, e.delta, e.ref])).toEqual([["checkin", 1, String(first.day)], ["streak", 5, "7"]]);

    // On WeChat the same tasks earn points and no tickets.
    const wx = uniqueId("wx-tasks");
    expect((await create(liveCampaign(wx, { platform: "wechat", tasks: { share: { points: 3 } } }))).status).toBe(201);
    expect(await anna.share(wx)).toMatchObject({ tickets: 0, points: 3, balance: 0 });
    await bo.assist(wx, annaId);
    expect((await anna.tickets(wx)).balance).toBe(0);
    expect(await ledger(wx)).toEqual([]);
    const points = await anna.leaderboardRank(wx, "points");
    expect(points.score).toBe(3);
  });

  it("1,000 parallel grants and spins on one player's tickets: exact balance, never below zero, the ledger adds up", async () => {
    const campaignId = uniqueId("race");
    // No free spins: every counted spin spends one ticket. Small odds, big stock: outcomes do not matter here.
    const created = await create(liveCampaign(campaignId, {
      freeSpins: 0,
      limits: { spinsPerDay: 100_000, spinsPerCampaign: 100_000, winsPerCampaign: 100_000 },
      tiers: [{ tierId: "gold", name: "Gold", probability: 0.01, inventory: 100_000, value: 1 }],
    }));
    expect(created.status).toBe(201);
    const sockets = await Promise.all(Array.from({ length: 4 }, (_, i) => h.player(nodes[i % 2]!.url, "racer")));
    // A head start of tickets, so some spins count however the race below interleaves (spins resolved
    // by a fast worker can all finish before the first parallel grant lands).
    const HEAD_START = 50;
    expect((await http(`${nodes[0]!.url}/v1/campaigns/${campaignId}/tickets`, { token: hostToken, body: { playerId: "racer", tickets: HEAD_START } })).status).toBe(200);
    const GRANTS = 500;
    const SPINS = 500;
    const ops: Promise<{ kind: "grant"; status: number } | { kind: "spin"; result: SpinResult }>[] = [];
    for (let i = 0; i < GRANTS + SPINS; i++) {
      if (i % 2 === 0) {
        ops.push(http(`${nodes[(i >> 1) % 2]!.url}/v1/campaigns/${campaignId}/tickets`, { token: hostToken, body: { playerId: "racer", tickets: 1 } }).then((r) => ({ kind: "grant" as const, status: r.status })));
      } else {
        ops.push(sockets[(i >> 1) % 4]!.spin(campaignId, { idempotencyKey: `race-spin-${i}`, timeoutMs: 60_000 }).then((result) => ({ kind: "spin" as const, result })));
      }
    }
    const done = await Promise.all(ops);
    const grants = done.filter((d) => d.kind === "grant");
    const spins = done.flatMap((d) => (d.kind === "spin" ? [d.result] : []));
    expect(grants.map((g) => g.status)).toEqual(Array(GRANTS).fill(200));
    expect(spins).toHaveLength(SPINS);
    // A spin either counted (won or lost, one ticket spent) or was rejected for want of a ticket.
    const counted = spins.filter((s) => s.outcome !== "rejected").length;
    const starved = spins.filter((s) => s.outcome === "rejected");
    expect(starved.every((s) => s.reason === "E_NO_SPINS_LEFT")).toBe(true);
    expect(counted + starved.length).toBe(SPINS);
    expect(counted).toBeGreaterThan(0);

    const player = pseudonym("racer");
    const balance = Number(await redis.hget(campaignKeys(campaignId).players, `${player}:tickets`));
    expect(balance).toBe(HEAD_START + GRANTS - counted);
    const rows = await ledger(campaignId);
    expect(rows.filter((r) => r.reason === "grant")).toHaveLength(GRANTS + 1);
    expect(rows.filter((r) => r.reason === "spin")).toHaveLength(counted);
    // Every spend names its counted spin, each once.
    const spentFor = rows.filter((r) => r.reason === "spin").map((r) => r.ref).sort();
    expect(spentFor).toEqual(spins.filter((s) => s.outcome !== "rejected").map((s) => s.intentId).sort());
    // Replayed in order, each entry's balance is the previous one plus its delta, never below zero.
    let running = 0;
    for (const r of rows) {
      running += r.delta;
      expect(r.balance).toBe(running);
      expect(r.balance).toBeGreaterThanOrEqual(0);
    }
    expect(running).toBe(balance);
    expect((await sockets[0]!.tickets(campaignId)).balance).toBe(balance);
  });

  it("refuses tasks of unknown or closed campaigns, and from viewers' roles", async () => {
    const anna = await h.player(nodes[0]!.url, "anna2");
    await expect(anna.checkIn(uniqueId("nope"))).rejects.toMatchObject({ code: "E_CAMPAIGN_NOT_FOUND" });
    const closed = uniqueId("closed");
    const now = Date.now();
    expect((await create(liveCampaign(closed, { schedule: { warmupAt: now - 7_200_000, liveAt: now - 3_600_000, longTailAt: now - 2_000_000, closedAt: now - 1_000_000 } }))).status).toBe(201);
    const err = await anna.share(closed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LiveDrawError);
    expect(err).toMatchObject({ code: "E_CAMPAIGN_NOT_LIVE" });
    expect(await ledger(closed)).toEqual([]);
  });
});
