/**
 * The HTTP API of a socket node (served on uWebSockets.js or node:http alike):
 *   GET  /healthz                               liveness, engine in use
 *   GET  /readyz                                Redis reachable and not draining
 *   GET  /metrics                               Prometheus, behind LIVEDRAW_METRICS_TOKEN (or on LIVEDRAW_METRICS_PORT; else 404)
 *   pages: /control and / (console), /screen/:campaignId (big screen), /assets/<file>: pages-serve.ts
 *   POST /v1/host/session                       console sign-in: session cookie + CSRF token
 *   GET  /v1/host/session                       the current session (its CSRF token again)
 *   DELETE /v1/host/session                     sign out
 *   /v1/campaigns/:campaignId/draws/…           live draws: see routes-draws.ts
 *   POST /v1/campaigns                          host: create an instant-win campaign
 *   PUT  /v1/campaigns/:campaignId              host: replace it (only before it goes live)
 *   POST /v1/campaigns/:campaignId/inventory    host: add stock to a tier (safe while live)
 *   POST /v1/campaigns/:campaignId/tickets      host: grant spins to a player
 *   POST /v1/campaigns/:campaignId/points       host: award points (leaderboards, team PK)
 *   GET  /v1/campaigns/:campaignId/rules        public: published rules, odds and stock
 *   GET  /v1/campaigns/:campaignId/stats        host: stock accounting and spin counts
 *   GET  /v1/campaigns/:campaignId/audit        public: the hash-chained audit log
 *   GET  /v1/campaigns/:campaignId/join         public: the URL players join by (the big screen's QR code)
 *   /v1/campaigns/:campaignId/analytics, …/export                           operators (routes-analytics.ts)
 *   /v1/campaigns/:campaignId/coupons, …/wins, …/shipments, …/redemptions   prizes (routes-prizes.ts)
 *   /v1/campaigns/:campaignId/blocklist, …/flagged-sources, …/flagged-entries   host: abuse control (routes-blocklist.ts)
 *   POST /dev/token                             dev only: issue a token (LIVEDRAW_DEV_TOKENS)
 * Host endpoints take `Authorization: Bearer <host token>` or the session cookie (with
 * `X-CSRF-Token` when they change something); see server/host-session.ts. Every response carries
 * the security headers below.
 */
import { RateLimiterMemory } from "rate-limiter-flexible";
import { compliancePolicy } from "../core/campaign.js";
import { AppError, toAppError } from "../core/errors.js";
import { metricsAccess } from "../core/metrics.js";
import { addInventorySchema, awardPointsSchema, devTokenSchema, grantTicketsSchema, hostSignInSchema } from "../core/schemas.js";
import type { NodeContext } from "./context.js";
import { recordHostAction } from "./host-audit.js";
import type { HostSession } from "./host-session.js";
import { assertCampaignScope } from "./host-session.js";
import { clientIp, idempotencyKey, parseBody, parseJson, pathId } from "./http-body.js";
import { errorResponse, json, type HttpHandler, type HttpRequest, type HttpResponse } from "./http-types.js";
import { createPages } from "./pages-serve.js";
import { consume } from "./rate-limit.js";
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

