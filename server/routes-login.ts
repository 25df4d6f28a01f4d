/**
 * Player sign-in and token revocation (server/login.ts; docs/http-api.md, "11. Player sign-in"):
 *   POST /v1/auth/wechat          public: exchange a mini-program login code for a player token
 *   POST /v1/auth/phone/code      public: send a one-time code to a phone
 *   POST /v1/auth/phone           public: exchange the phone and its code for a player token
 *   POST /v1/auth/sign-out        player: revoke the token that calls it (and close its sockets)
 *   POST /v1/auth/revoke          host (unscoped): revoke every token of a player issued so far
 */
import { AppError } from "../core/errors.js";
import { logId } from "../core/mask.js";
import { rooms } from "../core/protocol.js";
import { phoneCodeSchema, phoneLoginSchema, revokePlayerSchema, wechatLoginSchema } from "../core/schemas.js";
import type { NodeContext } from "./context.js";
import { clientIp, parseBody } from "./http-body.js";
import { json, type HttpRequest, type HttpResponse } from "./http-types.js";
import { canonicalPhone, code2Session, issuePlayerToken } from "./login.js";

const noStore = { "cache-control": "no-store" };

export async function loginRoutes(ctx: NodeContext, req: HttpRequest): Promise<HttpResponse | null> {
  if (!req.path.startsWith("/v1/auth/")) return null;
  const { method } = req;
  if (method === "POST" && req.path === "/v1/auth/wechat") {
    if (ctx.config.wechatAppId === "") throw new AppError("E_LOGIN_DISABLED", "Mini-program sign-in is off: set LIVEDRAW_WECHAT_APPID and LIVEDRAW_WECHAT_SECRET.");
    const body = parseBody(wechatLoginSchema, req);
    const id = await code2Session(ctx.config, body.code);
    const signedIn = await issuePlayerToken(ctx.tokens, ctx.pseudonyms, { sub: `wx_${id}` }, ctx.config.loginTokenTtlSeconds, Date.now());
    ctx.log.info({ player: logId(signedIn.playerId), via: "wechat" }, "player signed in");
    return json(200, signedIn, noStore);
  }
  if (method === "POST" && req.path === "/v1/auth/phone/code") {
    const codes = ctx.phoneCodes;
    if (codes === null) throw new AppError("E_LOGIN_DISABLED", "Phone sign-in is off: set LIVEDRAW_SMS_SENDER (webhook, or log for local development).");
    const body = parseBody(phoneCodeSchema, req);
    const sent = await codes.request(canonicalPhone(body.phone), clientIp(req, ctx.config.trustProxyHops));
    return json(202, sent, noStore);
  }
  if (method === "POST" && req.path === "/v1/auth/phone") {
    const codes = ctx.phoneCodes;
    if (codes === null) throw new AppError("E_LOGIN_DISABLED", "Phone sign-in is off: set LIVEDRAW_SMS_SENDER (webhook, or log for local development).");
    const body = parseBody(phoneLoginSchema, req);
    const phone = canonicalPhone(body.phone);
    const who = await codes.verify(phone, body.code);
    const signedIn = await issuePlayerToken(ctx.tokens, ctx.pseudonyms, { sub: who.sub, phone }, ctx.config.loginTokenTtlSeconds, Date.now());
    ctx.log.info({ player: logId(signedIn.playerId), via: "phone" }, "player signed in");
    return json(200, signedIn, noStore);
  }
  if (method === "POST" && req.path === "/v1/auth/sign-out") {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    const claims = await ctx.tokens.verify(m?.[1]);
    if (claims.role !== "player") throw new AppError("E_FORBIDDEN", "Sign-out revokes player tokens; hosts sign out of the console with DELETE /v1/host/session.");
    if (claims.tokenId === undefined) throw new AppError("E_BAD_REQUEST", "This token has no jti, so it cannot be revoked alone: let it expire, or have a host revoke the player's tokens (POST /v1/auth/revoke).");
    await ctx.revocations.revokeToken(claims.tokenId, claims.expiresAt, Date.now());
    ctx.io.in(rooms.token(claims.tokenId)).disconnectSockets(true);
    return { status: 204, headers: noStore, body: "" };
  }
  if (method === "POST" && req.path === "/v1/auth/revoke") {
    const who = await ctx.hostAuth.require(req, true);
    if (who.campaigns !== undefined) throw new AppError("E_FORBIDDEN", "Revoking a player's tokens acts across every campaign: it needs a host token without a campaigns claim, or a console session.");
    const body = parseBody(revokePlayerSchema, req);
    const playerId = ctx.pseudonyms.player(body.playerId);
    const at = Date.now();
    await ctx.revocations.revokePlayer(playerId, at);
    ctx.io.in(rooms.player(playerId)).disconnectSockets(true);
    ctx.log.info({ player: logId(playerId), host: who.hostId }, "player tokens revoked");
    return json(200, { playerId, revokedBefore: Math.ceil(at / 1000) * 1000 });
  }
  return null;
}
