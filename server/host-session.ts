/**
 * Console sessions of hosts (docs/http-api.md §8): sign in with a host id and password
 * (LIVEDRAW_HOSTS), get an opaque `ld_host` cookie (HttpOnly, SameSite=Strict) and a CSRF token.
 * Host requests then authenticate either with `Authorization: Bearer <host token>` (integrators) or
 * with the cookie, and a state-changing request with the cookie must also carry the session's
 * token in `X-CSRF-Token` (checked by the route table, server/route-table.ts). Sessions live in Redis with a TTL, keyed by the SHA-256 of the cookie.
 * Failed sign-ins slow down the pair (host id, client address) and the address with backoff, and the
 * host id only by a bounded delay, never a lock (Redis, so across nodes).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Redis } from "ioredis";
import { setTimeout as delay } from "node:timers/promises";
import { z } from "zod";
import { AppError } from "../core/errors.js";
import { hostSessionKey, hostSignInKeys } from "../core/redis-keys.js";
import type { TokenService } from "./auth.js";
import type { HostAccounts } from "./host-accounts.js";
import { clientIp, overTls } from "./http-body.js";
import type { HttpRequest } from "./http-types.js";

export const SESSION_COOKIE = "ld_host";
export const CSRF_HEADER = "x-csrf-token";

/**
 * Failed console sign-ins only slow the one who fails (docs/http-api.md §8):
 * - per (host id, client address): SIGN_IN_FREE_FAILURES free, then each further attempt from that
 *   address for that host id waits a backoff that doubles from SIGN_IN_BACKOFF_BASE_MS up to
 *   SIGN_IN_BACKOFF_MAX_MS (E_RATE_LIMITED with `retryAfterMs`); a success clears it;
 * - per client address (guessing across host ids): SIGN_IN_FREE_FAILURES_PER_ADDRESS free, then the same backoff;
 * - per host id (from anywhere): never a refusal. Past SIGN_IN_SLOWDOWN_AFTER failures in
 *   SIGN_IN_WINDOW_SECONDS, every attempt on that host id is answered SIGN_IN_SLOWDOWN_STEP_MS later
 *   per further failure, at most SIGN_IN_SLOWDOWN_MAX_MS: the right password from a clean address
 *   still signs in, however many guesses come from elsewhere.
 */
export const SIGN_IN_FREE_FAILURES = 5;
export const SIGN_IN_FREE_FAILURES_PER_ADDRESS = 20;
export const SIGN_IN_BACKOFF_BASE_MS = 2000;
export const SIGN_IN_BACKOFF_MAX_MS = 15 * 60_000;
/** Failures are forgotten this long after the last one (longer than the longest backoff). */
export const SIGN_IN_WINDOW_SECONDS = 60 * 60;
export const SIGN_IN_SLOWDOWN_AFTER = 10;
export const SIGN_IN_SLOWDOWN_STEP_MS = 100;
export const SIGN_IN_SLOWDOWN_MAX_MS = 2000;

/** The slowdown of a host id with `failures` recent failures, in ms (bounded; never a refusal). */
export function signInSlowdownMs(failures: number): number {
  return Math.min(SIGN_IN_SLOWDOWN_MAX_MS, Math.max(0, failures - SIGN_IN_SLOWDOWN_AFTER) * SIGN_IN_SLOWDOWN_STEP_MS);
}

const sessionSchema = z.object({ hostId: z.string(), csrfToken: z.string(), expiresAt: z.number() });
export type HostSession = z.infer<typeof sessionSchema>;

/** Who made a host request, and how they proved it. */
export interface HostIdentity {
  hostId: string;
  via: "token" | "session";
  /** A host token's `campaigns` claim: the only campaigns it may act on (absent: all). */
  campaigns?: string[];
}

/** Refuses a host whose token is scoped to other campaigns (E_FORBIDDEN, naming the scope). */
export function assertCampaignScope(who: HostIdentity, campaignId: string): void {
  if (who.campaigns === undefined || who.campaigns.includes(campaignId)) return;
  const scope = who.campaigns.slice(0, 5).join(", ") + (who.campaigns.length > 5 ? ", …" : "");
  throw new AppError("E_FORBIDDEN", `This host token may act only on campaigns ${scope}, not ${campaignId}.`);
}

/** The `ld_host` cookie's value in a Cookie header, if it is well formed (32 random bytes, base64url). */
export function sessionCookie(header: string | undefined): string | null {
  for (const part of (header ?? "").split(";")) {
    const [name, ...rest] = part.trim().split("=");
    const value = rest.join("=");
    if (name === SESSION_COOKIE && /^[A-Za-z0-9_-]{43}$/.test(value)) return value;
  }
  return null;
}

/** The store's reference of a session: SHA-256 (hex) of its cookie. Also names its sockets' room. */
export function sessionRef(cookie: string): string {
  return createHash("sha256").update(cookie).digest("hex");
}

