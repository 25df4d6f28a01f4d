/** The live-draw state machine's Lua scripts against a real private redis-server. */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitToSeed, generateServerSeed, verifyAuditChain } from "@livedraw/fairness";
import { ensureRedis, type RunningRedis } from "../scripts/redis-server.js";
import { uniqueId } from "../test/harness.js";
import { DrawStore, type OpenSpec } from "./draw-store.js";
import { campaignKeys, drawKeys, openDrawsIndexKey } from "./redis-keys.js";
import { createRedis } from "./redis.js";

function spec(durationMs: number, overrides: Partial<OpenSpec> = {}): OpenSpec {
  const serverSeed = generateServerSeed();
  return {
    title: "t",
    durationMs,
    tiers: [
      { tierId: "first", name: "First", count: 1 },
      { tierId: "second", name: "Second", count: 2 },
    ],
    weighted: false,
    excludePrevious: false,
    autoReveal: false,
    beacon: null,
    serverSeed,
    commitment: commitToSeed(serverSeed),
    algorithm: "livedraw-draw-v1",
    ...overrides,
  };
}

describe("DrawStore (Lua on real Redis)", () => {
  let server: RunningRedis;
  let redis: Redis;
  let store: DrawStore;

  beforeAll(async () => {
    server = await ensureRedis({ name: uniqueId("unit-redis"), removeDataOnStop: true });
    redis = createRedis(server.url, { name: "unit" });
    store = new DrawStore(redis);
  });
  afterAll(async () => {
    await redis.quit();
    await server.stop();
  });

  /** Opens a short draw, enters players, and waits (on Redis time) until its deadline has passed. */
  async function expired(campaignId: string, drawId: string, players: string[], overrides: Partial<OpenSpec> = {}) {
    const { deadline } = await store.open(campaignId, drawId, spec(150, overrides));
    for (const p of players) await store.enter(campaignId, drawId, p, `${p}*`);
    for (;;) {
      const [sec, usec] = await redis.time();
      if (Number(sec) * 1000 + Math.floor(Number(usec) / 1000) >= deadline) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it("refuses to open the same draw twice, even after it expired, and indexes open draws for ticks", async () => {
    const c = uniqueId("c");
    await store.open(c, "d1", spec(10_000));
    await expect(store.open(c, "d1", spec(10_000))).rejects.toMatchObject({ code: "E_DRAW_EXISTS" });
    await redis.del(drawKeys(c, "d1").state); // as if its retention had run out
    await expect(store.open(c, "d1", spec(10_000))).rejects.toMatchObject({ code: "E_DRAW_EXISTS" });
    expect(await redis.zscore(openDrawsIndexKey, `${c}/d1`)).not.toBeNull();
    expect(await store.latestDrawId(c)).toBe("d1");
  });

  it("stores one entry per player, answers a retry with the original intent id, weights by tickets", async () => {
    const c = uniqueId("c");
    await store.open(c, "d1", spec(10_000, { weighted: true }));
    await redis.hset(campaignKeys(c).players, "rich:tickets", "7");
    const first = await store.enter(c, "d1", "alice", "A****");
    expect(await store.enter(c, "d1", "alice", "A****")).toEqual({ intentId: first.intentId, duplicate: true });
    await store.enter(c, "d1", "rich", "R***");
    const entries = await store.entries(c, "d1");
    expect(entries.map((e) => [e.playerId, e.tickets])).toEqual([["alice", 1], ["rich", 7]]);
    await expect(store.enter(c, "nope", "alice", "A")).rejects.toMatchObject({ code: "E_DRAW_NOT_FOUND" });
  });

  it("closes only after the deadline, once, and refuses entries after it", async () => {
    const c = uniqueId("c");
    await store.open(c, "early", spec(60_000));
    expect(await store.close(c, "early")).toMatchObject({ status: "early" });
    await expired(c, "d1", ["a", "b"]);
    expect(await store.close(c, "d1")).toEqual({ status: "closed" });
    expect(await store.close(c, "d1")).toEqual({ status: "already", phase: "closed" });
    await expect(store.enter(c, "d1", "late", "L")).rejects.toMatchObject({ code: "E_DRAW_CLOSED" });
    expect(await redis.zscore(openDrawsIndexKey, `${c}/d1`)).toBeNull();
  });

  it("records winners once, reveals tiers in order once each, and keeps secrets until done", async () => {
    const c = uniqueId("c");
    await expired(c, "d1", ["a", "b", "c"]);
    await store.close(c, "d1");
    const entries = await store.entries(c, "d1");
    const winners = [
      { tierId: "first", winners: [{ intentId: entries[0]!.intentId, name: "a*" }] },
      { tierId: "second", winners: [{ intentId: entries[1]!.intentId, name: "b*" }, { intentId: entries[2]!.intentId, name: "c*" }] },
    ];
    const drawn = { entrants: 3, merkleRoot: "ab".repeat(32), drawSeed: "cd".repeat(32), winners, beacon: null, winnerPlayers: { first: ["a"], second: ["b", "c"] }, tierCommitments: [] };
    await store.setDrawn(c, "d1", drawn);
    await expect(store.setDrawn(c, "d1", drawn)).rejects.toMatchObject({ code: "E_DRAW_STATE" }); // a second worker
    let snap = await store.snapshot(c, "d1", "a");
    expect(snap).toMatchObject({ phase: "drawn", revealed: [], serverSeed: null, myResult: null, merkleRoot: "ab".repeat(32) });

    const seqBefore = await store.eventSeq(c);
    expect(await store.revealTier(c, "d1", null)).toEqual({ tierId: "first", done: false, eventSeq: seqBefore + 1 });
    // Recorded with its broadcast number and unsent until LiveDraws has emitted it.
    expect(await store.eventSeq(c)).toBe(seqBefore + 1);
    expect(await store.state(c, "d1")).toMatchObject({ revealSeqs: { first: seqBefore + 1 }, unsentReveals: ["first"] });
    await store.markRevealSent(c, "d1", "first");
    expect((await store.state(c, "d1"))?.unsentReveals).toEqual([]);
    await expect(store.revealTier(c, "d1", "first")).rejects.toMatchObject({ code: "E_TIER_REVEALED" });
    await expect(store.revealTier(c, "d1", "bronze")).rejects.toMatchObject({ code: "E_TIER_NOT_FOUND" });
    snap = await store.snapshot(c, "d1", "a");
    expect(snap).toMatchObject({ phase: "revealing", myResult: "won", myTierId: "first", serverSeed: null });
    expect(snap?.revealed).toEqual([{ tierId: "first", name: "First", winners: winners[0]!.winners }]);
    expect((await store.snapshot(c, "d1", "b"))?.myResult).toBeNull(); // tier not revealed yet
    // Only revealed winners join the campaign's winners set (a later draw may exclude them).
    expect(await redis.smembers(campaignKeys(c).liveWinners)).toEqual(["a"]);

    expect(await store.revealTier(c, "d1", "second")).toMatchObject({ tierId: "second", done: true });
    await expect(store.revealTier(c, "d1", null)).rejects.toMatchObject({ code: "E_DRAW_STATE" });
    snap = await store.snapshot(c, "d1", "b");
    expect(snap?.phase).toBe("done");
    expect(snap?.serverSeed).toMatch(/^[0-9a-f]{64}$/);
    expect(await redis.sismember(campaignKeys(c).liveWinners, "a")).toBe(1);
  });

  it("applies a redraw only against the redraw count it was computed for", async () => {
    const c = uniqueId("c");
    await expired(c, "d1", ["a", "b", "c"], { tiers: [{ tierId: "only", name: "Only", count: 1 }] });
    await store.close(c, "d1");
    const [a, b, cc] = await store.entries(c, "d1");
    await store.setDrawn(c, "d1", { entrants: 3, merkleRoot: "00".repeat(32), drawSeed: "11".repeat(32), winners: [{ tierId: "only", winners: [{ intentId: a!.intentId, name: "a*" }] }], beacon: null, winnerPlayers: { only: ["a"] }, tierCommitments: [] });
    await expect(store.redraw(c, "d1", { tierId: "only", replaces: a!.intentId, index: 0, winner: { intentId: b!.intentId, name: "b*" }, winnerPlayerId: "b" })).rejects.toMatchObject({ code: "E_DRAW_STATE" }); // not revealed
    await store.revealTier(c, "d1", null);
    await store.redraw(c, "d1", { tierId: "only", replaces: a!.intentId, index: 0, winner: { intentId: b!.intentId, name: "b*" }, winnerPlayerId: "b" });
    // A second host computed redraw 0 too: refused.
    await expect(store.redraw(c, "d1", { tierId: "only", replaces: a!.intentId, index: 0, winner: { intentId: cc!.intentId, name: "c*" }, winnerPlayerId: "c" })).rejects.toMatchObject({ code: "E_DRAW_STATE" });
    await expect(store.redraw(c, "d1", { tierId: "only", replaces: a!.intentId, index: 1, winner: null, winnerPlayerId: null })).rejects.toMatchObject({ code: "E_NOT_A_WINNER" });
    await store.redraw(c, "d1", { tierId: "only", replaces: b!.intentId, index: 1, winner: null, winnerPlayerId: null });
    const state = await store.state(c, "d1");
    expect(state?.winners).toEqual([{ tierId: "only", winners: [] }]);
    expect(state?.redraws).toEqual([
      { tierId: "only", replaces: a!.intentId, winner: { intentId: b!.intentId, name: "b*" } },
      { tierId: "only", replaces: b!.intentId, winner: null },
    ]);
  });

  it("cancels a draw that is not done, once", async () => {
    const c = uniqueId("c");
    await store.open(c, "d1", spec(10_000));
    await store.cancel(c, "d1", "stage fire");
    await expect(store.cancel(c, "d1", "again")).rejects.toMatchObject({ code: "E_DRAW_STATE" });
    await expect(store.enter(c, "d1", "p", "P")).rejects.toMatchObject({ code: "E_DRAW_CLOSED" });
    expect((await store.state(c, "d1"))?.phase).toBe("cancelled");
  });

  it("excludes the campaign's previous winners when asked", async () => {
    const c = uniqueId("c");
    await redis.sadd(campaignKeys(c).liveWinners, "champ");
    await store.open(c, "d1", spec(10_000, { excludePrevious: true }));
    await expect(store.enter(c, "d1", "champ", "C")).rejects.toMatchObject({ code: "E_ALREADY_WON" });
    await store.open(c, "d2", spec(10_000));
    expect((await store.enter(c, "d2", "champ", "C")).duplicate).toBe(false);
  });

  it("keeps the audit log a valid hash chain under concurrent appends, each dedupe key once", async () => {
    const c = uniqueId("c");
    await Promise.all(Array.from({ length: 30 }, (_, i) => store.appendAudit(c, "draw.test", Date.now(), { drawId: "d", i })));
    // The same transition logged twice (a retry after a lost reply) is written once.
    const twice = await Promise.all([1, 2].map(() => store.appendAudit(c, "draw.closed", Date.now(), { drawId: "d" }, "draw.closed:d")));
    expect(twice.sort()).toEqual([false, true]);
    const records = await store.audit(c);
    expect(records).toHaveLength(32); // campaign.created + 30 + one draw.closed
    expect(records[0]).toMatchObject({ seq: 0, type: "campaign.created", data: { campaignId: c } });
    expect(verifyAuditChain(records)).toMatchObject({ ok: true });
    const tampered = records.map((r, i) => (i === 7 ? { ...r, data: { drawId: "d", i: 999 } } : r));
    expect(verifyAuditChain(tampered)).toMatchObject({ ok: false });
    expect(await redis.ttl(drawKeys(c, "none").state)).toBe(-2);
  });
});
