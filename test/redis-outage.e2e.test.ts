/**
 * A Redis outage in the middle of a spin campaign and a live draw, across real processes: 3 socket
 * nodes, 1 worker, SDK players and raw Socket.IO sockets. redis-server is SIGKILLed while spins,
 * entries and HTTP reads are under way, then restarted on the same port and AOF. Asserts: no node
 * or worker exits; every intent and every Redis-backed HTTP request is answered within 1 s with
 * E_UNAVAILABLE and retryAfterMs; /readyz answers 503 within 1 s and /healthz says redis "down";
 * after the restart everything recovers by itself (readiness, new spins and entries, pushes through
 * every node's adapter subscriber, the worker) and every spin acknowledged before the kill is
 * resolved exactly once. Also: a node refuses to start against a Redis that may evict keys.
 */
import { Redis } from "ioredis";
import { io as rawIo, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveDrawError, type LiveDrawClient } from "@livedraw/client-sdk";
import type { Ack, DrawCountdown, SpinResult } from "@livedraw/protocol";
import { campaignKeys } from "../core/redis-keys.js";
import { spawnRole } from "../scripts/spawn-role.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, TEST_SECRET, http, tokens, uniqueId, type NodeProcess, type RoleProcess } from "./harness.js";

const ANSWER_WITHIN_MS = 1000;
const PHONE_ID = "13900139000"; // a player id that looks like a phone number: it must reach no log line
const ENV = { LIVEDRAW_SPIN_SHED_LAG_MS: "0", LIVEDRAW_SOCKET_MESSAGES_PER_SECOND: "1000", LIVEDRAW_SPINS_PER_SECOND_PER_PLAYER: "1000" };

type Raw = { socket: Socket; send: <T>(event: string, payload: unknown) => Promise<{ ack: Ack<T>; ms: number }>; pushed: SpinResult[] };

