/**
 * Issue 9's fuzz line: more than 100,000 malformed, oversized, wrongly typed and unknown messages
 * against one real node, over Socket.IO (socket.io-client), raw engine.io frames on a WebSocket, and
 * HTTP. Seeded (FUZZ_SEED=<n> replays a run; the seed is printed). The node's rate limits are set
 * high so that the fuzz reaches the validators.
 *
 * Asserted: the node never exits; every socket message sent with an ack callback is answered with
 * `{ ok: false, error: { code, message } }` whose code is in the ERRORS registry — or its connection
 * was closed by the server for a protocol violation (counted); every HTTP answer is a 4xx/5xx JSON
 * error with a registry code, never 500 E_INTERNAL (OPTIONS, which answers 204, is counted apart);
 * and nothing changed: the Redis keyspace (DBSIZE, every key with its type) and the campaign and
 * open draw set up before, with their entrants and state.
 *
 * No key is excluded from the comparison: the node's HTTP and socket rate limits are kept in memory,
 * the only Redis-backed counters (failed console sign-ins, `ld:sign-in-fail:*`) and host sessions
 * are written only for well-formed sign-ins, which the fuzz never sends, and no worker runs, so the
 * BullMQ keys of the draw's close job stay as they were.
 *
 * Two answers are not JSON errors, by design of what sits below the routes: uWebSockets.js closes a
 * connection whose request uses a method it does not know (FOO, PROPFIND) without answering (counted
 * as `droppedUnknownMethod`), and OPTIONS answers 204 on any path (counted apart; 413 if its body is
 * too large).
 */
import { request as httpRequest, Agent } from "node:http";
import type { Redis } from "ioredis";
import { io as rawIo, type Socket } from "socket.io-client";
import { WebSocket } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { ERRORS, isErrorCode, type Ack, type DrawCountdown } from "@livedraw/protocol";
import { createRedis } from "../core/redis.js";
import { campaignKeys, drawKeys } from "../core/redis-keys.js";
import {
  assistSchema,
  enterSchema,
  leaderboardSchema,
  rulesSchema,
  spinFetchSchema,
  spinHistorySchema,
  spinSchema,
  subscribeSchema,
  teamJoinSchema,
  timeSyncSchema,
} from "../core/schemas.js";
import { VIEWER_EVENTS } from "../server/sockets.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, http, tokens, uniqueId, type NodeProcess } from "./harness.js";

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MAX_PAYLOAD = 16_384;
const SOCKETS = 20;
/** FUZZ_SCALE=0.1 for a quick run; FUZZ_SERIAL=1 to find the message a socket died of (slow). */
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const SERIAL = process.env.FUZZ_SERIAL === "1";
const MESSAGES_PER_SOCKET = Math.round(5000 * SCALE);
const RAW_CONNECTIONS = Math.round(240 * SCALE);
const HTTP_REQUESTS = Math.round(8000 * SCALE);
const HTTP_CONCURRENCY = 48;

/** mulberry32: small, fast, seedable. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

const SCHEMAS: Record<string, z.ZodType> = {
  "campaign:subscribe": subscribeSchema,
  "draw:enter": enterSchema,
  "time:sync": timeSyncSchema,
  "campaign:rules": rulesSchema,
  spin: spinSchema,
  "spin:fetch": spinFetchSchema,
  "spin:history": spinHistorySchema,
  "leaderboard:subscribe": leaderboardSchema,
  "leaderboard:rank": leaderboardSchema,
  assist: assistSchema,
  "team:join": teamJoinSchema,
};
const KNOWN = Object.keys(SCHEMAS);
/** Names socket.io-client refuses to emit; sent as raw frames only. */
const RESERVED = ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];
const ODD_NAMES = ["__proto__", "constructor", "hasOwnProperty", "toString", "error", "ping", "draw:steal", "DRAW:ENTER", "draw:enter ", " spin", "spin\u0000", "抽奖", "🎰", "x".repeat(300), ""];

