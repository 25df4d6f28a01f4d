/**
 * Authorization as data, checked against a real node: the test walks EVERY row of the route table
 * (server/routes.ts ROUTES) with every kind of caller — none, a revoked player, another player, a
 * host of another campaign whose `sub` is a player's pseudonym, staff of another campaign, a host
 * of the campaign, an operator, a console session without its CSRF token — and checks the answer
 * the row documents (docs/http-api.md §1, "Who may call what") and the order of the checks.
 * Then the prize codes: only the winner's own token carries them; hosts see them masked.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Win } from "@livedraw/protocol";
import { io as rawIo } from "socket.io-client";
import { hashPassword } from "../server/host-accounts.js";
import type { Route } from "../server/route-table.js";
import { ROUTES } from "../server/routes.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, collect, http, pseudonym, tokens, uniqueId, type NodeProcess } from "./harness.js";

type Answer = { status: number; code: string | null };
const PASSWORD = "correct horse battery staple";

describe("route table × callers", () => {
  const h = new Harness();
  let node: NodeProcess;
  let redis: Redis;
  const campaignId = uniqueId("authz");
  const other = uniqueId("elsewhere");
  const callers: Record<string, { token?: string; cookie?: string }> = {};

  async function call(r: Route, who: { token?: string; cookie?: string; csrf?: string }, overrides: { path?: string; body?: string } = {}): Promise<Answer> {
    const path = overrides.path ?? r.path.replace(":campaignId", campaignId).replace(":drawId", "no-such-draw");
    const body = r.method === "GET" ? undefined : (overrides.body ?? (r.scope === "body-campaign" ? JSON.stringify(liveCampaign(campaignId)) : "{}"));
    const res = await fetch(`${node.url}${path}`, {
      method: r.method,
      headers: {
        ...(who.token === undefined ? {} : { authorization: `Bearer ${who.token}` }),
        ...(who.cookie === undefined ? {} : { cookie: who.cookie }),
        ...(who.csrf === undefined ? {} : { "x-csrf-token": who.csrf }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body }),
    });
    const text = await res.text();
    let code: string | null = null;
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? null;
    } catch {
      // not JSON
    }
    return { status: res.status, code };
  }

  /** What a caller of `kind` gets from row `r`, as docs/http-api.md §1 states it: an exact refusal, or "passes" (any answer but 401/403). */
  function expected(r: Route, kind: string): Answer | "passes" {
    const unauthorized = { status: 401, code: "E_UNAUTHORIZED" };
    const forbidden = { status: 403, code: "E_FORBIDDEN" };
    if (kind === "revoked") return unauthorized; // a revoked token is refused on every /v1/ and /dev/ route
    if (r.allow.includes("session")) return kind === "session" ? (r.csrf ? { status: 403, code: "E_CSRF" } : "passes") : unauthorized;
    if (r.allow.includes("public")) return "passes";
    if (kind === "none") return unauthorized;
    if (kind === "session") return r.allow.includes("host") ? (r.csrf ? { status: 403, code: "E_CSRF" } : "passes") : unauthorized;
    const role = kind === "player" ? "player" : kind === "staff-other" ? "staff" : "host";
    if (!r.allow.includes(role)) return forbidden;
    if (role === "player") return "passes";
    const scoped = kind !== "operator";
    const inScope = kind === "host";
    if (r.scope === "all-campaigns" && scoped) return forbidden;
    if ((r.scope === "campaign" || r.scope === "body-campaign") && !inScope && scoped) return forbidden;
    return "passes";
  }

  beforeAll(async () => {
    await h.startRedis();
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
    const env = {
      LIVEDRAW_HOSTS: `console-host:${await hashPassword(PASSWORD)}`,
      LIVEDRAW_OPERATOR_HOSTS: "ops-1",
      LIVEDRAW_TIER_MAX_PROBABILITY: "1",
      LIVEDRAW_HTTP_REQUESTS_PER_SECOND_PER_IP: "100000",
      LIVEDRAW_ISSUE_INTERVAL_MS: "50",
    };
    node = await h.startNode(env);
    await h.startWorker(env);
    const operator = await tokens.sign({ sub: "ops-1", role: "host" }, 600);
    // The campaign every row is called on: an instant-win campaign whose only tier always wins.
    const created = await http(`${node.url}/v1/campaigns`, {
      token: operator,
      body: liveCampaign(campaignId, { tiers: [{ tierId: "mug", name: "Mug", probability: 1, inventory: 100, value: 30 }] }),
    });
    expect(created.status).toBe(201);

    callers.operator = { token: operator };
    callers.host = { token: await tokens.sign({ sub: "stage-host", role: "host", campaigns: [campaignId] }, 600) };
    // A host of another campaign whose `sub` is a player's pseudonym (pseudonyms are public: invite links, audit log).
    callers["host-other"] = { token: await tokens.sign({ sub: pseudonym("winner"), role: "host", campaigns: [other] }, 600) };
    callers["staff-other"] = { token: await tokens.sign({ sub: "desk-9", role: "staff", campaigns: [other] }, 600) };
    callers.player = { token: await tokens.sign({ sub: "bystander", role: "player" }, 600) };
    callers.none = {};
    const revoked = await tokens.sign({ sub: "revoked-player", role: "player" }, 600);
    // The revocation refuses tokens issued before it, rounded up to the next second: this one too.
    expect((await http(`${node.url}/v1/auth/revoke`, { token: operator, body: { playerId: "revoked-player" } })).status).toBe(200);
    callers.revoked = { token: revoked };
    const signIn = await fetch(`${node.url}/v1/host/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ hostId: "console-host", password: PASSWORD }) });
    expect(signIn.status).toBe(200);
    callers.session = { cookie: (signIn.headers.get("set-cookie") ?? "").split(";")[0]! };
  });
  afterAll(() => h.cleanup());

  it("every route answers every kind of caller as documented", async () => {
    const api = ROUTES.filter((r) => r.cost !== "probe" && r.cost !== "page");
    expect(api.length).toBeGreaterThanOrEqual(35);
    const wrong: string[] = [];
    for (const r of api) {
      // The session's own DELETE would end it for the rows after it: called last, below.
      if (r.method === "DELETE" && r.path === "/v1/host/session") continue;
      for (const [kind, who] of Object.entries(callers)) {
        const got = await call(r, who);
        const want = expected(r, kind);
        const ok = want === "passes" ? got.status !== 401 && got.status !== 403 : got.status === want.status && got.code === want.code;
        if (!ok) wrong.push(`${r.method} ${r.path} as ${kind}: got ${got.status} ${got.code}, want ${want === "passes" ? "no 401/403" : `${want.status} ${want.code}`}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("checks in the documented order: path ids, then credentials, then the caller's kind and scope, then CSRF, then the body", async () => {
    const wrong: string[] = [];
    for (const r of ROUTES.filter((x) => x.cost !== "probe" && x.cost !== "page" && !x.allow.includes("public"))) {
      if (r.path.includes(":campaignId")) {
        // A bad id with no credentials: the id is named first.
        const bad = await call(r, {}, { path: r.path.replace(":campaignId", "bad!id").replace(":drawId", "d1") });
        if (bad.status !== 400 || bad.code !== "E_BAD_REQUEST") wrong.push(`${r.method} ${r.path}: bad id without a token gave ${bad.status} ${bad.code}`);
      }
      if (r.body !== undefined) {
        // A bad body without credentials: 401 before the body is read; with the right host, the body's 400.
        const anonymous = await call(r, {}, { body: "not json" });
        if (anonymous.status !== 401) wrong.push(`${r.method} ${r.path}: bad body without a token gave ${anonymous.status}`);
        const right = r.allow.includes("session") ? null : r.allow.includes("host") ? callers.operator! : r.allow.includes("player") ? callers.player! : null;
        if (right !== null) {
          const badBody = await call(r, right, { body: "not json" });
          if (badBody.status !== 400 || badBody.code !== "E_BAD_REQUEST") wrong.push(`${r.method} ${r.path}: bad body from an allowed caller gave ${badBody.status} ${badBody.code}`);
        }
      }
      if (r.csrf && r.allow.includes("host") && r.body !== undefined) {
        // A console session without its CSRF token is refused before its body is looked at.
        const csrf = await call(r, callers.session!, { body: "not json" });
        if (csrf.code !== "E_CSRF") wrong.push(`${r.method} ${r.path}: session without CSRF and a bad body gave ${csrf.status} ${csrf.code}`);
      }
    }
    expect(wrong).toEqual([]);
    // Revoked on a public route too, and an over-long-lived token is refused.
    expect(await call(ROUTES.find((r) => r.path === "/v1/campaigns/:campaignId/rules")!, callers.revoked!)).toEqual({ status: 401, code: "E_UNAUTHORIZED" });
    const yearLong = await tokens.sign({ sub: "patient", role: "player" }, 365 * 86_400);
    expect((await http(`${node.url}/v1/campaigns/${campaignId}/wins`, { token: yearLong })).status).toBe(401);
  });

  it("prize codes reach only their winner: hosts see them masked, a host never acts as the player its sub names", async () => {
    const winner = await h.player(node.url, "winner");
    const issued = collect<Win>("the win issued", 1, 30_000);
    winner.on("win:status", (w) => w.status === "issued" && issued.add(w));
    await winner.spin(campaignId, { idempotencyKey: "authz-spin-1" });
    const [win] = await issued.done;
    expect(win!.redemptionCode).toMatch(/\S{6,}/);
    expect(win!.qr).not.toBeNull();

    // The winner's own token: codes in clear.
    const own = await http<{ wins: Win[] }>(`${node.url}/v1/campaigns/${campaignId}/wins`, { token: await tokens.sign({ sub: "winner", role: "player" }, 600) });
    expect(own.body.wins.map((w) => [w.winId, w.redemptionCode, w.qr])).toEqual([[win!.winId, win!.redemptionCode, win!.qr]]);
    // Another player: none of them.
    expect((await http<{ wins: Win[] }>(`${node.url}/v1/campaigns/${campaignId}/wins`, { token: callers.player!.token! })).body.wins).toEqual([]);
    // A host of the campaign: masked codes, no QR payload.
    const hostView = await http<{ wins: Win[] }>(`${node.url}/v1/campaigns/${campaignId}/wins`, { token: callers.host!.token! });
    expect(hostView.body.wins).toHaveLength(1);
    expect(hostView.body.wins[0]!.qr).toBeNull();
    expect(hostView.body.wins[0]!.redemptionCode).not.toBe(win!.redemptionCode);
    expect(hostView.body.wins[0]!.redemptionCode).toMatch(/^\*{4,}/);
    // An operator asking for it: in clear (and audited).
    const unmasked = await http<{ wins: Win[] }>(`${node.url}/v1/campaigns/${campaignId}/wins?unmasked=1`, { token: callers.operator!.token! });
    expect(unmasked.body.wins[0]!.redemptionCode).toBe(win!.redemptionCode);

    // The other campaign's host whose sub is the winner's pseudonym: refused on HTTP, and its socket
    // neither lists the winner's wins nor receives the winner's pushes.
    expect((await http(`${node.url}/v1/campaigns/${campaignId}/wins`, { token: callers["host-other"]!.token! })).status).toBe(403);
    const socket = rawIo(node.url, { transports: ["websocket"], reconnection: false, auth: { token: callers["host-other"]!.token! } });
    h.defer(() => socket.close());
    await new Promise<void>((resolve, reject) => {
      socket.on("connect", resolve);
      socket.on("connect_error", reject);
    });
    const pushes: unknown[] = [];
    socket.on("win:status", (w: unknown) => pushes.push(w));
    const listed = await socket.timeout(5000).emitWithAck("wins:list", { campaignId });
    expect(listed).toMatchObject({ ok: true, data: [] });
    // A push to the winner (the operator marks nothing; a second spin issues a second win) reaches the winner only.
    const second = collect<Win>("a second win issued", 1, 30_000);
    winner.on("win:status", (w) => w.status === "issued" && w.winId !== win!.winId && second.add(w));
    await winner.spin(campaignId, { idempotencyKey: "authz-spin-2" });
    await second.done;
    // The winner got it; give the same push a round trip to reach the impostor's socket if it were in the room.
    await socket.timeout(5000).emitWithAck("wins:list", { campaignId });
    expect(pushes).toEqual([]);
  });

  it("a console session signs out with its CSRF token only", async () => {
    const signOut = ROUTES.find((r) => r.method === "DELETE" && r.path === "/v1/host/session")!;
    expect(await call(signOut, callers.session!)).toEqual({ status: 403, code: "E_CSRF" });
    expect(await call(signOut, callers.operator!)).toEqual({ status: 401, code: "E_UNAUTHORIZED" });
  });
});
