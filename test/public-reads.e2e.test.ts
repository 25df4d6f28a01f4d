/**
 * The public reads of a done 10,000-entry draw under a burst: 200 parallel inclusion and proof
 * requests to one node while /healthz is polled every 20 ms from its own thread. The burst adds
 * less than HEALTHZ_BOUND_MS to the node's worst /healthz of an idle window just before it, every
 * answer is byte for byte the uncached computation (inclusion proofs as
 * @livedraw/fairness's `inclusionProof` computes them over the published entries, bundles as the
 * first build, the audit page as the stored log), and every inclusion proof verifies against the
 * bundle's Merkle root. Another node answers from the tree stored in Redis; a redraw on one node is
 * seen by the other's cached bundle.
 */
import { Worker } from "node:worker_threads";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inclusionProof, verifyBundle, verifyInclusionProof, type InclusionProof, type ProofBundle } from "@livedraw/fairness";
import type { DrawCountdown, DrawSnapshot } from "@livedraw/protocol";
import { DrawStore, proofCacheKeys } from "../core/draw-store.js";
import { createRedis } from "../core/redis.js";
import { Harness, http, uniqueId, type NodeProcess } from "./harness.js";

const ENTRIES = 10_000;
const BURST = 200;
/**
 * What the burst may add to the node's worst /healthz. 50 ms held on the Intel VM; on the slower AMD
 * one the node's worst /healthz is already ~60 ms with no burst (GC with the 10,000-entry caches)
 * and the burst (~700 ms of work) adds up to ~95 ms, one large answer or tree step per event-loop
 * iteration. A node that stalled for the burst would add its whole duration.
 */
const HEALTHZ_BOUND_MS = 100;

