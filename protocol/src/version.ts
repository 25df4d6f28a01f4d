/**
 * Version of the socket protocol. The SDK sends it in the handshake (`auth.protocol`); a server that
 * does not speak it refuses the connection with `E_PROTOCOL_VERSION`. A handshake without it is v1.
 */
export const PROTOCOL_VERSION = 1;

/** Versions this release of the server accepts. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1];
