/**
 * Concurrent socket connections per client address on this node (LIVEDRAW_MAX_CONNECTIONS_PER_ADDRESS):
 * a place is taken at the handshake, before authentication, and given back once, whichever comes
 * first: the handshake is refused, the socket disconnects, or its connection closes (also when the
 * client went away in the middle of the handshake and no socket was ever connected).
 */
export class AddressConnections {
  private readonly counts = new Map<string, number>();

  /** @param max 0: no limit (counted anyway, for the gauge) */
  constructor(private readonly max: number) {}

  /** Takes a place for `address`; returns its release (idempotent), or null when the address is at the limit. */
  acquire(address: string): (() => void) | null {
    const n = this.counts.get(address) ?? 0;
    if (this.max > 0 && n >= this.max) return null;
    this.counts.set(address, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.counts.get(address) ?? 1) - 1;
      if (left <= 0) this.counts.delete(address);
      else this.counts.set(address, left);
    };
  }

  /** Addresses holding at least one connection. */
  get addresses(): number {
    return this.counts.size;
  }
}
