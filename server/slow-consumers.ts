/**
 * Slow consumers: a socket whose client stops reading (a phone in a tunnel, a hung tab) makes the
 * node buffer everything sent to it. uWebSockets.js drops frames past its backpressure limit
 * without telling anyone, so a client would silently miss reveals. Instead, when a socket's
 * outbound buffer passes LIVEDRAW_MAX_SOCKET_BUFFER_BYTES the node closes it (reason "slow
 * consumer", logged and counted); the SDK reconnects and replays what it missed from the snapshot.
 * Checked each time a packet is queued for the socket, which costs one buffered-amount read.
 */
import type { NodeContext } from "./context.js";
import { logId } from "../core/mask.js";
import { FORCED_DISCONNECT_REASONS } from "./disconnect-reasons.js";

interface BufferedSocket {
  /** uWebSockets.js */
  getBufferedAmount?: () => number;
  /** ws */
  bufferedAmount?: number;
}

/** Bytes waiting to be written on this engine.io connection's websocket (0 if unknown or closed). */
export function bufferedBytes(conn: { transport?: unknown }): number {
  const socket = (conn.transport as { socket?: BufferedSocket } | undefined)?.socket;
  if (!socket) return 0;
  try {
    if (typeof socket.getBufferedAmount === "function") return socket.getBufferedAmount();
    return socket.bufferedAmount ?? 0;
  } catch {
    return 0; // a closed uWS socket throws on access
  }
}

/** uWS's own limit must sit above ours, so we close before it starts dropping. */
export const uwsBackpressureFor = (limit: number): number => (limit === 0 ? 64 * 1024 : limit * 2 + 64 * 1024);

export function watchSlowConsumers(ctx: NodeContext): void {
  const limit = ctx.config.maxSocketBufferBytes;
  if (limit === 0) return;
  ctx.io.on("connection", (socket) => {
    let closed = false;
    const check = () => {
      if (closed) return;
      const buffered = bufferedBytes(socket.conn);
      if (buffered <= limit) return;
      closed = true;
      ctx.metrics.forcedDisconnects.labels(FORCED_DISCONNECT_REASONS.SLOW_CONSUMER).inc();
      ctx.log.warn({ socket: socket.id, player: logId(socket.data.playerId), buffered, limit }, "closing a socket that does not read (slow consumer)");
      socket.conn.close(); // the DISCONNECT packet could not get through a full buffer anyway
    };
    socket.conn.on("packetCreate", check);
  });
}
