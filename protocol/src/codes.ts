/**
 * Codes of the client side of the contract: why the SDK changed state, and the errors it raises by
 * itself. One file, so SDK, console and docs name them the same way (centrifuge-js `codes.ts`).
 */

/** Reasons carried by the SDK's `state` event `{ oldState, newState, reason }`. */
export const STATE_REASONS = {
  /** `connect()` or `resume()` was called. */
  CONNECT_CALLED: "connect called",
  /** A new attempt after a lost connection (full-jitter backoff). */
  RECONNECT: "reconnect",
  /** The handshake was accepted. */
  CONNECTED: "connected",
  /** `close()`: final, the client cannot connect again. */
  CLIENT_CLOSED: "client closed",
  /** `pause()` (e.g. the mini-program went to the background): no reconnect until `resume()`. */
  PAUSED: "paused",
  /** The server refused the token (`E_UNAUTHORIZED`). Retried only with a token provider. */
  UNAUTHORIZED: "unauthorized",
  /** The server does not speak this SDK's protocol version (`E_PROTOCOL_VERSION`); not retried. */
  PROTOCOL_VERSION: "protocol version",
  /** The socket closed or failed (network, node killed, app in background). */
  TRANSPORT_CLOSED: "transport closed",
  /** No engine.io ping from the server within pingInterval + pingTimeout. */
  PING_TIMEOUT: "ping timeout",
  /** The handshake did not complete within `connectTimeoutMs`. */
  HANDSHAKE_TIMEOUT: "handshake timeout",
  /** The server ended this socket (Socket.IO DISCONNECT packet), e.g. a node draining. */
  SERVER_DISCONNECT: "server disconnect",
} as const;

export type StateReason = (typeof STATE_REASONS)[keyof typeof STATE_REASONS];

/** Errors the SDK raises itself; server errors use the registry in `errors.ts`. */
export const CLIENT_ERRORS = {
  E_TIMEOUT: "No answer in time; the request may still have been applied — retry with the same idempotency key.",
  E_DISCONNECTED: "The connection was lost before an answer arrived; this request is not safe to resend automatically.",
  E_CLOSED: "The client was closed; create a new one to connect again.",
  E_NO_TRANSPORT: "No WebSocket here: pass `transport` (webSocketTransport, wxTransport, socketTaskTransport).",
} as const;

export type ClientErrorCode = keyof typeof CLIENT_ERRORS;
