import { AppError } from "../../core/errors.js";
import { rooms } from "../../core/protocol.js";
import { assistSchema, leaderboardSchema, teamJoinSchema } from "../../core/schemas.js";
import { joinBounded } from "./subscriptions.js";
import type { HandlerGroup } from "./types.js";

/** Leaderboards (live top-N, own rank), invites/assists (助力) and team PK. */
export const leaderboardHandlers: HandlerGroup = (ctx, socket, bind) => {
  bind("leaderboard:subscribe", leaderboardSchema, async ({ campaignId, board }) => {
    // Every node polls each leaderboard room it holds: only real campaigns get one, and a bounded number per socket.
    await ctx.campaigns.require(campaignId);
    joinBounded(socket, rooms.leaderboard(campaignId, board), ctx.config.maxSubscriptionsPerSocket);
    return ctx.leaderboards.top(campaignId, board, ctx.config.leaderboardSize, ctx.clock.now());
  });

  bind("leaderboard:rank", leaderboardSchema, async ({ campaignId, board }) => ctx.leaderboards.rank(campaignId, board, socket.data.playerId));

  bind("assist", assistSchema, async ({ campaignId, inviterId }) => {
    if (socket.data.role !== "player") throw new AppError("E_FORBIDDEN", "Only players assist.");
    if (inviterId === socket.data.playerId) throw new AppError("E_SELF_ASSIST");
    await ctx.campaigns.require(campaignId);
    // The campaign's own invite reward (0 on WeChat: the compliance policy); a campaign of live draws
    // only has no configuration and uses the node's default, never on a WeChat node.
    const campaign = await ctx.spins.campaignCached(campaignId);
    const tickets = campaign ? campaign.tasks.invite.tickets : ctx.config.platform === "wechat" ? 0 : ctx.config.ticketsPerAssist;
    const assists = await ctx.leaderboards.assist(campaignId, socket.data.playerId, inviterId, tickets, socket.data.maskedName);
    return { inviterId, assists };
  });

  bind("team:join", teamJoinSchema, async ({ campaignId, teamId }) => {
    if (socket.data.role !== "player") throw new AppError("E_FORBIDDEN", "Only players join teams.");
    await ctx.campaigns.require(campaignId);
    await ctx.leaderboards.joinTeam(campaignId, socket.data.playerId, teamId);
    return { teamId };
  });
};
