/**
 * @livedraw/protocol — the public wire contract of the live-draw server: event maps, payload types,
 * the error-code registry, the SDK's state reasons and client error codes, the protocol version and
 * the id grammars. No runtime dependencies; imported by name by server, worker, SDK, pages and tests.
 */
export * from "./events.js";
export * from "./stage.js";
export * from "./errors.js";
export * from "./codes.js";
export * from "./ids.js";
export * from "./version.js";
