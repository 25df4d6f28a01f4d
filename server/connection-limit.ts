/**
 * Connection bounds of a node.
 *
 * - `AddressConnections`: concurrent Socket.IO sockets per client address
 *   (LIVEDRAW_MAX_CONNECTIONS_PER_ADDRESS): a place is taken at the Socket.IO handshake (the CONNECT),
 *   before authentication, and given back once, whichever comes first: the handshake is refused, the
 *   socket disconnects, or its connection closes (also when the client went away in the middle of the
 *   handshake and no socket was ever connected).
 * - `TransportConnections`: every transport connection (a WebSocket upgrade, or a long-polling
 *   Engine.IO handshake), counted from the upgrade request itself, before any Socket.IO packet: per
 *   client address (the same setting plus headroom, so a client over the socket limit still reads its
 *   `E_RATE_LIMITED` in `connect_error`) and per node (LIVEDRAW_MAX_CONNECTIONS). See
 *   server/upgrade-gate.ts for where it is wired.
 */
import { readFileSync } from "node:fs";

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

  /** Places `address` holds now. */
  held(address: string): number {
    return this.counts.get(address) ?? 0;
  }
}

/**
 * Transport connections one address may hold: the socket limit plus a tenth of it (at least 8), so
 * the connection that is one too many still gets through the upgrade and is refused at its CONNECT
 * with a readable `E_RATE_LIMITED` (and closed by the client, or by the CONNECT timeout). 0: no limit.
 */
export function transportsPerAddress(maxSocketsPerAddress: number): number {
  if (maxSocketsPerAddress <= 0) return 0;
  return maxSocketsPerAddress + Math.max(8, Math.ceil(maxSocketsPerAddress / 10));
}

export type TransportRefusal = "address" | "node";

/** Transport connections per address and per node, counted from the upgrade. */
export class TransportConnections {
  private readonly perAddress: AddressConnections;
  private total = 0;
  private peak = 0;

  /**
   * @param maxPerAddress transport connections per address (0: no limit); see transportsPerAddress
   * @param maxTotal transport connections on this node (0: no ceiling)
   */
  constructor(
    readonly maxPerAddress: number,
    readonly maxTotal: number,
  ) {
    this.perAddress = new AddressConnections(maxPerAddress);
  }

  /** Takes a place of `address` and of the node; returns its release (idempotent), or why it was refused. */
  acquire(address: string): (() => void) | TransportRefusal {
    if (this.maxTotal > 0 && this.total >= this.maxTotal) return "node";
    const release = this.perAddress.acquire(address);
    if (release === null) return "address";
    this.total++;
    this.peak = Math.max(this.peak, this.perAddress.held(address));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      release();
    };
  }

  /** Transport connections open (or being opened) on this node. */
  get open(): number {
    return this.total;
  }

  held(address: string): number {
    return this.perAddress.held(address);
  }

  /** The most transport connections one address has held at once since start. */
  get peakPerAddress(): number {
    return this.peak;
  }
}

/** Descriptors reserved beside client connections: Redis connections, HTTP requests, metrics, logs. */
export const DESCRIPTOR_RESERVE = 256;

/** The process's soft limit of open files (`ulimit -n`), from /proc/self/limits; null where unreadable (not Linux). */
export function openFilesLimit(limitsText?: string): number | null {
  let text = limitsText;
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/limits", "utf8");
    } catch {
      return null;
    }
  }
  const line = text.split("\n").find((l) => l.startsWith("Max open files"));
  const soft = line === undefined ? undefined : /^Max open files\s+(\S+)/.exec(line)?.[1];
  if (soft === undefined) return null;
  return soft === "unlimited" ? Number.POSITIVE_INFINITY : Number.isFinite(Number(soft)) ? Number(soft) : null;
}

/**
 * What to warn about at start-up, or null: the descriptor limit leaves too little room for the
 * connection ceiling (it then, not the ceiling, decides when connections fail, and they fail by
 * timing out — `/healthz` with them).
 */
export function descriptorWarning(limit: number | null, maxConnections: number): string | null {
  if (limit === null || limit === Number.POSITIVE_INFINITY) return null;
  if (maxConnections === 0) {
    return `LIVEDRAW_MAX_CONNECTIONS is 0 (no ceiling): the open-file limit (ulimit -n ${limit}) is what bounds connections, and past it connects time out instead of being refused`;
  }
  if (limit >= maxConnections + DESCRIPTOR_RESERVE) return null;
  return `the open-file limit (ulimit -n ${limit}) is below LIVEDRAW_MAX_CONNECTIONS (${maxConnections}) + ${DESCRIPTOR_RESERVE} reserved: raise it (systemd LimitNOFILE, docker --ulimit nofile) or lower LIVEDRAW_MAX_CONNECTIONS to at most ${Math.max(0, limit - DESCRIPTOR_RESERVE)}`;
}
