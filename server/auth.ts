/**
 * Player and host tokens: HS256 JWTs signed with the configured secret (jose). Claims: `sub` (the
 * player or host id), `role` (`player` | `host`), optional `name` (display name, masked before it is
 * shown) and `phone`. A player's `sub` becomes a pseudonym at the socket boundary (core/privacy.ts);
 * the raw `name` and `phone` are stored only sealed in the player's profile. Issued by the integrator's backend in production; `POST /dev/token` issues them
 * locally only when LIVEDRAW_DEV_TOKENS is on.
 */
import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import { AppError } from "../core/errors.js";
import { tokenClaimsSchema, type TokenClaims } from "../core/schemas.js";

export const TOKEN_ISSUER = "livedraw";

export const NO_EXPIRY_MESSAGE = "The token has no expiry (exp); issue tokens with one.";

/**
 * The longest a token may still live when it is presented (its `exp` at most this far ahead): the
 * player-wide revocation record (server/login.ts) is kept longer than this, so a revocation covers
 * every token it could apply to for as long as that token could be used.
 */
export const MAX_TOKEN_LIFETIME_SECONDS = 30 * 86_400;

/**
 * A verified token's claims, when it expires (ms since the epoch, from `exp`), when it was issued
 * (`iat`, seconds, 0 when absent) and its id (`jti`, when it has one: tokens the sign-in endpoints
 * issue do, and only such tokens can be revoked one by one).
 */
export type VerifiedClaims = TokenClaims & { expiresAt: number; issuedAt: number; tokenId?: string };

export class TokenService {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  async sign(claims: TokenClaims, ttlSeconds: number, options: { tokenId?: string } = {}): Promise<string> {
    const jwt = new SignJWT({
      role: claims.role,
      ...(claims.name === undefined ? {} : { name: claims.name }),
      ...(claims.phone === undefined ? {} : { phone: claims.phone }),
      ...(claims.campaigns === undefined ? {} : { campaigns: claims.campaigns }),
    })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(claims.sub)
      .setIssuer(TOKEN_ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`);
    if (options.tokenId !== undefined) jwt.setJti(options.tokenId);
    return jwt.sign(this.key);
  }

  /**
   * Verifies a token and returns its claims with its expiry (`exp`, required: a socket is
   * disconnected when it passes); any problem is E_UNAUTHORIZED with the reason.
   */
  async verify(token: unknown): Promise<VerifiedClaims> {
    if (typeof token !== "string" || token.length === 0) throw new AppError("E_UNAUTHORIZED", "No token: pass it as auth.token (socket) or 'Authorization: Bearer <token>' (HTTP).");
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ["HS256"], issuer: TOKEN_ISSUER });
      if (typeof payload.exp !== "number" || !Number.isFinite(payload.exp)) throw new AppError("E_UNAUTHORIZED", NO_EXPIRY_MESSAGE);
      if (payload.exp * 1000 - Date.now() > MAX_TOKEN_LIFETIME_SECONDS * 1000) {
        throw new AppError("E_UNAUTHORIZED", `The token lives too long: its expiry (exp) must be at most ${MAX_TOKEN_LIFETIME_SECONDS / 86_400} days away.`);
      }
      const claims = tokenClaimsSchema.safeParse(payload);
      if (!claims.success) throw new AppError("E_UNAUTHORIZED", "The token's claims are not valid (sub, role).");
      const issuedAt = typeof payload.iat === "number" && Number.isFinite(payload.iat) ? payload.iat : 0;
      const tokenId = typeof payload.jti === "string" && /^[A-Za-z0-9_-]{8,64}$/.test(payload.jti) ? payload.jti : undefined;
      return { ...claims.data, expiresAt: payload.exp * 1000, issuedAt, ...(tokenId === undefined ? {} : { tokenId }) };
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new AppError("E_UNAUTHORIZED", "The token has expired; get a fresh one.");
      throw new AppError("E_UNAUTHORIZED", "The token is not valid.");
    }
  }

  /** Reads `Authorization: Bearer <token>` and requires the host role. */
  async requireHost(authorization: string | undefined): Promise<VerifiedClaims> {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
    const claims = await this.verify(m?.[1]);
    if (claims.role !== "host") throw new AppError("E_FORBIDDEN", "This endpoint needs a host token.");
    return claims;
  }
}
