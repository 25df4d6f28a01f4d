/**
 * Abuse-control routes for hosts (docs/http-api.md, "Blocklist and flagged sources"), each scoped
 * to its campaign like every host route (a host token's `campaigns` claim; console sessions with
 * their CSRF token when they change something):
 *   GET    /v1/campaigns/:c/blocklist           host: the campaign's blocked players, addresses and devices
 *   POST   /v1/campaigns/:c/blocklist           host: block one (`kind`, `value`, `reason`)
 *   DELETE /v1/campaigns/:c/blocklist           host: unblock one (`kind`, `value`)
 *   GET    /v1/campaigns/:c/flagged-sources     host: addresses and devices flagged for too many accounts
 *   GET    /v1/campaigns/:c/flagged-entries?drawId=…   host: a draw's flagged entries (count and list)
 * Blocklist changes are `host.action` audit records (`block`, `unblock`). The public audit log
 * never holds an address or a device id: those are recorded as `ref`, a keyed pseudonym of the value.
 */
import { AppError } from "../core/errors.js";
import type { NodeContext } from "./context.js";
import { recordHostAction } from "./host-audit.js";
import { blockSchema, unblockSchema } from "../core/schemas.js";
import { parseBody, pathId } from "./http-body.js";
import { json, type HttpRequest, type HttpResponse } from "./http-types.js";
import { admissionFor } from "./sources.js";
import type { SourceKind } from "../core/redis-keys.js";

/** What the audit log says about a blocked value: a player's pseudonym as is, else a keyed pseudonym of the address or device. */
function auditValue(ctx: NodeContext, kind: SourceKind, value: string): { value: string } | { ref: string } {
  return kind === "player" ? { value } : { ref: ctx.pseudonyms.player(`blocklist:${kind}:${value}`) };
}

export async function blocklistRoutes(ctx: NodeContext, req: HttpRequest, parts: string[]): Promise<HttpResponse | null> {
  if (parts[0] !== "v1" || parts[1] !== "campaigns" || parts.length !== 4 || !ROUTES.has(parts[3] ?? "")) return null;
  const { method } = req;
  const campaignId = pathId(parts[2], "campaignId");
  const { guard } = admissionFor(ctx);
  const noStore = { "cache-control": "no-store" };

  if (method === "GET" && parts[3] === "flagged-entries") {
    await ctx.hostAuth.require(req, false, campaignId);
    const drawId = pathId(req.query.get("drawId") ?? undefined, "drawId");
    const flagged = await guard.flaggedEntries(campaignId, drawId);
    return json(200, { campaignId, drawId, count: flagged.count, entries: flagged.entries }, noStore);
  }
  if (method === "GET" && parts[3] === "flagged-sources") {
    await ctx.hostAuth.require(req, false, campaignId);
    const thresholds = { address: ctx.config.accountsPerAddress, device: ctx.config.accountsPerDevice };
    const action = ctx.config.challengeModule === "" ? ctx.config.flaggedSourceAction : "module";
    return json(200, { campaignId, windowSeconds: ctx.config.sourceWindowSeconds, thresholds, action, sources: await guard.flaggedSources(campaignId) }, noStore);
  }
  if (method === "GET" && parts[3] === "blocklist") {
    await ctx.hostAuth.require(req, false, campaignId);
    return json(200, { campaignId, entries: await guard.blocklist.list(campaignId) }, noStore);
  }
  if (method === "POST" && parts[3] === "blocklist") {
    if (ctx.draining) throw new AppError("E_SHUTTING_DOWN");
    const who = await ctx.hostAuth.require(req, true, campaignId);
    const body = parseBody(blockSchema, req);
    const { added, entry } = await guard.blocklist.add(campaignId, { kind: body.kind, value: body.value, reason: body.reason, hostId: who.hostId, at: ctx.clock.now() });
    ctx.log.info({ host: who.hostId, campaignId, kind: entry.kind, added }, "host blocked a source");
    await recordHostAction(ctx, campaignId, who, "block", { kind: entry.kind, ...auditValue(ctx, entry.kind, entry.value), reason: entry.reason });
    return json(added ? 201 : 200, { campaignId, added, entry });
  }
  if (method === "DELETE" && parts[3] === "blocklist") {
    if (ctx.draining) throw new AppError("E_SHUTTING_DOWN");
    const who = await ctx.hostAuth.require(req, true, campaignId);
    const body = parseBody(unblockSchema, req);
    const { removed, value } = await guard.blocklist.remove(campaignId, body.kind, body.value);
    ctx.log.info({ host: who.hostId, campaignId, kind: body.kind, removed }, "host unblocked a source");
    if (removed) await recordHostAction(ctx, campaignId, who, "unblock", { kind: body.kind, ...auditValue(ctx, body.kind, value) });
    return json(200, { campaignId, removed, kind: body.kind, value });
  }
  return null;
}

const ROUTES = new Set(["blocklist", "flagged-sources", "flagged-entries"]);
