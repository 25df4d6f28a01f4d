/**
 * Operator analytics and exports (docs/http-api.md §13):
 *   GET /v1/campaigns/:campaignId/analytics        host: live counters and the funnel (core/analytics.ts)
 *   GET /v1/campaigns/:campaignId/export?what=winners|tickets[&unmasked=1]   host: CSV, masked; unmasked for operators (audited);
 *                                                  streamed, one at a time per campaign (server/export-stream.ts)
 */
import { campaignAnalytics } from "../core/analytics.js";
import { exportCsv } from "./export-stream.js";
import { json } from "./http-types.js";
import { route, type Route } from "./route-table.js";

export const analyticsRoutes: readonly Route[] = [
  route({
    method: "GET", path: "/v1/campaigns/:campaignId/analytics", allow: ["host"], scope: "campaign", cost: "read",
    summary: "live counters and the funnel",
    handler: async (ctx, { params: { campaignId } }) => json(200, await campaignAnalytics(ctx.redis, ctx.spins, campaignId, ctx.clock.now()), { "cache-control": "no-store" }),
  }),
  route({
    method: "GET", path: "/v1/campaigns/:campaignId/export", allow: ["host"], scope: "campaign", cost: "heavy",
    summary: "CSV of winners or the ticket ledger (`?what=`), masked; `unmasked=1`: operators, audited",
    handler: async (ctx, { req, params: { campaignId }, caller: { who, operator } }) => exportCsv(ctx, campaignId, who, req.query, operator),
  }),
];
