import { AppError } from "../../core/errors.js";
import type { IoSocket } from "./types.js";

/** Rooms that count toward LIVEDRAW_MAX_SUBSCRIPTIONS_PER_SOCKET (`campaign:<id>` and `lb:<id>:<board>`). */
export function isSubscriptionRoom(room: string): boolean {
  return room.startsWith("campaign:") || room.startsWith("lb:");
}

/**
 * Joins a campaign or leaderboard room unless the socket already holds `max` of them (joining one it
 * is already in is free). Synchronous between the count and the join, so parallel subscribes of one
 * socket cannot overshoot.
 */
export function joinBounded(socket: IoSocket, room: string, max: number): void {
  if (socket.rooms.has(room)) return;
  let held = 0;
  for (const r of socket.rooms) if (isSubscriptionRoom(r)) held++;
  if (held >= max) {
    throw new AppError(
      "E_TOO_MANY_SUBSCRIPTIONS",
      `This connection is already subscribed to ${held} campaigns and leaderboards (at most ${max}); reconnect to drop them, then subscribe only to what you show.`,
    );
  }
  void socket.join(room);
}
