/**
 * Live leaderboards at a bounded rate. Every node, once per LIVEDRAW_LEADERBOARD_INTERVAL_MS, looks at
 * the leaderboard rooms that have members on this node, and pushes a board's top N to its own members
 * (`io.local`) only if the board's version moved since this node last pushed it. Any number of
 * changes in between are coalesced into one push; nothing crosses nodes.
 */
import type { LeaderboardId } from "../core/protocol.js";
import type { NodeContext } from "./context.js";

const ROOM = /^lb:([A-Za-z0-9][A-Za-z0-9_-]{0,63}):(assists|points|teams)$/;

export function startLeaderboardPusher(ctx: NodeContext): () => void {
  const pushed = new Map<string, number>(); // room → version last pushed by this node
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      for (const [room, members] of ctx.io.of("/").adapter.rooms) {
        const m = ROOM.exec(room);
        if (!m || members.size === 0) continue;
        const [, campaignId, board] = m as unknown as [string, string, LeaderboardId];
        const version = await ctx.leaderboards.version(campaignId, board);
        if (version <= (pushed.get(room) ?? 0)) continue;
        const top = await ctx.leaderboards.top(campaignId, board, ctx.config.leaderboardSize, ctx.clock.now());
        pushed.set(room, top.version);
        ctx.io.local.to(room).emit("leaderboard:update", top);
      }
      for (const room of pushed.keys()) if (!ctx.io.of("/").adapter.rooms.has(room)) pushed.delete(room);
    } catch (err) {
      ctx.log.warn({ err }, "leaderboard push failed");
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), ctx.config.leaderboardIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
