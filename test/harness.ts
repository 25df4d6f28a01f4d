/**
 * Test harness: a private redis-server per test file, socket nodes and workers as real child
 * processes (the compiled `dist/` build, made by test/global-setup.ts), real Socket.IO clients.
 * Everything started here is stopped by `cleanup()`.
 */
import { randomUUID } from "node:crypto";
import { LiveDrawClient, type LiveDrawClientOptions } from "@livedraw/client-sdk";
import { TokenService } from "../server/auth.js";
import { Pseudonymiser } from "../core/privacy.js";
import { ensureRedis, type RunningRedis } from "../scripts/redis-server.js";
import { startNodeProcess, startWorkerProcess, type RoleProcess } from "../scripts/spawn-role.js";
import { nodeTransport } from "./sdk-transport.js";

export type { RoleProcess };

export const TEST_SECRET = "test-secret-0123456789-abcdefghijklmnop";
export const tokens = new TokenService(TEST_SECRET);
/** The key ring and pseudonym key every test process gets, so tests can compute what the server stores. */
export const TEST_PSEUDONYM_KEY = "test-pseudonym-key-0123456789-abcdefghij";
export const TEST_DATA_KEYS = `t1:${Buffer.alloc(32, 7).toString("base64")}`;
const testPseudonyms = new Pseudonymiser(Buffer.from(TEST_PSEUDONYM_KEY, "utf8"));
/** The pseudonym the server stores for a token's `sub` (player ids in Redis are these, never the raw id). */
export const pseudonym = (rawPlayerId: string): string => testPseudonyms.player(rawPlayerId);

export type NodeProcess = RoleProcess & { port: number; url: string };

/** The LIVEDRAW_METRICS_TOKEN every test process gets: GET /metrics needs it (docs/operations.md). */
export const METRICS_TOKEN = "test-metrics-token-0123456789";

/** GET `<url>/metrics` with the test token; throws unless it answers 200, so a metric is never read from an error body. */
export async function metricsText(url: string, token = METRICS_TOKEN): Promise<string> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}/metrics: ${res.status} ${text.slice(0, 200)}`);
  return text;
}

export const uniqueId = (prefix = "t") => `${prefix}-${randomUUID().slice(0, 8)}`;

export class Harness {
  private readonly cleanups: (() => Promise<unknown> | unknown)[] = [];
  redis!: RunningRedis;

  async startRedis(): Promise<RunningRedis> {
    this.redis = await ensureRedis({ useEnvUrl: false, name: uniqueId("test-redis"), removeDataOnStop: true });
    this.cleanups.push(() => this.redis.stop());
    return this.redis;
  }

  private env(role: string, env: Record<string, string>): Record<string, string> {
    return {
      REDIS_URL: this.redis.url,
      LIVEDRAW_JWT_SECRET: TEST_SECRET,
      LIVEDRAW_METRICS_TOKEN: METRICS_TOKEN,
      LIVEDRAW_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
      LIVEDRAW_DATA_KEYS: TEST_DATA_KEYS,
      LOG_LEVEL: "info",
      PORT: "0",
      LIVEDRAW_HOST: "127.0.0.1",
      LIVEDRAW_NODE_ID: uniqueId(role),
      // Every test client is 127.0.0.1; tests of the HTTP limit set their own.
      LIVEDRAW_HTTP_REQUESTS_PER_SECOND_PER_IP: "1000",
      LIVEDRAW_INTENTS_PER_SECOND_PER_ADDRESS: "0",
      LIVEDRAW_ACCOUNTS_PER_ADDRESS: "0",
      ...env,
    };
  }

  async startNode(env: Record<string, string> = {}): Promise<NodeProcess> {
    const proc = await startNodeProcess({ env: this.env("node", env) });
    this.cleanups.push(() => proc.stop("SIGKILL"));
    return proc;
  }

  async startWorker(env: Record<string, string> = {}): Promise<RoleProcess> {
    const proc = await startWorkerProcess({ env: this.env("worker", env) });
    this.cleanups.push(() => proc.stop("SIGKILL"));
    return proc;
  }

  /** A connected player client; closed by cleanup(). */
  async player(url: string | string[], playerId: string, name?: string, options: Partial<LiveDrawClientOptions> = {}): Promise<LiveDrawClient> {
    const token = await tokens.sign({ sub: playerId, role: "player", ...(name ? { name } : {}) }, 3600);
    const client = new LiveDrawClient({ url, token, transport: nodeTransport, ...options });
    this.cleanups.push(() => client.close());
    await client.connect();
    return client;
  }

  hostToken(hostId = "host-1"): Promise<string> {
    return tokens.sign({ sub: hostId, role: "host" }, 3600);
  }

  defer(fn: () => Promise<unknown> | unknown): void {
    this.cleanups.push(fn);
  }

  async cleanup(): Promise<void> {
    for (const fn of this.cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // keep cleaning up
      }
    }
    this.cleanups.length = 0;
  }
}

/** POST/GET JSON helper that returns status and parsed body. */
export async function http<T = unknown>(url: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(init.body === undefined ? {} : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** Resolves when `count` events have arrived, or rejects after `timeoutMs` naming what is missing. */
export function collect<T>(what: string, count: number, timeoutMs: number): { add(v: T): void; done: Promise<T[]> } {
  const items: T[] = [];
  let resolve!: (v: T[]) => void;
  let reject!: (e: Error) => void;
  const done = new Promise<T[]>((res, rej) => ((resolve = res), (reject = rej)));
  const timer = setTimeout(() => reject(new Error(`${what}: got ${items.length} of ${count} within ${timeoutMs} ms`)), timeoutMs);
  if (count === 0) {
    clearTimeout(timer);
    resolve(items);
  }
  return {
    add(v: T) {
      items.push(v);
      if (items.length === count) {
        clearTimeout(timer);
        resolve(items);
      }
    },
    done,
  };
}
