/**
 * Operator analytics and exports (docs/http-api.md §13):
 *   GET /v1/campaigns/:c/analytics        host: live counters and the funnel (core/analytics.ts)
 *   GET /v1/campaigns/:c/export?what=winners|tickets[&unmasked=1]   host: CSV, masked; unmasked for operators (audited)
 */
import { AppError } from "../core/errors.js";
import { campaignAnalytics } from "../core/analytics.js";
import type { NodeContext } from "./context.js";
import { ticketLedgerCsv, winnersCsv } from "./csv-export.js";
import { recordHostAction } from "./host-audit.js";
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
    const what = req.query.get("what");
    if (what !== "winners" && what !== "tickets") throw new AppError("E_BAD_REQUEST", "what: must be winners or tickets");
    const unmasked = req.query.get("unmasked") === "1";
    if (unmasked && !isOperator(ctx, who)) throw new AppError("E_FORBIDDEN", "Unmasked exports are for operators only (LIVEDRAW_OPERATOR_HOSTS).");
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
  }
  return null;
}
