/**
 * Live-draw HTTP routes:
 *   POST /v1/campaigns/:c/draws                  host: open a draw (countdown starts)
 *   GET  /v1/campaigns/:c/draws                  public: the campaign's draws, newest first (at most 50)
 *   GET  /v1/campaigns/:c/draws/:d               public snapshot (winners of revealed tiers only)
 *   POST /v1/campaigns/:c/draws/:d/reveal        host: reveal the next tier (or `tierId`)
 *   POST /v1/campaigns/:c/draws/:d/redraw        host: replace an unclaimed winner of a revealed tier
 *   POST /v1/campaigns/:c/draws/:d/cancel        host: cancel a draw that is not done
 *   POST /v1/campaigns/:c/draws/:d/close         host: close entries now, before the deadline
 *   GET  /v1/campaigns/:c/draws/:d/proof         public: the proof bundle, once done (cached: public-reads.ts)
 *   GET  /v1/campaigns/:c/draws/:d/inclusion?entryId=…  public: Merkle inclusion proof of one entry (cached)
 *   GET  /v1/campaigns/:c/audit                  public: the campaign's hash-chained audit log
 * Host routes take a Bearer host token or the console's session cookie with its CSRF token
 * (server/host-session.ts), and each success is recorded as a `host.action` audit record.
 */
import { AppError } from "../core/errors.js";
import { cancelSchema, closeSchema, redrawSchema, revealSchema, startDrawSchema } from "../core/schemas.js";
import { closeEarly } from "./close-early.js";
import type { NodeContext } from "./context.js";
import { recordHostAction } from "./host-audit.js";
import { parseBody, pathId } from "./http-body.js";
import { json, type HttpRequest, type HttpResponse } from "./http-types.js";
import { publicReads } from "./public-reads.js";
import { startDraw } from "./start-draw.js";
import { announceRedraw } from "./stage.js";

/** Most draws `GET /v1/campaigns/:campaignId/draws` lists. */
export const DRAW_LIST_LIMIT = 50;

export async function drawRoutes(ctx: NodeContext, req: HttpRequest, parts: string[]): Promise<HttpResponse | null> {
  const { method } = req;
  const campaignId = pathId(parts[2], "campaignId");
  const host = async () => {
    if (ctx.draining) throw new AppError("E_SHUTTING_DOWN");
    return ctx.hostAuth.require(req, true, campaignId);
  };
  if (method === "POST" && parts.length === 4) {
    const who = await host();
    const countdown = await startDraw(ctx, campaignId, parseBody(startDrawSchema, req));
    ctx.log.info({ host: who.hostId, campaignId, drawId: countdown.drawId }, "host started a draw");
    await recordHostAction(ctx, campaignId, who, "open-draw", { drawId: countdown.drawId });
    return json(201, countdown);
  }
  if (method === "GET" && parts.length === 4) {
    return json(200, { campaignId, draws: await ctx.store.listDraws(campaignId, DRAW_LIST_LIMIT) });
  }
  if (parts.length < 5) return null;
  const drawId = pathId(parts[4], "drawId");
  const action = parts[5];
  if (method === "GET" && parts.length === 5) return publicReads(ctx).snapshot(campaignId, drawId);
  if (parts.length !== 6) return null;
  if (method === "POST" && action === "reveal") {
    const who = await host();
    const body = parseBody(revealSchema, req);
    const out = await ctx.draws.reveal(campaignId, drawId, body.tierId ?? null, ctx.config.drawRetentionSeconds);
    ctx.log.info({ host: who.hostId, campaignId, drawId, tierId: out.tierId, done: out.done }, "host revealed a tier");
    await recordHostAction(ctx, campaignId, who, "reveal-tier", { drawId, tierId: out.tierId });
    return json(200, { campaignId, drawId, ...out });
  }
  if (method === "POST" && action === "redraw") {
    const who = await host();
    const body = parseBody(redrawSchema, req);
    // A draw with a claim window: only a winner whose window ended unclaimed (core/draw-claims.ts).
    await ctx.drawClaims.assertRedrawable(campaignId, drawId, body.tierId, body.replaces, ctx.clock.now());
    const winner = await ctx.draws.redraw(campaignId, drawId, body.tierId, body.replaces);
    if (winner) await ctx.drawClaims.redrawn(campaignId, drawId, winner.intentId, ctx.clock.now());
    ctx.log.info({ host: who.hostId, campaignId, drawId, tierId: body.tierId, replaced: body.replaces }, "host redrew a prize");
    await recordHostAction(ctx, campaignId, who, "redraw", { drawId, tierId: body.tierId, replaces: body.replaces, entryId: winner?.intentId ?? null, reason: body.reason ?? null });
    await announceRedraw(ctx, campaignId, { drawId, tierId: body.tierId, replaced: body.replaces, winner: winner?.intentId ?? null, reason: body.reason ?? null, hostId: who.hostId, at: ctx.clock.now() });
    return json(200, { campaignId, drawId, tierId: body.tierId, replaced: body.replaces, winner });
  }
  if (method === "POST" && action === "cancel") {
    const who = await host();
    const body = parseBody(cancelSchema, req);
    await ctx.draws.cancel(campaignId, drawId, body.reason, ctx.config.drawRetentionSeconds);
    ctx.log.info({ host: who.hostId, campaignId, drawId }, "host cancelled a draw");
    await recordHostAction(ctx, campaignId, who, "cancel-draw", { drawId, reason: body.reason });
    return json(200, { campaignId, drawId, phase: "cancelled" });
  }
  if (method === "POST" && action === "close") {
    const who = await host();
    parseBody(closeSchema, req);
    const { snapshot, previousDeadline } = await closeEarly(ctx, campaignId, drawId);
    await recordHostAction(ctx, campaignId, who, "close-draw", { drawId, deadline: snapshot.deadline, previousDeadline });
    return json(200, { ...snapshot, serverTime: ctx.clock.now() });
  }
  // Proofs and inclusion proofs are computed once and cached (server/public-reads.ts).
  if (method === "GET" && action === "proof") return publicReads(ctx).proof(campaignId, drawId);
  if (method === "GET" && action === "inclusion") return publicReads(ctx).inclusion(campaignId, drawId, req.query.get("entryId") ?? "");
  return null;
}
