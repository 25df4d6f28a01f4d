/**
 * Server-clock estimate, NTP style: several `time:sync` round trips, and the one with the smallest
 * round-trip time wins (its one-way delays are the least uncertain). Re-estimated on every connect.
 */
export interface ClockSample {
  /** Local clock when the request left. */
  sent: number;
  /** Local clock when the answer arrived. */
  received: number;
  /** Server clock in the answer. */
  serverTime: number;
}

/** Offset to add to the local clock to get the server's, from the lowest-RTT sample. */
export function bestOffset(samples: readonly ClockSample[]): { offsetMs: number; rttMs: number } | null {
  let best: ClockSample | undefined;
  for (const s of samples) if (!best || s.received - s.sent < best.received - best.sent) best = s;
  if (!best) return null;
  const rttMs = best.received - best.sent;
  return { offsetMs: best.serverTime - (best.sent + rttMs / 2), rttMs };
}
