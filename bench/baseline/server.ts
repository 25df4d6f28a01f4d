/**
 * The baseline socket server (started by bench/baseline-bench.ts as `node dist/bench/baseline/server.js`):
 * what a team would build without livedraw. Plain Socket.IO on its default `ws` engine over
 * node:http, the classic `@socket.io/redis-adapter` (`createAdapter(pub, sub)`, not sharded),
 * ioredis with its defaults, BullMQ.
 *
 * - connection: `auth.playerId` names the player (no token check); the socket joins `player:<id>`.
 * - `spin` {campaignId, idempotencyKey}: one Lua call (bench/baseline/shared.ts SPIN_LUA), the ack
 *   `{ok:true,data:{intentId,duplicate}}`, then one `queue.add` per new intent; the worker records the
 *   result and emits `spin:result` to `player:<id>` through the Redis emitter.
 * - `campaign:subscribe` {campaignId}: joins `campaign:<id>`, acks `{ok:true}`.
 * - `POST /broadcast` (BroadcastRequest JSON): emits `count` messages to a room at `ratePerS`
 *   through `io.to(room).emit` (local sockets, and the other servers through the adapter); answers
 *   once all are emitted.
 *
 * Environment: REDIS_URL, PORT (0 = any), BASELINE_ID. Prints one JSON line
 * {msg:"listening", port} on stdout once it accepts connections; stops on SIGTERM.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdapter } from "@socket.io/redis-adapter";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { Server } from "socket.io";
import { hr } from "../clock.js";
import {
  baselineKeys, type BaselineCampaign, type BroadcastMsg, type BroadcastRequest, type BroadcastResponse, QUEUE_NAME, ROOM_CAMPAIGN, ROOM_PLAYER,
  SPIN_LUA, type SpinJobData,
} from "./shared.js";

/** The readiness line this process prints on stdout. */
export interface ServerReadyLine {
  msg: "listening";
  port: number;
  pid: number;
}

type SpinReply = [string, string, string, string, number];
interface SpinRedis extends Redis {
  baselineSpin(numKeys: number, ...args: (string | number)[]): Promise<SpinReply>;
}

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const ID = process.env.BASELINE_ID ?? randomUUID().slice(0, 8);
const IDEM_TTL_S = 86_400;

const redis = new Redis(REDIS_URL) as SpinRedis;
redis.defineCommand("baselineSpin", { lua: SPIN_LUA });
const pub = new Redis(REDIS_URL);
const sub = new Redis(REDIS_URL);
const queue = new Queue<SpinJobData>(QUEUE_NAME, { connection: new Redis(REDIS_URL, { maxRetriesPerRequest: null }) });
for (const c of [redis, pub, sub]) c.on("error", (err: Error) => console.error(`redis: ${err.message}`));

const campaigns = new Map<string, Promise<{ keys: string[]; argvTail: string[] }>>();

/** The campaign's tiers from Redis, cached for the life of the process (as a team would). */
function campaignScriptArgs(campaignId: string) {
  let p = campaigns.get(campaignId);
  if (!p) {
    p = redis.get(baselineKeys(campaignId).config).then((json) => {
      if (!json) throw new Error(`unknown campaign ${campaignId}`);
      const c = JSON.parse(json) as BaselineCampaign;
      const k = baselineKeys(campaignId);
      return {
        keys: [...c.tiers.map((t) => k.stock(t.tierId)), ...c.tiers.map((t) => k.issued(t.tierId))],
        argvTail: [...c.tiers.map((t) => String(t.probability)), ...c.tiers.map((t) => t.tierId)],
      };
    });
    p.catch(() => campaigns.delete(campaignId));
    campaigns.set(campaignId, p);
  }
  return p;
}

const httpServer = createServer((req, res) => void handleHttp(req, res));
const io = new Server(httpServer, { adapter: createAdapter(pub, sub) });

