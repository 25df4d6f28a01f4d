/**
 * The host console's backend end to end, against a real node, worker and Redis: console sign-in
 * (cookie + CSRF token, sign-in throttling), every host request by session or Bearer token, `host.action`
 * audit records, console and viewer sockets, the draws list, early close, the join URL, and the
 * pages with their headers.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Redis } from "ioredis";
import { io as rawIo, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ack, DrawSnapshot } from "@livedraw/protocol";
import { verifyBundle } from "@livedraw/fairness";
import { projectRoot } from "../core/assets.js";
import { campaignKeys } from "../core/redis-keys.js";
import { hashPassword } from "../server/host-accounts.js";
import { Harness, tokens, uniqueId, type NodeProcess } from "./harness.js";

const PASSWORD = "correct horse battery staple";
const JOIN = "https://m.example.cn/join/{campaignId}?from=screen";

interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}
type ErrorBody = { error: { code: string; message: string; retryAfterMs?: number } };
type SessionBody = { hostId: string; csrfToken: string; expiresAt: number };

describe("host console sessions, sockets, pages", () => {
  const h = new Harness();
  let node: NodeProcess;
  let redis: Redis;
  const created: string[] = []; // page files this test wrote (only where none were built)

  /** fetch with a cookie, a CSRF token, a client address (X-Forwarded-For; the node trusts it) and JSON. */
  async function call<T = Record<string, unknown>>(
    pathname: string,
    init: { method?: string; body?: unknown; cookie?: string; csrf?: string; token?: string; ip?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const res = await fetch(`${node.url}${pathname}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers: {
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        ...(init.cookie ? { cookie: init.cookie } : {}),
        ...(init.csrf ? { "x-csrf-token": init.csrf } : {}),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.ip ? { "x-forwarded-for": init.ip } : {}),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON (pages)
    }
    return { status: res.status, headers: res.headers, body: body as T };
  }

  async function signIn(hostId = "host-a", ip = "10.0.0.1"): Promise<{ cookie: string; csrf: string; setCookie: string }> {
    const res = await call<SessionBody>("/v1/host/session", { body: { hostId, password: PASSWORD }, ip });
    expect(res.status).toBe(200);
    const setCookie = res.headers.get("set-cookie") ?? "";
    return { cookie: setCookie.split(";")[0]!, csrf: res.body.csrfToken, setCookie };
  }

  /** A raw Socket.IO client; resolves once connected or rejects with the connect_error's data. */
  function connect(opts: { auth?: Record<string, unknown>; headers?: Record<string, string> }): Promise<Socket> {
    const socket = rawIo(node.url, { transports: ["websocket"], reconnection: false, auth: opts.auth ?? {}, extraHeaders: opts.headers ?? {} });
    h.defer(() => socket.close());
    return new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(socket));
      socket.once("connect_error", (err: Error & { data?: unknown }) => reject(Object.assign(new Error(err.message), { data: err.data })));
    });
  }

  const ack = <T>(socket: Socket, event: string, payload: unknown) => (socket.timeout(5000).emitWithAck as (e: string, p: unknown) => Promise<Ack<T>>)(event, payload);

  async function audit(campaignId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
    return (await call<{ records: { type: string; data: Record<string, unknown> }[] }>(`/v1/campaigns/${campaignId}/audit`)).body.records;
  }

  async function waitForPhase(campaignId: string, drawId: string, phase: string, timeoutMs = 15_000): Promise<DrawSnapshot> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const res = await call<DrawSnapshot>(`/v1/campaigns/${campaignId}/draws/${drawId}`);
      if (res.body.phase === phase) return res.body;
      if (Date.now() > until) throw new Error(`draw ${drawId} is ${res.body.phase}, not ${phase}, after ${timeoutMs} ms`);
      await delay(100);
    }
  }

  beforeAll(async () => {
    // The pages are built by `npm run build` (server/pages/build.mjs); write stand-ins only where nothing was built.
    const publicDir = path.join(projectRoot(), "dist", "public");
    mkdirSync(path.join(publicDir, "assets"), { recursive: true });
    for (const [rel, text] of [
      ["control.html", "<!doctype html><title>console</title>"],
      ["screen.html", "<!doctype html><title>screen</title>"],
    ] as const) {
      const file = path.join(publicDir, rel);
      if (!existsSync(file)) {
        writeFileSync(file, text);
        created.push(file);
      }
    }
    if (!readdirSync(path.join(publicDir, "assets")).some((f) => f.endsWith(".js"))) {
      const file = path.join(publicDir, "assets", "stand-in.js");
      writeFileSync(file, "console.log('stand-in');\n");
      created.push(file);
    }

    const hash = await hashPassword(PASSWORD);
    await h.startRedis();
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
    node = await h.startNode({
      LIVEDRAW_HOSTS: `host-a:${hash},host-b:${hash},host-c:${hash}`,
      LIVEDRAW_TRUST_PROXY: "1",
      LIVEDRAW_JOIN_URL: JOIN,
    });
    await h.startWorker();
  });

  afterAll(async () => {
    await h.cleanup();
    for (const file of created) rmSync(file, { force: true });
  });

  it("signs in: an HttpOnly, SameSite=Strict session cookie and a CSRF token; Secure over TLS", async () => {
    const before = Date.now();
    const res = await call<SessionBody>("/v1/host/session", { body: { hostId: "host-a", password: PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body.hostId).toBe("host-a");
    expect(res.body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body.expiresAt).toBeGreaterThanOrEqual(before + 43_200_000 - 1000);
    expect(res.body.expiresAt).toBeLessThanOrEqual(Date.now() + 43_200_000 + 1000);
    const setCookie = res.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^ld_host=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
    expect(res.headers.get("cache-control")).toBe("no-store");

    const tls = await call("/v1/host/session", { body: { hostId: "host-a", password: PASSWORD }, headers: { "x-forwarded-proto": "https" } });
    expect(tls.headers.get("set-cookie")).toMatch(/; Secure$/);
  });

  it("refuses a wrong password or an unknown host id with 401 E_SIGN_IN_FAILED", async () => {
    for (const body of [{ hostId: "host-a", password: "wrong" }, { hostId: "nobody", password: PASSWORD }]) {
      const res = await call<ErrorBody>("/v1/host/session", { body, ip: `10.1.0.${body.hostId.length}` });
      expect(res.status).toBe(401);
      expect(res.body.error).toEqual({ code: "E_SIGN_IN_FAILED", message: "Wrong host id or password." });
      expect(res.headers.get("set-cookie")).toBeNull();
    }
    const bad = await call<ErrorBody>("/v1/host/session", { body: { hostId: "host-a" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("password");
  });

  it("throttles failed sign-ins per (host id, address) with doubling backoff and per address; never locks the host id", async () => {
    // Per (host id, address): five free failures; then that address waits for that host id, even with the right password...
    for (let i = 0; i < 5; i++) expect((await call("/v1/host/session", { body: { hostId: "host-b", password: "nope" }, ip: "10.2.0.1" })).status).toBe(401);
    const pair = await call<ErrorBody>("/v1/host/session", { body: { hostId: "host-b", password: PASSWORD }, ip: "10.2.0.1" });
    expect(pair.status).toBe(429);
    expect(pair.body.error.code).toBe("E_RATE_LIMITED");
    expect(pair.body.error.retryAfterMs).toBeGreaterThan(0);
    expect(pair.body.error.retryAfterMs).toBeLessThanOrEqual(2000);
    // ...while the right password from an address without failures signs in at once (the old per-host-id lock is gone),
    expect((await call("/v1/host/session", { body: { hostId: "host-b", password: PASSWORD }, ip: "10.2.0.99" })).status).toBe(200);
    // and so does another host id from the throttled address.
    expect((await call("/v1/host/session", { body: { hostId: "host-c", password: PASSWORD }, ip: "10.2.0.1" })).status).toBe(200);
    // Once the wait is over, one more failure doubles it.
    await delay(pair.body.error.retryAfterMs! + 50);
    expect((await call("/v1/host/session", { body: { hostId: "host-b", password: "nope" }, ip: "10.2.0.1" })).status).toBe(401);
    const doubled = await call<ErrorBody>("/v1/host/session", { body: { hostId: "host-b", password: PASSWORD }, ip: "10.2.0.1" });
    expect(doubled.status).toBe(429);
    expect(doubled.body.error.retryAfterMs).toBeGreaterThan(2000);
    expect(doubled.body.error.retryAfterMs).toBeLessThanOrEqual(4000);

    // Per address: twenty failures across host ids; the next from that address waits, other addresses do not.
    for (let i = 0; i < 20; i++) expect((await call("/v1/host/session", { body: { hostId: `guess-${i}`, password: "nope" }, ip: "10.3.0.1" })).status).toBe(401);
    const address = await call<ErrorBody>("/v1/host/session", { body: { hostId: "host-c", password: PASSWORD }, ip: "10.3.0.1" });
    expect(address.status).toBe(429);
    expect(address.body.error.code).toBe("E_RATE_LIMITED");
    expect(address.body.error.message).toContain("from this address");
    expect(Number(address.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await call("/v1/host/session", { body: { hostId: "host-c", password: PASSWORD }, ip: "10.3.0.2" })).status).toBe(200);
  });

  it("gives a reloaded console its session (and CSRF token) back; 401 without a valid cookie", async () => {
    const { cookie, csrf } = await signIn();
    const res = await call<SessionBody>("/v1/host/session", { cookie });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ hostId: "host-a", csrfToken: csrf });
    expect((await call<ErrorBody>("/v1/host/session")).body.error.code).toBe("E_UNAUTHORIZED");
    const forged = await call<ErrorBody>("/v1/host/session", { cookie: `ld_host=${"A".repeat(43)}` });
    expect(forged.status).toBe(401);
    expect(forged.body.error.code).toBe("E_UNAUTHORIZED");
  });

  it("opens a draw with the cookie and the CSRF token, and audits it as a host.action of that host", async () => {
    const campaignId = uniqueId("camp");
    const { cookie, csrf } = await signIn();
    const opened = await call<{ drawId: string }>(`/v1/campaigns/${campaignId}/draws`, { cookie, csrf, body: { durationMs: 60_000, winners: 1, drawId: "by-session" } });
    expect(opened.status).toBe(201);
    const records = await audit(campaignId);
    expect(records.map((r) => r.type)).toEqual(["campaign.created", "draw.opened", "host.action"]);
    expect(records[2]!.data).toEqual({ hostId: "host-a", via: "session", action: "open-draw", drawId: "by-session" });
  });

  it("refuses a state change with the cookie but without its CSRF token (403 E_CSRF), and changes nothing", async () => {
    const campaignId = uniqueId("camp");
    const { cookie, csrf } = await signIn();
    expect((await call(`/v1/campaigns/${campaignId}/draws`, { cookie, csrf, body: { durationMs: 60_000, winners: 1 } })).status).toBe(201);
    const before = (await call<{ draws: unknown[] }>(`/v1/campaigns/${campaignId}/draws`)).body.draws;
    const auditBefore = await audit(campaignId);
    for (const attempt of [{ cookie }, { cookie, csrf: "x".repeat(43) }, { cookie, csrf: csrf.slice(1) }]) {
      const res = await call<ErrorBody>(`/v1/campaigns/${campaignId}/draws`, { ...attempt, body: { durationMs: 60_000, winners: 1 } });
      expect(res.status).toBe(403);
      expect(res.body.error).toEqual({ code: "E_CSRF", message: "This request lacks your session's CSRF token; reload the console." });
    }
    const drawId = (before[0] as { drawId: string }).drawId;
    const cancel = await call<ErrorBody>(`/v1/campaigns/${campaignId}/draws/${drawId}/cancel`, { cookie, body: {} });
    expect(cancel.body.error.code).toBe("E_CSRF");
    expect((await call<{ draws: unknown[] }>(`/v1/campaigns/${campaignId}/draws`)).body.draws).toEqual(before);
    expect(await audit(campaignId)).toEqual(auditBefore);
  });

  it("still takes Bearer host tokens (no CSRF), refuses player tokens, and lets the cookie read stats without CSRF", async () => {
    const campaignId = uniqueId("camp");
    const token = await h.hostToken("integrator-1");
    expect((await call(`/v1/campaigns/${campaignId}/draws`, { token, body: { durationMs: 60_000, winners: 1, drawId: "by-token" } })).status).toBe(201);
    const player = await tokens.sign({ sub: "p1", role: "player" }, 60);
    expect((await call<ErrorBody>(`/v1/campaigns/${campaignId}/draws`, { token: player, body: { durationMs: 60_000, winners: 1 } })).body.error.code).toBe("E_FORBIDDEN");
    expect((await call<ErrorBody>(`/v1/campaigns/${campaignId}/draws`, { body: { durationMs: 60_000, winners: 1 } })).body.error.code).toBe("E_UNAUTHORIZED");
    const host = (await audit(campaignId)).find((r) => r.type === "host.action");
    expect(host?.data).toEqual({ hostId: "integrator-1", via: "token", action: "open-draw", drawId: "by-token" });

    // An instant-win campaign by session; its stats with the cookie alone (a read).
    const { cookie, csrf } = await signIn();
    const now = Date.now();
    const wheel = uniqueId("wheel");
    const campaign = {
      campaignId: wheel, title: "Wheel",
      schedule: { warmupAt: now - 1000, liveAt: now, longTailAt: now + 3_600_000, closedAt: now + 7_200_000 },
      tiers: [{ tierId: "gold", name: "Gold", probability: 0.1, inventory: 10, value: 500 }],
      limits: { spinsPerDay: 5, spinsPerCampaign: 5, winsPerCampaign: 1 }, freeSpins: 1,
      claim: { windowHours: 24, conditions: "At the prize desk." },
    };
    expect((await call(`/v1/campaigns`, { cookie, csrf, body: campaign })).status).toBe(201);
    expect((await call<ErrorBody>(`/v1/campaigns/${wheel}/inventory`, { cookie, body: { tierId: "gold", add: 5 } })).body.error.code).toBe("E_CSRF");
    const added = await call(`/v1/campaigns/${wheel}/inventory`, { cookie, csrf, body: { tierId: "gold", add: 5 }, headers: { "idempotency-key": "add-5-once" } });
    expect(added.body).toMatchObject({ remaining: 15 });
    await call(`/v1/campaigns/${wheel}/inventory`, { cookie, csrf, body: { tierId: "gold", add: 5 }, headers: { "idempotency-key": "add-5-once" } });
    expect((await call(`/v1/campaigns/${wheel}/stats`, { cookie })).status).toBe(200);
    const actions = (await audit(wheel)).filter((r) => r.type === "host.action").map((r) => r.data.action);
    expect(actions).toEqual(["create-campaign", "add-inventory"]); // the repeated key is recorded once
  });

  it("signs out (CSRF required): 204, the cookie cleared, the old cookie refused, its console sockets disconnected", async () => {
    const { cookie, csrf } = await signIn();
    const origin = node.url;
    const socket = await connect({ headers: { cookie, origin } });
    const gone = new Promise<string>((resolve) => socket.once("disconnect", (reason) => resolve(reason)));
    expect((await call<ErrorBody>("/v1/host/session", { method: "DELETE", cookie })).body.error.code).toBe("E_CSRF");
    const out = await call("/v1/host/session", { method: "DELETE", cookie, csrf });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toBe("ld_host=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    expect(await gone).toBe("io server disconnect");
    expect((await call<ErrorBody>("/v1/host/session", { cookie })).status).toBe(401);
    const after = await call<ErrorBody>(`/v1/campaigns/${uniqueId("camp")}/draws`, { cookie, csrf, body: { durationMs: 60_000, winners: 1 } });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("E_UNAUTHORIZED");
    await expect(connect({ headers: { cookie, origin } })).rejects.toMatchObject({ data: { code: "E_UNAUTHORIZED" } });
  });

  it("admits a console socket by cookie only from its own origin", async () => {
    const { cookie } = await signIn();
    const socket = await connect({ headers: { cookie, origin: node.url } });
    const subscribed = await ack<{ campaignId: string }>(socket, "campaign:subscribe", { campaignId: "c-host" });
    expect(subscribed.ok).toBe(true);
    // A host, not a player.
    const enter = await ack(socket, "draw:enter", { campaignId: "c-host", drawId: "d1" });
    expect(enter).toMatchObject({ ok: false, error: { code: "E_FORBIDDEN", message: "Only players enter draws." } });

    for (const origin of ["https://evil.example", "http://127.0.0.1:1", "null"]) {
      await expect(connect({ headers: { cookie, origin } })).rejects.toMatchObject({ data: { code: "E_FORBIDDEN" } });
    }
    await expect(connect({ headers: { cookie } })).rejects.toMatchObject({ data: { code: "E_FORBIDDEN" } });
    await expect(connect({})).rejects.toMatchObject({ data: { code: "E_UNAUTHORIZED" } });
  });

  it("admits an anonymous viewer that can watch but never enter, spin, assist, join a team, or get a leaderboard name", async () => {
    const campaignId = uniqueId("camp");
    const token = await h.hostToken();
    const { drawId } = (await call<{ drawId: string }>(`/v1/campaigns/${campaignId}/draws`, { token, body: { durationMs: 60_000, winners: 1 } })).body;
    const viewer = await connect({ auth: { viewer: true } });
    const sub = await ack<{ draw: DrawSnapshot | null }>(viewer, "campaign:subscribe", { campaignId });
    expect(sub.ok && sub.data.draw?.drawId).toBe(drawId);
    expect((await ack(viewer, "time:sync", { clientTime: 1 })).ok).toBe(true);
    expect((await ack(viewer, "leaderboard:subscribe", { campaignId, board: "points" })).ok).toBe(true);
    const forbidden: [string, unknown][] = [
      ["draw:enter", { campaignId, drawId }],
      ["spin", { campaignId, idempotencyKey: "viewer-spin-1" }],
      ["assist", { campaignId, inviterId: "p1" }],
      ["team:join", { campaignId, teamId: "red" }],
      ["leaderboard:rank", { campaignId, board: "points" }],
      ["spin:history", { campaignId }],
    ];
    for (const [event, payload] of forbidden) {
      expect(await ack(viewer, event, payload), event).toMatchObject({ ok: false, error: { code: "E_FORBIDDEN" } });
    }
    expect(await redis.hgetall(campaignKeys(campaignId).names)).toEqual({});
    expect(await redis.hlen(`ld:{campaign:${campaignId}}:draw:${drawId}:entrants`)).toBe(0);
  });

  it("lists a campaign's draws, newest first", async () => {
    const campaignId = uniqueId("camp");
    const token = await h.hostToken();
    for (const drawId of ["first", "second", "third"]) {
      expect((await call(`/v1/campaigns/${campaignId}/draws`, { token, body: { durationMs: 60_000, winners: 1, drawId, title: `Draw ${drawId}` } })).status).toBe(201);
      await delay(5);
    }
    const list = await call<{ campaignId: string; draws: { drawId: string; title: string; phase: string; openedAt: number; deadline: number; entrants: number }[] }>(`/v1/campaigns/${campaignId}/draws`);
    expect(list.status).toBe(200);
    expect(list.body.campaignId).toBe(campaignId);
    expect(list.body.draws.map((d) => d.drawId)).toEqual(["third", "second", "first"]);
    expect(list.body.draws[0]).toMatchObject({ title: "Draw third", phase: "open", entrants: 0 });
    expect(list.body.draws[0]!.deadline - list.body.draws[0]!.openedAt).toBe(60_000);
    // A campaign that does not exist is not an empty one (docs/http-api.md §2).
    const unknown = await call<{ error: { code: string } }>(`/v1/campaigns/${uniqueId("none")}/draws`);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "E_CAMPAIGN_NOT_FOUND"]);
  });

  it("closes entries early: later entries get E_DRAW_CLOSED, the draw is drawn now and still verifies", async () => {
    const campaignId = uniqueId("camp");
    const { cookie, csrf } = await signIn();
    const { drawId } = (await call<{ drawId: string }>(`/v1/campaigns/${campaignId}/draws`, { cookie, csrf, body: { durationMs: 600_000, winners: 2 } })).body;
    const players = await Promise.all(["p1", "p2", "p3", "late"].map(async (id) => connect({ auth: { token: await tokens.sign({ sub: id, role: "player" }, 60) } })));
    for (const p of players.slice(0, 3)) expect((await ack(p, "draw:enter", { campaignId, drawId })).ok).toBe(true);

    const started = Date.now();
    const closed = await call<DrawSnapshot & { serverTime: number }>(`/v1/campaigns/${campaignId}/draws/${drawId}/close`, { cookie, csrf, body: {} });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ campaignId, drawId, entrants: 3 });
    expect(closed.body.deadline).toBeLessThanOrEqual(closed.body.serverTime);
    expect(closed.body.deadline - closed.body.openedAt).toBeLessThan(600_000);

    expect(await ack(players[3]!, "draw:enter", { campaignId, drawId })).toMatchObject({ ok: false, error: { code: "E_DRAW_CLOSED" } });
    const done = await waitForPhase(campaignId, drawId, "done");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(done.revealed[0]!.winners).toHaveLength(2);

    const again = await call<ErrorBody>(`/v1/campaigns/${campaignId}/draws/${drawId}/close`, { cookie, csrf, body: {} });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("E_DRAW_STATE");
    expect((await call<ErrorBody>(`/v1/campaigns/${campaignId}/draws/nope/close`, { cookie, csrf, body: {} })).body.error.code).toBe("E_DRAW_NOT_FOUND");

    const closeRecord = (await audit(campaignId)).find((r) => r.type === "host.action" && r.data.action === "close-draw");
    expect(closeRecord?.data).toMatchObject({ hostId: "host-a", via: "session", drawId, deadline: closed.body.deadline });
    // The bundle carries the host records in its chain; the verifier accepts it.
    const proof = await call(`/v1/campaigns/${campaignId}/draws/${drawId}/proof`);
    const verdict = verifyBundle(proof.body);
    expect(verdict.ok, JSON.stringify(verdict)).toBe(true);
    expect((proof.body as { audit: { type: string }[] }).audit.some((r) => r.type === "host.action")).toBe(true);
  });

  it("tells the big screen the join URL of a campaign", async () => {
    const res = await call<{ campaignId: string; joinUrl: string }>("/v1/campaigns/gala-2026/join");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ campaignId: "gala-2026", joinUrl: "https://m.example.cn/join/gala-2026?from=screen" });
    expect((await call("/v1/campaigns/bad!id/join")).status).toBe(400);
  });

  it("serves the pages with a strict CSP, no-cache HTML, cached assets with ETags, and security headers everywhere", async () => {
    for (const p of ["/control", "/"]) {
      const res = await call(p);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(res.headers.get("content-security-policy")).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors 'none'",
      );
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    }
    const screen = await call("/screen/gala-2026");
    expect(screen.status).toBe(200);
    expect(screen.headers.get("content-security-policy")).toMatch(/; frame-ancestors 'self'$/);
    expect((await call("/screen/bad!id")).status).toBe(404);
    expect((await call("/screen/gala/extra")).status).toBe(404);

    const js = readdirSync(path.join(projectRoot(), "dist", "public", "assets")).find((f) => /^[A-Za-z0-9._-]+\.js$/.test(f))!;
    const asset = await call(`/assets/${js}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(asset.headers.get("cache-control")).toBe("public, max-age=300");
    const etag = asset.headers.get("etag")!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(asset.headers.get("x-content-type-options")).toBe("nosniff");
    const cached = await call(`/assets/${js}`, { headers: { "if-none-match": etag } });
    expect(cached.status).toBe(304);
    expect(cached.headers.get("etag")).toBe(etag);

    for (const p of ["/assets/..%2Fcontrol.html", "/assets/control.html", "/assets/nope.js", "/assets/.hidden.js", "/assets/a/b.js", "/assets/"]) {
      expect((await call(p)).status, p).toBe(404);
    }
    // Raw paths, as sent (fetch would normalize "..").
    for (const raw of ["/assets/../x", "/assets/../control.html", "/assets/%2e%2e/control.html"]) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: "127.0.0.1", port: node.port, path: raw, method: "GET" }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", reject);
        req.end();
      });
      expect(status, raw).toBe(404);
    }

    const api = await call("/v1/campaigns/gala-2026/join");
    expect(api.headers.get("x-content-type-options")).toBe("nosniff");
    expect(api.headers.get("referrer-policy")).toBe("no-referrer");
    expect(api.headers.get("content-security-policy")).toBeNull();
  });
});
