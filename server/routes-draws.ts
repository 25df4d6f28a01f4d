/**
 * Live-draw HTTP routes (docs/http-api.md §2), rows of the route table (server/route-table.ts):
 *   POST /v1/campaigns/:campaignId/draws                  host: open a draw (countdown starts)
 *   GET  /v1/campaigns/:campaignId/draws                  public: the campaign's draws, newest first (at most 50)
 *   GET  /v1/campaigns/:campaignId/draws/:drawId          public snapshot (winners of revealed tiers only)
 *   POST /v1/campaigns/:campaignId/draws/:drawId/reveal   host: reveal the next tier (or `tierId`)
 *   POST /v1/campaigns/:campaignId/draws/:drawId/redraw   host: replace an unclaimed winner of a revealed tier
 *   POST /v1/campaigns/:campaignId/draws/:drawId/cancel   host: cancel a draw that is not done
 *   POST /v1/campaigns/:campaignId/draws/:drawId/close    host: close entries now, before the deadline
 *   GET  /v1/campaigns/:campaignId/draws/:drawId/proof    public: the proof bundle, once done (cached: public-reads.ts)
 *   GET  /v1/campaigns/:campaignId/draws/:drawId/inclusion?entryId=…  public: Merkle inclusion proof of one entry (cached)
 * Each host success is recorded as a `host.action` audit record.
 */
import { cancelSchema, closeSchema, redrawSchema, revealSchema, startDrawSchema } from "../core/schemas.js";
import { closeEarly } from "./close-early.js";
import { recordHostAction } from "./host-audit.js";
import { json } from "./http-types.js";
import { publicReads } from "./public-reads.js";
import { route, type Route } from "./route-table.js";
import { startDraw } from "./start-draw.js";
import { announceRedraw } from "./stage.js";

/** Most draws `GET /v1/campaigns/:campaignId/draws` lists. */
export const DRAW_LIST_LIMIT = 50;

const DRAWS = "/v1/campaigns/:campaignId/draws";
const DRAW = "/v1/campaigns/:campaignId/draws/:drawId";
const host = { allow: ["host"], scope: "campaign", drain: true, cost: "write" } as const;

export const drawRoutes: readonly Route[] = [
  route({
    method: "POST", path: DRAWS, ...host, body: startDrawSchema, summary: "open a draw; the countdown starts",
    handler: async (ctx, { params: { campaignId }, caller, body }) => {
      const countdown = await startDraw(ctx, campaignId, body);
      ctx.log.info({ host: caller.who.hostId, campaignId, drawId: countdown.drawId }, "host started a draw");
      await recordHostAction(ctx, campaignId, caller.who, "open-draw", { drawId: countdown.drawId });
      return json(201, countdown);
    },
  }),
  route({
    method: "GET", path: DRAWS, allow: ["public"], scope: "none", cost: "read", summary: "the campaign's draws, newest first (at most 50)",
    // A live-draw campaign comes into being with its first draw: before it, an id names nothing yet,
    // and the console lists its (no) draws all the same. So an unknown campaign is an empty list.
    handler: async (ctx, { params: { campaignId } }) => json(200, { campaignId, draws: await ctx.store.listDraws(campaignId, DRAW_LIST_LIMIT) }),
  }),
  route({
    method: "GET", path: DRAW, allow: ["public"], scope: "none", cost: "read", summary: "the draw's snapshot (winners of revealed tiers only)",
    handler: (ctx, { params: { campaignId, drawId } }) => publicReads(ctx).snapshot(campaignId, drawId),
  }),
  route({
    method: "POST", path: `${DRAW}/reveal`, ...host, body: revealSchema, summary: "reveal the next tier, or a named one",
    handler: async (ctx, { params: { campaignId, drawId }, caller, body }) => {
      const out = await ctx.draws.reveal(campaignId, drawId, body.tierId ?? null, ctx.config.drawRetentionSeconds);
      ctx.log.info({ host: caller.who.hostId, campaignId, drawId, tierId: out.tierId, done: out.done }, "host revealed a tier");
      await recordHostAction(ctx, campaignId, caller.who, "reveal-tier", { drawId, tierId: out.tierId });
      return json(200, { campaignId, drawId, ...out });
    },
  }),
  route({
    method: "POST", path: `${DRAW}/redraw`, ...host, body: redrawSchema, summary: "replace an unclaimed winner of a revealed tier",
    handler: async (ctx, { params: { campaignId, drawId }, caller, body }) => {
      // A draw with a claim window: only a winner whose window ended unclaimed (core/draw-claims.ts).
      await ctx.drawClaims.assertRedrawable(campaignId, drawId, body.tierId, body.replaces, ctx.clock.now());
      const winner = await ctx.draws.redraw(campaignId, drawId, body.tierId, body.replaces);
      if (winner) await ctx.drawClaims.redrawn(campaignId, drawId, winner.intentId, ctx.clock.now());
      ctx.log.info({ host: caller.who.hostId, campaignId, drawId, tierId: body.tierId, replaced: body.replaces }, "host redrew a prize");
      await recordHostAction(ctx, campaignId, caller.who, "redraw", { drawId, tierId: body.tierId, replaces: body.replaces, entryId: winner?.intentId ?? null, reason: body.reason ?? null });
      await announceRedraw(ctx, campaignId, { drawId, tierId: body.tierId, replaced: body.replaces, winner: winner?.intentId ?? null, reason: body.reason ?? null, hostId: caller.who.hostId, at: ctx.clock.now() });
      return json(200, { campaignId, drawId, tierId: body.tierId, replaced: body.replaces, winner });
    },
  }),
  route({
    method: "POST", path: `${DRAW}/cancel`, ...host, body: cancelSchema, summary: "cancel a draw that is not done",
    handler: async (ctx, { params: { campaignId, drawId }, caller, body }) => {
      await ctx.draws.cancel(campaignId, drawId, body.reason, ctx.config.drawRetentionSeconds);
      ctx.log.info({ host: caller.who.hostId, campaignId, drawId }, "host cancelled a draw");
      await recordHostAction(ctx, campaignId, caller.who, "cancel-draw", { drawId, reason: body.reason });
      return json(200, { campaignId, drawId, phase: "cancelled" });
    },
  }),
  route({
    method: "POST", path: `${DRAW}/close`, ...host, body: closeSchema, summary: "close entries now, before the deadline",
    handler: async (ctx, { params: { campaignId, drawId }, caller }) => {
      const { snapshot, previousDeadline } = await closeEarly(ctx, campaignId, drawId);
      await recordHostAction(ctx, campaignId, caller.who, "close-draw", { drawId, deadline: snapshot.deadline, previousDeadline });
      return json(200, { ...snapshot, serverTime: ctx.clock.now() });
    },
  }),
  // Proofs and inclusion proofs are computed once and cached (server/public-reads.ts).
  route({
    method: "GET", path: `${DRAW}/proof`, allow: ["public"], scope: "none", cost: "read", summary: "the proof bundle, once done",
    handler: (ctx, { params: { campaignId, drawId } }) => publicReads(ctx).proof(campaignId, drawId),
  }),
  route({
    method: "GET", path: `${DRAW}/inclusion`, allow: ["public"], scope: "none", cost: "read", summary: "the Merkle inclusion proof of one entry (`?entryId=`)",
    handler: (ctx, { req, params: { campaignId, drawId } }) => publicReads(ctx).inclusion(campaignId, drawId, req.query.get("entryId") ?? ""),
  }),
];
