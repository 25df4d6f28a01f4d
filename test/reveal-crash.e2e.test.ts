/**
 * A worker SIGKILLed at each step of a 3-tier auto-reveal — before the first tier, between the
 * record of a reveal and its broadcast, between tiers, and after the last — and a standby worker
 * that takes the close job over: every client (the SDK, several of them) ends with every tier's
 * `draw:reveal` exactly once, within 5 s of the kill (issue 17, item 7).
 *
 * The worker is stopped at the step by a failpoint (LIVEDRAW_FAILPOINT, core/failpoint.ts): it
 * logs "failpoint reached" and waits there, holding the job, until the test kills it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveDrawClient } from "@livedraw/client-sdk";
import type { DrawCountdown, DrawDone, DrawReveal } from "@livedraw/protocol";
import { Harness, http, uniqueId, type NodeProcess } from "./harness.js";

const TIERS = [
  { tierId: "gold", name: "Gold", count: 1 },
  { tierId: "silver", name: "Silver", count: 1 },
  { tierId: "bronze", name: "Bronze", count: 1 },
];
const CLIENTS = 6;
/** The bound: from the kill to every client holding every tier. */
const DELIVERED_WITHIN_MS = 5000;

describe("worker killed during a 3-tier auto-reveal", () => {
  const h = new Harness();
  let node: NodeProcess;
  // Short locks so the standby takes the job over quickly (BullMQ: ~lock + stalled interval).
  const env = { LIVEDRAW_WORKER_LOCK_MS: "1000" };

  beforeAll(async () => {
    await h.startRedis();
    node = await h.startNode(env);
  });
  afterAll(() => h.cleanup());

  const steps: [string, string][] = [
    ["before the first tier (draw:closed sent)", "draw.closed"],
    ["after tier 1 is recorded, before it is sent", "reveal.recorded:1"],
    ["between tier 1 and tier 2", "reveal.sent:1"],
    ["after tier 2 is recorded, before it is sent", "reveal.recorded:2"],
    ["between tier 2 and tier 3", "reveal.sent:2"],
    ["after tier 3 is recorded, before it is sent", "reveal.recorded:3"],
    ["after the last tier (before draw:done)", "reveal.sent:3"],
  ];

  it.each(steps)("killed %s: every client gets every tier once", async (_label, failpoint) => {
    const campaignId = uniqueId("reveal-crash");
    const doomed = await h.startWorker({ ...env, LIVEDRAW_FAILPOINT: failpoint });
    const clients: LiveDrawClient[] = [];
    for (let i = 0; i < CLIENTS; i++) clients.push(await h.player(node.url, `${campaignId}-p${i}`, `玩家${i}`));
    await Promise.all(clients.map((c) => c.subscribe(campaignId)));

    const opened = await http<DrawCountdown>(`${node.url}/v1/campaigns/${campaignId}/draws`, {
      token: await h.hostToken(),
      body: { title: "Three tiers", durationMs: 1500, tiers: TIERS, autoReveal: true },
    });
    expect(opened.status).toBe(201);
    const drawId = opened.body.drawId;
    await Promise.all(clients.map((c) => c.enter(campaignId, drawId)));

    // Per client: how many times each tier's reveal was delivered, and when all three were in.
    const counts = clients.map(() => new Map<string, number>());
    let killedAt = 0;
    const complete = clients.map(
      (c, i) =>
        new Promise<number>((resolve) =>
          c.on("draw:reveal", (r: DrawReveal) => {
            if (r.drawId !== drawId) return;
            counts[i]!.set(r.tierId, (counts[i]!.get(r.tierId) ?? 0) + 1);
            if (counts[i]!.size === TIERS.length) resolve(Date.now());
          }),
        ),
    );
    const done = clients.map((c) => new Promise<void>((resolve) => c.on("draw:done", (d: DrawDone) => d.drawId === drawId && resolve())));

    const delivered = async () => {
      const times = await Promise.race([
        Promise.all(complete),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`tiers delivered per client after the kill: ${JSON.stringify(counts.map((m) => [...m.keys()]))}`)), 20_000)),
      ]);
      const tookMs = Math.max(...times) - killedAt;
      console.log(`${failpoint}: every client had every tier ${tookMs} ms after the kill`);
      expect(tookMs).toBeLessThan(DELIVERED_WITHIN_MS);
      // The draw finishes, and nothing was delivered twice (a re-sent reveal is dropped by the SDK).
      await Promise.all(done);
      for (const [i, c] of counts.entries()) {
        expect([...c.entries()].sort(), `client ${i}`).toEqual(TIERS.map((t) => [t.tierId, 1]).sort());
        expect(clients[i]!.draw(campaignId)?.revealed.map((t) => t.tierId).sort()).toEqual(TIERS.map((t) => t.tierId).sort());
      }
    };

    // The close job is held at the step: start the standby, then kill the holder.
    await doomed.waitForLog((l) => l.msg === "failpoint reached", 20_000);
    const standby = await h.startWorker(env);
    try {
      await doomed.stop("SIGKILL");
      killedAt = Date.now();
      await delivered();
    } finally {
      await standby.stop("SIGTERM"); // the next step's doomed worker must be the one that takes its job
    }
  });
});
