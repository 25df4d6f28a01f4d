/**
 * Player sign-in against local fakes of the outside world: a code2session endpoint (what WeChat's
 * `jscode2session` answers) and an SMS provider behind the signed webhook. Then revocation: signing
 * out closes the token's sockets on every node and refuses it; a host's "revoke every token" does
 * the same for all of a player's tokens, while a token issued afterwards works.
 */
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { io as rawIo, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { otpDayKey, otpGapKey } from "../core/redis-keys.js";
import { scanRedis } from "../scripts/privacy-scan.js";
import { Harness, http, pseudonym, tokens, uniqueId, type NodeProcess } from "./harness.js";

const APP_ID = "wx0123456789abcdef";
const APP_SECRET = "fake-app-secret-0123456789";
const SMS_SECRET = "sms-webhook-secret-0123456789-abcdef";
const SESSION_KEY = "tiHs3ssIonKeyNeverStored==";

interface SmsCall {
  phone: string;
  code: string;
  ttlSeconds: number;
  signatureOk: boolean;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => resolve(body));
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("player sign-in and token revocation", () => {
  const h = new Harness();
  let nodes: NodeProcess[];
  let redis: Redis;
  const code2sessionCalls: URLSearchParams[] = [];
  const sms: SmsCall[] = [];
  let smsFails = false;
  const waiters: ((c: SmsCall) => void)[] = [];

  beforeAll(async () => {
    // code2session: `good-<openid>`, `union-<openid>` (also a unionid), `used` (40029), `busy` (45011), `garbage`.
    const wechat = createServer((req, res) => {
      const q = new URL(req.url ?? "/", "http://x").searchParams;
      code2sessionCalls.push(q);
      const code = q.get("js_code") ?? "";
      res.setHeader("content-type", "application/json");
      if (q.get("appid") !== APP_ID || q.get("secret") !== APP_SECRET || q.get("grant_type") !== "authorization_code") return res.end(JSON.stringify({ errcode: 40013, errmsg: "invalid appid" }));
      if (code.startsWith("good-")) return res.end(JSON.stringify({ openid: code.slice(5), session_key: SESSION_KEY }));
      if (code.startsWith("union-")) return res.end(JSON.stringify({ openid: code.slice(6), unionid: `U${code.slice(6)}`, session_key: SESSION_KEY }));
      if (code === "used") return res.end(JSON.stringify({ errcode: 40029, errmsg: "invalid code" }));
      if (code === "busy") return res.end(JSON.stringify({ errcode: 45011, errmsg: "api minute-quota reach limit" }));
      return res.end("<html>bad gateway</html>");
    });
    const smsProvider = createServer(async (req, res) => {
      const body = await readBody(req);
      const ts = req.headers["x-livedraw-timestamp"];
      const expected = `sha256=${createHmac("sha256", SMS_SECRET).update(`${String(ts)}.${body}`).digest("hex")}`;
      const call = { ...(JSON.parse(body) as Omit<SmsCall, "signatureOk">), signatureOk: req.headers["x-livedraw-signature"] === expected };
      sms.push(call);
      for (const w of waiters.splice(0)) w(call);
      res.statusCode = smsFails ? 500 : 200;
      res.end("{}");
    });
    const [wechatUrl, smsUrl] = await Promise.all([listen(wechat), listen(smsProvider)]);
    h.defer(() => new Promise((r) => wechat.close(r)));
    h.defer(() => new Promise((r) => smsProvider.close(r)));
    await h.startRedis();
    const env = {
      LIVEDRAW_WECHAT_APPID: APP_ID,
      LIVEDRAW_WECHAT_SECRET: APP_SECRET,
      LIVEDRAW_WECHAT_CODE2SESSION_URL: `${wechatUrl}/sns/jscode2session`,
      LIVEDRAW_SMS_SENDER: "webhook",
      LIVEDRAW_SMS_WEBHOOK_URL: `${smsUrl}/send`,
      LIVEDRAW_SMS_WEBHOOK_SECRET: SMS_SECRET,
    };
    nodes = await Promise.all([h.startNode(env), h.startNode(env)]);
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
  });
  afterAll(() => h.cleanup());

  const post = <T>(i: number, path: string, body: unknown, token?: string) => http<T>(`${nodes[i]!.url}${path}`, { body, ...(token === undefined ? {} : { token }) });
  type SignedIn = { token: string; expiresAt: number; playerId: string };
  type Failure = { error: { code: string; message: string; retryAfterMs?: number } };

  function connect(i: number, token: string): Promise<Socket> {
    const socket = rawIo(nodes[i]!.url, { transports: ["websocket"], reconnection: false, forceNew: true, auth: { token } });
    h.defer(() => socket.close());
    return new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(socket));
      socket.once("connect_error", (err: Error & { data?: { code?: string; message?: string } }) => reject(Object.assign(new Error(err.message), { data: err.data })));
    });
  }
  const disconnected = (s: Socket) => new Promise<string>((resolve) => s.once("disconnect", (reason) => resolve(reason)));
  const playerIdOf = (s: Socket) => new Promise<string>((resolve) => s.emit("campaign:subscribe", { campaignId: "any-campaign" }, (r: { ok: boolean; data: { playerId: string } }) => resolve(r.data.playerId)));
  const nextSms = () => new Promise<SmsCall>((resolve) => waiters.push(resolve));

  it("exchanges a mini-program login code for a player token; never keeps the session key", async () => {
    const ok = await post<SignedIn>(0, "/v1/auth/wechat", { code: "good-oAbc123openid456" });
    expect(ok.status).toBe(200);
    expect(ok.body.playerId).toBe(pseudonym("wx_oAbc123openid456"));
    expect(ok.body.expiresAt).toBeGreaterThan(Date.now() + 7000_000);
    expect(code2sessionCalls.at(-1)!.get("js_code")).toBe("good-oAbc123openid456");
    const socket = await connect(1, ok.body.token);
    expect(await playerIdOf(socket)).toBe(ok.body.playerId);
    // With a unionid, the unionid is the identity (the same person across the brand's apps).
    const union = await post<SignedIn>(1, "/v1/auth/wechat", { code: "union-oXyz789openid" });
    expect(union.body.playerId).toBe(pseudonym("wx_UoXyz789openid"));

    expect(await post<Failure>(0, "/v1/auth/wechat", { code: "used" })).toMatchObject({ status: 401, body: { error: { code: "E_LOGIN_FAILED" } } });
    expect(await post<Failure>(0, "/v1/auth/wechat", { code: "busy" })).toMatchObject({ status: 429, body: { error: { code: "E_RATE_LIMITED", retryAfterMs: 60_000 } } });
    expect(await post<Failure>(0, "/v1/auth/wechat", { code: "garbage" })).toMatchObject({ status: 503, body: { error: { code: "E_UNAVAILABLE" } } });
    const bad = await post<Failure>(0, "/v1/auth/wechat", { code: "has spaces", extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("E_BAD_REQUEST");

    const report = await scanRedis(redis, null, [{ label: "session key", value: SESSION_KEY }, { label: "app secret", value: APP_SECRET }]);
    expect(report.findings).toEqual([]);
    for (const n of nodes) expect(JSON.stringify(n.logs)).not.toContain(SESSION_KEY);
  });

  it("signs in by phone with a one-time code: hashed, single use, attempts and resends limited", async () => {
    const phone = "13700137001";
    const sent = nextSms();
    const asked = await post<{ sentTo: string; expiresInSeconds: number; resendAfterSeconds: number }>(0, "/v1/auth/phone/code", { phone });
    expect(asked).toMatchObject({ status: 202, body: { sentTo: "137****7001", expiresInSeconds: 300, resendAfterSeconds: 60 } });
    const call = await sent;
    expect(call).toMatchObject({ phone: "+8613700137001", ttlSeconds: 300, signatureOk: true });
    expect(call.code).toMatch(/^\d{6}$/);
    // Neither the number nor the code is in Redis.
    const stored = await scanRedis(redis, null, [{ label: "phone", value: phone }, { label: "code", value: call.code }]);
    expect(stored.findings).toEqual([]);

    const again = await post<Failure>(1, "/v1/auth/phone/code", { phone: "+86 137 0013 7001" });
    expect(again.status).toBe(429);
    expect(again.body.error.retryAfterMs).toBeGreaterThan(50_000);

    const wrong = call.code === "000000" ? "000001" : "000000";
    expect(await post<Failure>(1, "/v1/auth/phone", { phone, code: wrong })).toMatchObject({ status: 401, body: { error: { code: "E_LOGIN_FAILED", message: "Wrong code." } } });
    // The right code, sent from both nodes at once, signs in exactly once.
    const both = await Promise.all([post<SignedIn>(0, "/v1/auth/phone", { phone, code: call.code }), post<SignedIn>(1, "/v1/auth/phone", { phone: "8613700137001", code: call.code })]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 401]);
    const signedIn = both.find((r) => r.status === 200)!.body;
    expect(signedIn.playerId).toBe(pseudonym("tel_8613700137001"));
    expect(await playerIdOf(await connect(0, signedIn.token))).toBe(signedIn.playerId);

    // Five wrong tries use a code up: the right one no longer works.
    const phone2 = "+447400123456";
    const sent2 = nextSms();
    expect((await post(0, "/v1/auth/phone/code", { phone: phone2 })).status).toBe(202);
    const code2 = (await sent2).code;
    const other = code2 === "111111" ? "222222" : "111111";
    for (let i = 0; i < 4; i++) expect((await post<Failure>(0, "/v1/auth/phone", { phone: phone2, code: other })).body.error.message).toBe("Wrong code.");
    expect((await post<Failure>(0, "/v1/auth/phone", { phone: phone2, code: other })).body.error.message).toMatch(/5 times/);
    expect((await post<Failure>(0, "/v1/auth/phone", { phone: phone2, code: code2 })).body.error.code).toBe("E_LOGIN_FAILED");

    // A provider failure is E_UNAVAILABLE and does not hold the phone back from a retry.
    smsFails = true;
    const phone3 = "13700137003";
    expect(await post<Failure>(0, "/v1/auth/phone/code", { phone: phone3 })).toMatchObject({ status: 503, body: { error: { code: "E_UNAVAILABLE" } } });
    smsFails = false;
    expect((await post(0, "/v1/auth/phone/code", { phone: phone3 })).status).toBe(202);

    expect(await post<Failure>(0, "/v1/auth/phone/code", { phone: "12345" })).toMatchObject({ status: 400, body: { error: { code: "E_INVALID_PHONE" } } });
    expect(await post<Failure>(0, "/v1/auth/phone", { phone: "+447700900123", code: "123456" })).toMatchObject({ status: 400, body: { error: { code: "E_INVALID_PHONE" } } });
    expect(await post<Failure>(0, "/v1/auth/phone/code", { phone: "1" })).toMatchObject({ status: 400, body: { error: { code: "E_BAD_REQUEST" } } });
    expect(await post<Failure>(0, "/v1/auth/phone", { phone, code: "12ab56" })).toMatchObject({ status: 400, body: { error: { code: "E_BAD_REQUEST" } } });
  });

  it("one handset is one account: +86 139…, +0086139…, +086…, +86 0…, 139… share one cooldown, one daily cap and one sub", async () => {
    const sent = nextSms();
    expect((await post(0, "/v1/auth/phone/code", { phone: "+86 139 0013 9001" })).status).toBe(202);
    const call = await sent;
    expect(call.phone).toBe("+8613900139001");
    // Every other way of typing it is the same phone: inside its cooldown.
    for (const phone of ["+0086139 0013 9001", "+086 13900139001", "+86 0 13900139001", "0086-139-0013-9001", "13900139001"]) {
      expect(await post<Failure>(1, "/v1/auth/phone/code", { phone }), phone).toMatchObject({ status: 429, body: { error: { code: "E_RATE_LIMITED" } } });
    }
    const signedIn = await post<SignedIn>(1, "/v1/auth/phone", { phone: "139 0013 9001", code: call.code });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.playerId).toBe(pseudonym("tel_8613900139001"));
    expect(await redis.get(otpDayKey(pseudonym("tel_8613900139001")))).toBe("1"); // one daily cap, counted once
  });

  it("limits sending only: the daily cap never blocks a code already sent, and a later send never takes an earlier code away", async () => {
    const phone = "13900139002";
    const playerId = pseudonym("tel_8613900139002");
    const codes: string[] = [];
    // As if another hour had begun for this test's one client address (its hourly limit is not what this is about).
    const addressLimits = await redis.keys("ld:rl:otp-address*");
    if (addressLimits.length > 0) await redis.del(...addressLimits);
    for (let i = 0; i < 10; i++) {
      await redis.del(otpGapKey(playerId)); // as if the minute's cooldown had passed
      const sent = nextSms();
      expect((await post(i % 2, "/v1/auth/phone/code", { phone })).status).toBe(202);
      codes.push((await sent).code);
    }
    await redis.del(otpGapKey(playerId));
    const capped = await post<Failure>(0, "/v1/auth/phone/code", { phone });
    expect(capped).toMatchObject({ status: 429, body: { error: { code: "E_RATE_LIMITED", message: expect.stringContaining("10 codes a day") } } });
    // The first code, sent nine sends ago, still signs in: no send replaced it, and the cap does not apply to using it.
    const first = await post<SignedIn>(1, "/v1/auth/phone", { phone, code: codes[0] });
    expect(first.status).toBe(200);
    expect(first.body.playerId).toBe(playerId);
    // Signing in uses every code of the phone up.
    expect(await post<Failure>(0, "/v1/auth/phone", { phone, code: codes[9] })).toMatchObject({ status: 401, body: { error: { code: "E_LOGIN_FAILED" } } });
  });

  it("revokes: sign-out closes that token's sockets on every node; a host revokes every token of a player", async () => {
    const openid = `o${uniqueId("rv").replace(/-/g, "")}xyz`;
    const first = (await post<SignedIn>(0, "/v1/auth/wechat", { code: `good-${openid}` })).body;
    const second = (await post<SignedIn>(1, "/v1/auth/wechat", { code: `good-${openid}` })).body;
    const a0 = await connect(0, first.token);
    const a1 = await connect(1, first.token);
    const b = await connect(0, second.token);
    const gone = [disconnected(a0), disconnected(a1)];
    expect((await post(1, "/v1/auth/sign-out", {}, first.token)).status).toBe(204);
    expect(await Promise.all(gone)).toEqual(["io server disconnect", "io server disconnect"]);
    expect(b.connected).toBe(true); // the other token of the same player is untouched
    await expect(connect(1, first.token)).rejects.toMatchObject({ data: { code: "E_UNAUTHORIZED", message: expect.stringContaining("revoked") } });

    // A host (unscoped) revokes all of them; a scoped host may not.
    const scoped = await tokens.sign({ sub: "host-s", role: "host", campaigns: ["c1"] }, 600);
    expect(await post<Failure>(0, "/v1/auth/revoke", { playerId: `wx_${openid}` }, scoped)).toMatchObject({ status: 403, body: { error: { code: "E_FORBIDDEN" } } });
    const bGone = disconnected(b);
    const revoked = await post<{ playerId: string; revokedBefore: number }>(0, "/v1/auth/revoke", { playerId: `wx_${openid}` }, await h.hostToken());
    expect(revoked).toMatchObject({ status: 200, body: { playerId: pseudonym(`wx_${openid}`) } });
    expect(await bGone).toBe("io server disconnect");
    await expect(connect(1, second.token)).rejects.toMatchObject({ data: { code: "E_UNAUTHORIZED" } });
    // Signing in again works once the revocation's second has passed (tokens count whole seconds).
    await new Promise((r) => setTimeout(r, Math.max(0, revoked.body.revokedBefore - Date.now()) + 50));
    const fresh = (await post<SignedIn>(1, "/v1/auth/wechat", { code: `good-${openid}` })).body;
    expect((await connect(1, fresh.token)).connected).toBe(true);

    // Integrator tokens without a jti cannot be revoked one by one (clear error); player tokens only.
    const plain = await tokens.sign({ sub: "plain-1", role: "player" }, 600);
    expect(await post<Failure>(0, "/v1/auth/sign-out", {}, plain)).toMatchObject({ status: 400, body: { error: { code: "E_BAD_REQUEST" } } });
    expect(await post<Failure>(0, "/v1/auth/sign-out", {}, await h.hostToken())).toMatchObject({ status: 403 });
  });
});