export function createRoutes(ctx: NodeContext): HttpHandler {
  const pages = createPages();
  const cors: Record<string, string> = ctx.config.corsOrigin
    ? {
        "access-control-allow-origin": ctx.config.corsOrigin,
        "access-control-allow-headers": "authorization, content-type, idempotency-key, x-csrf-token",
        "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS",
      }
    : {};

  async function route(req: HttpRequest): Promise<HttpResponse> {
    const { method } = req;
    const parts = req.path.split("/").filter(Boolean);

    if (method === "OPTIONS") return { status: 204, body: "" };
    if (method === "GET" && req.path === "/healthz") {
      return json(200, {
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
      });
    }
    if (method === "GET" && req.path === "/readyz") {
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
    }
    if (method === "GET" && req.path === "/metrics") {
      const access = metricsAccess(ctx.config, "main", req.headers.authorization);
      if (!access.ok) throw new AppError(access.code, access.message);
      return { status: 200, headers: { "content-type": ctx.metrics.registry.contentType }, body: await ctx.metrics.registry.metrics() };
    }
    if (method === "GET") {
      const page = await pages(req);
      if (page) return page;
    }
    if (method === "POST" && req.path === "/v1/host/session") {
      const body = parseBody(hostSignInSchema, req);
      const { session, cookie } = await ctx.hostAuth.signIn(req, body.hostId, body.password);
      ctx.log.info({ host: session.hostId }, "host signed in");
      return json(200, sessionBody(session), { "set-cookie": ctx.hostAuth.setCookie(req, cookie), "cache-control": "no-store" });
    }
    if (method === "GET" && req.path === "/v1/host/session") {
      return json(200, sessionBody(await ctx.hostAuth.requireSession(req)), { "cache-control": "no-store" });
    }
    if (method === "DELETE" && req.path === "/v1/host/session") {
      const ref = await ctx.hostAuth.signOut(req);
      // The session's console sockets, on every node (the Redis adapter carries it).
      ctx.io.in(rooms.hostSession(ref)).disconnectSockets(true);
      return { status: 204, headers: { "set-cookie": ctx.hostAuth.setCookie(req, null), "cache-control": "no-store" }, body: "" };
    }
    const privacy = await privacyRoutes(ctx, req);
    if (privacy) return privacy;
    const login = await loginRoutes(ctx, req);
    if (login) return login;
    if (method === "POST" && req.path === "/dev/token") {
      if (!ctx.config.devTokens) return errorResponse("E_NOT_FOUND", "Dev tokens are disabled (set LIVEDRAW_DEV_TOKENS=1 for local use).");
      const body = parseBody(devTokenSchema, req);
      const token = await ctx.tokens.sign(
        { sub: body.playerId, role: body.role, ...(body.name === undefined ? {} : { name: body.name }), ...(body.phone === undefined ? {} : { phone: body.phone }) },
        body.ttlSeconds,
      );
      return json(200, { token, expiresInSeconds: body.ttlSeconds });
    }
    const policy = compliancePolicy(ctx.config);
    if (parts[0] === "v1" && parts[1] === "campaigns" && parts.length === 2 && method === "POST") {
      const who = await ctx.hostAuth.require(req, true);
      const body = parseJson(req);
      const named = (body as { campaignId?: unknown } | null)?.campaignId;
      if (typeof named === "string") assertCampaignScope(who, named); // else the schema refuses it below
      const stored = await ctx.spins.save("create", body, policy);
      await recordHostAction(ctx, stored.campaignId, who, "create-campaign");
      return json(201, await ctx.spins.rules(stored.campaignId, ctx.clock.now()));
    }
    if (parts[0] === "v1" && parts[1] === "campaigns" && parts.length === 3 && method === "PUT") {
      const campaignId = pathId(parts[2], "campaignId");
      const who = await ctx.hostAuth.require(req, true, campaignId);
      const body = parseJson(req);
      if (typeof body === "object" && body !== null && (body as { campaignId?: unknown }).campaignId !== campaignId) {
        throw new AppError("E_BAD_REQUEST", "campaignId: must match the campaign in the path");
      }
      await ctx.spins.save("replace", body, policy);
      await recordHostAction(ctx, campaignId, who, "update-campaign");
      return json(200, await ctx.spins.rules(campaignId, ctx.clock.now()));
    }
    const analytics = await analyticsRoutes(ctx, req, parts); // analytics, export: routes-analytics.ts
    if (analytics) return analytics;
    const prizes = await prizeRoutes(ctx, req, parts); // coupons, wins, shipments, redemptions: routes-prizes.ts
    if (prizes) return prizes;
    const abuse = await blocklistRoutes(ctx, req, parts); // blocklist, flagged sources and entries: routes-blocklist.ts
    if (abuse) return abuse;
    if (parts[0] === "v1" && parts[1] === "campaigns" && parts.length === 4 && parts[3] !== "draws") {
      const campaignId = pathId(parts[2], "campaignId");
      if (method === "GET" && parts[3] === "rules") return json(200, await ctx.spins.rules(campaignId, ctx.clock.now()));
      if (method === "GET" && parts[3] === "audit") return publicReads(ctx).audit(campaignId); // cached: public-reads.ts
      if (method === "GET" && parts[3] === "join") return json(200, { campaignId, joinUrl: joinUrl(ctx.config.joinUrl, campaignId) });
      if (method === "GET" && parts[3] === "stats") {
        await ctx.hostAuth.require(req, false, campaignId);
        return json(200, await ctx.spins.stats(campaignId));
      }
      if (method === "POST" && parts[3] === "inventory") {
        const who = await ctx.hostAuth.require(req, true, campaignId);
        const body = parseBody(addInventorySchema, req);
        const key = idempotencyKey(req);
        const remaining = await ctx.spins.addInventory(campaignId, body.tierId, body.add, key);
        await recordHostAction(ctx, campaignId, who, "add-inventory", { tierId: body.tierId, add: body.add }, key);
        return json(200, { campaignId, tierId: body.tierId, remaining });
      }
      if (method === "POST" && parts[3] === "points") {
        const who = await ctx.hostAuth.require(req, true, campaignId);
        const body = parseBody(awardPointsSchema, req);
        await ctx.campaigns.require(campaignId);
        const key = idempotencyKey(req);
        // `playerId` is the integrator's id (a token's `sub`); the server only ever stores its pseudonym.
        const playerId = ctx.pseudonyms.player(body.playerId);
        const score = await ctx.leaderboards.awardPoints(campaignId, playerId, body.points, key);
        await recordHostAction(ctx, campaignId, who, "award-points", { playerId, points: body.points }, key);
        return json(200, { campaignId, playerId, score });
      }
      if (method === "POST" && parts[3] === "tickets") {
        const who = await ctx.hostAuth.require(req, true, campaignId);
        const body = parseBody(grantTicketsSchema, req);
        const key = idempotencyKey(req);
        const playerId = ctx.pseudonyms.player(body.playerId);
        const balance = await ctx.tickets.grant(campaignId, playerId, body.tickets, who.hostId, key);
        await recordHostAction(ctx, campaignId, who, "grant-tickets", { playerId, tickets: body.tickets }, key);
        // `tickets` is the balance after the grant (kept under its old name for clients of v1).
        return json(200, { campaignId, playerId, tickets: balance, balance });
      }
    }
    if (parts[0] === "v1" && parts[1] === "campaigns" && parts[3] === "draws") {
      const out = await drawRoutes(ctx, req, parts);
      if (out) return out;
    }
    return errorResponse("E_NOT_FOUND", `No route for ${method} ${req.path}.`);
  }

  const limiter = new RateLimiterMemory({ points: ctx.config.httpRequestsPerSecondPerIp, duration: 1 });
  const probes = new Set(["/healthz", "/readyz", "/metrics"]);

  return async (req) => {
    let out: HttpResponse;
    try {
      // Public endpoints (proofs, audit logs) do real work per request: bound it per client address.
      if (!probes.has(req.path)) await consume(limiter, `ip:${clientIp(req, ctx.config.trustProxyHops)}`);
      out = await route(req);
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
