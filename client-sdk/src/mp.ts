/**
 * Entry of the one-file mini-program build (dist/livedraw-sdk.mp.js): everything of the package
 * except the server's error registry (`ERRORS`, ~2.5 KB of messages). Every server error arrives
 * with its message anyway; import `@livedraw/protocol` where the whole table is wanted.
 */
export { LiveDrawClient } from "./client.js";
export { LiveDrawError, newIdempotencyKey } from "./errors.js";
export { ClientState, TRANSITIONS, canTransition, backoff } from "./state.js";
export { webSocketTransport, socketTaskTransport, wxTransport, alipayTransport, uniTransport, taroTransport, detectTransport } from "./transport.js";
export { bestOffset } from "./clock.js";
export { sharedClient } from "./shared.js";
export { PROTOCOL_VERSION, STATE_REASONS, CLIENT_ERRORS, SERVER_EVENTS, CLIENT_EVENTS, ID_PATTERN, IDEMPOTENCY_KEY_PATTERN, INTENT_ID_PATTERN } from "@livedraw/protocol";
