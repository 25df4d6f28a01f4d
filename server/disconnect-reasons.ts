/**
 * Why this node ended a socket on its own (besides draining and a host signing out). The client only
 * sees a Socket.IO DISCONNECT (`io server disconnect`; the SDK reports `server disconnect` and
 * reconnects); the reason goes to the log (warn or info, with the masked player id) and to the
 * `livedraw_forced_disconnects_total{reason}` counter.
 */
export const FORCED_DISCONNECT_REASONS = {
  /** More than FLOOD_FACTOR × LIVEDRAW_SOCKET_MESSAGES_PER_SECOND for FLOOD_SECONDS seconds in a row. */
  MESSAGE_FLOOD: "message flood",
  /** The handshake token's `exp` passed: the SDK reconnects with a fresh token from its provider. */
  TOKEN_EXPIRED: "token expired",
  /** The console session (cookie) behind a host socket reached its end. */
  SESSION_EXPIRED: "session expired",
  /** More than LIVEDRAW_MAX_SOCKET_BUFFER_BYTES queued for a socket that does not read: rather than drop frames silently, close it (the SDK reconnects and resyncs). */
  SLOW_CONSUMER: "slow consumer",
} as const;

export type ForcedDisconnectReason = (typeof FORCED_DISCONNECT_REASONS)[keyof typeof FORCED_DISCONNECT_REASONS];
