import { AppError } from "../../core/errors.js";
import { rooms } from "../../core/protocol.js";
import { enterSchema, subscribeSchema, timeSyncSchema } from "../../core/schemas.js";
import { admissionFor } from "../sources.js";
import { joinBounded } from "./subscriptions.js";
import { markViewed } from "./viewed.js";
import type { HandlerGroup } from "./types.js";

/** Campaign subscription, live-draw entries and clock sync. */
export const drawHandlers: HandlerGroup = (ctx, socket, bind) => {
  bind("campaign:subscribe", subscribeSchema, async ({ campaignId, drawId: asked }) => {
    // The campaign need not exist (a live-draw campaign appears with its first draw), but the rooms a socket holds are bounded.
    joinBounded(socket, rooms.campaign(campaignId), ctx.config.maxSubscriptionsPerSocket);
    if (socket.data.role === "player" && (await ctx.campaigns.exists(campaignId))) {
      await ctx.leaderboards.setName(campaignId, socket.data.playerId, socket.data.maskedName);
      await markViewed(ctx, socket, campaignId);
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
    // Overload first (E_BUSY before any Redis work); then the rate limits, the blocklist, the source
    // counts and the entry, in one script call per draw for this event-loop turn's entries
    // (server/intent-batcher.ts). The ack goes out only once the intent is in the draw's stream and,
    // for a flagged source the hook let through, once the entry is recorded as flagged (a retry
    // records it again).
    const admission = admissionFor(ctx);
    const release = admission.enterSlot();
    try {
      const { intentId, duplicate, flagged } = await admission.entries.submit(campaignId, drawId, socket.data, socket.data.maskedName);
      if (flagged.length > 0) await admission.guard.flagEntry(campaignId, drawId, intentId, socket.data.playerId, flagged);
      ctx.metrics.intents.labels(duplicate ? "duplicate" : "stored").inc();
      return { intentId, duplicate };
    } finally {
      release();
    }
  });

  bind("time:sync", timeSyncSchema, async ({ clientTime }) => ({ clientTime, serverTime: ctx.clock.now() }));
};