io.on("connection", (socket) => {
  const playerId = String((socket.handshake.auth as { playerId?: unknown }).playerId ?? socket.id);
  void socket.join(ROOM_PLAYER(playerId));

  socket.on("spin", async (payload: { campaignId?: unknown; idempotencyKey?: unknown }, ack?: (r: unknown) => void) => {
    const reply = typeof ack === "function" ? ack : () => undefined;
    const campaignId = payload?.campaignId;
    const idempotencyKey = payload?.idempotencyKey;
    if (typeof campaignId !== "string" || typeof idempotencyKey !== "string" || idempotencyKey.length > 128) {
      reply({ ok: false, error: { code: "E_BAD_REQUEST", message: "campaignId and idempotencyKey are required strings" } });
      return;
    }
    try {
      const k = baselineKeys(campaignId);
      const { keys, argvTail } = await campaignScriptArgs(campaignId);
      const [intentId, tierId, outcome, reason, duplicate] = await redis.baselineSpin(
        2 + keys.length, k.idemPrefix + idempotencyKey, k.created, ...keys, Math.random(), IDEM_TTL_S, "i", ...argvTail,
      );
      reply({ ok: true, data: { intentId, duplicate: duplicate === 1 } });
      if (duplicate === 1) return;
      await queue.add("spin", { c: campaignId, p: playerId, k: idempotencyKey, i: intentId, t: tierId, o: outcome, r: reason }, { removeOnComplete: true, removeOnFail: 1000 });
    } catch (err) {
      console.error(`spin failed: ${err instanceof Error ? err.message : String(err)}`);
      reply({ ok: false, error: { code: "E_INTERNAL", message: "spin failed" } });
    }
  });

  socket.on("campaign:subscribe", (payload: { campaignId?: unknown }, ack?: (r: unknown) => void) => {
    if (typeof payload?.campaignId === "string") void socket.join(ROOM_CAMPAIGN(payload.campaignId));
    if (typeof ack === "function") ack({ ok: typeof payload?.campaignId === "string" });
  });
});

async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) body += String(chunk);
  return body;
}

async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === "GET" && req.url === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, id: ID, engine: "ws", clients: io.engine.clientsCount }));
    return;
  }
  if (req.method !== "POST" || req.url !== "/broadcast") {
    res.writeHead(404).end();
    return;
  }
  let b: BroadcastRequest;
  try {
    b = JSON.parse(await readBody(req)) as BroadcastRequest;
  } catch {
    res.writeHead(400).end();
    return;
  }
  const result = await broadcast(b);
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result));
}

/** Emits b.count messages to b.room at b.ratePerS (open loop: every 2 ms it emits all that are due). */
function broadcast(b: BroadcastRequest): Promise<BroadcastResponse> {
  const pad = b.payload !== undefined ? b.payload : b.padBytes ? "x".repeat(b.padBytes) : undefined;
  const t0 = hr();
  let s = 0;
  let lagMaxMs = 0;
  const emitOne = () => {
    const msg: BroadcastMsg = { p: b.phase, s, t: b.sentAt ?? hr() };
    if (pad !== undefined) msg.d = pad;
    io.to(b.room).emit(b.event, msg);
    s++;
  };
  return new Promise((resolve) => {
    const tick = () => {
      const elapsed = hr() - t0;
      const due = b.ratePerS > 0 ? Math.min(b.count, Math.floor((elapsed * b.ratePerS) / 1000) + 1) : b.count;
      if (b.ratePerS > 0 && s < due) lagMaxMs = Math.max(lagMaxMs, elapsed - (s * 1000) / b.ratePerS);
      while (s < due) emitOne();
      if (s >= b.count) resolve({ emitted: s, elapsedMs: hr() - t0, lagMaxMs });
      else setTimeout(tick, 2);
    };
    tick();
  });
}

httpServer.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const line: ServerReadyLine = { msg: "listening", port: (httpServer.address() as AddressInfo).port, pid: process.pid };
  console.log(JSON.stringify(line));
});

let closing = false;
process.on("SIGTERM", () => {
  if (closing) return;
  closing = true;
  void (async () => {
    io.close();
    await queue.close().catch(() => undefined);
    for (const c of [redis, pub, sub]) c.disconnect();
    process.exit(0);
  })();
  setTimeout(() => process.exit(0), 3000).unref();
});
