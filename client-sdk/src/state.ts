/**
 * The client's connection states and the only transitions between them. `setState` in the client
 * refuses anything not in this table; `state.test.ts` walks every entry against a real server.
 */
export enum ClientState {
  /** Not connected, and not trying (before `connect()`, after `pause()` or a final refusal). */
  Disconnected = "disconnected",
  /** Opening a socket or waiting for the next attempt (full-jitter backoff). */
  Connecting = "connecting",
  /** Handshake accepted: subscriptions restored, requests flowing. */
  Connected = "connected",
  /** `close()`: final. */
  Closed = "closed",
}

export const TRANSITIONS: Readonly<Record<ClientState, readonly ClientState[]>> = {
  [ClientState.Disconnected]: [ClientState.Connecting, ClientState.Closed],
  [ClientState.Connecting]: [ClientState.Connected, ClientState.Disconnected, ClientState.Closed],
  [ClientState.Connected]: [ClientState.Connecting, ClientState.Disconnected, ClientState.Closed],
  [ClientState.Closed]: [],
};

export const canTransition = (from: ClientState, to: ClientState): boolean => TRANSITIONS[from].includes(to);

/** Full-jitter backoff: a random delay in [0, min(max, min · 2^attempt)] (centrifuge-js). */
export function backoff(attempt: number, minMs: number, maxMs: number): number {
  return Math.floor(Math.random() * Math.min(maxMs, minMs * Math.pow(2, Math.min(attempt, 30))));
}
