/**
 * Console sessions of hosts (docs/http-api.md §8): sign in with a host id and password
 * (LIVEDRAW_HOSTS), get an opaque `ld_host` cookie (HttpOnly, SameSite=Strict) and a CSRF token.
 * Host requests then authenticate either with `Authorization: Bearer <host token>` (integrators) or
 * with the cookie, and a state-changing request with the cookie must also carry the session's
 * token in `X-CSRF-Token`. Sessions live in Redis with a TTL, keyed by the SHA-256 of the cookie.
 * Failed sign-ins are limited per host id and per client address (Redis, so across nodes).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { z } from "zod";
import { AppError } from "../core/errors.js";
import { hostSessionKey, hostSignInLimitPrefix } from "../core/redis-keys.js";
import type { TokenService } from "./auth.js";
import type { HostAccounts } from "./host-accounts.js";
import { clientIp, overTls } from "./http-body.js";
import type { HttpRequest } from "./http-types.js";

export const SESSION_COOKIE = "ld_host";
export const CSRF_HEADER = "x-csrf-token";
/** Failed sign-ins allowed per host id, and per client address, in SIGN_IN_WINDOW_SECONDS. */
export const SIGN_IN_FAILURES = 5;
export const SIGN_IN_WINDOW_SECONDS = 15 * 60;

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
  private readonly failures: { account: RateLimiterRedis; address: RateLimiterRedis };

  constructor(
    private readonly redis: Redis,
    private readonly accounts: HostAccounts,
    private readonly tokens: TokenService,
    private readonly options: HostAuthOptions,
  ) {
    const limiter = (keyPrefix: string) => new RateLimiterRedis({ storeClient: redis, keyPrefix, points: SIGN_IN_FAILURES, duration: SIGN_IN_WINDOW_SECONDS });
    this.failures = { account: limiter(hostSignInLimitPrefix.account), address: limiter(hostSignInLimitPrefix.address) };
  }

  /**
   * Signs a host in: each attempt first takes a point from both limits (so parallel guesses are
   * counted too); a success forgets the host id's failures and gives the address its point back. Returns the new session and its cookie's value.
   */
  async signIn(req: HttpRequest, hostId: string, password: string): Promise<{ session: HostSession; cookie: string; ref: string }> {
    const address = clientIp(req, this.options.trustProxyHops);
    await Promise.all([this.take(this.failures.account, hostId), this.take(this.failures.address, address)]);
    if (!(await this.accounts.verify(hostId, password))) throw new AppError("E_SIGN_IN_FAILED");
    await Promise.all([this.failures.account.delete(hostId), this.failures.address.reward(address, 1)]);
    const cookie = randomBytes(32).toString("base64url");
    const session: HostSession = { hostId, csrfToken: randomBytes(32).toString("base64url"), expiresAt: Date.now() + this.options.ttlSeconds * 1000 };
    await this.redis.set(hostSessionKey(sessionRef(cookie)), JSON.stringify(session), "EX", this.options.ttlSeconds);
    return { session, cookie, ref: sessionRef(cookie) };
  }

  private async take(limiter: RateLimiterRedis, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (rej) {
      if (rej instanceof RateLimiterRes) {
        throw new AppError("E_RATE_LIMITED", "Too many failed sign-ins for this host id or from this address; retry after `retryAfterMs`.", Math.max(1, Math.ceil(rej.msBeforeNext)));
      }
      throw rej;
    }
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

  /**
   * Authenticates a host request: a Bearer host token (as before, no CSRF check), else the session
   * cookie — with, when `changes` is true, the session's CSRF token in X-CSRF-Token (E_CSRF).
   */
  async require(req: HttpRequest, changes: boolean, campaignId?: string): Promise<HostIdentity> {
    const authorization = req.headers.authorization;
    if ((authorization !== undefined && authorization !== "") || sessionCookie(req.headers.cookie) === null) {
      const claims = await this.tokens.requireHost(authorization);
      const who: HostIdentity = claims.campaigns === undefined ? { hostId: claims.sub, via: "token" } : { hostId: claims.sub, via: "token", campaigns: claims.campaigns };
      if (campaignId !== undefined) assertCampaignScope(who, campaignId);
      return who;
    }
    const session = await this.requireSession(req);
    if (changes && !sameSecret(req.headers[CSRF_HEADER], session.csrfToken)) throw new AppError("E_CSRF");
    return { hostId: session.hostId, via: "session" };
  }

  /** `Set-Cookie` for a new session, or (cookie null) one that clears it. `Secure` when the request came over TLS. */
  setCookie(req: HttpRequest, cookie: string | null): string {
    const attrs = [`${SESSION_COOKIE}=${cookie ?? ""}`, "HttpOnly", "SameSite=Strict", "Path=/", `Max-Age=${cookie === null ? 0 : this.options.ttlSeconds}`];
    if (overTls(req, this.options.trustProxy)) attrs.push("Secure");
    return attrs.join("; ");
  }
}
