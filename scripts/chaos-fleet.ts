/**
 * The processes of a chaos run: a private redis-server, socket nodes on fixed ports and workers,
 * each a real child process of the compiled build. Knows which exits it caused (SIGKILLs, the final
 * stop) and records every other exit as unexpected. `stopAll()` ends everything it started.
 */
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../core/assets.js";
import { ensureRedis, freePort, type RunningRedis } from "./redis-server.js";
import { spawnRole, type LogLine, type RoleProcess } from "./spawn-role.js";

export interface ExitRecord {
  label: string;
  role: "server" | "worker";
  pid: number | undefined;
  code: number | null;
  signal: string | null;
  /** ms since the run's t0. */
  at: number;
  /** Last lines of the process's log, to say why. */
  lastLines: string[];
}

export interface LogProblem {
  label: string;
  level: number;
  msg: string;
  err?: string;
  at: number;
}

interface Member {
  label: string;
  role: "server" | "worker";
  proc: RoleProcess;
  killedByUs: boolean;
}

export type NodeHandle = RoleProcess & { port: number; url: string };

export class Fleet {
  redis!: RunningRedis;
  readonly members: Member[] = [];
  readonly unexpectedExits: ExitRecord[] = [];
  readonly startFailures: { label: string; error: string; at: number }[] = [];
  /** Warn-and-above log lines, counted per label + message; the first few kept in full. */
  readonly problemCounts = new Map<string, number>();
  readonly problems: LogProblem[] = [];
  readonly logDir: string;
  private stopping = false;
  private counters = { worker: 0 };
  readonly nodePorts: number[] = [];
  readonly nodes: (NodeHandle | null)[] = [];

  constructor(
    private readonly runTag: string,
    private readonly baseEnv: () => Record<string, string>,
    private readonly since: () => number,
  ) {
    this.logDir = path.join(projectRoot(), ".data", "chaos-logs");
    rmSync(this.logDir, { recursive: true, force: true });
    mkdirSync(this.logDir, { recursive: true });
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  async startRedis(log: (s: string) => void): Promise<RunningRedis> {
    this.redis = await ensureRedis({ useEnvUrl: false, name: `chaos-redis-${this.runTag}`, removeDataOnStop: true, log });
    return this.redis;
  }

  private watch(label: string, role: "server" | "worker", proc: RoleProcess): Member {
    const m: Member = { label, role, proc, killedByUs: false };
    this.members.push(m);
    const recent: string[] = [];
    proc.onLog((l: LogLine) => {
      recent.push(JSON.stringify(l).slice(0, 400));
      if (recent.length > 8) recent.shift();
      if (l.level < 40 || this.stopping) return;
      const err = typeof l.err === "string" ? l.err : l.err && typeof l.err === "object" ? String((l.err as { message?: unknown }).message ?? "") : undefined;
      const key = `${label.replace(/-\d+$/, "")} ${l.level >= 50 ? "ERROR" : "warn"}: ${l.msg}`;
      this.problemCounts.set(key, (this.problemCounts.get(key) ?? 0) + 1);
      if (this.problems.length < 200) this.problems.push({ label, level: l.level, msg: String(l.msg), ...(err ? { err: err.slice(0, 300) } : {}), at: this.since() });
    });
    void proc.exited.then((code) => {
      if (m.killedByUs || this.stopping) return;
      this.unexpectedExits.push({ label, role, pid: proc.child.pid, code, signal: proc.child.signalCode, at: this.since(), lastLines: [...recent] });
    });
    return m;
  }

  private opts(label: string, env: Record<string, string>) {
    return { env: { ...this.baseEnv(), LIVEDRAW_NODE_ID: `chaos-${label}`, ...env }, logFile: path.join(this.logDir, `${label}.log`), keepLogs: false };
  }

  /** Spawns a role and registers it at once (so a stop during its start-up ends it too), then waits for `ready`. */
  private async spawn(label: string, role: "server" | "worker", env: Record<string, string>, ready: (l: LogLine) => boolean): Promise<{ proc: RoleProcess; line: LogLine }> {
    if (this.stopping) throw new Error(`not starting ${label}: stopping`);
    const proc = spawnRole(role, this.opts(label, env));
    const m = this.watch(label, role, proc);
    try {
      return { proc, line: await proc.waitForLog(ready, 30_000) };
    } catch (err) {
      // It never became ready: end it (ours, not a crash of a running process) and say why.
      m.killedByUs = true;
      await proc.stop("SIGKILL");
      this.startFailures.push({ label, error: String(err instanceof Error ? err.message : err).slice(0, 600), at: this.since() });
      throw err;
    }
  }

  /** Starts socket node `index` on its fixed port (picked on first start). */
  async startNode(index: number): Promise<NodeHandle> {
    this.nodePorts[index] ??= await freePort();
    const port = this.nodePorts[index]!;
    const label = `node-${"abc"[index] ?? index}`;
    // The port was ours a moment ago (a killed node): retry a few times if it is not free yet.
    for (let attempt = 0; ; attempt++) {
      try {
        const { proc, line } = await this.spawn(label, "server", { PORT: String(port) }, (l) => l.msg === "listening");
        const node = Object.assign(proc, { port: Number(line.port), url: `http://127.0.0.1:${Number(line.port)}` });
        this.nodes[index] = node;
        return node;
      } catch (err) {
        if (attempt >= 3 || this.stopping) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async startWorker(): Promise<RoleProcess & { label: string }> {
    const label = `worker-${++this.counters.worker}`;
    const { proc } = await this.spawn(label, "worker", {}, (l) => l.msg === "worker ready");
    return Object.assign(proc, { label });
  }

  /** Live workers, oldest first. */
  liveWorkers(): (Member & { proc: RoleProcess })[] {
    return this.members.filter((m) => m.role === "worker" && !m.killedByUs && m.proc.child.exitCode === null && m.proc.child.signalCode === null);
  }

  /** SIGKILLs a process we started (recorded as caused by us), resolves once it is gone. */
  async kill(proc: RoleProcess): Promise<void> {
    const m = this.members.find((x) => x.proc === proc);
    if (m) m.killedByUs = true;
    await proc.stop("SIGKILL");
  }

  labelOf(proc: RoleProcess): string {
    return this.members.find((x) => x.proc === proc)?.label ?? "?";
  }

  /** Stops everything: nodes and workers with SIGTERM (SIGKILL after 15 s), then Redis. */
  async stopAll(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const live = this.members.filter((m) => m.proc.child.exitCode === null && m.proc.child.signalCode === null);
    await Promise.all(
      live.map(async (m) => {
        m.proc.child.kill("SIGTERM");
        const t = setTimeout(() => m.proc.child.kill("SIGKILL"), 15_000);
        await m.proc.exited;
        clearTimeout(t);
      }),
    );
    if (this.redis) await this.redis.stop().catch(() => undefined);
  }

  /** Last resort on process exit: nothing we started may outlive us. */
  killAllNow(): void {
    for (const m of this.members) if (m.proc.child.exitCode === null && m.proc.child.signalCode === null) m.proc.child.kill("SIGKILL");
  }
}
