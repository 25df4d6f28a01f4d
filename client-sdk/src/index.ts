export * from "./protocol.js";
export * from "./codes.js";
export { LiveDrawClient, LiveDrawError, ClientState, newIdempotencyKey, type LiveDrawClientOptions, type SpinOptions, type StateChange } from "./client.js";
export * as fairness from "./fairness/index.js";
export { verifyBundle, checkEntry, verifyInclusionProof } from "./fairness/index.js";
