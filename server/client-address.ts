/**
 * The client's address, for per-address limits (HTTP requests, socket connections, host sign-ins).
 * Without trusted proxies it is the peer's address. Behind N proxies you run (LIVEDRAW_TRUST_PROXY =
 * N; `true` is 1) it is the Nth `X-Forwarded-For` entry from the right: each proxy appends the
 * address it received the request from, so the rightmost N entries were written by your proxies and
 * the Nth of them is what the outermost one saw. Anything to its left was sent by the client and may
 * be made up (`X-Forwarded-For: 1.2.3.4` from the client does not move it). With fewer entries than
 * hops, the leftmost one is used (as Express's `trust proxy = N`).
 */

/** Longest address kept: a key in memory per address, so a silly header cannot make it large. */
const MAX_ADDRESS_LENGTH = 64;

/** `::ffff:1.2.3.4` (IPv4 as seen by an IPv6 socket) → `1.2.3.4`, so one client has one key. */
function normalize(address: string): string {
  const trimmed = address.trim();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed);
  return (mapped ? mapped[1]! : trimmed).slice(0, MAX_ADDRESS_LENGTH);
}

/**
 * @param peer the TCP peer (the nearest proxy's address behind one)
 * @param forwardedFor the `X-Forwarded-For` header(s), as received
 * @param trustedHops how many proxies in front of the node are trusted (0: none); `true` is 1
 */
export function clientAddress(peer: string, forwardedFor: string | string[] | undefined, trustedHops: number | boolean): string {
  const hops = trustedHops === true ? 1 : trustedHops === false ? 0 : Math.max(0, Math.floor(trustedHops));
  if (hops === 0 || forwardedFor === undefined) return normalize(peer);
  const entries = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor)
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  if (entries.length === 0) return normalize(peer);
  return normalize(entries[Math.max(0, entries.length - hops)]!);
}

/** The same for an HTTP request of the routes (`req.ip`, lower-case `req.headers`). */
export function clientIp(req: { ip: string; headers: Record<string, string | undefined> }, trustedHops: number | boolean): string {
  return clientAddress(req.ip, req.headers["x-forwarded-for"], trustedHops);
}