async function rawPlayer(url: string, playerId: string): Promise<Raw> {
  const socket = rawIo(url, { transports: ["websocket"], reconnection: true, auth: { token: await tokens.sign({ sub: playerId, role: "player" }, 3600) } });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("connect_error", reject);
  });
  const pushed: SpinResult[] = [];
  socket.on("spin:result", (r: SpinResult) => pushed.push(r));
  const send = <T>(event: string, payload: unknown) =>
    new Promise<{ ack: Ack<T>; ms: number }>((resolve) => {
      const started = performance.now();
      socket.emit(event, payload, (ack: Ack<T>) => resolve({ ack, ms: performance.now() - started }));
    });
  return { socket, send, pushed };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("Redis outage: 3 nodes and a worker survive a SIGKILLed Redis and recover", () => {
  const h = new Harness();
  let nodes: NodeProcess[];
  let worker: RoleProcess;
  let hostToken: string;
  const campaignId = uniqueId("outage");
  const exits: string[] = [];

  beforeAll(async () => {
    await h.startRedis();
    nodes = await Promise.all([h.startNode(ENV), h.startNode(ENV), h.startNode(ENV)]);
    worker = await h.startWorker(ENV);
    for (const p of [...nodes, worker]) void p.exited.then((code) => exits.push(`${p.role} exited ${code}`));
    hostToken = await h.hostToken();
  });
  afterAll(() => h.cleanup());

  it("refuses to start (exit 2) against a Redis whose maxmemory-policy may evict keys", async () => {
    const admin = new Redis(h.redis.url);
    try {
      await admin.config("SET", "maxmemory-policy", "allkeys-lru");
      const proc = spawnRole("server", {
        env: { REDIS_URL: h.redis.url, LIVEDRAW_JWT_SECRET: TEST_SECRET, PORT: "0", LIVEDRAW_HOST: "127.0.0.1", LOG_LEVEL: "info", LIVEDRAW_NODE_ID: uniqueId("evicting") },
      });
      expect(await proc.exited).toBe(2);
      expect(proc.logs.some((l) => l.level === 60 && String(l.msg).includes("noeviction"))).toBe(true);
    } finally {
      await admin.config("SET", "maxmemory-policy", "noeviction");
      await admin.quit();
    }
  });

  it("refuses to start (exit 2) against a Redis with AOF off, unless LIVEDRAW_ALLOW_NO_AOF says it persists another way", async () => {
    const admin = new Redis(h.redis.url);
    const env = { REDIS_URL: h.redis.url, LIVEDRAW_JWT_SECRET: TEST_SECRET, PORT: "0", LIVEDRAW_HOST: "127.0.0.1", LOG_LEVEL: "info" };
    try {
      await admin.config("SET", "appendonly", "no");
      const refused = spawnRole("server", { env: { ...env, LIVEDRAW_NODE_ID: uniqueId("no-aof") } });
      expect(await refused.exited).toBe(2);
      expect(refused.logs.some((l) => l.level === 60 && String(l.msg).includes("AOF off") && String(l.msg).includes("LIVEDRAW_ALLOW_NO_AOF"))).toBe(true);
      const allowed = spawnRole("worker", { env: { ...env, LIVEDRAW_NODE_ID: uniqueId("no-aof-ok"), LIVEDRAW_ALLOW_NO_AOF: "1" } });
      h.defer(() => allowed.stop("SIGKILL"));
      await allowed.waitForLog((l) => l.msg === "worker ready", 20_000);
      expect(allowed.logs.some((l) => l.level === 40 && String(l.msg).includes("AOF IS OFF"))).toBe(true);
      await allowed.stop("SIGKILL");
    } finally {
      await admin.config("SET", "appendonly", "yes");
      await admin.quit();
    }
  });

  it("answers every intent E_UNAVAILABLE within 1 s while Redis is down, and recovers by itself", async () => {
    const created = await http(`${nodes[0]!.url}/v1/campaigns`, { token: hostToken, body: liveCampaign(campaignId) });
    expect(created.status).toBe(201);
    const opened = await http<DrawCountdown>(`${nodes[0]!.url}/v1/campaigns/${campaignId}/draws`, { token: hostToken, body: { durationMs: 120_000, winners: 3 } });
    expect(opened.status).toBe(201);
    const drawId = opened.body.drawId;

    // SDK players (no automatic retries, so each refusal is seen and timed) and one raw socket per node.
    const players: LiveDrawClient[] = await Promise.all(nodes.map((n, i) => h.player(n.url, `out-p${i}`, undefined, { maxRetries: 0 })));
    const raws: Raw[] = await Promise.all(nodes.map((n, i) => rawPlayer(n.url, i === 0 ? PHONE_ID : `out-raw${i}`)));
    for (const r of raws) h.defer(() => r.socket.close());

    // Spins resolve before the outage (every node has the campaign cached, then the cache expires).
    for (const p of players) expect((await p.spin(campaignId)).campaignId).toBe(campaignId);

    // Acknowledged but unresolved at the kill: the worker is paused while they are stored.
    worker.child.kill("SIGSTOP");
    const acked: string[] = [];
    for (const r of raws) {
      for (let i = 0; i < 5; i++) {
        const { ack } = await r.send<{ intentId: string }>("spin", { campaignId, idempotencyKey: uniqueId("pre") });
        expect(ack.ok).toBe(true);
        if (ack.ok) acked.push(ack.data.intentId);
      }
    }
    await new Promise((r) => setTimeout(r, 1500)); // the nodes' campaign cache (1 s) expires
    // Public reads answered before the outage by nodes 0 and 1 (not 2): those two serve them stale during it.
    const readBefore = new Map<string, string>();
    for (const node of nodes.slice(0, 2)) {
      for (const path of [`/v1/campaigns/${campaignId}/draws/${drawId}`, `/v1/campaigns/${campaignId}/audit`]) {
        const res = await fetch(`${node.url}${path}`);
        expect(res.status).toBe(200);
        readBefore.set(`${node.url}${path}`, await res.text());
      }
    }

    // Spins in flight as Redis dies: each is answered within 1 s, stored (ok) or refused (E_UNAVAILABLE).
    const inFlight = raws.flatMap((r) => Array.from({ length: 10 }, () => r.send<{ intentId: string }>("spin", { campaignId, idempotencyKey: uniqueId("flight") })));
    await h.redis.kill();
    worker.child.kill("SIGCONT"); // the worker lives through the outage too
    const killedAt = performance.now();
    const times: Record<string, number[]> = {};
    const note = (what: string, ms: number) => (times[what] ??= []).push(ms);
    for (const { ack, ms } of await Promise.all(inFlight)) {
      note("spin in flight", ms);
      if (ack.ok) acked.push(ack.data.intentId);
      else expect(ack.error.code).toBe("E_UNAVAILABLE");
    }

    // Probe every node, every intent and every Redis-backed read, for about 3.5 s.
    const expectUnavailable = (ack: Ack<unknown>) => {
      expect(ack.ok).toBe(false);
      if (!ack.ok) {
        expect(ack.error.code).toBe("E_UNAVAILABLE");
        expect(ack.error.retryAfterMs).toBe(1000);
      }
    };
    const sdkRefusal = async (what: string, fn: () => Promise<unknown>) => {
      const { value: err, ms } = await timed(() => fn().then(() => null, (e: unknown) => e));
      note(what, ms);
      expect(err).toBeInstanceOf(LiveDrawError);
      expect((err as LiveDrawError).code).toBe("E_UNAVAILABLE");
      expect((err as LiveDrawError).retryAfterMs).toBe(1000);
    };
    const httpRefusal = async (what: string, url: string) => {
      const { value: res, ms } = await timed(() => http<{ error: { code: string; retryAfterMs?: number } }>(url));
      note(what, ms);
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe("E_UNAVAILABLE");
      expect(res.body.error.retryAfterMs).toBe(1000);
    };
    for (let round = 0; round < 6; round++) {
      await Promise.all(
        nodes.map(async (node, i) => {
          const raw = raws[i]!;
          const spin = await raw.send("spin", { campaignId, idempotencyKey: uniqueId("down") });
          note("spin", spin.ms);
          expectUnavailable(spin.ack);
          const enter = await raw.send("draw:enter", { campaignId, drawId });
          note("draw:enter", enter.ms);
          expectUnavailable(enter.ack);
          await sdkRefusal("sdk spin", () => players[i]!.spin(campaignId));
          await sdkRefusal("sdk enter", () => players[i]!.enter(campaignId, drawId));
          for (const [what, path] of [["GET draw", `/v1/campaigns/${campaignId}/draws/${drawId}`], ["GET audit", `/v1/campaigns/${campaignId}/audit`]] as const) {
            if (i === 2) {
              await httpRefusal(what, `${node.url}${path}`); // never read here before: nothing to serve
              continue;
            }
            const { value: res, ms } = await timed(() => fetch(`${node.url}${path}`));
            note(`${what} (stale)`, ms);
            expect(res.status).toBe(200);
            expect(res.headers.get("x-livedraw-stale")).toBe("true");
            expect(Number(res.headers.get("age"))).toBeGreaterThanOrEqual(0);
            const body = (await res.json()) as Record<string, unknown>;
            const before = JSON.parse(readBefore.get(`${node.url}${path}`)!) as Record<string, unknown>;
            if (what === "GET audit") expect(body).toEqual(before);
            else expect(body).toEqual({ ...before, stale: true });
          }
          await httpRefusal("GET rules", `${node.url}/v1/campaigns/${campaignId}/rules`);
          const ready = await timed(() => http<{ status: string }>(`${node.url}/readyz`));
          note("readyz", ready.ms);
          expect(ready.value.status).toBe(503);
          const health = await timed(() => http<{ status: string; redis: string }>(`${node.url}/healthz`));
          note("healthz", health.ms);
          expect(health.value.status).toBe(200);
          expect(health.value.body.redis).toBe("down");
        }),
      );
      await new Promise((r) => setTimeout(r, 500)); // past several of ioredis's reconnect attempts
    }
    const outageMs = performance.now() - killedAt;
    const worst = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(Math.max(...v))]));
    console.log(`redis outage ${Math.round(outageMs)} ms; slowest answer per kind (ms): ${JSON.stringify(worst)}`);
    for (const [what, ms] of Object.entries(worst)) expect(ms, what).toBeLessThan(ANSWER_WITHIN_MS);
    expect(exits).toEqual([]);

    // Redis comes back on the same port and AOF: everything recovers by itself.
    await h.redis.restart();
    const restartedAt = performance.now();
    await Promise.all(nodes.map((n) => until(`readyz 200 on ${n.url}`, async () => (await http(`${n.url}/readyz`)).status === 200)));
    const readyMs = performance.now() - restartedAt;

    // New spins (resolved by the worker) and new entries succeed on every node.
    for (const p of players) expect((await p.spin(campaignId, { timeoutMs: 10_000 })).campaignId).toBe(campaignId);
    for (const p of players) expect((await p.enter(campaignId, drawId)).intentId).toEqual(expect.any(String));
    expect((await http(`${nodes[2]!.url}/v1/campaigns/${campaignId}/draws/${drawId}`)).status).toBe(200);
    // A pushed result reaches each node's raw socket: every node's adapter subscriber is back.
    for (const r of raws) {
      const { ack } = await r.send<{ intentId: string }>("spin", { campaignId, idempotencyKey: uniqueId("after") });
      expect(ack.ok).toBe(true);
      if (ack.ok) await until(`push of ${ack.data.intentId}`, async () => r.pushed.some((x) => x.intentId === ack.data.intentId), 10_000);
    }
    const recoveredMs = performance.now() - restartedAt;
    console.log(`after restart: /readyz 200 on every node in ${Math.round(readyMs)} ms; spins, entries and pushes working in ${Math.round(recoveredMs)} ms`);

    // Every spin acknowledged before (or as) Redis died is resolved, exactly once.
    // Results are personal: each intent is fetched by the socket of the player who spun it.
    const owner = new Map<string, Raw>();
    await until("every acknowledged spin resolved", async () => {
      for (const id of acked) {
        if (owner.has(id)) continue;
        for (const r of raws) {
          const { ack } = await r.send<SpinResult | null>("spin:fetch", { campaignId, intentId: id });
          if (ack.ok && ack.data) owner.set(id, r);
        }
      }
      return owner.size === acked.length;
    });
    const admin = new Redis(h.redis.url);
    h.defer(() => admin.quit());
    const k = campaignKeys(campaignId);
    const perIntent = new Map<string, number>();
    for (const [, fields] of await admin.xrange(k.ledger, "-", "+")) {
      if (fields[1] === "spin") perIntent.set(fields[3]!, (perIntent.get(fields[3]!) ?? 0) + 1);
    }
    for (const id of acked) expect(perIntent.get(id), id).toBe(1);
    expect([...perIntent.values()].every((n) => n === 1)).toBe(true);

    // Nothing ended, nothing was left unhandled, and no raw player id reached a log.
    expect(exits).toEqual([]);
    for (const p of [...nodes, worker]) {
      expect(p.logs.filter((l) => String(l.msg).startsWith("unhandled promise rejection"))).toEqual([]);
      expect(JSON.stringify(p.logs)).not.toContain(PHONE_ID);
    }
  });
});
