/**
 * Leaderboards, assists (助力) and team PK across 2 socket nodes with real clients: assists earn
 * tickets once per friend, the live top-N reaches subscribers on both nodes at a bounded rate
 * (coalesced), names are masked, and each player can ask for their own rank.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveDrawClient } from "@livedraw/client-sdk";
import type { LeaderboardTop } from "@livedraw/protocol";
import { campaignKeys } from "../core/redis-keys.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, http, pseudonym, uniqueId, type NodeProcess } from "./harness.js";

describe("leaderboards, assists and teams across 2 nodes", () => {
  const h = new Harness();
  let nodes: NodeProcess[];
  let redis: Redis;
  let players: LiveDrawClient[];
  const campaignId = uniqueId("lb");

  beforeAll(async () => {
    await h.startRedis();
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
    const env = { LIVEDRAW_LEADERBOARD_INTERVAL_MS: "300", LIVEDRAW_TICKETS_PER_ASSIST: "2" };
    nodes = await Promise.all([h.startNode(env), h.startNode(env)]);
    // Social writes need a real campaign: create an instant-win one.
    const created = await http(`${nodes[0]!.url}/v1/campaigns`, { token: await h.hostToken(), body: liveCampaign(campaignId) });
    expect(created.status).toBe(201);
    players = await Promise.all(Array.from({ length: 24 }, (_, i) => h.player(nodes[i % 2]!.url, `lp${i}`, i === 0 ? "王小明" : `1390000${String(i).padStart(4, "0")}`)));
    await Promise.all(players.map((p) => p.subscribe(campaignId)));
  });
  afterAll(() => h.cleanup());

  it("counts each friend's assist once, earns tickets, and pushes a coalesced, masked top-N to both nodes", async () => {
    const watchers = [players[22]!, players[23]!]; // one on each node
    const updates: LeaderboardTop[][] = [[], []];
    const initial = await Promise.all(watchers.map((w) => w.subscribeLeaderboard(campaignId, "assists")));
    expect(initial[0]!.top).toEqual([]);
    watchers.forEach((w, i) => w.on("leaderboard:update", (top) => updates[i]!.push(top)));

    // 20 friends help lp0 at once; 3 of them also help lp1.
    const startedAt = Date.now();
    const results = await Promise.all(players.slice(1, 21).map((p) => p.assist(campaignId, pseudonym("lp0"))));
    expect(results.map((r) => r.assists).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await Promise.all(players.slice(2, 5).map((p) => p.assist(campaignId, pseudonym("lp1"))));
    await expect(players[1]!.assist(campaignId, pseudonym("lp0"))).rejects.toMatchObject({ code: "E_ALREADY_ASSISTED" });
    await expect(players[5]!.assist(campaignId, pseudonym("lp5"))).rejects.toMatchObject({ code: "E_SELF_ASSIST" });
    await expect(players[5]!.assist("made-up-campaign", pseudonym("lp0"))).rejects.toMatchObject({ code: "E_CAMPAIGN_NOT_FOUND" });
    expect(await redis.exists(campaignKeys("made-up-campaign").assists)).toBe(0);
    expect(await redis.hget(campaignKeys(campaignId).players, `${pseudonym("lp0")}:tickets`)).toBe("40"); // 20 assists × 2

    // Both nodes' watchers converge on the final board, having received far fewer pushes than changes.
    const final = async (i: number) => {
      for (;;) {
        const last = updates[i]!.at(-1);
        if (last && last.top[0]?.score === 20 && last.top[1]?.score === 3) return last;
        await new Promise<void>((resolve) => {
          const off = watchers[i]!.on("leaderboard:update", () => (off(), resolve()));
        });
      }
    };
    const [a, b] = await Promise.all([final(0), final(1)]);
    expect(a.top).toEqual(b.top);
    expect(a.top[0]).toEqual({ rank: 1, name: "王**", score: 20 });
    expect(a.top[1]).toEqual({ rank: 2, name: "139****0001", score: 3 });
    // 23 changes, coalesced: at most one push per interval (300 ms) per node since the first change.
    const maxPushes = Math.floor((Date.now() - startedAt) / 300) + 1;
    for (const list of updates) {
      expect(list.length).toBeLessThanOrEqual(maxPushes);
      expect(list.length).toBeLessThan(23);
    }
    for (const list of updates) expect(list.map((u) => u.version)).toEqual([...list.map((u) => u.version)].sort((x, y) => x - y));

    const mine = await players[0]!.leaderboardRank(campaignId, "assists");
    expect(mine).toMatchObject({ rank: 1, score: 20, total: 2 });
    expect(await players[7]!.leaderboardRank(campaignId, "assists")).toMatchObject({ rank: null, score: null, total: 2 });
  });

  it("adds a team member's points to the team board; team choice is final", async () => {
    const hostToken = await h.hostToken();
    await Promise.all(players.slice(0, 10).map((p, i) => p.joinTeam(campaignId, i % 2 === 0 ? "red" : "blue")));
    await expect(players[0]!.joinTeam(campaignId, "blue")).rejects.toMatchObject({ code: "E_ALREADY_IN_TEAM" });
    for (let i = 0; i < 10; i++) {
      const res = await http<{ score: number }>(`${nodes[i % 2]!.url}/v1/campaigns/${campaignId}/points`, { token: hostToken, body: { playerId: `lp${i}`, points: 10 + i } });
      expect(res.status).toBe(200);
    }
    const bad = await http<{ error: { code: string } }>(`${nodes[0]!.url}/v1/campaigns/${campaignId}/points`, { token: hostToken, body: { playerId: "lp0", points: 0 } });
    expect(bad.body.error.code).toBe("E_BAD_REQUEST");

    const teams = await players[11]!.subscribeLeaderboard(campaignId, "teams");
    // red: lp0,2,4,6,8 → 10+12+14+16+18 = 70; blue: 11+13+15+17+19 = 75
    expect(teams.top).toEqual([
      { rank: 1, name: "blue", score: 75 },
      { rank: 2, name: "red", score: 70 },
    ]);
    expect(await players[2]!.leaderboardRank(campaignId, "teams")).toMatchObject({ rank: 2, score: 70, total: 2 });
    expect(await players[15]!.leaderboardRank(campaignId, "teams")).toMatchObject({ rank: null, total: 2 });
    const points = await players[11]!.subscribeLeaderboard(campaignId, "points");
    expect(points.top[0]).toMatchObject({ rank: 1, score: 19 });
  });
});
