/**
 * Player sign-in and token revocation (docs/http-api.md, "11. Player sign-in"):
 *
 * - **Mini-program login**: the client's `wx.login()` code is exchanged at a code2session endpoint
 *   (WeChat's, or any compatible one) for the user's openid/unionid; the session key is discarded at
 *   once (never stored or logged). The player token's `sub` is `wx_<unionid or openid>`.
 * - **Phone one-time codes**: the number normalised to E.164 (libphonenumber-js, default region CN:
 *   one handset, one account), a 6-digit code sent by a pluggable SMS sender, stored only as an HMAC
 *   under the phone's pseudonym (no phone number in Redis), valid 5 minutes; every code sent and
 *   still valid works (a later send never replaces it), 5 wrong attempts use them all up; one send
 *   per minute and 10 per day per phone, 20 per hour per client address — limits on sending only,
 *   never on using a code already sent. `sub` is `tel_<E.164 digits>`; the number also rides as the
 *   `phone` claim, so it lands sealed in the profile.
 * - **Revocation**: tokens issued here carry a `jti`; signing out revokes that token (and disconnects
 *   its sockets on every node); a host can revoke every token of a player issued so far.
 */
import { createHmac, randomBytes, randomInt } from "node:crypto";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { z } from "zod";
import type { Config } from "../config/options.js";
import { AppError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { logId, maskName } from "../core/mask.js";
import { deriveKey, type Pseudonymiser } from "../core/privacy.js";
import { otpDayKey, otpGapKey, otpKey, revokedTokenKey, tokensAfterKey } from "../core/redis-keys.js";
import { MAX_TOKEN_LIFETIME_SECONDS, type TokenService, type VerifiedClaims } from "./auth.js";

/** The region of a phone number typed without a country code. */
export const PHONE_DEFAULT_REGION = "CN";
export const OTP_TTL_SECONDS = 300;
export const OTP_MAX_ATTEMPTS = 5;
export const OTP_RESEND_GAP_SECONDS = 60;
export const OTP_SENDS_PER_DAY = 10;
export const OTP_SENDS_PER_ADDRESS_PER_HOUR = 20;
/** How long "every token of this player before now" is remembered: longer than any token we accept lives. */
export const REVOKE_ALL_REMEMBER_SECONDS = MAX_TOKEN_LIFETIME_SECONDS + 86_400;
const PROVIDER_TIMEOUT_MS = 5000;

/** A signed-in player's token and who they are to the server. */
export interface SignedIn {
  token: string;
  expiresAt: number;
  /** The pseudonym the server stores (what `campaign:subscribe` answers as `playerId`). */
  playerId: string;
}

// ------------------------------------------------------------------------------- phone numbers

/**
 * The E.164 form of a phone number (`+8613900139000`), so one handset is one account (one `sub`, one
 * cooldown, one daily cap) however it is typed: `+86 139 0013 9000`, `0086 139…`, `86139…`, `139…`
 * (no country code: mainland China), `+86 0139…` (a trunk 0 after the country code) and `+0086…` /
 * `+086…` (an international prefix typed after the `+`; no country code starts with 0). Parsed and
 * validated with libphonenumber-js's full metadata; anything else is E_INVALID_PHONE.
 */
export function canonicalPhone(raw: string): string {
  const compact = raw.replace(/[\s().-]/g, "");
  const text = /^\+0/.test(compact) ? `+${compact.slice(1).replace(/^0+/, "")}` : compact;
  const parsed = /^\+?\d{3,17}$/.test(text) ? parsePhoneNumberFromString(text, PHONE_DEFAULT_REGION) : undefined;
  if (parsed === undefined || !parsed.isValid()) {
    throw new AppError("E_INVALID_PHONE", `phone: ${maskName(raw.slice(0, 32))} is not a valid phone number; give it with its country code (+44 7400 123456), or as a mainland China number (139 0013 9000).`);
  }
  return parsed.number;
}

// ------------------------------------------------------------------------------- SMS

/** Sends one sign-in code to one phone; rejects when the provider did not take it. */
export interface SmsSender {
  readonly kind: string;
  send(phone: string, code: string, ttlSeconds: number): Promise<void>;
}

/**
 * POSTs `{ phone, code, ttlSeconds }` to your SMS adapter with `x-livedraw-timestamp` (ms) and
 * `x-livedraw-signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`; a 2xx means sent.
 */
export function webhookSmsSender(url: string, secret: string): SmsSender {
  return {
    kind: "webhook",
    async send(phone, code, ttlSeconds) {
      const body = JSON.stringify({ phone, code, ttlSeconds });
      const timestamp = String(Date.now());
      const signature = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-livedraw-timestamp": timestamp, "x-livedraw-signature": `sha256=${signature}` },
        body,
        signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`SMS webhook answered HTTP ${res.status}`);
    },
  };
}

