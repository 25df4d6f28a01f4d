import { campaignKeys } from "../../core/redis-keys.js";
import { variantOf } from "../../core/variants.js";
import type { NodeContext } from "../context.js";
import type { IoSocket } from "./types.js";

const seen = new WeakMap<IoSocket, Set<string>>();

/**
 * The funnel's "viewed" stage: a player subscribed to the campaign or read its rules. One Lua call
 * per socket and campaign (the script counts each player once); failures are not the player's problem.
 */
export async function markViewed(ctx: NodeContext, socket: IoSocket, campaignId: string): Promise<void> {
  if (socket.data.role !== "player") return;
  let campaigns = seen.get(socket);
  if (!campaigns) seen.set(socket, (campaigns = new Set()));
  if (campaigns.has(campaignId) || campaigns.size >= 100) return;
  campaigns.add(campaignId);
  const k = campaignKeys(campaignId);
  const campaign = await ctx.spins.campaignCached(campaignId).catch(() => null);
  const variant = campaign ? variantOf(campaignId, socket.data.playerId, campaign.variants) : null;
  await ctx.redis.ld1_viewCampaign(k.players, k.funnel, socket.data.playerId, variant?.variantId ?? "").catch((err: unknown) => ctx.log.debug({ err }, "viewed count not recorded"));
}
