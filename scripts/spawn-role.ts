/**
 * Starts a role (socket node or worker) as a child process of the compiled build, and follows its
 * pino JSON log so callers can await "listening" / "worker ready" instead of sleeping.
 * Used by the demo and the test harness.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { projectRoot } from "../core/assets.js";

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export interface RoleProcess {
  role: "server" | "worker";
  child: ChildProcess;
  logs: LogLine[];
  /** Resolves with the first log line matching `pred` (past or future); rejects on timeout or exit. */
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Called for every log line from now on. */
  onLog(listener: (l: LogLine) => void): void;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnOptions {
  env: Record<string, string>;
  /** Also append every raw output line to this file. */
  logFile?: string;
  /** Keep parsed lines in memory (tests). @default true */
  keepLogs?: boolean;
}

export function spawnRole(role: "server" | "worker", opts: SpawnOptions): RoleProcess {
  const level = opts.env.LOG_LEVEL ?? process.env.LOG_LEVEL;
  if (level && ["warn", "error", "fatal", "silent"].includes(level)) {
    // Readiness is read from the info-level "listening" / "worker ready" lines.
    throw new Error(`spawnRole needs LOG_LEVEL info or lower to see the ${role} start (got ${level})`);
  }
  const child = spawn(process.execPath, [path.join(projectRoot(), "dist", role, "main.js")], {
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const file = opts.logFile ? createWriteStream(opts.logFile, { flags: "a" }) : null;
  const logs: LogLine[] = [];
  const listeners: ((l: LogLine) => void)[] = [];
  let stderr = "";
  const recent: string[] = []; // last output lines, for error messages
  child.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-8000);
    file?.write(c);
  });
  createInterface({ input: child.stdout! }).on("line", (line) => {
    file?.write(`${line}\n`);
    recent.push(line);
    if (recent.length > 20) recent.shift();
    let parsed: LogLine;
    try {
      parsed = JSON.parse(line) as LogLine;
    } catch {
      return;
    }
    if (opts.keepLogs !== false) logs.push(parsed);
    for (const l of [...listeners]) l(parsed);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      file?.end();
      resolve(code);
    }),
  );
  const proc: RoleProcess = {
    role,
    child,
    logs,
    exited,
    onLog: (l) => listeners.push(l),
    waitForLog: (pred, timeoutMs = 20_000) => {
      const found = logs.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const listener = (l: LogLine) => {
          if (!pred(l)) return;
          finish();
          resolve(l);
        };
        const finish = () => {
          clearTimeout(timer);
          listeners.splice(listeners.indexOf(listener), 1);
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${role}: no matching log line within ${timeoutMs} ms; last output:\n${recent.join("\n")}\n${stderr}`));
        }, timeoutMs);
        listeners.push(listener);
        void exited.then((code) => {
          finish();
          reject(new Error(`${role} exited with ${code}; last output:\n${recent.join("\n")}\n${stderr}`));
        });
      });
    },
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  return proc;
}

/** Starts a socket node and resolves once it listens, with its port. */
export async function startNodeProcess(opts: SpawnOptions): Promise<RoleProcess & { port: number; url: string }> {
  const proc = spawnRole("server", opts);
  const line = await proc.waitForLog((l) => l.msg === "listening");
  const port = Number(line.port);
  return Object.assign(proc, { port, url: `http://127.0.0.1:${port}` });
}

/** Starts a worker and resolves once it is ready. */
export async function startWorkerProcess(opts: SpawnOptions): Promise<RoleProcess> {
  const proc = spawnRole("worker", opts);
  await proc.waitForLog((l) => l.msg === "worker ready");
  return proc;
}