/** Development only (refused with NODE_ENV=production): the code goes to the node's log, the phone masked. */
export function logSmsSender(log: Logger): SmsSender {
  return {
    kind: "log",
    async send(phone, code) {
      log.warn({ phone: maskName(phone), code }, "sign-in code (LIVEDRAW_SMS_SENDER=log: development only)");
    },
  };
}

export function smsSenderFromConfig(config: Config, log: Logger): SmsSender | null {
  if (config.smsSender === "webhook") return webhookSmsSender(config.smsWebhookUrl, config.smsWebhookSecret);
  if (config.smsSender === "log") return logSmsSender(log);
  return null;
}

// ------------------------------------------------------------------------------- code2session

const code2SessionSchema = z.object({
  openid: z.string().regex(/^[A-Za-z0-9_-]{6,60}$/).optional(),
  unionid: z.string().regex(/^[A-Za-z0-9_-]{6,60}$/).optional(),
  session_key: z.string().optional(),
  errcode: z.number().int().optional(),
  errmsg: z.string().optional(),
});

/** WeChat's errcodes that mean "this code is no good" (invalid, used, or issued for another app). */
const BAD_CODE_ERRCODES = new Set([40029, 40163, 40226, 40013, 40125]);

/** Exchanges a mini-program login code; answers the stable user id (unionid when the app has one, else openid). */
export async function code2Session(config: Config, code: string): Promise<string> {
  const url = new URL(config.wechatCode2SessionUrl);
  url.searchParams.set("appid", config.wechatAppId);
  url.searchParams.set("secret", config.wechatSecret);
  url.searchParams.set("js_code", code);
  url.searchParams.set("grant_type", "authorization_code");
  let raw: unknown;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    raw = await res.json();
  } catch {
    throw new AppError("E_UNAVAILABLE", "The mini-program login service did not answer; retry shortly.", 1000);
  }
  const parsed = code2SessionSchema.safeParse(raw);
  if (!parsed.success) throw new AppError("E_UNAVAILABLE", "The mini-program login service answered something unexpected; retry shortly.", 1000);
  const r = parsed.data;
  if (r.errcode !== undefined && r.errcode !== 0) {
    if (BAD_CODE_ERRCODES.has(r.errcode)) throw new AppError("E_LOGIN_FAILED", "This login code is invalid or already used: call wx.login() again.");
    if (r.errcode === 45011) throw new AppError("E_RATE_LIMITED", "The mini-program login service is rate limiting this user; retry in a minute.", 60_000);
    throw new AppError("E_UNAVAILABLE", `The mini-program login service refused (errcode ${r.errcode}); retry shortly.`, 1000);
  }
  const id = r.unionid ?? r.openid;
  if (id === undefined) throw new AppError("E_UNAVAILABLE", "The mini-program login service answered without an openid; retry shortly.", 1000);
  return id;
}

// ------------------------------------------------------------------------------- one-time codes

export class PhoneCodes {
  private readonly hmacKey: Buffer;
  private readonly perAddress: RateLimiterRedis;

