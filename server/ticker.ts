/**
 * Countdown ticks. Every node reads the shared index of open draws once per interval and sends a
 * tick to its own members of each draw's campaign room (`io.local`), so ticks need no cross-node
 * traffic and keep going when any one node dies. Deadlines come from Redis, so every node sends the
 * same deadline; closing is done by a BullMQ delayed job, never by this timer.
 */
import { drawKeys, openDrawsIndexKey, parseOpenDrawsMember } from "../core/redis-keys.js";
import { rooms } from "../core/protocol.js";
import type { NodeContext } from "./context.js";

/** Index entries this long past their deadline are pruned (their draw was revealed or abandoned). */
const STALE_AFTER_MS = 3_600_000;
/** Masked names of the latest entrants sent with each tick (the big screen's sign-in wall). */
const RECENT_ENTRANTS = 12;

export function startTicker(ctx: NodeContext): () => void {
  let running = false;
  const tick = async () => {
    if (running) return; // a slow Redis never piles up ticks
    running = true;
    try {
      const now = ctx.clock.now();
      const members = await ctx.redis.zrangebyscore(openDrawsIndexKey, now, "+inf", "WITHSCORES");
      const localRooms = ctx.io.of("/").adapter.rooms;
      for (let i = 0; i < members.length; i += 2) {
        const draw = parseOpenDrawsMember(members[i]!);
        if (!draw) continue;
        const room = rooms.campaign(draw.campaignId);
        if (!localRooms.get(room)?.size) continue;
        const deadline = Number(members[i + 1]);
        const keys = drawKeys(draw.campaignId, draw.drawId);
        const [entrantsRaw, latest, eventSeq] = await Promise.all([
          ctx.redis.hget(keys.state, "entrants"),
          ctx.redis.xrevrange(keys.intents, "+", "-", "COUNT", RECENT_ENTRANTS),
          ctx.store.eventSeq(draw.campaignId),
        ]);
        const entrants = Number(entrantsRaw ?? 0);
        // Stream entries hold the masked name (never the raw one): field "name".
        const recentEntrants: string[] = [];
        for (const [, fields] of latest) {
          const at = fields.indexOf("name");
          if (at >= 0 && at % 2 === 0 && fields[at + 1]) recentEntrants.push(fields[at + 1]!);
        }
        const serverTime = ctx.clock.now();
        ctx.io.local.to(room).emit("draw:tick", {
          campaignId: draw.campaignId,
          drawId: draw.drawId,
          deadline,
          serverTime,
          remainingMs: Math.max(0, deadline - serverTime),
          entrants,
          recentEntrants,
          eventSeq,
        });
      }
      await ctx.redis.zremrangebyscore(openDrawsIndexKey, "-inf", now - STALE_AFTER_MS);
    } catch (err) {
      ctx.log.warn({ err }, "countdown tick failed");
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), ctx.config.tickIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
