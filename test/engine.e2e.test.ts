/**
 * The socket engine: native uWebSockets.js here; when the package falls back to its JavaScript
 * imitation (forced with UWS_USE_FALLBACK=1) the node says so and serves on Socket.IO's `ws` engine.
 * Also: a bad configuration stops the process with a message naming the field; SIGTERM drains.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projectRoot } from "../core/assets.js";
import { selectEngine } from "../server/transport.js";
import { Harness, http, uniqueId } from "./harness.js";

describe("socket engine selection", () => {
  const h = new Harness();
  beforeAll(() => h.startRedis());
  afterAll(() => h.cleanup());

  it("loads the native uWebSockets.js binary on this machine", () => {
    const selection = selectEngine("auto");
    expect(selection.engine).toBe("uws");
    expect(selection.reason).toBe("native uWebSockets.js loaded");
  });

  it("falls back to the ws engine when only the JS imitation loads, reports it, and still works", async () => {
    const node = await h.startNode({ UWS_USE_FALLBACK: "1" });
    const warn = await node.waitForLog((l) => l.msg.startsWith("socket engine selected"));
    expect(warn).toMatchObject({ engine: "ws", level: 40 });
    expect(String(warn.reason)).toContain("imitation");
    const health = await http<{ engine: string; uwsNative: boolean }>(`${node.url}/healthz`);
    expect(health.body).toMatchObject({ engine: "ws", uwsNative: false });

    const campaignId = uniqueId("camp");
    const client = await h.player(node.url, "p1");
    const snapshot = await client.subscribe(campaignId);
    expect(snapshot).toMatchObject({ campaignId, draw: null });

    // SIGTERM drains: readiness would fail, sockets close, the process exits 0.
    expect(await node.stop("SIGTERM")).toBe(0);
    expect(node.logs.some((l) => l.msg === "closed")).toBe(true);
  });

  it("limits HTTP requests per client address, with Retry-After, but never health probes", async () => {
    const node = await h.startNode({ LIVEDRAW_HTTP_REQUESTS_PER_SECOND_PER_IP: "3" });
    const statuses = await Promise.all(Array.from({ length: 6 }, () => fetch(`${node.url}/v1/campaigns/nope/rules`)));
    const limited = statuses.filter((r) => r.status === 429);
    expect(limited.length).toBe(3);
    expect(Number(limited[0]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await limited[0]!.json()).toMatchObject({ error: { code: "E_RATE_LIMITED" } });
    const probes = await Promise.all(Array.from({ length: 10 }, () => fetch(`${node.url}/healthz`)));
    expect(probes.every((r) => r.status === 200)).toBe(true);
  });

  it("refuses to start with a bad configuration, naming the field", () => {
    const out = spawnSync(process.execPath, [path.join(projectRoot(), "dist", "server", "main.js")], {
      env: { ...process.env, LIVEDRAW_JWT_SECRET: "short", PORT: "http" },
      encoding: "utf8",
    });
    expect(out.status).toBe(2);
    expect(out.stderr).toContain("LIVEDRAW_JWT_SECRET (jwtSecret): must be at least 32 characters");
    expect(out.stderr).toContain("PORT (port)");
  });

  it("refuses LIVEDRAW_TRANSPORT=uws when the native module is unavailable", () => {
    const before = process.env.UWS_USE_FALLBACK;
    // selectEngine loads the package once per process, so check the message through a child process.
    const out = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", `import { selectEngine } from ${JSON.stringify(path.join(projectRoot(), "dist", "server", "transport.js"))}; try { selectEngine("uws"); } catch (e) { console.log(e.message); process.exit(3); }`],
      { env: { ...process.env, UWS_USE_FALLBACK: "1" }, encoding: "utf8" },
    );
    expect(before).toBeUndefined();
    expect(out.status).toBe(3);
    expect(out.stdout).toContain("LIVEDRAW_TRANSPORT=uws but native uWebSockets.js is unavailable");
  });
});
