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
import { clientIp } from "./http-body.js";
import { json } from "./http-types.js";
import { route, type Route } from "./route-table.js";
import { canonicalPhone, code2Session, issuePlayerToken } from "./login.js";

const noStore = { "cache-control": "no-store" };

const disabled = (what: string, how: string) => new AppError("E_LOGIN_DISABLED", `${what} sign-in is off: ${how}.`);
const SMS_OFF = "set LIVEDRAW_SMS_SENDER (webhook, or log for local development)";

export const loginRoutes: readonly Route[] = [
  route({
    method: "POST", path: "/v1/auth/wechat", allow: ["public"], scope: "none", csrf: false, body: wechatLoginSchema, cost: "write",
    summary: "exchange a mini-program login code for a player token",
    handler: async (ctx, { body }) => {
      if (ctx.config.wechatAppId === "") throw disabled("Mini-program", "set LIVEDRAW_WECHAT_APPID and LIVEDRAW_WECHAT_SECRET");
      const id = await code2Session(ctx.config, body.code);
      const signedIn = await issuePlayerToken(ctx.tokens, ctx.pseudonyms, { sub: `wx_${id}` }, ctx.config.loginTokenTtlSeconds, Date.now());
      ctx.log.info({ player: logId(signedIn.playerId), via: "wechat" }, "player signed in");
      return json(200, signedIn, noStore);
    },
  }),
  route({
    method: "POST", path: "/v1/auth/phone/code", allow: ["public"], scope: "none", csrf: false, body: phoneCodeSchema, cost: "write",
    summary: "send a one-time code to a phone",
    handler: async (ctx, { req, body }) => {
      if (ctx.phoneCodes === null) throw disabled("Phone", SMS_OFF);
      const sent = await ctx.phoneCodes.request(canonicalPhone(body.phone), clientIp(req, ctx.config.trustProxyHops));
      return json(202, sent, noStore);
    },
  }),
  route({
    method: "POST", path: "/v1/auth/phone", allow: ["public"], scope: "none", csrf: false, body: phoneLoginSchema, cost: "write",
    summary: "exchange the phone and its code for a player token",
    handler: async (ctx, { body }) => {
      if (ctx.phoneCodes === null) throw disabled("Phone", SMS_OFF);
      const phone = canonicalPhone(body.phone);
      const who = await ctx.phoneCodes.verify(phone, body.code);
      const signedIn = await issuePlayerToken(ctx.tokens, ctx.pseudonyms, { sub: who.sub, phone }, ctx.config.loginTokenTtlSeconds, Date.now());
      ctx.log.info({ player: logId(signedIn.playerId), via: "phone" }, "player signed in");
      return json(200, signedIn, noStore);
    },
  }),
  route({
    method: "POST", path: "/v1/auth/sign-out", allow: ["player"], scope: "none", csrf: false, cost: "write",
    summary: "revoke the token that calls it (and close its sockets)",
    handler: async (ctx, { caller: { claims } }) => {
      if (claims.tokenId === undefined) throw new AppError("E_BAD_REQUEST", "This token has no jti, so it cannot be revoked alone: let it expire, or have a host revoke the player's tokens (POST /v1/auth/revoke).");
      await ctx.revocations.revokeToken(claims.tokenId, claims.expiresAt, Date.now());
      ctx.io.in(rooms.token(claims.tokenId)).disconnectSockets(true);
      return { status: 204, headers: noStore, body: "" };
    },
  }),
  route({
    method: "POST", path: "/v1/auth/revoke", allow: ["host"], scope: "all-campaigns", body: revokePlayerSchema, cost: "write",
    summary: "revoke every token of a player issued so far",
    handler: async (ctx, { caller: { who }, body }) => {
      const playerId = ctx.pseudonyms.player(body.playerId);
      const at = Date.now();
      await ctx.revocations.revokePlayer(playerId, at);
      ctx.io.in(rooms.player(playerId)).disconnectSockets(true);
      ctx.log.info({ player: logId(playerId), host: who.hostId }, "player tokens revoked");
      return json(200, { playerId, revokedBefore: Math.ceil(at / 1000) * 1000 });
    },
  }),
];
