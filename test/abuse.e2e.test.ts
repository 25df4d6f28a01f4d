/**
 * What one client can cost a node, with real node processes and raw socket.io-client sockets: every
 * event with a callback is answered (missing or extra payload arguments included), every inbound
 * message counts toward the per-socket rate and a sustained flood is disconnected, leaderboard
 * subscriptions need a real campaign and rooms per socket are bounded, connections per client
 * address are bounded (viewers too, X-Forwarded-For taken from the trusted hop, not the client's
 * first one), tokens need an `exp`, and a socket is ended when its token expires.
 */
import { SignJWT } from "jose";
import { io as rawIo, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ack } from "@livedraw/protocol";
import { TOKEN_ISSUER } from "../server/auth.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, TEST_SECRET, http, metricsText, tokens, uniqueId, type NodeProcess } from "./harness.js";

const RATE = 5; // messages per socket per second on the rate node
const MAX_CONNECTIONS = 5;
const MAX_SUBSCRIPTIONS = 3;

describe("abuse bounds of a socket node", () => {
  const h = new Harness();
  let rateNode: NodeProcess; // low message rate; clients are its peer address
  let proxied: NodeProcess; // behind one trusted proxy: each test picks its own client address
  let addressSeq = 0;
  const nextAddress = () => `198.51.100.${++addressSeq}`;

  beforeAll(async () => {
    await h.startRedis();
    [rateNode, proxied] = await Promise.all([
      h.startNode({ LIVEDRAW_SOCKET_MESSAGES_PER_SECOND: String(RATE) }),
      h.startNode({
        LIVEDRAW_TRUST_PROXY: "1",
        LIVEDRAW_MAX_CONNECTIONS_PER_ADDRESS: String(MAX_CONNECTIONS),
        LIVEDRAW_MAX_SUBSCRIPTIONS_PER_SOCKET: String(MAX_SUBSCRIPTIONS),
      }),
    ]);
  });
  afterAll(() => h.cleanup());

  const playerToken = (sub = uniqueId("p"), ttlSeconds = 600) => tokens.sign({ sub, role: "player" }, ttlSeconds);

  /** A raw socket, connected (or the refusal: `{ message, data }`). */
  function connect(node: NodeProcess, opts: { auth?: Record<string, unknown>; forwardedFor?: string } = {}): Promise<Socket> {
    const socket = rawIo(node.url, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      auth: opts.auth ?? {},
      extraHeaders: opts.forwardedFor === undefined ? {} : { "x-forwarded-for": opts.forwardedFor },
    });
    h.defer(() => socket.close());
    return new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(socket));
      socket.once("connect_error", (err: Error & { data?: unknown }) => reject(Object.assign(new Error(err.message), { data: err.data })));
    });
  }
  const player = async (node: NodeProcess, forwardedFor?: string) => connect(node, { auth: { token: await playerToken() }, ...(forwardedFor ? { forwardedFor } : {}) });

  /** Emits with any arguments; the ack (a callback as the last argument) resolves. */
  const call = <T = unknown>(socket: Socket, event: string, ...payloads: unknown[]) =>
    new Promise<Ack<T>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${event}: no ack within 5 s`)), 5000);
      socket.emit(event, ...payloads, (r: Ack<T>) => {
        clearTimeout(timer);
        resolve(r);
      });
    });

  /** Waits until early in a wall-clock second, so a burst lands in one rate window. */
  const startOfSecond = async () => {
    const ms = Date.now() % 1000;
    await new Promise((r) => setTimeout(r, 1000 - ms + 20));
  };

  async function metric(node: NodeProcess, name: string, labels: string): Promise<number> {
    const text = await metricsText(node.url);
    const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
  }

  it("answers every event that has a callback: a missing or an extra payload argument is E_BAD_REQUEST", async () => {
    const socket = await player(proxied, nextAddress());
    const noPayload = await call(socket, "time:sync");
    expect(noPayload).toMatchObject({ ok: false, error: { code: "E_BAD_REQUEST", message: "time:sync: (payload): missing; send one payload object, then the ack callback" } });
    const campaignId = uniqueId("c");
    const twoPayloads = await call(socket, "draw:enter", { campaignId, drawId: "d1" }, { campaignId, drawId: "d2" });
    expect(twoPayloads).toMatchObject({ ok: false, error: { code: "E_BAD_REQUEST", message: "draw:enter: (payload): expected one payload argument before the ack callback, got 2" } });
    // One payload still works, and an unknown event is still answered.
    expect(await call(socket, "time:sync", { clientTime: 1 })).toMatchObject({ ok: true, data: { clientTime: 1 } });
    expect(await call(socket, "draw:steal")).toMatchObject({ ok: false, error: { code: "E_BAD_REQUEST", message: 'Unknown event "draw:steal".' } });
  });

  it("counts unknown and ack-less events toward the message rate", async () => {
    const socket = await player(rateNode);
    await startOfSecond();
    const unknown = [1, 2, 3].map(() => call(socket, "no:such-event", {}));
    socket.emit("no:such-event", {}); // without a callback: dropped, but counted
    socket.emit("time:sync", { clientTime: 1 }); // a known event without a callback: ignored, but counted
    const limited = await call(socket, "time:sync", { clientTime: 2 });
    for (const r of await Promise.all(unknown)) expect(r).toMatchObject({ ok: false, error: { code: "E_BAD_REQUEST" } });
    expect(limited).toMatchObject({ ok: false, error: { code: "E_RATE_LIMITED" } });
    expect(!limited.ok && limited.error.retryAfterMs).toBeGreaterThanOrEqual(1);
    // The next second, it is answered again.
    await startOfSecond();
    expect(await call(socket, "time:sync", { clientTime: 3 })).toMatchObject({ ok: true });
  });

  it("disconnects a socket that floods far above the limit for seconds on end", async () => {
    const socket = await player(rateNode);
    const bystander = await player(rateNode);
    await startOfSecond();
    const started = Date.now();
    const closed = new Promise<string>((resolve) => socket.once("disconnect", resolve));
    const flood = setInterval(() => {
      for (let i = 0; i < 10; i++) socket.emit("no:such-event", i); // 200 messages/s against a limit of 5
    }, 50);
    try {
      expect(await closed).toBe("io server disconnect");
    } finally {
      clearInterval(flood);
    }
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(1500); // three flooded seconds, the first one perhaps partial
    expect(elapsed).toBeLessThan(6000);
    expect(await metric(rateNode, "livedraw_forced_disconnects_total", 'reason="message flood"')).toBe(1);
    expect(await call(bystander, "time:sync", { clientTime: 1 })).toMatchObject({ ok: true });
  });

  it("refuses leaderboards of campaigns that do not exist, without making rooms, and bounds the rooms of a socket", async () => {
    const socket = await player(proxied, nextAddress());
    const before = await metric(proxied, "livedraw_rooms", 'kind="leaderboard"');
    await startOfSecond(); // under the default 20 messages per second
    for (let i = 0; i < 15; i++) {
      const r = await call(socket, "leaderboard:subscribe", { campaignId: uniqueId("made-up"), board: i % 2 ? "points" : "assists" });
      expect(r).toMatchObject({ ok: false, error: { code: "E_CAMPAIGN_NOT_FOUND" } });
    }
    expect(await metric(proxied, "livedraw_rooms", 'kind="leaderboard"')).toBe(before);

    // A real campaign's board is served, and counts toward the bound with campaign subscriptions.
    const campaignId = uniqueId("real");
    expect((await http(`${proxied.url}/v1/campaigns`, { token: await h.hostToken(), body: liveCampaign(campaignId) })).status).toBe(201);
    await startOfSecond();
    expect(await call(socket, "leaderboard:subscribe", { campaignId, board: "points" })).toMatchObject({ ok: true });
    expect(await metric(proxied, "livedraw_rooms", 'kind="leaderboard"')).toBe(before + 1);
    // campaign:subscribe still works for a campaign with no draw yet...
    expect(await call(socket, "campaign:subscribe", { campaignId: uniqueId("no-draw-yet") })).toMatchObject({ ok: true, data: { draw: null } });
    expect(await call(socket, "campaign:subscribe", { campaignId })).toMatchObject({ ok: true });
    // ...up to the bound; a room already held is free, a new one is refused.
    const over = await call(socket, "campaign:subscribe", { campaignId: uniqueId("one-too-many") });
    expect(over).toMatchObject({ ok: false, error: { code: "E_TOO_MANY_SUBSCRIPTIONS" } });
    expect(!over.ok && over.error.message).toContain(`at most ${MAX_SUBSCRIPTIONS}`);
    expect(await call(socket, "leaderboard:subscribe", { campaignId, board: "assists" })).toMatchObject({ ok: false, error: { code: "E_TOO_MANY_SUBSCRIPTIONS" } });
    expect(await call(socket, "campaign:subscribe", { campaignId })).toMatchObject({ ok: true });
    expect(await call(socket, "leaderboard:subscribe", { campaignId, board: "points" })).toMatchObject({ ok: true });
  });

  it("limits concurrent connections per client address, and gives places back at disconnect", async () => {
    const address = nextAddress();
    const sockets = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => player(proxied, address)));
    const refused = await player(proxied, address).then(
      () => null,
      (err: { data?: unknown }) => err.data,
    );
    expect(refused).toMatchObject({ code: "E_RATE_LIMITED", retryAfterMs: expect.any(Number) });
    expect((refused as { message: string }).message).toContain(`at most ${MAX_CONNECTIONS}`);
    await player(proxied, nextAddress()); // another address is not affected
    sockets[0]!.close();
    await new Promise((r) => setTimeout(r, 150)); // the server sees the close
    await player(proxied, address);
  });

  it("takes the client address from the trusted hop: a made-up first X-Forwarded-For entry does not help", async () => {
    const real = nextAddress();
    for (let i = 0; i < MAX_CONNECTIONS; i++) await player(proxied, `1.2.3.${i}, ${real}`);
    await expect(player(proxied, `1.2.3.99, ${real}`)).rejects.toMatchObject({ data: { code: "E_RATE_LIMITED" } });
    await expect(player(proxied, real)).rejects.toMatchObject({ data: { code: "E_RATE_LIMITED" } });
  });

  it("counts anonymous viewers toward the per-address limit", async () => {
    const address = nextAddress();
    for (let i = 0; i < MAX_CONNECTIONS; i++) await connect(proxied, { auth: { viewer: true }, forwardedFor: address });
    await expect(connect(proxied, { auth: { viewer: true }, forwardedFor: address })).rejects.toMatchObject({ data: { code: "E_RATE_LIMITED" } });
    await expect(player(proxied, address)).rejects.toMatchObject({ data: { code: "E_RATE_LIMITED" } });
    // A refused handshake (bad token) gives its place back.
    const other = nextAddress();
    for (let i = 0; i < MAX_CONNECTIONS + 2; i++) {
      await expect(connect(proxied, { auth: { token: "not-a-jwt" }, forwardedFor: other })).rejects.toMatchObject({ data: { code: "E_UNAUTHORIZED" } });
    }
    await connect(proxied, { auth: { viewer: true }, forwardedFor: other });
  });

  it("refuses a token without exp, and disconnects a socket when its token expires", async () => {
    const noExp = await new SignJWT({ role: "player" }).setProtectedHeader({ alg: "HS256" }).setSubject("p-no-exp").setIssuer(TOKEN_ISSUER).setIssuedAt().sign(new TextEncoder().encode(TEST_SECRET));
    await expect(connect(proxied, { auth: { token: noExp }, forwardedFor: nextAddress() })).rejects.toMatchObject({
      data: { code: "E_UNAUTHORIZED", message: "The token has no expiry (exp); issue tokens with one." },
    });
    const hostNoExp = await new SignJWT({ role: "host" }).setProtectedHeader({ alg: "HS256" }).setSubject("h-no-exp").setIssuer(TOKEN_ISSUER).sign(new TextEncoder().encode(TEST_SECRET));
    const opened = await http<{ error: { code: string } }>(`${proxied.url}/v1/campaigns/${uniqueId("c")}/draws`, { token: hostNoExp, body: { durationMs: 60_000, winners: 1 } });
    expect(opened.status).toBe(401);

    // exp is in whole seconds: sign early in a second so "2 s" is nearly 2 s.
    await startOfSecond();
    const started = Date.now();
    const socket = await connect(proxied, { auth: { token: await playerToken(uniqueId("p"), 2) }, forwardedFor: nextAddress() });
    const reason = await new Promise<string>((resolve) => socket.once("disconnect", resolve));
    const elapsed = Date.now() - started;
    expect(reason).toBe("io server disconnect");
    expect(elapsed).toBeGreaterThan(1500);
    expect(elapsed).toBeLessThan(5000);
    expect(await metric(proxied, "livedraw_forced_disconnects_total", 'reason="token expired"')).toBe(1);
  });
});
