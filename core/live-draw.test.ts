/** The live-draw service's concurrency guarantees on a real private redis-server. */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain, verifyBundle } from "@livedraw/fairness";
import { ensureRedis, type RunningRedis } from "../scripts/redis-server.js";
import { uniqueId } from "../test/harness.js";
import { DrawStore } from "./draw-store.js";
import { LiveDraws, type Broadcaster } from "./live-draw.js";
import { createRedis } from "./redis.js";

/** Records what would be broadcast (the socket layer is covered by the end-to-end tests). */
function recorder() {
  const events: { event: string; payload: unknown; at: number }[] = [];
  const out: Broadcaster = {
    toCampaign: (_c, event, payload) => void events.push({ event, payload, at: performance.now() }),
    personal: async (results) => void events.push({ event: "personal", payload: results, at: performance.now() }),
  };
  return { events, out };
}

describe("LiveDraws: racing transitions apply once", () => {
  let server: RunningRedis;
  let redis: Redis;

  beforeAll(async () => {
    server = await ensureRedis({ name: uniqueId("unit-redis"), removeDataOnStop: true });
    redis = createRedis(server.url, { name: "unit" });
  });
  afterAll(async () => {
    await redis.quit();
    await server.stop();
  });

  it("two closers at the deadline: one draws, the other finds it drawn; one audit record each", async () => {
    const c = uniqueId("c");
    const rec = recorder();
    const a = new LiveDraws(new DrawStore(redis), rec.out, () => Date.now());
    const b = new LiveDraws(new DrawStore(redis), rec.out, () => Date.now());
    // Windows long enough for the entries on a loaded CI machine (100 ms was not, once).
    const { deadline } = await a.open(c, { drawId: "d1", title: "t", durationMs: 1000, tiers: [{ tierId: "x", name: "X", count: 2 }], weighted: false, excludePrevious: false, autoReveal: false, beacon: null });
    await Promise.all(Array.from({ length: 20 }, (_, i) => a.store.enter(c, "d1", `p${i}`, `p${i}*`)));
    while (Date.now() < deadline + 20) await new Promise((r) => setTimeout(r, 10));
    const noBeacon = async () => {
      throw new Error("no beacon configured");
    };
    const outcomes = await Promise.all([a.closeAndDraw(c, "d1", noBeacon), b.closeAndDraw(c, "d1", noBeacon)]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(["drawn", "skipped"]);
    expect(rec.events.filter((e) => e.event === "draw:closed")).toHaveLength(1);

    // Two hosts cancel / reveal at once: one reveal applies, the loser gets a typed error.
    const reveals = await Promise.allSettled([a.reveal(c, "d1", "x", 60), b.reveal(c, "d1", "x", 60)]);
    expect(reveals.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const loser = reveals.find((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(["E_TIER_REVEALED", "E_DRAW_STATE"]).toContain((loser?.reason as { code?: string }).code); // the only tier: the draw is done
    await expect(a.cancel(c, "d1", "too late", 60)).rejects.toMatchObject({ code: "E_DRAW_STATE" });

    const audit = await a.store.audit(c);
    expect(verifyAuditChain(audit)).toMatchObject({ ok: true });
    const count = (type: string) => audit.filter((r) => r.type === type).length;
    expect([count("draw.opened"), count("draw.closed"), count("draw.drawn"), count("draw.revealed")]).toEqual([1, 1, 1, 1]);
  });

  it("sends the final reveal first, then draw:done and the personal results after the configured pause", async () => {
    const c = uniqueId("c");
    const rec = recorder();
    const draws = new LiveDraws(new DrawStore(redis), rec.out, () => Date.now(), { resultsDelayMs: 300 });
    const tiers = [{ tierId: "a", name: "A", count: 1 }, { tierId: "b", name: "B", count: 1 }];
    const { deadline } = await draws.open(c, { drawId: "d1", title: "t", durationMs: 1000, tiers, weighted: false, excludePrevious: false, autoReveal: false, beacon: null });
    await Promise.all(Array.from({ length: 5 }, (_, i) => draws.store.enter(c, "d1", `p${i}`, `p${i}*`)));
    while (Date.now() < deadline + 20) await new Promise((r) => setTimeout(r, 10));
    await draws.closeAndDraw(c, "d1", async () => {
      throw new Error("no beacon configured");
    });
    await draws.reveal(c, "d1", "a", 60); // not the last tier: nothing follows it
    expect(rec.events.map((e) => e.event).filter((e) => e === "draw:done" || e === "personal")).toEqual([]);
    await draws.reveal(c, "d1", "b", 60); // resolves once the results are handed over
    const order = rec.events.map((e) => e.event).filter((e) => e !== "draw:countdown" && e !== "draw:closed");
    expect(order).toEqual(["draw:reveal", "draw:reveal", "draw:done", "personal"]);
    const at = (event: string) => rec.events.filter((e) => e.event === event).at(-1)!.at;
    expect(at("draw:done") - at("draw:reveal")).toBeGreaterThanOrEqual(290); // timer granularity
    expect((rec.events.at(-1)!.payload as unknown[]).length).toBe(5);
  });

  it("a crash between a transition and its audit record is repaired by the retry; the proof verifies", async () => {
    const c = uniqueId("c");
    const rec = recorder();
    /** A store whose first attempt to log the draw dies, like a worker killed after setDrawn. */
    class CrashingStore extends DrawStore {
      crashed = false;
      override async appendAudit(...args: Parameters<DrawStore["appendAudit"]>): Promise<boolean> {
        if (args[1] === "draw.drawn" && !this.crashed) {
          this.crashed = true;
          throw new Error("killed");
        }
        return super.appendAudit(...args);
      }
    }
    const crashing = new LiveDraws(new CrashingStore(redis), rec.out, () => Date.now());
    const healthy = new LiveDraws(new DrawStore(redis), rec.out, () => Date.now());
    const tiers = [{ tierId: "a", name: "A", count: 1 }, { tierId: "b", name: "B", count: 2 }];
    const { deadline } = await healthy.open(c, { drawId: "d1", title: "t", durationMs: 1000, tiers, weighted: false, excludePrevious: false, autoReveal: false, beacon: null });
    await Promise.all(Array.from({ length: 10 }, (_, i) => healthy.store.enter(c, "d1", `p${i}`, `p${i}*`)));
    while (Date.now() < deadline + 20) await new Promise((r) => setTimeout(r, 10));
    const noBeacon = async () => ({ randomness: "", proof: null });
    await expect(crashing.closeAndDraw(c, "d1", noBeacon)).rejects.toThrow("killed");
    expect((await healthy.store.state(c, "d1"))?.phase).toBe("drawn"); // the transition happened...
    expect((await healthy.store.audit(c)).some((r) => r.type === "draw.drawn")).toBe(false); // ...its record did not
    await healthy.closeAndDraw(c, "d1", noBeacon); // the job's retry
    await healthy.revealAll(c, "d1", 60);
    const bundle = JSON.parse(await healthy.proof(c, "d1", 60)) as unknown;
    expect(verifyBundle(bundle)).toMatchObject({ ok: true });
    const audit = await healthy.store.audit(c);
    expect(audit.filter((r) => r.type === "draw.drawn")).toHaveLength(1);

    // A redraw after the bundle was first served: the next bundle includes it, and still verifies.
    const first = JSON.parse(await healthy.proof(c, "d1", 60)) as { winners: { tierId: string; entryIds: string[] }[] };
    await healthy.redraw(c, "d1", "a", first.winners[0]!.entryIds[0]!);
    const after = JSON.parse(await healthy.proof(c, "d1", 60)) as { redraws: unknown[] };
    expect(after.redraws).toHaveLength(1);
    expect(verifyBundle(after)).toMatchObject({ ok: true });
  });

  it("a reveal recorded by a process that died before sending it goes out with its number, before the next", async () => {
    const c = uniqueId("c");
    const rec = recorder();
    const draws = new LiveDraws(new DrawStore(redis), rec.out, () => Date.now());
    const tiers = ["t1", "t2", "t3"].map((tierId) => ({ tierId, name: tierId.toUpperCase(), count: 1 }));
    const { deadline } = await draws.open(c, { drawId: "d1", title: "t", durationMs: 1000, tiers, weighted: false, excludePrevious: false, autoReveal: true, beacon: null });
    await Promise.all(Array.from({ length: 5 }, (_, i) => draws.store.enter(c, "d1", `p${i}`, `p${i}*`)));
    while (Date.now() < deadline + 20) await new Promise((r) => setTimeout(r, 10));
    await draws.closeAndDraw(c, "d1", () => Promise.reject(new Error("no beacon")));
    // The dead process: tier t1 recorded (state, number), never sent.
    const { eventSeq } = await draws.store.revealTier(c, "d1", null);
    expect(rec.events.filter((e) => e.event === "draw:reveal")).toHaveLength(0);

    await draws.revealAll(c, "d1", 60); // the retried close job
    const reveals = rec.events.filter((e) => e.event === "draw:reveal").map((e) => e.payload as { tierId: string; eventSeq: number; final: boolean; winners: unknown[] });
    expect(reveals.map((r) => r.tierId)).toEqual(["t1", "t2", "t3"]);
    expect(reveals.map((r) => r.eventSeq)).toEqual([eventSeq, eventSeq + 1, eventSeq + 2]);
    expect(reveals.map((r) => r.final)).toEqual([false, false, true]);
    expect(reveals.every((r) => r.winners.length === 1)).toBe(true);
    expect((await draws.store.state(c, "d1"))?.unsentReveals).toEqual([]);
    // Every tier's record is in the log once, with its list; the bundle verifies.
    const audit = await draws.store.audit(c);
    expect(audit.filter((r) => r.type === "draw.tier-revealed").map((r) => (r.data as { tierId: string }).tierId)).toEqual(["t1", "t2", "t3"]);
    expect(verifyBundle(JSON.parse(await draws.proof(c, "d1", 60)))).toMatchObject({ ok: true, warnings: [] });
  });
});
