import { sendInChunks, type Broadcaster } from "../core/live-draw.js";
import { rooms, type DrawResultBatch } from "../core/protocol.js";
import type { IoServer, NodeContext } from "./context.js";

/**
 * Personal results (spins and live draws) arrive as one inter-node message per batch — from workers
 * through the Redis emitter's serverSideEmit, or from another node — and each node emits each result
 * to the player's room on this node only. A node without that player's sockets does nothing for it.
 */
export function deliverPersonalResults(ctx: NodeContext): void {
  const localRooms = () => ctx.io.of("/").adapter.rooms;
  ctx.io.on("spin:results", (batch) => {
    for (const [playerId, result] of batch.results) {
      const room = rooms.player(playerId);
      if (localRooms().has(room)) ctx.io.local.to(room).emit("spin:result", result);
    }
  });
  ctx.io.on("draw:results", (batch) => deliverDrawResults(ctx.io, batch));
}

/** Results handed to sockets per event-loop turn: a 10,000-entrant draw must not hold the loop. */
const CHUNK = 500;

/**
 * Delivers a draw's personal results in chunks, yielding between them, so that messages that arrived
 * with the batch (the last tier's reveal, `draw:done`) are written to sockets first and the node
 * stays responsive while it works through a large draw.
 */
function deliverDrawResults(io: IoServer, batch: DrawResultBatch, from = 0): void {
  setImmediate(() => {
    const local = io.of("/").adapter.rooms;
    const end = Math.min(from + CHUNK, batch.results.length);
    for (let i = from; i < end; i++) {
      const [playerId, result] = batch.results[i]!;
      const room = rooms.player(playerId);
      if (local.has(room)) io.local.to(room).emit("draw:result", result);
    }
    if (end < batch.results.length) deliverDrawResults(io, batch, end);
  });
}

/** How a node tells clients about live draws: room broadcasts, and personal results on every node. */
export function nodeBroadcaster(io: IoServer): Broadcaster {
  return {
    toCampaign: (campaignId, event, payload) => {
      (io.to(rooms.campaign(campaignId)).emit as (ev: string, p: unknown) => boolean)(event, payload);
    },
    personal: (results) =>
      sendInChunks(results, (chunk) => {
        deliverDrawResults(io, { results: chunk }); // serverSideEmit reaches the other nodes only
        io.serverSideEmit("draw:results", { results: chunk });
      }),
  };
}
