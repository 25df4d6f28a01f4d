/** Parent side of the load processes: fork them, hand each its share of the clients, and collect their IPC messages. */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { trackPid } from "./cpu.js";
import { onStop } from "./lifecycle.js";

export interface ChildLoad<Ready, Progress, Report> {
  proc: number;
  child: ChildProcess;
  /** The child's {type:"ready"} message. */
  ready: Promise<Ready>;
  /** The child's {type:"report"} message. */
  report: Promise<Report>;
  /** The latest {type:"progress"} message. */
  progress: Progress | null;
}

export interface ForkOptions<Config> {
  /** File name of the load program next to this one, e.g. "spin-load.js". */
  script: string;
  procs: number;
  clients: number;
  /** How long a child may take to exit after {type:"stop"} before it is killed. */
  stopGraceMs: number;
  /** Appended to "load-N exited with <code>" when a child exits before its ready / report message. */
  exitNotes: { ready: string; report: string };
  /** The config for load process `proc`, which holds clients [clientOffset, clientOffset + clients). */
  config: (proc: number, clientOffset: number, clients: number) => Config;
}

/** Resolves with the child's first message of `type`; rejects on its {type:"fatal"} or its exit. */
function awaitMessage<T>(child: ChildProcess, label: string, type: string, exitNote: string): Promise<T> {
  const p = new Promise<T>((resolve, reject) => {
    child.on("message", (m: { type: string; message?: string }) => {
      if (m.type === type) resolve(m as unknown as T);
      if (m.type === "fatal") reject(new Error(`${label}: ${m.message}`));
    });
    child.once("exit", (code) => reject(new Error(`${label} exited with ${code}${exitNote}`)));
  });
  p.catch(() => undefined);
  return p;
}

/** Forks `procs` load processes (each stopped at the end and tracked as role "load") and sends each {type:"config", ...}. */
export function forkLoads<Ready, Progress, Report, Config extends object>(o: ForkOptions<Config>): ChildLoad<Ready, Progress, Report>[] {
  const loadScript = path.join(path.dirname(fileURLToPath(import.meta.url)), o.script);
  const loads: ChildLoad<Ready, Progress, Report>[] = [];
  for (let p = 0; p < o.procs; p++) {
    const label = `load-${p + 1}`;
    const clientOffset = Math.floor((p * o.clients) / o.procs);
    const clients = Math.floor(((p + 1) * o.clients) / o.procs) - clientOffset;
    const child = fork(loadScript, [], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: ["--max-old-space-size=2048"] });
    onStop(label, async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        child.send({ type: "stop" });
      } catch {
        /* already gone */
      }
      await new Promise<void>((r) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          r();
        }, o.stopGraceMs);
        child.once("exit", () => {
          clearTimeout(timer);
          r();
        });
      });
    });
    trackPid(label, "load", child.pid);
    const load: ChildLoad<Ready, Progress, Report> = {
      proc: p,
      child,
      progress: null,
      ready: awaitMessage<Ready>(child, label, "ready", o.exitNotes.ready),
      report: awaitMessage<Report>(child, label, "report", o.exitNotes.report),
    };
    child.on("message", (m: { type: string }) => {
      if (m.type === "progress") load.progress = m as Progress;
    });
    child.send({ type: "config", ...o.config(p, clientOffset, clients) });
    loads.push(load);
  }
  return loads;
}

/** Promise.all that rejects with `message` after `timeoutMs`. */
export function allWithin<T>(promises: Promise<T>[], timeoutMs: number, message: string): Promise<T[]> {
  return Promise.race([Promise.all(promises), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(message)), timeoutMs))]);
}

/** The sum of `f` over the loads' latest progress messages. */
export function sumProgress<P>(loads: { progress: P | null }[], f: (p: P) => number): number {
  return loads.reduce((a, l) => a + (l.progress ? f(l.progress) : 0), 0);
}