/** Polls `url` every `everyMs` from a worker thread (so the test's own work does not skew it); resolves with each latency. */
function pollHealthz(url: string, everyMs: number): { stop(): Promise<number[]> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     const times = []; let stopped = false;
     parentPort.on("message", () => { stopped = true; });
     (async () => {
       while (!stopped) {
         const start = performance.now();
         const res = await fetch(workerData.url);
         await res.text();
         if (res.status !== 200) throw new Error("healthz " + res.status);
         const took = performance.now() - start;
         times.push(took);
         await new Promise((r) => setTimeout(r, Math.max(0, workerData.everyMs - took)));
       }
       parentPort.postMessage(times);
     })().catch((err) => parentPort.postMessage({ error: String(err) }));`,
    { eval: true, workerData: { url, everyMs } },
  );
  const result = new Promise<number[]>((resolve, reject) => {
    worker.once("message", (m: number[] | { error: string }) => (Array.isArray(m) ? resolve(m) : reject(new Error(m.error))));
    worker.once("error", reject);
  });
  return {
    stop: async () => {
      worker.postMessage("stop");
      const times = await result;
      await worker.terminate();
      return times;
    },
  };
}

/** One request, timed; the body as bytes (decoded only where a test reads it, to spare the test's CPU during a burst). */
async function timed(url: string): Promise<{ status: number; bytes: Buffer; text: string; ms: number }> {
  const start = performance.now();
  const res = await fetch(url);
  const bytes = Buffer.from(await res.arrayBuffer());
  const ms = performance.now() - start;
  return {
    status: res.status,
    bytes,
    ms,
    get text() {
      return bytes.toString("utf8");
    },
  };
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { n: s.length, p50: +at(0.5).toFixed(1), p99: +at(0.99).toFixed(1), max: +s[s.length - 1]!.toFixed(1) };
};

describe("public reads of a done 10,000-entry draw: computed once, cached, the node stays responsive", () => {
  const h = new Harness();
  let a: NodeProcess;
  let b: NodeProcess;
  let redis: Redis;
  let store: DrawStore;
  let hostToken: string;
  const campaignId = uniqueId("pr");
  let drawId: string;
  const base = (node: NodeProcess) => `${node.url}/v1/campaigns/${campaignId}`;

  beforeAll(async () => {
    await h.startRedis();
    const env = { LIVEDRAW_HTTP_REQUESTS_PER_SECOND_PER_IP: "100000", LIVEDRAW_DRAW_RESULTS_DELAY_MS: "0" };
    [a, b] = await Promise.all([h.startNode(env), h.startNode(env), h.startWorker(env)]);
    redis = createRedis(h.redis.url, { name: "public-reads-test" });
    h.defer(() => redis.quit());
    store = new DrawStore(redis);
    hostToken = await h.hostToken();

    // A done draw with 10,000 entries: opened by the host, entries written through the store's enter
    // path (the Lua script a node runs for draw:enter), closed early; the worker draws and reveals.
    const opened = await http<DrawCountdown>(`${base(a)}/draws`, { token: hostToken, body: { durationMs: 600_000, winners: 3 } });
    expect(opened.status).toBe(201);
    drawId = opened.body.drawId;
    for (let from = 0; from < ENTRIES; from += 2000) {
      await Promise.all(Array.from({ length: 2000 }, (_, i) => store.enter(campaignId, drawId, `player-${from + i}`, `p${from + i}*`)));
    }
    expect((await http(`${base(a)}/draws/${drawId}/close`, { token: hostToken, body: {} })).status).toBe(200);
    for (const until = Date.now() + 20_000; ; ) {
      const snap = await http<DrawSnapshot>(`${base(a)}/draws/${drawId}`);
      if (snap.body.phase === "done") break;
      if (Date.now() > until) throw new Error(`draw still ${snap.body.phase}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);
  afterAll(() => h.cleanup());

  it("answers 200 parallel inclusion and proof requests from caches, byte-identical, while /healthz stays within 100 ms of idle", async () => {
    const proofUrl = `${base(a)}/draws/${drawId}/proof`;
    const inclusionUrl = (node: NodeProcess, id: string) => `${base(node)}/draws/${drawId}/inclusion?entryId=${encodeURIComponent(id)}`;

    // The first proof request builds the bundle (LiveDraws.proof, as before): the uncached answer.
    const coldPoll = pollHealthz(`${a.url}/healthz`, 20);
    await new Promise((r) => setTimeout(r, 60));
    const first = await timed(proofUrl);
    const coldHealthz = await coldPoll.stop();
    expect(first.status).toBe(200);
    const bundle = JSON.parse(first.text) as ProofBundle;
    expect(verifyBundle(bundle)).toMatchObject({ ok: true });
    expect(bundle.entries).toHaveLength(ENTRIES);

    // 200 parallel requests: 100 inclusion proofs of distinct entries (the tree is not built yet) and 100 bundles.
    const sample = Array.from({ length: BURST / 2 }, (_, i) => bundle.entries[Math.floor((i * ENTRIES) / (BURST / 2)) + (i % 7)]!.id);
    // The node's responsiveness with no burst, on this machine right now (other test files share the
    // 2 cores): the burst is judged by what it adds to this.
    const idlePoll = pollHealthz(`${a.url}/healthz`, 20);
    await new Promise((r) => setTimeout(r, 800));
    const idle = await idlePoll.stop();
    const poll = pollHealthz(`${a.url}/healthz`, 20);
    await new Promise((r) => setTimeout(r, 60));
    const started = performance.now();
    const burst = await Promise.all(Array.from({ length: BURST }, (_, i) => (i % 2 === 0 ? timed(inclusionUrl(a, sample[i / 2]!)) : timed(proofUrl))));
    const burstMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 60));
    const healthz = await poll.stop();

    // Repeated: answered from this node's memory.
    const again = await Promise.all(sample.map((id) => timed(inclusionUrl(a, id))));
    const proofAgain = await timed(proofUrl);
    // Another node: from the tree stored in Redis (one HMGET, one pipeline of GETRANGEs).
    const other = await Promise.all(sample.slice(0, 40).map((id) => timed(inclusionUrl(b, id))));

    const inclusions = burst.filter((_, i) => i % 2 === 0);
    const proofs = burst.filter((_, i) => i % 2 === 1);
    console.log(
      JSON.stringify({
        coldProofMs: +first.ms.toFixed(1),
        coldHealthzMs: stats(coldHealthz),
        burstMs: +burstMs.toFixed(1),
        idleHealthzMs: stats(idle),
        healthzMs: stats(healthz),
        inclusionMs: stats(inclusions.map((r) => r.ms)),
        proofMs: stats(proofs.map((r) => r.ms)),
        repeatedInclusionMs: stats(again.map((r) => r.ms)),
        repeatedProofMs: +proofAgain.ms.toFixed(1),
        otherNodeInclusionMs: stats(other.map((r) => r.ms)),
      }),
    );

    expect(burst.map((r) => r.status)).toEqual(burst.map(() => 200));
    expect(healthz.length).toBeGreaterThanOrEqual(3);
    // The burst adds less than HEALTHZ_BOUND_MS to the node's worst /healthz: it never holds the node for long.
    expect(Math.max(...healthz)).toBeLessThan(Math.max(...idle) + HEALTHZ_BOUND_MS);
    // Bundles: the first build's bytes, every time.
    for (const r of [...proofs, proofAgain]) expect(r.bytes.equals(first.bytes)).toBe(true);
    // Inclusion proofs: what the uncached code computed (sort every entry, hash, walk), byte for byte.
    const sorted = bundle.entries.map((e) => ({ id: e.id, tickets: e.tickets }));
    sample.forEach((id, i) => {
      const expected = JSON.stringify(inclusionProof(sorted, bundle.weighted, id));
      expect(inclusions[i]!.text).toBe(expected);
      expect(again[i]!.text).toBe(expected);
      if (i < other.length) expect(other[i]!.text).toBe(expected);
      expect(verifyInclusionProof(JSON.parse(inclusions[i]!.text) as InclusionProof, bundle.merkleRoot)).toBe(true);
    });
    // The tree is stored once, beside the bundle, for as long as the draw.
    const keys = proofCacheKeys(campaignId, drawId);
    expect(await redis.hlen(keys.merkleIndex)).toBe(ENTRIES + 1);
    expect(await redis.strlen(keys.merkleNodes)).toBeGreaterThan(ENTRIES * 32);
    expect(await redis.pttl(keys.merkleNodes)).toBeGreaterThan(0);
  });

  it("keeps the old answers for bad or unknown entries and draws", async () => {
    const inclusion = (q: string, d = drawId) => http<{ error: { code: string; message: string } }>(`${base(a)}/draws/${d}/inclusion${q}`);
    expect(await inclusion("")).toMatchObject({ status: 404, body: { error: { code: "E_NOT_FOUND", message: "No such entry in this draw." } } });
    expect(await inclusion("?entryId=1-1")).toMatchObject({ status: 404, body: { error: { code: "E_NOT_FOUND" } } });
    expect(await inclusion(`?entryId=${encodeURIComponent("x y")}`)).toMatchObject({ status: 404, body: { error: { code: "E_NOT_FOUND" } } });
    expect(await inclusion("?entryId=1-1", "no-such-draw")).toMatchObject({ status: 404, body: { error: { code: "E_DRAW_NOT_FOUND" } } });
    expect((await http(`${base(b)}/draws/no-such-draw/proof`)).status).toBe(404);
    const open = await http<DrawCountdown>(`${base(a)}/draws`, { token: hostToken, body: { durationMs: 600_000, winners: 1 } });
    const entered = await store.enter(campaignId, open.body.drawId, "late-player", "l*");
    expect(await inclusion(`?entryId=${entered.intentId}`, open.body.drawId)).toMatchObject({
      status: 409,
      body: { error: { code: "E_DRAW_STATE", message: "The draw is open; this needs it to be closed or drawn or revealing or done." } },
    });
    expect(await http(`${base(a)}/draws/${open.body.drawId}/proof`)).toMatchObject({ status: 409, body: { error: { code: "E_DRAW_STATE", message: "The draw is open; this needs it to be done." } } });
    expect((await http(`${base(a)}/draws/${open.body.drawId}/cancel`, { token: hostToken, body: {} })).status).toBe(200);
  });

  it("serves the audit page as stored, and a redraw on another node reaches this node's cached bundle and page", async () => {
    const stored = async () => JSON.stringify({ campaignId, records: await store.audit(campaignId) });
    const audit = async (node: NodeProcess) => (await timed(`${base(node)}/audit`)).text;
    expect(await audit(a)).toBe(await stored());
    expect(await audit(a)).toBe(await stored()); // from memory
    const before = JSON.parse((await timed(`${base(a)}/draws/${drawId}/proof`)).text) as ProofBundle;
    expect(before.redraws).toEqual([]);

    const snap = await http<DrawSnapshot>(`${base(b)}/draws/${drawId}`);
    const replaces = snap.body.revealed[0]!.winners[0]!.intentId;
    const redraw = await http<{ winner: { intentId: string } | null }>(`${base(b)}/draws/${drawId}/redraw`, { token: hostToken, body: { tierId: "prize", replaces } });
    expect(redraw.status).toBe(200);

    const after = (await timed(`${base(a)}/draws/${drawId}/proof`)).text;
    const bundle = JSON.parse(after) as ProofBundle;
    expect(bundle.redraws).toEqual([{ index: 0, tierId: "prize", replaces, entryId: redraw.body.winner!.intentId }]);
    expect(verifyBundle(bundle)).toMatchObject({ ok: true });
    expect((await timed(`${base(b)}/draws/${drawId}/proof`)).text).toBe(after);
    // The page grew by the redraw's records (draw.redrawn, host.action): read incrementally, still as stored.
    const page = await audit(a);
    expect(page).toBe(await stored());
    expect((JSON.parse(page) as { records: unknown[] }).records.length).toBeGreaterThan(before.audit.length);
    // Entries did not change: the inclusion proofs neither.
    const id = bundle.entries[1234]!.id;
    const proof = (await timed(`${base(a)}/draws/${drawId}/inclusion?entryId=${id}`)).text;
    expect(proof).toBe(JSON.stringify(inclusionProof(bundle.entries, false, id)));
  });
});
