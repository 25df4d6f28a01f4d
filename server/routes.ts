/**
 * The HTTP API of a socket node (served on uWebSockets.js or node:http alike):
 *   GET  /healthz                               liveness, engine in use
 *   GET  /readyz                                Redis reachable and not draining
 *   GET  /metrics                               Prometheus
 *   GET  /control                               the host control page
 *   /v1/campaigns/:campaignId/draws/…           live draws: see routes-draws.ts
 *   POST /v1/campaigns                          host: create an instant-win campaign
 *   PUT  /v1/campaigns/:campaignId              host: replace it (only before it goes live)
 *   POST /v1/campaigns/:campaignId/inventory    host: add stock to a tier (safe while live)
 *   POST /v1/campaigns/:campaignId/tickets      host: grant spins to a player
 *   POST /v1/campaigns/:campaignId/points       host: award points (leaderboards, team PK)
 *   GET  /v1/campaigns/:campaignId/rules        public: published rules, odds and stock
 *   GET  /v1/campaigns/:campaignId/stats        host: stock accounting and spin counts
 *   GET  /v1/campaigns/:campaignId/audit        public: the hash-chained audit log
 *   POST /dev/token                             dev only: issue a token (LIVEDRAW_DEV_TOKENS)
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { z } from "zod";
import { projectRoot } from "../core/assets.js";
import { AppError, toAppError } from "../core/errors.js";
import { addInventorySchema, awardPointsSchema, describeIssues, devTokenSchema, grantTicketsSchema, idSchema, startDrawSchema } from "../core/schemas.js";
import type { NodeContext } from "./context.js";
import { errorResponse, json, type HttpHandler, type HttpRequest, type HttpResponse } from "./http-types.js";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { idempotencyKey, parseBody, parseJson, pathId } from "./http-body.js";
import { consume } from "./rate-limit.js";
import { drawRoutes } from "./routes-draws.js";

export function createRoutes(ctx: NodeContext): HttpHandler {
  const controlPage = readFileSync(path.join(projectRoot(), "server", "public", "control.html"));
  const cors: Record<string, string> = ctx.config.corsOrigin
    ? {
        "access-control-allow-origin": ctx.config.corsOrigin,
        "access-control-allow-headers": "authorization, content-type, idempotency-key",
        "access-control-allow-methods": "GET, POST, PUT, OPTIONS",
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
      });
    }
    if (method === "GET" && req.path === "/readyz") {
      if (ctx.draining) return json(503, { status: "draining" });
      try {
        await ctx.redis.ping();
        return json(200, { status: "ready" });
      } catch {
        return json(503, { status: "redis unreachable" });
      }
    }
    if (method === "GET" && req.path === "/metrics") {
      return { status: 200, headers: { "content-type": ctx.metrics.registry.contentType }, body: await ctx.metrics.registry.metrics() };
    }
    if (method === "GET" && (req.path === "/control" || req.path === "/")) {
      return { status: 200, headers: { "content-type": "text/html; charset=utf-8" }, body: controlPage };
    }
    if (method === "POST" && req.path === "/dev/token") {
      if (!ctx.config.devTokens) return errorResponse("E_NOT_FOUND", "Dev tokens are disabled (set LIVEDRAW_DEV_TOKENS=1 for local use).");
      const body = parseBody(devTokenSchema, req);
      const token = await ctx.tokens.sign({ sub: body.playerId, role: body.role, ...(body.name === undefined ? {} : { name: body.name }) }, body.ttlSeconds);
      return json(200, { token, expiresInSeconds: body.ttlSeconds });
    }
    const policy = {
      minTierProbability: ctx.config.tierMinProbability,
      maxTierProbability: ctx.config.tierMaxProbability,
      maxTotalProbability: ctx.config.maxTotalProbability,
    };
    if (parts[0] === "v1" && parts[1] === "campaigns" && parts.length === 2 && method === "POST") {
      await ctx.tokens.requireHost(req.headers.authorization);
      const stored = await ctx.spins.save("create", parseJson(req), policy);
      return json(201, await ctx.spins.rules(stored.campaignId, ctx.clock.now()));
    }
    if (parts[0] === "v1" && parts[1] === "campaigns" && parts.length === 3 && method === "PUT") {
      await ctx.tokens.requireHost(req.headers.authorization);
      const campaignId = pathId(parts[2], "campaignId");
      const body = parseJson(req);
      if (typeof body === "object" && body !== null && (body as { campaignId?: unknown }).campaignId !== campaignId) {
        throw new AppError("E_BAD_REQUEST", "campaignId: must match the campaign in the path");
      }
      await ctx.spins.save("replace", body, policy);
      return json(200, await ctx.spins.rules(campaignId, ctx.clock.now()));
    }
    if (parts[0] === "v1" && parts[1] === "campaigns" && parts.length === 4 && parts[3] !== "draws") {
      const campaignId = pathId(parts[2], "campaignId");
      if (method === "GET" && parts[3] === "rules") return json(200, await ctx.spins.rules(campaignId, ctx.clock.now()));
      if (method === "GET" && parts[3] === "audit") return json(200, { campaignId, records: await ctx.store.audit(campaignId) });
      if (method === "GET" && parts[3] === "stats") {
        await ctx.tokens.requireHost(req.headers.authorization);
        return json(200, await ctx.spins.stats(campaignId));
      }
      if (method === "POST" && parts[3] === "inventory") {
        await ctx.tokens.requireHost(req.headers.authorization);
        const body = parseBody(addInventorySchema, req);
        const remaining = await ctx.spins.addInventory(campaignId, body.tierId, body.add, idempotencyKey(req));
        return json(200, { campaignId, tierId: body.tierId, remaining });
      }
      if (method === "POST" && parts[3] === "points") {
        await ctx.tokens.requireHost(req.headers.authorization);
        const body = parseBody(awardPointsSchema, req);
        await ctx.campaigns.require(campaignId);
        const score = await ctx.leaderboards.awardPoints(campaignId, body.playerId, body.points, idempotencyKey(req));
        return json(200, { campaignId, playerId: body.playerId, score });
      }
      if (method === "POST" && parts[3] === "tickets") {
        await ctx.tokens.requireHost(req.headers.authorization);
        const body = parseBody(grantTicketsSchema, req);
        const tickets = await ctx.spins.grantTickets(campaignId, body.playerId, body.tickets, idempotencyKey(req));
        return json(200, { campaignId, playerId: body.playerId, tickets });
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
  const clientIp = (req: HttpRequest) =>
    ctx.config.trustProxy && req.headers["x-forwarded-for"] ? req.headers["x-forwarded-for"].split(",")[0]!.trim() : req.ip;

  return async (req) => {
    let out: HttpResponse;
    try {
      // Public endpoints (proofs, audit logs) do real work per request: bound it per client address.
      if (!probes.has(req.path)) await consume(limiter, `ip:${clientIp(req)}`);
      out = await route(req);
    } catch (err) {
      const appErr = toAppError(err);
      if (appErr.code === "E_INTERNAL" || appErr.code === "E_UNAVAILABLE") ctx.log.error({ err, path: req.path }, "http request failed");
      ctx.metrics.errors.labels(appErr.code).inc();
      out = errorResponse(appErr.code, appErr.message, appErr.retryAfterMs);
      if (appErr.retryAfterMs !== undefined) out.headers = { ...out.headers, "retry-after": String(Math.ceil(appErr.retryAfterMs / 1000)) };
    }
    return { ...out, headers: { ...cors, ...out.headers } };
  };
}
