/**
 * Operator analytics and exports (docs/http-api.md §13):
 *   GET /v1/campaigns/:c/analytics        host: live counters and the funnel (core/analytics.ts)
 *   GET /v1/campaigns/:c/export?what=winners|tickets[&unmasked=1]   host: CSV, masked; unmasked for operators (audited);
 *                                         streamed, one at a time per campaign (server/export-stream.ts)
 */
import { campaignAnalytics } from "../core/analytics.js";
import type { NodeContext } from "./context.js";
import { exportCsv } from "./export-stream.js";
import { pathId } from "./http-body.js";
import { json, type HttpRequest, type HttpResponse } from "./http-types.js";
import { isOperator } from "./routes-prizes.js";

const ROUTES = new Set(["analytics", "export"]);

export async function analyticsRoutes(ctx: NodeContext, req: HttpRequest, parts: string[]): Promise<HttpResponse | null> {
  if (parts[0] !== "v1" || parts[1] !== "campaigns" || parts.length !== 4 || !ROUTES.has(parts[3] ?? "")) return null;
  const { method } = req;
  const campaignId = pathId(parts[2], "campaignId");
  if (method === "GET" && parts[3] === "analytics") {
    await ctx.hostAuth.require(req, false, campaignId);
    return json(200, await campaignAnalytics(ctx.redis, ctx.spins, campaignId, ctx.clock.now()), { "cache-control": "no-store" });
  }
  if (method === "GET" && parts[3] === "export") {
    const who = await ctx.hostAuth.require(req, false, campaignId);
    return exportCsv(ctx, campaignId, who, req.query, isOperator(ctx, who));
  }
  return null;
}
