/** The protocol lives in the SDK package (it must not depend on server code); server and worker import it from here. */
export * from "../client-sdk/src/protocol.js";
export * from "../client-sdk/src/codes.js";
