/**
 * Abuse-control routes for hosts (docs/http-api.md, "Blocklist and flagged sources"), each scoped
 * to its campaign like every host route (a host token's `campaigns` claim; console sessions with
 * their CSRF token when they change something):
 *   GET    /v1/campaigns/:campaignId/blocklist           host: the campaign's blocked players, addresses and devices
 *   POST   /v1/campaigns/:campaignId/blocklist           host: block one (`kind`, `value`, `reason`)
 *   DELETE /v1/campaigns/:campaignId/blocklist           host: unblock one (`kind`, `value`)
 *   GET    /v1/campaigns/:campaignId/flagged-sources     host: addresses and devices flagged for too many accounts
 *   GET    /v1/campaigns/:campaignId/flagged-entries?drawId=…   host: a draw's flagged entries (count and list)
 * Blocklist changes are `host.action` audit records (`block`, `unblock`). The public audit log
 * never holds an address or a device id: those are recorded as `ref`, a keyed pseudonym of the value.
 */
import type { NodeContext } from "./context.js";
import { recordHostAction } from "./host-audit.js";
import { blockSchema, unblockSchema } from "../core/schemas.js";
import { pathId } from "./http-body.js";
import { json } from "./http-types.js";
import { route, type Route } from "./route-table.js";
import { admissionFor } from "./sources.js";
import type { SourceKind } from "../core/redis-keys.js";

/** What the audit log says about a blocked value: a player's pseudonym as is, else a keyed pseudonym of the address or device. */
function auditValue(ctx: NodeContext, kind: SourceKind, value: string): { value: string } | { ref: string } {
  return kind === "player" ? { value } : { ref: ctx.pseudonyms.player(`blocklist:${kind}:${value}`) };
}

const CAMPAIGN = "/v1/campaigns/:campaignId";
const noStore = { "cache-control": "no-store" };
const hostRead = { allow: ["host"], scope: "campaign", cost: "read" } as const;
const hostWrite = { allow: ["host"], scope: "campaign", drain: true, cost: "write" } as const;

export const blocklistRoutes: readonly Route[] = [
  route({
    method: "GET", path: `${CAMPAIGN}/flagged-entries`, ...hostRead, summary: "a draw's flagged entries (`?drawId=`): count and list",
    handler: async (ctx, { req, params: { campaignId } }) => {
      const drawId = pathId(req.query.get("drawId") ?? undefined, "drawId");
      const flagged = await admissionFor(ctx).guard.flaggedEntries(campaignId, drawId);
      return json(200, { campaignId, drawId, count: flagged.count, entries: flagged.entries }, noStore);
    },
  }),
  route({
    method: "GET", path: `${CAMPAIGN}/flagged-sources`, ...hostRead, summary: "addresses and devices flagged for too many accounts",
    handler: async (ctx, { params: { campaignId } }) => {
      const thresholds = { address: ctx.config.accountsPerAddress, device: ctx.config.accountsPerDevice };
      const action = ctx.config.challengeModule === "" ? ctx.config.flaggedSourceAction : "module";
      return json(200, { campaignId, windowSeconds: ctx.config.sourceWindowSeconds, thresholds, action, sources: await admissionFor(ctx).guard.flaggedSources(campaignId) }, noStore);
    },
  }),
  route({
    method: "GET", path: `${CAMPAIGN}/blocklist`, ...hostRead, summary: "the campaign's blocked players, addresses and devices",
    handler: async (ctx, { params: { campaignId } }) => json(200, { campaignId, entries: await admissionFor(ctx).guard.blocklist.list(campaignId) }, noStore),
  }),
  route({
    method: "POST", path: `${CAMPAIGN}/blocklist`, ...hostWrite, body: blockSchema, summary: "block a player, address or device",
    handler: async (ctx, { params: { campaignId }, caller: { who }, body }) => {
      const { added, entry } = await admissionFor(ctx).guard.blocklist.add(campaignId, { kind: body.kind, value: body.value, reason: body.reason, hostId: who.hostId, at: ctx.clock.now() });
      ctx.log.info({ host: who.hostId, campaignId, kind: entry.kind, added }, "host blocked a source");
      await recordHostAction(ctx, campaignId, who, "block", { kind: entry.kind, ...auditValue(ctx, entry.kind, entry.value), reason: entry.reason });
      return json(added ? 201 : 200, { campaignId, added, entry });
    },
  }),
  route({
    method: "DELETE", path: `${CAMPAIGN}/blocklist`, ...hostWrite, body: unblockSchema, summary: "unblock a player, address or device",
    handler: async (ctx, { params: { campaignId }, caller: { who }, body }) => {
      const { removed, value } = await admissionFor(ctx).guard.blocklist.remove(campaignId, body.kind, body.value);
      ctx.log.info({ host: who.hostId, campaignId, kind: body.kind, removed }, "host unblocked a source");
      if (removed) await recordHostAction(ctx, campaignId, who, "unblock", { kind: body.kind, ...auditValue(ctx, body.kind, value) });
      return json(200, { campaignId, removed, kind: body.kind, value });
    },
  }),
];
