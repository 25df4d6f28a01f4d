export * from "@livedraw/protocol";
export { LiveDrawClient, LiveDrawError, ClientState, newIdempotencyKey, type LiveDrawClientOptions, type SpinOptions, type StateChange } from "./client.js";
