/** Starting the baseline's servers and workers (dist/bench/baseline/*.js) as child processes, and their RSS. */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { trackPid } from "../cpu.js";
import { abort, isStopping, onStop } from "../lifecycle.js";
import type { ServerReadyLine } from "./server.js";
import type { WorkerReadyLine } from "./worker.js";

export interface BaselineProc {
  label: string;
  child: ChildProcess;
  pid: number;
}
export interface BaselineServer extends BaselineProc {
  port: number;
  url: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Spawns `node dist/bench/baseline/<file>`, logs its output to `<logDir>/<label>.log`, resolves with
 * its first JSON stdout line whose `msg` is `readyMsg`; registers its stop (SIGTERM, SIGKILL after
 * 5 s), tracks its CPU, collects its stderr lines into `problems` and aborts the run if it exits early.
 */
function start<L extends { msg: string }>(file: string, readyMsg: L["msg"], label: string, role: "node" | "worker", env: Record<string, string>, logDir: string, problems: string[]): Promise<{ proc: BaselineProc; line: L }> {
  const nodeArgs = (process.env.BENCH_BASELINE_NODE_ARGS ?? "").split(" ").filter(Boolean); // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  const child = spawn(process.execPath, [...nodeArgs, path.join(here, file)], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const log = createWriteStream(path.join(logDir, `${label}.log`));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  onStop(label, async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const t = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(t);
    log.end();
  });
  trackPid(label, role, child.pid);
  createInterface({ input: child.stderr! }).on("line", (l) => {
    log.write(`${l}\n`);
    if (problems.length < 20) problems.push(`${label}: ${l}`);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} not ready within 20 s; see ${log.path}`)), 20_000);
    createInterface({ input: child.stdout! }).on("line", (l) => {
      log.write(`${l}\n`);
      try {
        const parsed = JSON.parse(l) as L;
        if (parsed.msg === readyMsg) {
          clearTimeout(timer);
          resolve({ proc: { label, child, pid: child.pid! }, line: parsed });
        }
      } catch {
        /* not a JSON line */
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code} before it was ready`));
      if (!isStopping()) void abort(`${label} exited unexpectedly (code ${code}); see ${log.path}`);
    });
  });
}

export async function startServer(label: string, env: Record<string, string>, logDir: string, problems: string[]): Promise<BaselineServer> {
  const { proc, line } = await start<ServerReadyLine>("server.js", "listening", label, "node", { ...env, BASELINE_ID: label, PORT: "0" }, logDir, problems);
  return { ...proc, port: line.port, url: `http://127.0.0.1:${line.port}` };
}

export async function startWorker(label: string, env: Record<string, string>, logDir: string, problems: string[]): Promise<BaselineProc & { concurrency: number }> {
  const { proc, line } = await start<WorkerReadyLine>("worker.js", "ready", label, "worker", env, logDir, problems);
  return { ...proc, concurrency: line.concurrency };
}

/** VmRSS of `pid` in KB (0 when unreadable). */
export function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
