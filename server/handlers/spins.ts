import { SPINNABLE_PHASES, phaseAt } from "../../core/campaign.js";
import { AppError } from "../../core/errors.js";
import { BUSY_RETRY_AFTER_MS } from "../../core/spin-store.js";
import { rulesSchema, spinFetchSchema, spinHistorySchema, spinSchema } from "../../core/schemas.js";
import type { NodeContext } from "../context.js";
import { admissionFor } from "../sources.js";
import type { HandlerGroup } from "./types.js";
import { markViewed } from "./viewed.js";

/** Instant-win: published rules, spins (stored, then acknowledged), results and history. */
export function spinHandlers(ctx: NodeContext): HandlerGroup {
  // Rate limits per player, address and device across nodes, the blocklist and the source counts:
  // server/intent-batcher.ts. Caps themselves are enforced in Lua when a spin is resolved.
  const admission = admissionFor(ctx);
  return (_ctx, socket, bind) => {
    bind("campaign:rules", rulesSchema, async ({ campaignId }) => {
      const rules = await ctx.spins.rules(campaignId, ctx.clock.now());
      await markViewed(ctx, socket, campaignId);
      return rules;
    });

    bind("spin", spinSchema, async ({ campaignId, idempotencyKey }) => {
      if (socket.data.role !== "player") throw new AppError("E_FORBIDDEN", "Only players spin.");
      if (ctx.draining) throw new AppError("E_SHUTTING_DOWN");
      if (ctx.shedder.overloaded) {
        // Before any Redis work: a shed spin costs this node only its parse and this answer.
        ctx.metrics.intents.labels("spin_shed").inc();
        throw new AppError("E_BUSY", "This node is overloaded; retry after `retryAfterMs`.", BUSY_RETRY_AFTER_MS);
      }
      const now = ctx.clock.now();
      const campaign = await ctx.spins.campaignCached(campaignId);
      if (!campaign) throw new AppError("E_CAMPAIGN_NOT_FOUND");
      if (!SPINNABLE_PHASES.has(phaseAt(campaign, now))) {
        // A retry of a spin acknowledged before the close still gets its original intent id.
        const intentId = await ctx.spins.existingIntent(campaignId, socket.data.playerId, idempotencyKey);
        if (intentId) return { intentId, duplicate: true };
        throw new AppError("E_CAMPAIGN_NOT_LIVE");
      }
      // Rate limits, blocklist, source counts and the append: one script call for all the spins of
      // this event-loop turn (server/intent-batcher.ts). Acknowledged only once stored.
      const { intentId, duplicate } = await admission.spins.submit(campaignId, "", socket.data, idempotencyKey);
      const ack = { intentId, duplicate };
      ctx.spinCampaigns.stored(campaignId);
      ctx.metrics.intents.labels(ack.duplicate ? "spin_duplicate" : "spin_stored").inc();
      return ack;
    });

    bind("spin:fetch", spinFetchSchema, async ({ campaignId, intentId }) => {
      // Results are personal: another player's intent id reads as "not resolved".
      return ctx.spins.resultFor(campaignId, socket.data.playerId, intentId);
    });

    bind("spin:history", spinHistorySchema, async ({ campaignId, limit }) => ctx.spins.history(campaignId, socket.data.playerId, limit ?? 20));
  };
}
