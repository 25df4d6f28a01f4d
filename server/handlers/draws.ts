import { AppError } from "../../core/errors.js";
import { rooms } from "../../core/protocol.js";
import { enterSchema, subscribeSchema, timeSyncSchema } from "../../core/schemas.js";
import { admissionFor } from "../sources.js";
import { joinBounded } from "./subscriptions.js";
import type { HandlerGroup } from "./types.js";

/** Campaign subscription, live-draw entries and clock sync. */
export const drawHandlers: HandlerGroup = (ctx, socket, bind) => {
  bind("campaign:subscribe", subscribeSchema, async ({ campaignId, drawId: asked }) => {
    // The campaign need not exist (a live-draw campaign appears with its first draw), but the rooms a socket holds are bounded.
    joinBounded(socket, rooms.campaign(campaignId), ctx.config.maxSubscriptionsPerSocket);
    if (socket.data.role === "player" && (await ctx.campaigns.exists(campaignId))) {
      await ctx.leaderboards.setName(campaignId, socket.data.playerId, socket.data.maskedName);
    }
    // The sequence number first: anything broadcast after it is read is either in the snapshot or
    // arrives with a higher number, so a client never takes a stale snapshot for a complete one.
    const eventSeq = await ctx.store.eventSeq(campaignId);
    const drawId = asked ?? (await ctx.store.latestDrawId(campaignId));
    const draw = drawId === null ? null : await ctx.store.snapshot(campaignId, drawId, socket.data.playerId);
    return { campaignId, serverTime: ctx.clock.now(), eventSeq, playerId: socket.data.playerId, draw };
  });

  bind("draw:enter", enterSchema, async ({ campaignId, drawId }) => {
    if (socket.data.role !== "player") throw new AppError("E_FORBIDDEN", "Only players enter draws.");
    if (ctx.draining) throw new AppError("E_SHUTTING_DOWN");
    // Overload first (E_BUSY before any Redis work), then the cross-node rate limits and the
    // blocklist and source counts (server/sources.ts).
    const admission = admissionFor(ctx);
    const release = admission.enterSlot();
    try {
      // The rate limits and the source check run side by side (an entry's latency is what a flash
      // crowd feels); a rate limit's refusal wins. The source check runs only for a campaign that
      // exists (cached per node), so made-up ids make no source counts.
      const [limited, admitted] = await Promise.allSettled([
        admission.limits.take("entry", socket.data),
        ctx.campaigns.exists(campaignId).then((exists) => (exists ? admission.guard.admit("entry", campaignId, socket.data) : [])),
      ]);
      if (limited.status === "rejected") throw limited.reason;
      if (admitted.status === "rejected") throw admitted.reason;
      const flagged = admitted.value;
      // The ack goes out only after the Lua script has appended the intent to the draw's stream
      // (and, for a flagged source, after the entry is recorded as flagged: a retry records it again).
      const result = await ctx.store.enter(campaignId, drawId, socket.data.playerId, socket.data.maskedName);
      if (flagged.length > 0) await admission.guard.flagEntry(campaignId, drawId, result.intentId, socket.data.playerId, flagged);
      ctx.metrics.intents.labels(result.duplicate ? "duplicate" : "stored").inc();
      // The campaign exists now (it has this draw): remember the masked name for its leaderboards.
      if (!result.duplicate) void ctx.leaderboards.setName(campaignId, socket.data.playerId, socket.data.maskedName).catch(() => undefined);
      return result;
    } finally {
      release();
    }
  });

  bind("time:sync", timeSyncSchema, async ({ clientTime }) => ({ clientTime, serverTime: ctx.clock.now() }));
};
