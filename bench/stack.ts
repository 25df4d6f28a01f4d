/** The system under test for a benchmark: a private Redis, socket nodes and workers from the build, and a host token. */
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { projectRoot } from "../core/assets.js";
import { createRedis, waitReady } from "../core/redis.js";
import { ensureRedis } from "../scripts/redis-server.js";
import { startNodeProcess, startWorkerProcess, type RoleProcess } from "../scripts/spawn-role.js";
import { TokenService } from "../server/auth.js";
import { trackPid } from "./cpu.js";
import { abort, isStopping, onStop } from "./lifecycle.js";
import { say } from "./log.js";

export interface StackOptions {
  /** "spin" or "flash": names the Redis (bench-<tag>-redis-<runTag>), its connection (bench:<tag>) and the log dir (.data/bench-<tag>-logs). */
  tag: string;
  runTag: string;
  nodes: number;
  workers: number;
  /** LIVEDRAW_* options for the nodes and workers. */
  serverEnv: Record<string, string>;
  /** LIVEDRAW_NODE_ID = <nodeIdPrefix><label>. */
  nodeIdPrefix: string;
  /** The private Redis's maxmemory (ensureRedis's default, LIVEDRAW_REDIS_MAXMEMORY or 1gb, when unset). */
  maxmemory?: string;
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** Starts everything (each registered with onStop and tracked for CPU); aborts the run if a node or worker exits early. */
export async function startStack(o: StackOptions) {
  // Redis: always a private one (never a shared REDIS_URL: the run writes a lot).
  const redisProc = await ensureRedis({ useEnvUrl: false, name: `bench-${o.tag}-redis-${o.runTag}`, removeDataOnStop: true, log: say, ...(o.maxmemory ? { maxmemory: o.maxmemory } : {}) });
  onStop("redis", () => redisProc.stop());
  const redis = createRedis(redisProc.url, { name: `bench:${o.tag}` });
  redis.on("error", () => undefined);
  await waitReady(redis);
  onStop("bench redis connection", async () => redis.disconnect());
  const info = await redis.info("server");
  trackPid("redis", "redis", Number(/process_id:(\d+)/.exec(info)?.[1] ?? 0));

  // Nodes and workers. LOG_LEVEL "info", not "warn": startNodeProcess/startWorkerProcess wait for the info-level
  // "listening" / "worker ready" lines, and nothing on the hot paths logs at info (only warnings and errors, which we collect).
  const secret = randomBytes(32).toString("hex");
  // Every bench client is 127.0.0.1: lift the per-address connection limit (a scenario may set it).
  // Every load-generator client is 127.0.0.1: per-address limits and source counting would measure themselves.
  const baseEnv = { LIVEDRAW_MAX_CONNECTIONS_PER_ADDRESS: "0", LIVEDRAW_INTENTS_PER_SECOND_PER_ADDRESS: "0", LIVEDRAW_ACCOUNTS_PER_ADDRESS: "0", ...o.serverEnv, REDIS_URL: redisProc.url, LIVEDRAW_JWT_SECRET: secret, PORT: "0", LIVEDRAW_HOST: "127.0.0.1", LOG_LEVEL: process.env.LOG_LEVEL ?? "info" };
  const logDir = path.join(projectRoot(), ".data", `bench-${o.tag}-logs`);
  mkdirSync(logDir, { recursive: true });
  /** Distinct warnings and errors the roles logged (with a count once repeated), at most 50. */
  const roleProblems: string[] = [];
  const problemIndex = new Map<string, number>();
  const problemCounts: number[] = [];
  const track = <P extends RoleProcess>(p: P, label: string, role: "node" | "worker"): P => {
    onStop(label, () => p.stop("SIGTERM"));
    trackPid(label, role, p.child.pid);
    p.onLog((l) => {
      if (l.level < 40) return;
      const e = l.err as { code?: unknown; message?: unknown } | string | undefined;
      const detail = typeof e === "string" ? e : e && typeof e === "object" ? [e.code, e.message].filter((x) => typeof x === "string").join(": ") : "";
      const key = `${label}: ${l.msg}${detail ? ` (${detail.slice(0, 160)})` : ""}`;
      const at = problemIndex.get(key);
      if (at !== undefined) {
        problemCounts[at]!++;
        roleProblems[at] = `${key} ×${problemCounts[at]}`;
      } else if (roleProblems.length < 50) {
        problemIndex.set(key, roleProblems.length);
        problemCounts.push(1);
        roleProblems.push(key);
      }
    });
    void p.exited.then((code) => {
      if (!isStopping()) void abort(`${label} exited unexpectedly (code ${code}); see ${path.relative(process.cwd(), logDir)}/${label}.log`);
    });
    return p;
  };
  const roleOpts = (label: string) => {
    const logFile = path.join(logDir, `${label}.log`);
    rmSync(logFile, { force: true });
    return { env: { ...baseEnv, LIVEDRAW_NODE_ID: `${o.nodeIdPrefix}${label}` }, logFile, keepLogs: false };
  };
  const nodes = await Promise.all(Array.from({ length: o.nodes }, (_, i) => startNodeProcess(roleOpts(`node-${i + 1}`)).then((p) => track(p, `node-${i + 1}`, "node"))));
  const workers = await Promise.all(Array.from({ length: o.workers }, (_, i) => startWorkerProcess(roleOpts(`worker-${i + 1}`)).then((p) => track(p, `worker-${i + 1}`, "worker"))));
  const health = (await (await fetch(`${nodes[0]!.url}/healthz`)).json()) as { engine: string; engineReason?: string };
  const logDirShown = path.relative(process.cwd(), logDir);

  const hostToken = await new TokenService(secret).sign({ sub: "bench-host", role: "host" }, 7200);
  return { redisProc, redis, info, secret, nodes, workers, health, roleProblems, logDirShown, hostToken };
}

/** The machine / system part of a result's `context` (same fields, same order, in every benchmark). */
export function systemContext(s: Stack, counts: { clients: number; client: string; load_processes: number; nodes: number; workers: number }) {
  return {
    ...counts,
    engine: s.health.engine,
    node_version: process.version,
    redis_version: /redis_version:([^\r\n]+)/.exec(s.info)?.[1] ?? null,
    cpu_count: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? null,
  };
}

/** Creates a campaign that went live 30 s ago and stays live for 6 h, through the host API; aborts the run if refused. */
export async function createLiveCampaign(s: Stack, body: { campaignId: string; title: string; tiers: unknown[]; limits: Record<string, number>; freeSpins: number }): Promise<void> {
  const now = Date.now();
  const res = await fetch(`${s.nodes[0]!.url}/v1/campaigns`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${s.hostToken}` },
    body: JSON.stringify({
      rules: "Benchmark campaign.",
      claim: { windowHours: 72, conditions: "Benchmark campaign: prizes are not handed out." },
      schedule: { warmupAt: now - 60_000, liveAt: now - 30_000, longTailAt: now + 6 * 3_600_000, closedAt: now + 12 * 3_600_000 },
      ...body,
    }),
  });
  if (res.status !== 201) await abort(`could not create the campaign: HTTP ${res.status} ${await res.text()}`);
}

export { loadAvg, machine as machineInfo, commitId as gitCommit } from "./meta.js";