/** Whether a request carries its console session's CSRF token (X-CSRF-Token). */
export function csrfMatches(req: HttpRequest, session: HostSession): boolean {
  return sameSecret(req.headers[CSRF_HEADER], session.csrfToken);
}

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface HostAuthOptions {
  ttlSeconds: number;
  trustProxy: boolean;
  /** Proxies in front of the nodes (LIVEDRAW_TRUST_PROXY): the sign-in limit's address. */
  trustProxyHops: number;
}

export class HostAuth {
  constructor(
    private readonly redis: Redis,
    private readonly accounts: HostAccounts,
    private readonly tokens: TokenService,
    private readonly options: HostAuthOptions,
  ) {}

  /**
   * Signs a host in. The address, then the (host id, address) pair, each take an attempt or answer
   * how long to wait (E_RATE_LIMITED); the host id's recent failures from anywhere only delay the
   * answer (signInSlowdownMs). A success clears the pair and gives the address its attempt back.
   * Returns the new session and its cookie's value.
   */
  async signIn(req: HttpRequest, hostId: string, password: string): Promise<{ session: HostSession; cookie: string; ref: string }> {
    const address = clientIp(req, this.options.trustProxyHops);
    const keys = { pair: hostSignInKeys.pair(hostId, address), address: hostSignInKeys.address(address), account: hostSignInKeys.account(hostId) };
    await this.take(keys.address, SIGN_IN_FREE_FAILURES_PER_ADDRESS, "from this address");
    try {
      await this.take(keys.pair, SIGN_IN_FREE_FAILURES, "for this host id from this address");
    } catch (err) {
      await this.redis.ld1_signInGiveBack(keys.address); // refused before any check: not an attempt of the address
      throw err;
    }
    const slowdown = signInSlowdownMs(Number((await this.redis.get(keys.account)) ?? 0));
    const [ok] = await Promise.all([this.accounts.verify(hostId, password), slowdown > 0 ? delay(slowdown) : undefined]);
    if (!ok) {
      const now = Date.now();
      await Promise.all([
        this.redis.multi().incr(keys.account).expire(keys.account, SIGN_IN_WINDOW_SECONDS).exec(),
        this.redis.ld1_signInFailed(keys.pair, now),
        this.redis.ld1_signInFailed(keys.address, now),
      ]);
      throw new AppError("E_SIGN_IN_FAILED");
    }
    await Promise.all([this.redis.del(keys.pair), this.redis.ld1_signInGiveBack(keys.address)]);
    const cookie = randomBytes(32).toString("base64url");
    const session: HostSession = { hostId, csrfToken: randomBytes(32).toString("base64url"), expiresAt: Date.now() + this.options.ttlSeconds * 1000 };
    await this.redis.set(hostSessionKey(sessionRef(cookie)), JSON.stringify(session), "EX", this.options.ttlSeconds);
    return { session, cookie, ref: sessionRef(cookie) };
  }

  private async take(key: string, free: number, what: string): Promise<void> {
    // core/lua/signInAttempt-1.lua: the wait in ms, or 0 (the attempt is counted).
    const wait = Number(await this.redis.ld1_signInAttempt(key, Date.now(), free, SIGN_IN_BACKOFF_BASE_MS, SIGN_IN_BACKOFF_MAX_MS, SIGN_IN_WINDOW_SECONDS * 1000));
    if (wait > 0) throw new AppError("E_RATE_LIMITED", `Too many failed sign-ins ${what}; retry after \`retryAfterMs\` (each further failure doubles the wait).`, wait);
  }

  /** The session of a Cookie header, or null (no cookie, expired, signed out). */
  async session(cookieHeader: string | undefined): Promise<(HostSession & { ref: string }) | null> {
    const cookie = sessionCookie(cookieHeader);
    if (cookie === null) return null;
    const ref = sessionRef(cookie);
    const raw = await this.redis.get(hostSessionKey(ref));
    if (raw === null) return null;
    const parsed = sessionSchema.safeParse(JSON.parse(raw));
    return parsed.success ? { ...parsed.data, ref } : null;
  }

  /** The session of a request, or E_UNAUTHORIZED. */
  async requireSession(req: HttpRequest): Promise<HostSession & { ref: string }> {
    const session = await this.session(req.headers.cookie);
    if (!session) throw new AppError("E_UNAUTHORIZED", "No valid host session: sign in again (POST /v1/host/session).");
    return session;
  }

  /** Ends a session (the route table checked its CSRF token). */
  async endSession(ref: string): Promise<void> {
    await this.redis.del(hostSessionKey(ref));
  }

  /** `Set-Cookie` for a new session, or (cookie null) one that clears it. `Secure` when the request came over TLS. */
  setCookie(req: HttpRequest, cookie: string | null): string {
    const attrs = [`${SESSION_COOKIE}=${cookie ?? ""}`, "HttpOnly", "SameSite=Strict", "Path=/", `Max-Age=${cookie === null ? 0 : this.options.ttlSeconds}`];
    if (overTls(req, this.options.trustProxy)) attrs.push("Secure");
    return attrs.join("; ");
  }
}
