/**
 * The HTTP API of a socket node (served on uWebSockets.js or node:http alike): ONE table of routes
 * (`ROUTES`), each declared once with who may call it (server/route-table.ts), dispatched by
 * find-my-way. The rows of this file:
 *   GET  /healthz                               liveness, engine in use
 *   GET  /readyz                                Redis reachable and not draining
 *   GET  /metrics                               Prometheus, behind LIVEDRAW_METRICS_TOKEN (or on LIVEDRAW_METRICS_PORT; else 404)
 *   GET  /, /control, /screen/:campaignId, /assets/:name   pages (pages-serve.ts)
 *   POST /v1/host/session                       console sign-in: session cookie + CSRF token
 *   GET  /v1/host/session                       the current session (its CSRF token again)
 *   DELETE /v1/host/session                     sign out
 *   POST /v1/campaigns                          host: create an instant-win campaign
 *   PUT  /v1/campaigns/:campaignId              host: replace it (only before it goes live)
 *   POST /v1/campaigns/:campaignId/inventory    host: add stock to a tier (safe while live)
 *   POST /v1/campaigns/:campaignId/tickets      host: grant spins to a player
 *   POST /v1/campaigns/:campaignId/points       host: award points (leaderboards, team PK)
 *   GET  /v1/campaigns/:campaignId/rules        public: published rules, odds and stock
 *   GET  /v1/campaigns/:campaignId/stats        host: stock accounting and spin counts
 *   GET  /v1/campaigns/:campaignId/audit        public: the hash-chained audit log
 *   GET  /v1/campaigns/:campaignId/join         public: the URL players join by (the big screen's QR code)
 *   POST /dev/token                             dev only: issue a token (LIVEDRAW_DEV_TOKENS)
 * and the feature tables: draws (routes-draws.ts), prizes (routes-prizes.ts), analytics and exports
 * (routes-analytics.ts), abuse control (routes-blocklist.ts), sign-in (routes-login.ts), privacy
 * (routes-privacy.ts). Every response carries the security headers below.
 */
import { RateLimiterMemory } from "rate-limiter-flexible";
import { campaignInputSchema, compliancePolicy } from "../core/campaign.js";
import { AppError, toAppError } from "../core/errors.js";
import { metricsAccess } from "../core/metrics.js";
import { addInventorySchema, awardPointsSchema, devTokenSchema, grantTicketsSchema, hostSignInSchema } from "../core/schemas.js";
import type { NodeContext } from "./context.js";
import { recordHostAction } from "./host-audit.js";
import FindMyWay from "find-my-way";
import type { HostSession } from "./host-session.js";
import { clientIp, idempotencyKey, parseBody } from "./http-body.js";
import { errorResponse, json, type HttpHandler, type HttpRequest, type HttpResponse } from "./http-types.js";
import { consume } from "./rate-limit.js";
import { dispatch, HEAVY_POINTS, route, type Method, type Route } from "./route-table.js";
import { publicReads } from "./public-reads.js";
import { drawRoutes } from "./routes-draws.js";
import { blocklistRoutes } from "./routes-blocklist.js";
import { prizeRoutes } from "./routes-prizes.js";
import { analyticsRoutes } from "./routes-analytics.js";
import { privacyRoutes } from "./routes-privacy.js";
import { loginRoutes } from "./routes-login.js";
import { rooms } from "../core/protocol.js";

/** On every HTTP response, the API's as well as the pages'. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({ "x-content-type-options": "nosniff", "referrer-policy": "no-referrer" });

const sessionBody = (s: HostSession) => ({ hostId: s.hostId, csrfToken: s.csrfToken, expiresAt: s.expiresAt });

/** The join URL of a campaign, from the LIVEDRAW_JOIN_URL template. */
export function joinUrl(template: string, campaignId: string): string {
  return template.split("{campaignId}").join(encodeURIComponent(campaignId));
}

/** The node's Redis connections that are not connected right now, by role (`commands`, `adapter-pub`, …). */
function redisDown(ctx: NodeContext): string[] {
  return ctx.redisConnections.filter((c) => c.status !== "ready").map((c) => (c.options.connectionName ?? "redis").replace(`${ctx.config.nodeId}:`, ""));
}

