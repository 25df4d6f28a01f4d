import { campaignKeys } from "../core/redis-keys.js";
import type { NodeContext } from "./context.js";

const EVERY_MS = 2000;
const PREFIX = "campaign:";

/**
 * Every 2 s, this node reports how many of its sockets follow each campaign (its `campaign:<id>`
 * rooms) into the campaign's `online` hash; analytics sums the fresh reports of all nodes. One
 * pipelined write per campaign this node has sockets for. Returns the stop function.
 */
export function startOnlineCounter(ctx: NodeContext): () => void {
  const reported = new Set<string>();
  const timer = setInterval(() => {
    const now = ctx.clock.now();
    const pipe = ctx.redis.pipeline();
    const seen = new Set<string>();
    for (const [room, sockets] of ctx.io.of("/").adapter.rooms) {
      if (!room.startsWith(PREFIX)) continue;
      const campaignId = room.slice(PREFIX.length);
      let key: string;
      try {
        key = campaignKeys(campaignId).online;
      } catch {
        continue;
      }
      seen.add(campaignId);
      pipe.hset(key, ctx.config.nodeId, `${sockets.size}|${now}`).pexpire(key, 5 * EVERY_MS);
    }
    // A campaign this node no longer has sockets for: report 0 once, so the sum drops at once.
    for (const campaignId of reported) if (!seen.has(campaignId)) pipe.hset(campaignKeys(campaignId).online, ctx.config.nodeId, `0|${now}`);
    reported.clear();
    for (const c of seen) reported.add(c);
    if (pipe.length > 0) pipe.exec().catch(() => undefined);
  }, EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
