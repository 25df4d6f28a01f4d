/**
 * The Socket.IO v4 wire format, text packets only: engine.io v4 packet types around socket.io v5
 * packets, default namespace, websocket transport. The contract has no binary payloads, so binary
 * packets are refused rather than reassembled. `wire.test.ts` checks this against socket.io-parser.
 * (Why this is ours and not socket.io-parser + engine.io-parser: docs/decisions.md, "SDK wire".)
 */

/** engine.io packet types. */
export const EIO = { OPEN: "0", CLOSE: "1", PING: "2", PONG: "3", MESSAGE: "4" } as const;

/** socket.io packet types. */
export const SIO = { CONNECT: 0, DISCONNECT: 1, EVENT: 2, ACK: 3, CONNECT_ERROR: 4 } as const;

export interface SioPacket {
  type: number;
  id?: number;
  data?: unknown;
}

/** An engine.io MESSAGE frame carrying one socket.io packet for the default namespace. */
export function encode(type: number, data?: unknown, id?: number): string {
  return EIO.MESSAGE + type + (id === undefined ? "" : id) + (data === undefined ? "" : JSON.stringify(data));
}

/** Parses the socket.io packet inside an engine.io MESSAGE (without its leading "4"); null if not ours. */
export function decode(s: string): SioPacket | null {
  const type = s.charCodeAt(0) - 48;
  if (!(type >= 0 && type <= 4)) return null; // 5/6 are binary packets: not part of the contract
  let i = 1;
  if (s[i] === "/") return null; // another namespace: not part of the contract
  const start = i;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  const packet: SioPacket = { type };
  if (i > start) packet.id = Number(s.slice(start, i));
  if (i < s.length) {
    try {
      packet.data = JSON.parse(s.slice(i));
    } catch {
      return null;
    }
  }
  return packet;
}

/** The engine.io websocket URL of a server base URL (`https://x` → `wss://x/socket.io/?EIO=4&transport=websocket`). */
export function socketUrl(base: string, path = "/socket.io/"): string {
  const m = /^(\w+):\/\/([^/?#]+)/.exec(base);
  if (!m) throw new TypeError(`Not an absolute URL: ${base}`);
  const scheme = m[1]!.toLowerCase();
  const ws = scheme === "https" || scheme === "wss" ? "wss" : "ws";
  return `${ws}://${m[2]}${path}?EIO=4&transport=websocket`;
}