/** Junk of every JSON kind, nested up to `depth`. */
function junk(r: Rng, depth = 2): unknown {
  switch (r.int(depth > 0 ? 14 : 10)) {
    case 0: return r.pick(["", " ", "\u0000", "\ud800", "\udfff", "💥🎉", "王小明", "‮rtl", "%00", "../../etc/passwd", "<script>", "' OR 1=1 --", "\\", "\"", "null"]);
    case 1: return "x".repeat(r.int(200));
    case 2: return String(r.int(1e9)); // numbers as strings
    case 3: return r.pick([0, -0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER, 1e-320]);
    case 4: return r.pick([true, false, null]);
    case 5: return r.pick(["1767225600723-0", "99999999999999999999-99999999999999999999", "1-1", "-1-1", "1e3-0"]);
    case 6: return r.pick(["a", "A".repeat(64), "A".repeat(65), "_x", "-x", "a b", "a/b", "a:b", "a{b}", "ld:{campaign:x}"]);
    case 7: return String.fromCodePoint(...Array.from({ length: 1 + r.int(20) }, () => { const c = r.int(0x10ffff + 1); return c >= 0xd800 && c <= 0xdfff ? 0xfffd : c; }));
    case 8: return r.pick([[], {}, [[]], [{}], { "": "" }]);
    case 9: return r.int(2) === 0 ? String(r.next()) : r.next() * 1e6;
    case 10: return Array.from({ length: r.int(5) }, () => junk(r, depth - 1));
    case 11: {
      // fromEntries makes "__proto__" an own key, as JSON.parse on the server does (assigning it would set the prototype).
      return Object.fromEntries(Array.from({ length: r.int(5) }, () => [r.pick(["campaignId", "drawId", "__proto__", "constructor", "prototype", "clientTime", "x", "💥", "a".repeat(100)]), junk(r, depth - 1)]));
    }
    case 12: return deep(r, 1 + r.int(4000));
    default: return { campaignId: junk(r, depth - 1) };
  }
}

/** Nesting `levels` deep, arrays or objects. */
function deep(r: Rng, levels: number): unknown {
  let v: unknown = r.pick([1, "x", null, {}]);
  const objects = r.chance(0.5);
  for (let i = 0; i < levels; i++) v = objects ? { a: v } : [v];
  return v;
}

interface Ids {
  campaignId: string;
  drawId: string;
}

/** A payload for `event` that its schema rejects (checked against the very schema the node uses). */
function badPayload(r: Rng, event: string, ids: Ids): unknown {
  const schema = Object.hasOwn(SCHEMAS, event) ? SCHEMAS[event] : undefined;
  const base: Record<string, unknown> = { campaignId: ids.campaignId };
  if (event === "draw:enter") base.drawId = ids.drawId;
  if (event === "time:sync") base.clientTime = 1;
  if (event === "spin") base.idempotencyKey = "fuzz-key-0001";
  if (event === "spin:fetch") base.intentId = "1-1";
  if (event.startsWith("leaderboard:")) base.board = "points";
  if (event === "assist") base.inviterId = "p1";
  if (event === "team:join") base.teamId = "t1";
  let payload: unknown;
  switch (r.int(8)) {
    case 0: payload = junk(r); break;
    case 1: payload = [base]; break; // an array for an object
    case 2: { const keys = Object.keys(base); const k = r.pick(keys); payload = { ...base, [k]: junk(r) }; break; }
    case 3: { const k = r.pick(Object.keys(base)); const { [k]: _, ...rest } = base; payload = rest; break; }
    case 4: payload = { ...base, [r.pick(["x", "__proto__", "extra", "💥"])]: junk(r, 1) }; break;
    case 5: payload = Object.fromEntries(Object.entries(base).map(([k, v]) => [k, typeof v === "number" ? String(v) : r.chance(0.5) ? [v] : { v }])); break;
    case 6: payload = { ...base, campaignId: r.pick(["", "a".repeat(65), "_bad", "bad id", "抽奖", "ld:{x}", "a\u0000"]) }; break;
    default: payload = r.pick([null, 0, "", "{}", true, []]);
  }
  // Checked in its wire form, which is what the node parses; strict schemas refuse the extra key.
  if (schema && payload !== undefined && schema.safeParse(JSON.parse(JSON.stringify(payload))).success) payload = { ...(payload as object), __fuzz: 1 };
  return payload;
}

/** A payload no bigger than `bytes` encoded, but big. */
function bigPayload(r: Rng, bytes: number): unknown {
  const n = Math.max(0, bytes - 64);
  return r.pick([
    () => ({ campaignId: "a".repeat(n) }),
    () => ({ campaignId: "x", pad: "é".repeat(Math.floor(n / 2)) }),
    () => ({ campaignId: Array.from({ length: Math.floor(n / 4) }, () => 1) }),
    () => deep(r, Math.floor(n / 8)),
  ])();
}

/** encodeURIComponent, with lone surrogates as the (invalid) UTF-8 a client could still send. */
const enc = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return "%ED%A0%80";
  }
};

const STANDARD_METHODS = new Set(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]);

/** Bytes of the frame `42<ack id>["<event>",…args]` (the event name counts: unknown ones may be 300 characters). */
const wireSize = (args: unknown[], event = "") => Buffer.byteLength(JSON.stringify([event, ...args])) + 16;

