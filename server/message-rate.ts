/**
 * The per-socket message rate (LIVEDRAW_SOCKET_MESSAGES_PER_SECOND). Every inbound message counts —
 * known or unknown events, with or without an ack callback — in windows of one wall-clock second.
 * Above the limit a message is refused (E_RATE_LIMITED when it has an ack, dropped otherwise). A
 * socket that keeps sending more than FLOOD_FACTOR times the limit in FLOOD_SECONDS consecutive
 * seconds is not a client backing off but a flood: it is to be disconnected.
 */

/** A second with more than this many times the limit is a flooded second. */
export const FLOOD_FACTOR = 5;
/** This many flooded seconds in a row disconnect the socket. */
export const FLOOD_SECONDS = 3;

export type RateVerdict = { kind: "ok" } | { kind: "limited"; retryAfterMs: number } | { kind: "flood" };

const OK: RateVerdict = { kind: "ok" };

/** One socket's counter; synchronous, so a message is judged before any handler runs. */
export class MessageRate {
  private second = -1;
  private count = 0;
  /** Flooded seconds in a row that ended just before `second`. */
  private streak = 0;

  constructor(private readonly limit: number) {}

  take(now: number): RateVerdict {
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      const flooded = this.count > this.limit * FLOOD_FACTOR;
      this.streak = flooded && second === this.second + 1 ? this.streak + 1 : 0;
      this.second = second;
      this.count = 0;
    }
    this.count++;
    if (this.count <= this.limit) return OK;
    if (this.count > this.limit * FLOOD_FACTOR && this.streak + 1 >= FLOOD_SECONDS) return { kind: "flood" };
    return { kind: "limited", retryAfterMs: Math.max(1, (second + 1) * 1000 - now) };
  }
}
