import { AppError } from "../../core/errors.js";
import { taskSchema } from "../../core/schemas.js";
import type { HandlerGroup } from "./types.js";

/** Tasks that earn tickets (daily check-in, shares) and the player's ticket balance (docs/lifecycle.md §2.8). */
export const taskHandlers: HandlerGroup = (ctx, socket, bind) => {
  const playerOnly = (what: string) => {
    if (socket.data.role !== "player") throw new AppError("E_FORBIDDEN", `Only players ${what}.`);
  };

  bind("task:checkin", taskSchema, async ({ campaignId }) => {
    playerOnly("check in");
    return ctx.tickets.checkIn(campaignId, socket.data.playerId);
  });

  bind("task:share", taskSchema, async ({ campaignId }) => {
    playerOnly("share");
    return ctx.tickets.share(campaignId, socket.data.playerId);
  });

  bind("tickets:get", taskSchema, async ({ campaignId }) => {
    const campaign = await ctx.spins.campaignCached(campaignId);
    if (!campaign) throw new AppError("E_CAMPAIGN_NOT_FOUND");
    return ctx.tickets.balance(campaignId, socket.data.playerId, campaign, ctx.clock.now());
  });
};