type Outcome = { acked: number; expected: number; bad: string[]; closedByServer: boolean };

function checkAck(reply: unknown, bad: string[], what: string): void {
  const r = reply as Ack<unknown> | undefined;
  if (!r || r.ok !== false || typeof r.error?.message !== "string" || !isErrorCode(r.error.code) || r.error.code === "E_INTERNAL") {
    if (bad.length < 20) bad.push(`${what}: ${JSON.stringify(reply)?.slice(0, 300)}`);
  }
}

describe(`fuzz: malformed input over sockets, raw frames and HTTP (seed ${SEED})`, () => {
  const h = new Harness();
  let node: NodeProcess;
  let redis: Redis;
  let hostToken: string;
  let playerToken: string;
  const campaignId = uniqueId("fz");
  let drawId: string;
  const entered: string[] = [];

  beforeAll(async () => {
    console.log(`fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED} npx vitest run test/fuzz.e2e.test.ts)`);
    await h.startRedis();
    node = await h.startNode({
      LIVEDRAW_SOCKET_MESSAGES_PER_SECOND: "10000",
      LIVEDRAW_HTTP_REQUESTS_PER_SECOND_PER_IP: "100000",
      LIVEDRAW_MAX_CONNECTIONS_PER_ADDRESS: "0",
      // The fuzz sockets send far faster than a CPU-starved test process reads the answers; with the
      // 1 MiB default the node would (rightly) close them as slow consumers, which is
      // test/slow-consumer.e2e.test.ts's subject, not this one's.
      LIVEDRAW_MAX_SOCKET_BUFFER_BYTES: String(64 * 1024 * 1024),
      LIVEDRAW_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD),
      LOG_LEVEL: "info",
    });
    redis = createRedis(h.redis.url, { name: "fuzz-test" });
    h.defer(() => redis.quit());
    hostToken = await h.hostToken();
    playerToken = await tokens.sign({ sub: "fuzzer", role: "player" }, 3600);
    // A campaign (instant-win) and an open draw with three entrants, before the fuzz.
    expect((await http(`${node.url}/v1/campaigns`, { token: hostToken, body: liveCampaign(campaignId) })).status).toBe(201);
    const opened = await http<DrawCountdown>(`${node.url}/v1/campaigns/${campaignId}/draws`, { token: hostToken, body: { drawId: "fuzz-draw", durationMs: 600_000, winners: 1 } });
    expect(opened.status).toBe(201);
    drawId = opened.body.drawId;
    for (const p of ["alice", "bob", "carol"]) {
      const s = rawIo(node.url, { transports: ["websocket"], reconnection: false, forceNew: true, auth: { token: await tokens.sign({ sub: p, role: "player" }, 600) } });
      const ack = await new Promise<Ack<{ intentId: string }>>((resolve) => s.emit("draw:enter", { campaignId, drawId }, resolve));
      expect(ack.ok).toBe(true);
      if (ack.ok) entered.push(ack.data.intentId);
      s.close();
    }
  });
  afterAll(() => h.cleanup());

  /** The keyspace (every key and its type) and the fuzzed campaign's and draw's data. */
  async function snapshot() {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "COUNT", 1000);
      cursor = next;
      // Rate-limit counters (`ld:rl:…`, and a campaign's `ld:{campaign:C}:rl:…`) come and go with
      // their one-second windows: they are not state.
      keys.push(...batch.filter((k) => !k.startsWith("ld:rl:") && !/^ld:\{campaign:[^}]+\}:rl:/.test(k)));
    } while (cursor !== "0");
    const types = await Promise.all(keys.map((k) => redis.type(k)));
    const d = drawKeys(campaignId, drawId);
    const c = campaignKeys(campaignId);
    return {
      dbsize: keys.length,
      keys: Object.fromEntries(keys.map((k, i) => [k, types[i]]).sort(([a], [b]) => (a! < b! ? -1 : 1))),
      state: await redis.hgetall(d.state),
      entrants: await redis.hgetall(d.entrants),
      intents: (await redis.xrange(d.intents, "-", "+")).map(([id]) => id),
      audit: await redis.lrange(c.audit, 0, -1),
      config: await redis.get(c.config),
      inventory: await redis.hgetall(c.inventory),
      players: await redis.hgetall(c.players),
      spins: await redis.xlen(c.spins),
    };
  }

  it("survives >100,000 bad messages: every ack is a registry error, HTTP never 500, nothing changes", async () => {
    const before = await snapshot();
    expect(Object.keys(before.entrants)).toHaveLength(3);
    const started = Date.now();
    const ids: Ids = { campaignId, drawId };
    const [sockets, raw, httpOut] = await Promise.all([fuzzSockets(ids), fuzzRawFrames(ids), fuzzHttp(ids)]);
    const elapsed = Date.now() - started;

    // Still alive, and still serving.
    expect(node.child.exitCode).toBeNull();
    expect(node.child.signalCode).toBeNull();
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    const after = await snapshot();

    const total = sockets.sent + raw.sent + httpOut.sent;
    console.log(
      JSON.stringify({ seed: SEED, elapsedMs: elapsed, total, sockets, raw: { ...raw, bad: raw.bad.length }, http: { ...httpOut, bad: httpOut.bad.length } }, (k, v) => (k === "bad" && Array.isArray(v) ? v.length : v)),
    );
    const warnings: Record<string, number> = {};
    for (const l of node.logs) if (l.level >= 40) warnings[`${l.level} ${l.msg}${l.reason ? ` (${String(l.reason)})` : ""}`] = (warnings[`${l.level} ${l.msg}${l.reason ? ` (${String(l.reason)})` : ""}`] ?? 0) + 1;
    console.log(`node warnings and errors: ${JSON.stringify(warnings)}`);
    for (const [what, list] of [["sockets", sockets.bad], ["raw", raw.bad], ["http", httpOut.bad]] as const) if (list.length > 0) console.log(`${what} problems:\n${list.join("\n")}`);
    expect(total).toBeGreaterThanOrEqual(100_000 * Math.min(1, SCALE));
    const forced = node.logs.filter((l) => l.msg.includes("slow consumer") || l.msg.includes("flood"));
    if (forced.length) console.log("node closed sockets:", forced.map((l) => l.msg).join("; "));
    expect(sockets.bad).toEqual([]);
    expect(sockets.acked).toBe(sockets.expected - sockets.lostToServerClose);
    expect(raw.bad).toEqual([]);
    expect(httpOut.bad).toEqual([]);
    expect(httpOut.codes.E_INTERNAL ?? 0).toBe(0);
    // Nothing changed: no key appeared, went or changed type; the campaign and draw are as they were.
    expect(after).toEqual(before);
    expect(after.state.phase).toBe("open");
    expect(Object.values(after.entrants).sort()).toEqual([...entered].sort());
  }, 60_000);

  /** 20 socket.io-client sockets (players and viewers), 5,000 messages each, pipelined. */
  async function fuzzSockets(ids: Ids) {
    const r = prng(SEED);
    let sent = 0;
    let expected = 0;
    let acked = 0;
    let lostToServerClose = 0;
    let killed = 0;
    const bad: string[] = [];
    const codes: Record<string, number> = {};
    const viewerToken = { viewer: true };
    const one = async (index: number) => {
      const viewer = index % 5 === 4;
      const killer = index >= SOCKETS; // the extra sockets end with an oversized message
      const socket: Socket = rawIo(node.url, { transports: ["websocket"], reconnection: false, forceNew: true, auth: viewer ? viewerToken : { token: playerToken } });
      h.defer(() => socket.close());
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", () => resolve());
        socket.once("connect_error", reject);
      });
      let pending = 0;
      let closedReason: string | null = null;
      let settle!: () => void;
      const allAcked = new Promise<void>((resolve) => (settle = resolve));
      socket.on("disconnect", (reason) => {
        closedReason = reason;
        settle();
      });
      const unanswered = new Map<number, string>();
      let seq = 0;
      const ack = (what: string) => {
        pending++;
        expected++;
        const n = seq++;
        unanswered.set(n, what.slice(0, 300));
        return (reply: unknown) => {
          unanswered.delete(n);
          acked++;
          pending--;
          const code = (reply as { error?: { code?: string } })?.error?.code ?? "(none)";
          codes[code] = (codes[code] ?? 0) + 1;
          checkAck(reply, bad, what);
          if (pending === 0 && done) settle();
        };
      };
      let done = false;
      /** FUZZ_SERIAL=1: each message (acked or not) followed by an acked probe, to name the message a socket died of. */
      const serially = async (event: string, args: unknown[]): Promise<boolean> => {
        socket.emit(event as never, ...(args as []));
        const reply = await new Promise((res) => {
          const timer = setTimeout(() => res("no answer"), 1000);
          socket.emit("time:sync", {}, ((x: unknown) => (clearTimeout(timer), res(x))) as never);
        });
        if (reply !== "no answer" && !closedReason) return true;
        console.log(`socket ${index} died (${closedReason ?? "no answer"}) after: ${event} ${JSON.stringify(args).slice(0, 500)} (${wireSize(args, event)} bytes)`);
        return false;
      };
      const count = killer ? 50 : MESSAGES_PER_SOCKET;
      for (let i = 0; i < count; i++) {
        if (i % 250 === 0) await new Promise((res) => setImmediate(res)); // let acks in while sending
        const kind = r.int(100);
        const event = r.pick(KNOWN);
        let args: unknown[];
        let withAck = true;
        if (kind < 40) args = [badPayload(r, event, ids)];
        else if (kind < 50) args = [badPayload(r, event, ids), ...Array.from({ length: 1 + r.int(3) }, () => (r.chance(0.5) ? { campaignId: ids.campaignId, drawId: ids.drawId } : junk(r)))];
        else if (kind < 55) args = [];
        else if (kind < 70) {
          const name = r.chance(0.5) ? r.pick(ODD_NAMES) : `fuzz:${r.int(1e6)}`;
          args = r.chance(0.5) ? [junk(r)] : [];
          if (wireSize(args, name) > MAX_PAYLOAD - 100) args = [{ campaignId: 1 }];
          if (SERIAL) {
            if (!(await serially(name, args))) break;
            continue;
          }
          const a = ack(`unknown ${name}`);
          sent++;
          socket.emit(name as never, ...(args as []), a as never);
          continue;
        } else if (kind < 90) {
          // No ack: even a valid entry must be ignored (it would change the draw).
          withAck = false;
          args = r.chance(0.5) ? [{ campaignId: ids.campaignId, drawId: ids.drawId }] : [badPayload(r, event, ids)];
        } else if (kind < 91) args = [bigPayload(r, MAX_PAYLOAD - 200)];
        else if (viewer && !VIEWER_EVENTS.has(event as never)) args = [{ campaignId: ids.campaignId, drawId: ids.drawId }]; // forbidden to viewers
        else args = [badPayload(r, event, ids)];
        if (wireSize(args, event) > MAX_PAYLOAD - 100) args = [{ campaignId: 1 }];
        sent++;
        if (SERIAL) {
          if (!(await serially(event, args))) break;
          continue;
        }
        if (withAck) socket.emit(event as never, ...(args as []), ack(`${event} ${JSON.stringify(args).slice(0, 200)}`) as never);
        else socket.emit(event as never, ...(args as []));
      }
      done = true;
      if (pending === 0) settle();
      await Promise.race([allAcked, new Promise((res) => setTimeout(res, 30_000))]);
      if (killer) {
        // Beyond LIVEDRAW_MAX_PAYLOAD_BYTES: the server closes the connection.
        const closed = new Promise<void>((res) => (closedReason ? res() : socket.once("disconnect", () => res())));
        sent++;
        socket.emit("draw:enter", { campaignId: "x".repeat(MAX_PAYLOAD + 10) }, ack("oversized"));
        await Promise.race([closed, new Promise((res) => setTimeout(res, 5000))]);
        if (closedReason) {
          killed++;
          lostToServerClose += pending;
        }
      } else if (closedReason && bad.length < 20) bad.push(`socket ${index} was closed: ${closedReason}; ${pending} acks pending; first unanswered: ${[...unanswered.values()].slice(0, 3).join(" | ")}`);
      socket.close();
    };
    const t0 = Date.now();
    await Promise.all(Array.from({ length: SOCKETS + 10 }, (_, i) => one(i)));
    console.log(`sockets done in ${Date.now() - t0} ms`);
    return { sent, expected, acked, lostToServerClose, killed, codes, bad };
  }

  /** Raw engine.io / socket.io frames over a WebSocket: broken packets, wrong types, reserved names, binary junk, frames beyond the limit. */
  async function fuzzRawFrames(ids: Ids) {
    const r = prng(SEED ^ 0x5eed);
    const url = `${node.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`;
    const t0 = Date.now();
    let sent = 0;
    let acked = 0;
    let refusedHandshakes = 0;
    let closedByServer = 0;
    let survivedKiller = 0;
    let namespaceRefusals = 0;
    const bad: string[] = [];
    const killers = [
      () => "42[",
      () => "42[1,",
      () => '42{"a":1}',
      () => "42[]",
      () => '42[{"x":1}]',
      () => `42["${r.pick(RESERVED)}",{}]`,
      () => `421["${r.pick(RESERVED)}",{}]`,
      () => "49",
      () => "4x",
      () => "9",
      () => "",
      () => "4",
      () => '46["x"]',
      () => `42["draw:enter",{"campaignId":"${"y".repeat(MAX_PAYLOAD + 100)}"}]`,
      () => Buffer.from(Array.from({ length: 1 + r.int(64) }, () => r.int(256))),
      () => '451-["draw:enter",{"_placeholder":true,"num":0}]',
      () => "41/nope,",
      () => '40/admin,{"token":"x"}',
    ];
    const one = async (i: number) => {
      const ws = new WebSocket(url);
      const frames: (string | Buffer)[] = [];
      let closed = false;
      let closedResolve!: () => void;
      const closedP = new Promise<void>((res) => (closedResolve = res));
      const acks = new Map<number, (reply: unknown) => void>();
      let connected: ((ok: boolean) => void) | null = null;
      ws.on("message", (data, isBinary) => {
        const text = isBinary ? "" : data.toString();
        if (text === "2") ws.send("3");
        else if (text.startsWith("40")) connected?.(true);
        else if (text.startsWith("44/")) namespaceRefusals++; // socket.io's own "Invalid namespace"
        else if (text.startsWith("44")) {
          const err = JSON.parse(text.slice(2)) as { data?: { code?: unknown } };
          if (!isErrorCode(err.data?.code) && bad.length < 20) bad.push(`handshake refusal without a registry code: ${text.slice(0, 200)}`);
          refusedHandshakes++;
          connected?.(false);
        } else if (text.startsWith("43")) {
          const m = /^43(\d+)(.*)$/s.exec(text);
          const cb = m ? acks.get(Number(m[1])) : undefined;
          if (!m || !cb) {
            if (bad.length < 20) bad.push(`unexpected ack ${text.slice(0, 200)}`);
            return;
          }
          acks.delete(Number(m[1]));
          cb((JSON.parse(m[2]!) as unknown[])[0]);
        }
      });
      ws.on("close", () => {
        closed = true;
        closedResolve();
      });
      ws.on("error", () => undefined);
      await new Promise<void>((res, rej) => {
        ws.once("open", () => res());
        ws.once("error", rej);
      });
      const send = (f: string | Buffer) => {
        sent++;
        frames.push(f);
        ws.send(f);
      };
      // The socket.io CONNECT: mostly a player token, sometimes junk auth (refused with a registry code).
      const authKind = r.int(10);
      const auth =
        authKind === 0 ? "" : authKind === 1 ? '{"protocol":99}' : authKind === 2 ? '{"token":"not-a-jwt"}' : authKind === 3 ? '{"token":123}' : JSON.stringify({ token: playerToken });
      const ok = await new Promise<boolean>((res) => {
        connected = res;
        send(`40${auth}`);
        setTimeout(() => res(false), 3000);
      });
      if (!ok) {
        ws.terminate();
        return;
      }
      // Well-formed packets with bad content, each with an ack id: every one must be answered.
      let nextId = 1 + r.int(1000);
      const waits: Promise<unknown>[] = [];
      for (let k = 0; k < 30; k++) {
        const id = r.chance(0.05) ? 10 ** 15 + k : nextId++;
        const event = r.chance(0.2) ? r.pick([...ODD_NAMES.filter((n) => n !== ""), "x"]) : r.pick(KNOWN);
        const payloads = r.chance(0.1) ? [] : r.chance(0.1) ? [badPayload(r, event, ids), junk(r)] : [badPayload(r, event, ids)];
        const eventJson = r.chance(0.05) ? String(r.int(1000)) : JSON.stringify(event); // a number as the event name
        const frame = `42${id}[${[eventJson, ...payloads.map((p) => JSON.stringify(p))].join(",")}]`;
        if (Buffer.byteLength(frame) > MAX_PAYLOAD - 10) continue;
        waits.push(
          new Promise((res) => {
            const timer = setTimeout(() => {
              if (!closed && bad.length < 20) bad.push(`raw frame got no ack: ${frame.slice(0, 200)}`);
              res(null);
            }, 10_000);
            acks.set(id, (reply) => {
              clearTimeout(timer);
              acked++;
              checkAck(reply, bad, `raw ${frame.slice(0, 200)}`);
              res(null);
            });
          }),
        );
        send(frame);
        if (r.chance(0.2)) send(`42["${r.pick(KNOWN)}",${JSON.stringify({ campaignId: ids.campaignId, drawId: ids.drawId })}]`); // no ack id: ignored
      }
      await Promise.all(waits);
      if (closed) {
        if (bad.length < 20) bad.push(`raw connection ${i} closed before its killer frame (after ${frames.length} frames)`);
        return;
      }
      if (r.chance(0.8)) {
        send(r.pick(killers)());
        await Promise.race([closedP, new Promise((res) => setTimeout(res, 1000))]);
        if (closed) closedByServer++;
        else {
          // Not a protocol violation to the server: it must still answer.
          survivedKiller++;
          const probe = await new Promise<unknown>((res) => {
            const timer = setTimeout(() => res("no answer"), 5000);
            acks.set(999_999, (reply) => {
              clearTimeout(timer);
              res(reply);
            });
            send('42999999["time:sync",{"clientTime":"1"}]');
          });
          if (closed) closedByServer++;
          else checkAck(probe, bad, "probe after a frame the server let pass");
        }
      }
      ws.terminate(); // ours to close: no need to wait for the closing handshake
    };
    const WAVE = RAW_CONNECTIONS; // all at once: their waits overlap
    for (let wave = 0; wave < RAW_CONNECTIONS; wave += WAVE) await Promise.all(Array.from({ length: Math.min(WAVE, RAW_CONNECTIONS - wave) }, (_, k) => one(wave + k)));
    console.log(`raw frames done in ${Date.now() - t0} ms`);
    return { sent, acked, refusedHandshakes, namespaceRefusals, closedByServer, survivedKiller, bad };
  }

  /** HTTP: bad JSON, wrong content types, huge bodies, bad ids, unknown routes, bad methods, bad credentials. */
  async function fuzzHttp(ids: Ids) {
    const r = prng(SEED ^ 0xbad);
    const agent = new Agent({ keepAlive: true, maxSockets: HTTP_CONCURRENCY });
    const port = new URL(node.url).port;
    let sent = 0;
    let options = 0;
    let droppedUnknownMethod = 0;
    const bad: string[] = [];
    const codes: Record<string, number> = {};
    const statuses: Record<string, number> = {};
    const badId = () => enc(r.pick(["", "_x", "-x", "a".repeat(65), "a b", "抽奖", "💥", "a:b", "..", "%zz", "a\u0000b", "__proto__".slice(0, 1) + "_", "ld:{campaign:x}"])) || "%20";
    const realOrBad = (real: string) => (r.chance(0.5) ? badId() : r.chance(0.5) ? real : uniqueId("unknown"));
    const paths = [
      () => `/v1/campaigns/${badId()}/${r.pick(["rules", "stats", "audit", "join", "inventory", "tickets", "points", "draws"])}`,
      () => `/v1/campaigns/${badId()}/draws/${r.pick([ids.drawId, badId()])}/${r.pick(["reveal", "redraw", "cancel", "close", "proof", "inclusion"])}`,
      () => `/v1/campaigns/${ids.campaignId}/draws/${badId()}${r.pick(["", "/proof", "/inclusion?entryId=1-1", "/reveal"])}`,
      () => `/v1/campaigns/${realOrBad(ids.campaignId)}/draws/${ids.drawId}/${r.pick(["proof", `inclusion?entryId=${enc(String(junk(r, 0)))}`])}`,
      () => `/v1/campaigns/${ids.campaignId}/draws/${ids.drawId}/${r.pick(["nope", "proof/x", "inclusion/x", "reveal/x", "%2e%2e"])}`,
      () => `/${r.pick(["v2", "v1/host", "v1/host/junk", "v1", "api", "dev", "assets", "healthz/x", ".git", "%00", "v1/campaigns/a/b/c/d/e/f/g"])}/${enc(String(junk(r, 0))).slice(0, 300)}`,
      () => `/screen/${badId()}`,
      () => `/assets/${enc(r.pick(["../package.json", "nope.js", "..%2f..%2fetc%2fpasswd", "x".repeat(500)]))}`,
      () => "/dev/token",
      () => "/v1/host/session",
      () => `/v1/campaigns/${r.pick([ids.campaignId, uniqueId("unknown")])}/${r.pick(["inventory", "tickets", "points", "draws"])}`,
      () => `/v1/campaigns/${ids.campaignId}/draws/${ids.drawId}/${r.pick(["reveal", "redraw", "cancel", "close"])}`,
      () => `/v1/campaigns${r.pick(["", "/"])}`,
      () => `/v1/campaigns/${uniqueId("unknown")}/rules`,
      () => `/${"x/".repeat(1 + r.int(200))}`,
    ];
    const bodies = [
      () => "",
      () => "{",
      () => "[1,",
      () => "null",
      () => '"a string"',
      () => "12345",
      () => "[]",
      () => '{"__fuzz":1}',
      () => JSON.stringify({ ...(junk(r, 2) as object), __fuzz: 1 }),
      () => JSON.stringify({ durationMs: "60000", winners: "1", __fuzz: 1 }), // numbers as strings
      () => JSON.stringify({ tierId: ["prize"], replaces: 1, reason: { x: 1 }, __fuzz: 1 }),
      () => JSON.stringify([{ durationMs: 60_000, winners: 1 }]), // an array for an object
      () => JSON.stringify({ a: deep(r, 2000) }),
      () => "\u0000\u0001\u0002",
      () => Buffer.from(Array.from({ length: 64 }, () => r.int(256))),
      () => "x".repeat(MAX_PAYLOAD + 1 + r.int(50_000)), // beyond the limit: 413
      () => JSON.stringify({ campaignId: ids.campaignId, __fuzz: "é".repeat(r.int(MAX_PAYLOAD / 2)) }),
      () => "hostId=a&password=b",
    ];
    const contentTypes = [undefined, "application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16", "💥/💥".replace(/[^\x20-\x7e]/g, "x"), ""];
    const auths = async (): Promise<Record<string, string>> => {
      switch (r.int(7)) {
        case 0: return {};
        case 1: return { authorization: "Bearer not-a-jwt" };
        case 2: return { authorization: `Bearer ${playerToken}` };
        case 3: return { authorization: "Basic YTpi" };
        case 4: return { cookie: "ld_host=junk", "x-csrf-token": "junk" };
        default: return { authorization: `Bearer ${hostToken}` }; // bodies are always bad: still refused
      }
    };
    const methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "FOO", "PROPFIND", "OPTIONS", "POST", "GET"];
    const one = async () => {
      const path = r.pick(paths)();
      let method = r.pick(methods);
      if (method === "GET" && /\/draws$/.test(path)) method = "PATCH"; // listing a campaign's draws is a public 200
      const auth = await auths();
      let body = method === "GET" ? "" : r.pick(bodies)();
      // An empty body counts as {}: with a host token that is a valid close, reveal or cancel. Never send that.
      if (body === "" && auth.authorization === `Bearer ${hostToken}` && method !== "GET") body = '{"__fuzz":1}';
      const type = r.pick(contentTypes);
      const headers: Record<string, string> = { ...auth, ...(type === undefined ? {} : { "content-type": type }) };
      // node:http sends a GET/DELETE/OPTIONS body without any length unless told: that is the test's bug, not a bad request.
      if (body.length > 0) headers["content-length"] = String(Buffer.byteLength(body));
      if (r.chance(0.1)) headers["idempotency-key"] = r.pick(["x", "a".repeat(100), "ok-key-123"]);
      if (r.chance(0.05)) headers["x-forwarded-for"] = "1.2.3.4, junk";
      sent++;
      const res = await new Promise<{ status: number; type: string; text: string }>((resolve) => {
        const req = httpRequest({ host: "127.0.0.1", port, method, path, headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), text: Buffer.concat(chunks).toString() }));
          res.on("error", () => resolve({ status: -1, type: "", text: "" }));
        });
        req.on("error", (err) => resolve({ status: -1, type: "", text: String(err) }));
        req.end(body);
      });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      const what = `${method} ${path.slice(0, 120)} [${typeof body === "string" ? body.slice(0, 60) : "binary"}] → ${res.status} ${res.text.slice(0, 200)}`;
      if (method === "OPTIONS") {
        options++;
        // 204 on any path; the body limit still applies to what was sent.
        const tooLarge = Buffer.byteLength(body) > MAX_PAYLOAD && res.status === 413;
        if (res.status !== 204 && !tooLarge && bad.length < 20) bad.push(what);
        return;
      }
      if (res.status === -1 && !STANDARD_METHODS.has(method)) {
        // uWebSockets.js closes the connection on a method it does not know, without an answer.
        droppedUnknownMethod++;
        return;
      }
      if (res.status === -1) {
        // The server may close a connection whose body is far beyond the limit before reading it all.
        if (typeof body === "string" && body.length > MAX_PAYLOAD) return;
        if (bad.length < 20) bad.push(what);
        return;
      }
      let code: unknown;
      try {
        code = (JSON.parse(res.text) as { error?: { code?: unknown; message?: unknown } }).error?.code;
      } catch {
        code = undefined;
      }
      codes[String(code)] = (codes[String(code)] ?? 0) + 1;
      const okShape = res.status >= 400 && res.type.startsWith("application/json") && isErrorCode(code) && ERRORS[code].status === res.status && code !== "E_INTERNAL";
      if (!okShape && bad.length < 20) bad.push(what);
    };
    const workers = Array.from({ length: HTTP_CONCURRENCY }, async () => {
      while (sent < HTTP_REQUESTS) await one();
    });
    const t0 = Date.now();
    await Promise.all(workers);
    console.log(`http done in ${Date.now() - t0} ms`);
    agent.destroy();
    return { sent, options, droppedUnknownMethod, statuses, codes, bad };
  }
});
