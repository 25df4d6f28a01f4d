/**
 * @livedraw/client-sdk — the live-draw client for mini-programs, browsers and Node. The contract
 * (event and payload types, error codes, state reasons) is re-exported from `@livedraw/protocol`.
 * The draw verifier is a separate package, `@livedraw/fairness`, so apps that never verify do not
 * ship it.
 */
export * from "@livedraw/protocol";
export { LiveDrawClient, type ClientEvents, type LiveDrawClientOptions, type SpinOptions, type StateChange } from "./client.js";
export { LiveDrawError, newIdempotencyKey } from "./errors.js";
export { ClientState, TRANSITIONS, canTransition, backoff } from "./state.js";
export {
  webSocketTransport,
  socketTaskTransport,
  wxTransport,
  alipayTransport,
  uniTransport,
  taroTransport,
  detectTransport,
  type Transport,
  type TransportHandlers,
  type TransportSocket,
  type SocketTaskLike,
  type ConnectSocketOptions,
} from "./transport.js";
export { bestOffset, type ClockSample } from "./clock.js";
export { sharedClient } from "./shared.js";
