/**
 * Finds or starts the Redis the two commands need, with no set-up by hand:
 *   1. REDIS_URL, if set and it answers PING (only when `useEnvUrl`; tests never use a shared Redis);
 *   2. otherwise a private `redis-server` from PATH on a free port, AOF on, data under `.data/`,
 *      `maxmemory` (LIVEDRAW_REDIS_MAXMEMORY, default 1gb) with `maxmemory-policy noeviction`;
 *   3. otherwise a RedisUnavailableError that says exactly how to install Redis 7.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { Redis } from "ioredis";
import { projectRoot } from "../core/assets.js";

export interface RunningRedis {
  url: string;
  /** True when we started it (and `stop` will end it). */
  owned: boolean;
  port: number;
  dataDir: string | null;
  stop(): Promise<void>;
  /** Ends the process without letting it save or flush (a crash), for fault tests. */
  kill(): Promise<void>;
  /**
   * Starts the private redis-server again after `kill`/`stop`, on the same port and data folder (its
   * AOF brings back everything it had acknowledged). Resolves once it accepts connections.
   */
  restart(): Promise<void>;
}

/** The private server's memory limit when neither the option nor LIVEDRAW_REDIS_MAXMEMORY is set. */
export const DEFAULT_MAXMEMORY = "1gb";

export interface EnsureRedisOptions {
  useEnvUrl?: boolean;
  /** Folder name under `.data/`; a fresh one per run by default. */
  name?: string;
  /** Remove the data folder on stop (tests). @default false */
  removeDataOnStop?: boolean;
  /** Reuse this port (restarting a killed Redis on the same data). */
  port?: number;
  /**
   * `maxmemory` of the private redis-server (`100mb`, `1gb`, bytes…); always with
   * `maxmemory-policy noeviction`, so at the limit Redis refuses writes instead of evicting keys.
   * @default process.env.LIVEDRAW_REDIS_MAXMEMORY ?? "1gb"
   */
  maxmemory?: string;
  log?: (line: string) => void;
}

export class RedisUnavailableError extends Error {}

export const INSTALL_HELP = [
  "No Redis is reachable and no `redis-server` is on PATH.",
  "Install Redis 7 and run the command again:",
  "  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y redis-server",
  "  macOS:          brew install redis",
  "  other:          https://redis.io/docs/latest/operate/oss_and_stack/install/",
  "or point REDIS_URL at a Redis 7 you already run, e.g. REDIS_URL=redis://127.0.0.1:6379",
].join("\n");

/** Whether the Redis at `url` answers, and if so what would make the roles refuse it (AOF off, evicting). */
async function probe(url: string): Promise<{ answers: false } | { answers: true; unsafe: string | null }> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1500 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    if ((await client.ping()) !== "PONG") return { answers: false };
    const info = await client.info().catch(() => "");
    const aof = /^aof_enabled:(\d)/m.exec(info)?.[1];
    const policy = /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
    const allowNoAof = /^(1|true|yes)$/i.test(process.env.LIVEDRAW_ALLOW_NO_AOF ?? "");
    if (aof === "0" && !allowNoAof) return { answers: true, unsafe: "has AOF off (set LIVEDRAW_ALLOW_NO_AOF=1 to use it anyway)" };
    if (policy !== undefined && policy !== "noeviction") return { answers: true, unsafe: `has maxmemory-policy ${policy} (livedraw needs noeviction)` };
    return { answers: true, unsafe: null };
  } catch {
    return { answers: false };
  } finally {
    client.disconnect();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function hasRedisServer(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

export async function ensureRedis(opts: EnsureRedisOptions = {}): Promise<RunningRedis> {
  const log = opts.log ?? (() => undefined);
  const envUrl = process.env.REDIS_URL;
  if (opts.useEnvUrl && envUrl) {
    const found = await probe(envUrl);
    if (found.answers && found.unsafe !== null) {
      log(`REDIS_URL=${envUrl} ${found.unsafe}; starting a private redis-server instead`);
    } else if (found.answers) {
      log(`using REDIS_URL=${envUrl}`);
      const notOurs = async () => undefined;
      return { url: envUrl, owned: false, port: Number(new URL(envUrl).port || 6379), dataDir: null, stop: notOurs, kill: notOurs, restart: notOurs };
    } else {
      log(`REDIS_URL=${envUrl} does not answer; starting a private redis-server instead`);
    }
  }
  if (!hasRedisServer()) throw new RedisUnavailableError(INSTALL_HELP);

  const maxmemory = opts.maxmemory ?? process.env.LIVEDRAW_REDIS_MAXMEMORY ?? DEFAULT_MAXMEMORY;
  if (!/^\d+(?:[kmg]b?)?$/i.test(maxmemory)) throw new Error(`maxmemory ${JSON.stringify(maxmemory)} (LIVEDRAW_REDIS_MAXMEMORY): use bytes or a size like 512mb, 1gb`);
  for (let attempt = 0; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const dataDir = path.join(projectRoot(), ".data", opts.name ?? `redis-${port}`);
    mkdirSync(dataDir, { recursive: true });
    try {
      const child = await startServer(port, dataDir, maxmemory);
      log(`started redis-server on 127.0.0.1:${port} (AOF on, maxmemory ${maxmemory} noeviction, data in ${path.relative(process.cwd(), dataDir) || dataDir})`);
      return ownedRedis(child, port, dataDir, maxmemory, opts.removeDataOnStop ?? false);
    } catch (err) {
      if (attempt >= 3 || opts.port !== undefined) throw err;
    }
  }
}

function startServer(port: number, dataDir: string, maxmemory: string): Promise<ChildProcess> {
  const args = [
    "--port", String(port), "--bind", "127.0.0.1", "--protected-mode", "yes",
    "--dir", dataDir, "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
    // An AOF rewrite forks Redis and floods the disk, and while it runs `everysec` fsyncs stall:
    // 100–300 ms pauses of every command (bench:spin's `redis_forks`). The default 64 MB minimum
    // rewrites every ~15 s under a peak; 1 GB rewrites rarely (docs/operations.md, "Redis").
    "--auto-aof-rewrite-min-size", "1gb",
    "--maxmemory", maxmemory, "--maxmemory-policy", "noeviction",
    "--daemonize", "no", "--logfile", "", "--loglevel", "notice",
  ];
  // Its own process group: a Ctrl-C meant for the demo must not kill Redis before the nodes have
  // drained. The owner stops it (and a last-resort exit hook kills it if the owner dies first).
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  return new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections/.test(output)) {
        child.stdout?.off("data", onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code} before it was ready:\n${output.slice(-2000)}`)));
  });
}

function ownedRedis(first: ChildProcess, port: number, dataDir: string, maxmemory: string, removeData: boolean): RunningRedis {
  let child = first;
  let exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    owned: true,
    port,
    dataDir,
    stop: async () => {
      await end("SIGTERM");
      if (removeData) rmSync(dataDir, { recursive: true, force: true });
    },
    kill: () => end("SIGKILL"),
    restart: async () => {
      await end("SIGTERM");
      // The port was ours a moment ago; another process may hold it briefly (TIME_WAIT is fine for a listener).
      for (let attempt = 0; ; attempt++) {
        try {
          child = await startServer(port, dataDir, maxmemory);
          break;
        } catch (err) {
          if (attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    },
  };
}