  constructor(
    private readonly redis: Redis,
    private readonly pseudonyms: Pseudonymiser,
    private readonly sender: SmsSender,
    secret: string,
    private readonly log: Logger,
  ) {
    this.hmacKey = deriveKey(secret, "otp-code");
    this.perAddress = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: "ld:rl:otp-address",
      points: OTP_SENDS_PER_ADDRESS_PER_HOUR,
      duration: 3600,
      insuranceLimiter: new RateLimiterMemory({ points: OTP_SENDS_PER_ADDRESS_PER_HOUR, duration: 3600 }),
    });
  }

  /** The phone's `sub` and pseudonym. */
  identity(phone: string): { sub: string; playerId: string } {
    const sub = `tel_${phone.slice(1)}`;
    return { sub, playerId: this.pseudonyms.player(sub) };
  }

  private hash(playerId: string, code: string): string {
    return createHmac("sha256", this.hmacKey).update(playerId).update("\0").update(code).digest("base64url");
  }

  async request(phone: string, address: string): Promise<{ sentTo: string; expiresInSeconds: number; resendAfterSeconds: number }> {
    const { playerId } = this.identity(phone);
    try {
      await this.perAddress.consume(address);
    } catch (rej) {
      if (rej instanceof RateLimiterRes) throw new AppError("E_RATE_LIMITED", "Too many sign-in codes requested from this address; retry later.", Math.max(1000, Math.ceil(rej.msBeforeNext)));
      throw rej;
    }
    if ((await this.redis.set(otpGapKey(playerId), "1", "PX", OTP_RESEND_GAP_SECONDS * 1000, "NX")) === null) {
      const wait = await this.redis.pttl(otpGapKey(playerId));
      throw new AppError("E_RATE_LIMITED", "A code was sent to this phone a moment ago; wait before asking again.", Math.max(1000, wait));
    }
    const sentToday = await this.redis.incr(otpDayKey(playerId));
    if (sentToday === 1) await this.redis.expire(otpDayKey(playerId), 86_400);
    if (sentToday > OTP_SENDS_PER_DAY) {
      const wait = await this.redis.pttl(otpDayKey(playerId));
      throw new AppError("E_RATE_LIMITED", `At most ${OTP_SENDS_PER_DAY} codes a day are sent to one phone.`, Math.max(1000, wait));
    }
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    // Added beside the phone's codes still live: a new send (anyone's) never takes away a code already received.
    const field = `c:${this.hash(playerId, code)}`;
    await this.redis.multi().hset(otpKey(playerId), field, Date.now() + OTP_TTL_SECONDS * 1000).pexpire(otpKey(playerId), OTP_TTL_SECONDS * 1000).exec();
    try {
      await this.sender.send(phone, code, OTP_TTL_SECONDS);
    } catch (err) {
      await Promise.all([this.redis.hdel(otpKey(playerId), field), this.redis.del(otpGapKey(playerId))]).catch(() => undefined);
      this.log.warn({ err: err instanceof Error ? err.message : String(err), player: logId(playerId), sender: this.sender.kind }, "sign-in code not sent");
      throw new AppError("E_UNAVAILABLE", "The text message could not be sent; try again shortly.", 5000);
    }
    this.log.info({ player: logId(playerId), sender: this.sender.kind }, "sign-in code sent");
    return { sentTo: maskName(phone), expiresInSeconds: OTP_TTL_SECONDS, resendAfterSeconds: OTP_RESEND_GAP_SECONDS };
  }

  /** Consumes a correct code (once: two parallel checks of one code cannot both pass). */
  async verify(phone: string, code: string): Promise<{ sub: string; playerId: string }> {
    const who = this.identity(phone);
    const outcome = await this.redis.ld1_checkPhoneCode(otpKey(who.playerId), this.hash(who.playerId, code), OTP_MAX_ATTEMPTS, Date.now()); // core/lua/checkPhoneCode-1.lua
    if (outcome === "ok") return who;
    if (outcome === "exhausted") throw new AppError("E_LOGIN_FAILED", `Wrong code ${OTP_MAX_ATTEMPTS} times: request a new one.`);
    if (outcome === "missing") throw new AppError("E_LOGIN_FAILED", "No code is waiting for this phone (it expired, was used, or was never sent): request a new one.");
    throw new AppError("E_LOGIN_FAILED", "Wrong code.");
  }
}

// ------------------------------------------------------------------------------- revocation

export class TokenRevocations {
  constructor(private readonly redis: Redis) {}

  /** Revokes one token until it would have expired anyway. */
  async revokeToken(tokenId: string, expiresAt: number, now: number): Promise<void> {
    await this.redis.set(revokedTokenKey(tokenId), "1", "PX", Math.max(1000, expiresAt - now));
  }

  /** Refuses every token of the player issued up to now (rounded up to the next second). */
  async revokePlayer(playerId: string, now: number): Promise<void> {
    await this.redis.set(tokensAfterKey(playerId), String(Math.ceil(now / 1000)), "EX", REVOKE_ALL_REMEMBER_SECONDS);
  }

  /** Whether a verified player token has been revoked (one token, or all of the player's until some time). */
  async isRevoked(playerId: string, claims: VerifiedClaims): Promise<boolean> {
    const [one, after] = await this.redis.mget(claims.tokenId === undefined ? tokensAfterKey(playerId) : revokedTokenKey(claims.tokenId), tokensAfterKey(playerId));
    if (claims.tokenId !== undefined && one !== null) return true;
    return after !== null && claims.issuedAt < Number(after);
  }
}

/** Issues a revocable player token. */
export async function issuePlayerToken(tokens: TokenService, pseudonyms: Pseudonymiser, claims: { sub: string; phone?: string }, ttlSeconds: number, now: number): Promise<SignedIn> {
  const token = await tokens.sign({ sub: claims.sub, role: "player", ...(claims.phone === undefined ? {} : { phone: claims.phone }) }, ttlSeconds, { tokenId: randomBytes(16).toString("base64url") });
  return { token, expiresAt: Math.floor(now / 1000) * 1000 + ttlSeconds * 1000, playerId: pseudonyms.player(claims.sub) };
}
