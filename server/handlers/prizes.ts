import { AppError } from "../../core/errors.js";
import { drawClaimSchema, winClaimSchema, winsSchema } from "../../core/schemas.js";
import { sealClaim } from "../prize-views.js";
import type { HandlerGroup } from "./types.js";

/** A player's prizes: their wins with status (`wins:list`, pushes `win:status`) and the claim form of physical prizes. */
export const prizeHandlers: HandlerGroup = (ctx, socket, bind) => {
  bind("wins:list", winsSchema, async ({ campaignId }) => {
    const now = ctx.clock.now();
    return (await ctx.wins.ofPlayer(campaignId, socket.data.playerId)).map((r) => ctx.wins.view(r, now));
  });

  bind("draw:claim", drawClaimSchema, async ({ campaignId, drawId }) => {
    if (socket.data.role !== "player") throw new AppError("E_FORBIDDEN", "Only the winner claims a prize.");
    const claim = await ctx.drawClaims.claim(campaignId, drawId, socket.data.playerId);
    ctx.log.info({ campaign: campaignId, draw: drawId, entry: claim.intentId }, "live-draw prize claimed");
    return claim;
  });

  bind("win:claim", winClaimSchema, async ({ campaignId, winId, name, phone, address }) => {
    if (socket.data.role !== "player") throw new AppError("E_FORBIDDEN", "Only the winner claims a prize.");
    // Sealed under the winner's data key before it reaches Redis, bound to this win (erasure shreds it).
    const sealed = await sealClaim(ctx.profiles, socket.data.playerId, campaignId, winId, { name, phone, address });
    const rec = await ctx.wins.claim(campaignId, winId, socket.data.playerId, sealed);
    // Only for erasure's receipt (the form is shredded with the key either way): a failure here must not fail the claim.
    await ctx.profiles.noteSealed(socket.data.playerId, campaignId, winId, "claim").catch((err: unknown) => ctx.log.warn({ err, campaign: campaignId, win: winId }, "claim form not indexed for erasure receipts"));
    ctx.log.info({ campaign: campaignId, win: winId }, "claim form received");
    return ctx.wins.view(rec, ctx.clock.now());
  });
};
