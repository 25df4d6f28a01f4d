/**
 * Operator analytics and exports (docs/http-api.md §13):
 *   GET /v1/campaigns/:campaignId/analytics        host: live counters and the funnel (core/analytics.ts)
 *   GET /v1/campaigns/:campaignId/export?what=winners|tickets[&unmasked=1]   host: CSV, masked; unmasked for operators (audited)
 */
import { AppError } from "../core/errors.js";
import { campaignAnalytics } from "../core/analytics.js";
import { ticketLedgerCsv, winnersCsv } from "./csv-export.js";
import { recordHostAction } from "./host-audit.js";
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
    handler: async (ctx, { req, params: { campaignId }, caller: { who, operator } }) => {
      const what = req.query.get("what");
      if (what !== "winners" && what !== "tickets") throw new AppError("E_BAD_REQUEST", "what: must be winners or tickets");
      const unmasked = req.query.get("unmasked") === "1";
      if (unmasked && !operator) throw new AppError("E_FORBIDDEN", "Unmasked exports are for operators only (LIVEDRAW_OPERATOR_HOSTS).");
      await ctx.campaigns.require(campaignId);
      const { csv, rows } = what === "winners" ? await winnersCsv(ctx, campaignId, !unmasked) : await ticketLedgerCsv(ctx, campaignId, !unmasked);
      // Written before the file leaves: an unmasked export that cannot be audited is not sent.
      if (unmasked) await recordHostAction(ctx, campaignId, who, "export-unmasked", { what, rows });
      ctx.log.info({ campaign: campaignId, host: who.hostId, what, rows, unmasked }, "campaign export");
      return {
        status: 200,
        headers: {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": `attachment; filename="${campaignId}-${what}${unmasked ? "-unmasked" : ""}.csv"`,
          "cache-control": "no-store",
        },
        body: csv,
      };
    },
  }),
];
