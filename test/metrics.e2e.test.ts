/**
 * GET /metrics access and the latency metrics, against real node and worker processes:
 * - the main port serves /metrics only with `Authorization: Bearer <LIVEDRAW_METRICS_TOKEN>`
 *   (the harness sets one), and answers 404 E_METRICS_DISABLED without a token or with a separate
 *   metrics port; LIVEDRAW_METRICS_PORT serves it on its own listener (token or not);
 * - after spins and an auto-revealed draw: ack latency histograms of `spin` and `draw:enter` on the
 *   node, spin resolution and reveal emit histograms on the worker (on its metrics port), reveal
 *   fan-out on the node, and the sampled backlog gauges (spin stream lag, queue depth);
 * - /readyz answers within 1 s while healthy (the outage case: test/redis-outage.e2e.test.ts).
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogLine } from "../scripts/spawn-role.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, METRICS_TOKEN, collect, http, metricsText, uniqueId, type NodeProcess, type RoleProcess } from "./harness.js";

/** The value of the sample `name{…labels…}` (all of `labels` present), or undefined when there is none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

const metricsPortOf = async (proc: RoleProcess): Promise<number> => Number((await proc.waitForLog((l: LogLine) => l.msg === "metrics listening")).port);

describe("metrics", () => {
  const h = new Harness();
  let node: NodeProcess;
  let worker: RoleProcess;
  let workerMetrics: string;
  let host: string;

  beforeAll(async () => {
    await h.startRedis();
    [node, worker] = await Promise.all([h.startNode(), h.startWorker({ LIVEDRAW_METRICS_PORT: "0" })]);
    workerMetrics = `http://127.0.0.1:${await metricsPortOf(worker)}`;
    host = await h.hostToken();
  });
  afterAll(() => h.cleanup());

  it("serves /metrics on the main port only with the Bearer token, constant answer otherwise", async () => {
    const none = await fetch(`${node.url}/metrics`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: "E_UNAUTHORIZED", message: expect.stringContaining("LIVEDRAW_METRICS_TOKEN") });
    for (const authorization of [`Bearer ${METRICS_TOKEN}x`, `Bearer ${METRICS_TOKEN.slice(0, -1)}`, `Basic ${METRICS_TOKEN}`, METRICS_TOKEN]) {
      const res = await fetch(`${node.url}/metrics`, { headers: { authorization } });
      expect(res.status, authorization).toBe(401);
    }
    const ok = await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toContain("text/plain");
    expect(ok.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await ok.text()).toContain("livedraw_sockets");
  });

  it("answers 404 E_METRICS_DISABLED on the main port without a token, and serves a separate port", async () => {
    const [off, separate] = await Promise.all([h.startNode({ LIVEDRAW_METRICS_TOKEN: "" }), h.startNode({ LIVEDRAW_METRICS_TOKEN: "", LIVEDRAW_METRICS_PORT: "0" })]);
    for (const n of [off, separate]) {
      const res = await http<{ error: { code: string; message: string } }>(`${n.url}/metrics`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("E_METRICS_DISABLED");
    }
    expect((await http<{ error: { message: string } }>(`${off.url}/metrics`)).body.error.message).toMatch(/LIVEDRAW_METRICS_TOKEN.*LIVEDRAW_METRICS_PORT/);
    const port = `http://127.0.0.1:${await metricsPortOf(separate)}`;
    const text = await (await fetch(`${port}/metrics`)).text(); // no token set: open (it binds 127.0.0.1)
    expect(sample(text, "livedraw_engine_info")).toBe(1);
    expect((await fetch(`${port}/healthz`)).status).toBe(404); // only /metrics there
  });

  it("serves a worker's metrics on its port behind the token", async () => {
    expect((await fetch(`${workerMetrics}/metrics`)).status).toBe(401);
    expect(await metricsText(workerMetrics)).toContain("livedraw_spin_resolution_seconds_bucket");
  });

  it("records ack, resolution and reveal latencies and samples the backlog", async () => {
    const spinCampaign = uniqueId("c");
    expect((await http(`${node.url}/v1/campaigns`, { token: host, body: liveCampaign(spinCampaign) })).status).toBe(201);
    const player = await h.player(node.url, uniqueId("p"));
    const SPINS = 3;
    for (let i = 0; i < SPINS; i++) await player.spin(spinCampaign); // resolves with the result

    const drawCampaign = uniqueId("c");
    await player.subscribe(drawCampaign);
    const done = collect<unknown>("draw:done", 1, 15_000);
    player.on("draw:done", (d) => done.add(d));
    const tiers = [
      { tierId: "a", name: "A", count: 1 },
      { tierId: "b", name: "B", count: 1 },
    ];
    const opened = await http<{ drawId: string }>(`${node.url}/v1/campaigns/${drawCampaign}/draws`, { token: host, body: { durationMs: 1000, tiers, autoReveal: true } });
    expect(opened.status).toBe(201);
    await player.enter(drawCampaign, opened.body.drawId);
    await done.done; // the worker closed, drew and revealed both tiers

    const nodeText = await metricsText(node.url);
    expect(sample(nodeText, "livedraw_ack_latency_seconds_count", { event: "spin", outcome: "ok" })).toBeGreaterThanOrEqual(SPINS);
    expect(sample(nodeText, "livedraw_ack_latency_seconds_count", { event: "draw:enter", outcome: "ok" })).toBe(1);
    expect(sample(nodeText, "livedraw_ack_latency_seconds_bucket", { event: "spin", outcome: "ok", le: "+Inf" })).toBeGreaterThanOrEqual(SPINS);
    expect(sample(nodeText, "livedraw_ack_latency_seconds_bucket", { event: "spin", le: "0.001" })).toBeDefined(); // ms-scale buckets
    // Both reveals were decided by the worker and written by this node to the player's socket.
    expect(sample(nodeText, "livedraw_reveal_fanout_seconds_count")).toBe(tiers.length);
    expect(sample(nodeText, "livedraw_reveal_emit_seconds_count")).toBe(0); // no host reveal through this node
    // Backlog: nothing left to resolve; the queue depth by state.
    expect(sample(nodeText, "livedraw_spin_pending_intents")).toBe(0);
    expect(sample(nodeText, "livedraw_spin_oldest_pending_seconds")).toBe(0);
    for (const state of ["waiting", "active", "delayed", "failed"]) expect(sample(nodeText, "livedraw_queue_jobs", { state }), state).toBeGreaterThanOrEqual(0);

    const workerText = await metricsText(workerMetrics);
    expect(sample(workerText, "livedraw_spin_resolution_seconds_count")).toBe(SPINS);
    const resolutionSum = sample(workerText, "livedraw_spin_resolution_seconds_sum")!;
    expect(resolutionSum).toBeGreaterThanOrEqual(0);
    expect(resolutionSum / SPINS).toBeLessThan(10); // seconds, not milliseconds mistaken for seconds
    expect(sample(workerText, "livedraw_reveal_emit_seconds_count")).toBe(tiers.length);
    expect(sample(workerText, "livedraw_worker_jobs_total", { name: "draw.close", outcome: "completed" })).toBe(1);
  });

  it("samples the backlog from Redis at most once per few seconds, however often it is scraped", async () => {
    const redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
    // Each sample reads one XRANGE … COUNT 1 per campaign with spins (one here); nothing else on
    // the node or the worker sends XRANGE while no draw finishes.
    const xranges = async () => Number(/cmdstat_xrange:calls=(\d+)/.exec(await redis.info("commandstats"))?.[1] ?? 0);
    const before = await xranges();
    const texts = await Promise.all(Array.from({ length: 20 }, () => metricsText(node.url)));
    expect((await xranges()) - before).toBeLessThanOrEqual(1);
    for (const text of texts) expect(sample(text, "livedraw_spin_pending_intents")).toBe(0);
  });

  it("answers /readyz within 1 s", async () => {
    const started = performance.now();
    const res = await http<{ status: string }>(`${node.url}/readyz`);
    expect(res).toEqual({ status: 200, body: { status: "ready" } });
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