const CAMPAIGN = "/v1/campaigns/:campaignId";
const noStore = { "cache-control": "no-store" };
const page = { allow: ["public"], scope: "none", cost: "page", summary: "a page of the console or the big screen" } as const;
const servePage = async (ctx: NodeContext, { req }: { req: HttpRequest }): Promise<HttpResponse> =>
  (await ctx.pages(req)) ?? errorResponse("E_NOT_FOUND", `No route for ${req.method} ${req.path}.`);

const coreRoutes: readonly Route[] = [
  route({
    method: "GET", path: "/healthz", allow: ["public"], scope: "none", cost: "probe", summary: "liveness, engine in use",
    handler: async (ctx) =>
      json(200, {
        status: "ok",
        node: ctx.config.nodeId,
        engine: ctx.engine,
        uwsNative: ctx.engine === "uws",
        engineReason: ctx.engineReason,
        draining: ctx.draining,
        eventLoopLagMs: ctx.shedder.lagMs,
        sheddingSpins: ctx.shedder.overloaded,
        uptimeMs: Date.now() - ctx.startedAt,
        // From the connections' state only: liveness never waits on Redis.
        redis: redisDown(ctx).length === 0 ? "up" : "down",
      }),
  }),
  route({
    method: "GET", path: "/readyz", allow: ["public"], scope: "none", cost: "probe", summary: "Redis reachable and not draining",
    handler: async (ctx) => {
      if (ctx.draining) return json(503, { status: "draining" });
      // Never waits on a reconnecting Redis: a connection that is not ready answers 503 at once, and
      // the PING is bounded by LIVEDRAW_REDIS_COMMAND_TIMEOUT_MS (the connection fails fast).
      const down = redisDown(ctx);
      if (down.length > 0) return json(503, { status: "redis unreachable", down });
      try {
        await ctx.redis.ping();
        return json(200, { status: "ready" });
      } catch {
        return json(503, { status: "redis unreachable", down: ["commands"] });
      }
    },
  }),
  route({
    method: "GET", path: "/metrics", allow: ["public"], scope: "none", cost: "probe", summary: "Prometheus metrics, behind LIVEDRAW_METRICS_TOKEN",
    handler: async (ctx, { req }) => {
      const access = metricsAccess(ctx.config, "main", req.headers.authorization);
      if (!access.ok) throw new AppError(access.code, access.message);
      return { status: 200, headers: { "content-type": ctx.metrics.registry.contentType }, body: await ctx.metrics.registry.metrics() };
    },
  }),
  route({ method: "GET", path: "/", ...page, handler: servePage }),
  route({ method: "GET", path: "/control", ...page, handler: servePage }),
  route({ method: "GET", path: "/screen/:campaignId", ...page, handler: servePage }),
  route({ method: "GET", path: "/assets/:name", ...page, handler: servePage }),
  route({
    method: "POST", path: "/v1/host/session", allow: ["public"], scope: "none", csrf: false, body: hostSignInSchema, cost: "write", summary: "console sign-in: session cookie and CSRF token",
    handler: async (ctx, { req, body }) => {
      const { session, cookie } = await ctx.hostAuth.signIn(req, body.hostId, body.password);
      ctx.log.info({ host: session.hostId }, "host signed in");
      return json(200, sessionBody(session), { "set-cookie": ctx.hostAuth.setCookie(req, cookie), "cache-control": "no-store" });
    },
  }),
  route({
    method: "GET", path: "/v1/host/session", allow: ["session"], scope: "none", cost: "read", summary: "the current console session (its CSRF token again)",
    handler: async (_ctx, { caller }) => json(200, sessionBody(caller.session!), noStore),
  }),
  route({
    method: "DELETE", path: "/v1/host/session", allow: ["session"], scope: "none", cost: "write", summary: "sign out of the console",
    handler: async (ctx, { req, caller }) => {
      const ref = caller.session!.ref;
      await ctx.hostAuth.endSession(ref);
      // The session's console sockets, on every node (the Redis adapter carries it).
      ctx.io.in(rooms.hostSession(ref)).disconnectSockets(true);
      return { status: 204, headers: { "set-cookie": ctx.hostAuth.setCookie(req, null), "cache-control": "no-store" }, body: "" };
    },
  }),
  route({
    method: "POST", path: "/dev/token", allow: ["public"], scope: "none", csrf: false, cost: "write", summary: "development only: issue a token (LIVEDRAW_DEV_TOKENS)",
    handler: async (ctx, { req }) => {
      if (!ctx.config.devTokens) return errorResponse("E_NOT_FOUND", "Dev tokens are disabled (set LIVEDRAW_DEV_TOKENS=1 for local use).");
      const body = parseBody(devTokenSchema, req);
      const token = await ctx.tokens.sign(
        { sub: body.playerId, role: body.role, ...(body.name === undefined ? {} : { name: body.name }), ...(body.phone === undefined ? {} : { phone: body.phone }) },
        body.ttlSeconds,
      );
      return json(200, { token, expiresInSeconds: body.ttlSeconds });
    },
  }),
  route({
    method: "POST", path: "/v1/campaigns", allow: ["host"], scope: "body-campaign", body: campaignInputSchema, cost: "write", summary: "create an instant-win campaign",
    handler: async (ctx, { caller: { who }, body }) => {
      const stored = await ctx.spins.save("create", body, compliancePolicy(ctx.config));
      await recordHostAction(ctx, stored.campaignId, who, "create-campaign");
      return json(201, await ctx.spins.rules(stored.campaignId, ctx.clock.now()));
    },
  }),
  route({
    method: "PUT", path: CAMPAIGN, allow: ["host"], scope: "campaign", body: campaignInputSchema, cost: "write", summary: "replace an instant-win campaign (only before it goes live)",
    handler: async (ctx, { params: { campaignId }, caller: { who }, body }) => {
      if (body.campaignId !== campaignId) throw new AppError("E_BAD_REQUEST", "campaignId: must match the campaign in the path");
      await ctx.spins.save("replace", body, compliancePolicy(ctx.config));
      await recordHostAction(ctx, campaignId, who, "update-campaign");
      return json(200, await ctx.spins.rules(campaignId, ctx.clock.now()));
    },
  }),
  route({
    method: "GET", path: `${CAMPAIGN}/rules`, allow: ["public"], scope: "none", cost: "read", summary: "published rules, odds and stock",
    handler: async (ctx, { params: { campaignId } }) => json(200, await ctx.spins.rules(campaignId, ctx.clock.now())),
  }),
  route({
    method: "GET", path: `${CAMPAIGN}/audit`, allow: ["public"], scope: "none", cost: "read", summary: "the campaign's hash-chained audit log",
    handler: (ctx, { params: { campaignId } }) => publicReads(ctx).audit(campaignId), // cached: public-reads.ts
  }),
  route({
    method: "GET", path: `${CAMPAIGN}/join`, allow: ["public"], scope: "none", cost: "read", summary: "the URL players join by (the big screen's QR code)",
    handler: async (ctx, { params: { campaignId } }) => json(200, { campaignId, joinUrl: joinUrl(ctx.config.joinUrl, campaignId) }),
  }),
  route({
    method: "GET", path: `${CAMPAIGN}/stats`, allow: ["host"], scope: "campaign", cost: "read", summary: "stock accounting and spin counts",
    handler: async (ctx, { params: { campaignId } }) => json(200, await ctx.spins.stats(campaignId)),
  }),
  route({
    method: "POST", path: `${CAMPAIGN}/inventory`, allow: ["host"], scope: "campaign", body: addInventorySchema, cost: "write", summary: "add stock to a tier (safe while live)",
    handler: async (ctx, { req, params: { campaignId }, caller: { who }, body }) => {
      const key = idempotencyKey(req);
      const remaining = await ctx.spins.addInventory(campaignId, body.tierId, body.add, key);
      await recordHostAction(ctx, campaignId, who, "add-inventory", { tierId: body.tierId, add: body.add }, key);
      return json(200, { campaignId, tierId: body.tierId, remaining });
    },
  }),
  route({
    method: "POST", path: `${CAMPAIGN}/points`, allow: ["host"], scope: "campaign", body: awardPointsSchema, cost: "write", summary: "award points (leaderboards, team PK)",
    handler: async (ctx, { req, params: { campaignId }, caller: { who }, body }) => {
      await ctx.campaigns.require(campaignId);
      const key = idempotencyKey(req);
      // `playerId` is the integrator's id (a token's `sub`); the server only ever stores its pseudonym.
      const playerId = ctx.pseudonyms.player(body.playerId);
      const score = await ctx.leaderboards.awardPoints(campaignId, playerId, body.points, key);
      await recordHostAction(ctx, campaignId, who, "award-points", { playerId, points: body.points }, key);
      return json(200, { campaignId, playerId, score });
    },
  }),
  route({
    method: "POST", path: `${CAMPAIGN}/tickets`, allow: ["host"], scope: "campaign", body: grantTicketsSchema, cost: "write", summary: "grant spins (tickets) to a player",
    handler: async (ctx, { req, params: { campaignId }, caller: { who }, body }) => {
      const key = idempotencyKey(req);
      const playerId = ctx.pseudonyms.player(body.playerId);
      const balance = await ctx.tickets.grant(campaignId, playerId, body.tickets, who.hostId, key);
      await recordHostAction(ctx, campaignId, who, "grant-tickets", { playerId, tickets: body.tickets }, key);
      // `tickets` is the balance after the grant (kept under its old name for clients of v1).
      return json(200, { campaignId, playerId, tickets: balance, balance });
    },
  }),
];

/** Every route of the node, each declared once: what the router dispatches and the docs and authorization tests walk. */
export const ROUTES: readonly Route[] = [...coreRoutes, ...drawRoutes, ...prizeRoutes, ...analyticsRoutes, ...blocklistRoutes, ...loginRoutes, ...privacyRoutes];

/** The router of a table (find-my-way); throws at start-up on a duplicate or conflicting row. */
export function createRouter(routes: readonly Route[]): (method: string, path: string) => { route: Route; params: Record<string, string | undefined> } | null {
  const router = FindMyWay({ ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 200 });
  for (const r of routes) router.on(r.method, r.path, () => undefined, r);
  const methods = new Set<string>(routes.map((r) => r.method));
  return (method, path) => {
    if (!methods.has(method)) return null;
    const found = router.find(method as Method, path);
    // `store` is the row registered with the path (find-my-way types it as any).
    return found === null ? null : { route: found.store as Route, params: found.params };
  };
}

export function createRoutes(ctx: NodeContext): HttpHandler {
  const find = createRouter(ROUTES);
  const cors: Record<string, string> = ctx.config.corsOrigin
    ? {
        "access-control-allow-origin": ctx.config.corsOrigin,
        "access-control-allow-headers": "authorization, content-type, idempotency-key, x-csrf-token",
        "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
      }
    : {};
  const limiter = new RateLimiterMemory({ points: ctx.config.httpRequestsPerSecondPerIp, duration: 1 });

  return async (req) => {
    let out: HttpResponse;
    try {
      const found = req.method === "OPTIONS" ? null : find(req.method, req.path);
      const cost = found?.route.cost ?? "read";
      // Public endpoints (proofs, audit logs) do real work per request: bound it per client address.
      if (cost !== "probe") await consume(limiter, `ip:${clientIp(req, ctx.config.trustProxyHops)}`, undefined, cost === "heavy" ? HEAVY_POINTS : 1);
      if (req.method === "OPTIONS") out = { status: 204, body: "" };
      else if (found === null) out = errorResponse("E_NOT_FOUND", `No route for ${req.method} ${req.path}.`);
      else out = await dispatch(ctx, found.route, req, found.params);
    } catch (err) {
      const appErr = toAppError(err);
      if (appErr.code === "E_INTERNAL" || appErr.code === "E_UNAVAILABLE") ctx.log.error({ err, path: req.path }, "http request failed");
      ctx.metrics.errors.labels(appErr.code).inc();
      out = errorResponse(appErr.code, appErr.message, appErr.retryAfterMs);
      if (appErr.retryAfterMs !== undefined) out.headers = { ...out.headers, "retry-after": String(Math.ceil(appErr.retryAfterMs / 1000)) };
    }
    return { ...out, headers: { ...SECURITY_HEADERS, ...cors, ...out.headers } };
  };
}
