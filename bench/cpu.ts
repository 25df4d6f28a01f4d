/** Per-process and per-role CPU (and RSS) sampling from /proc for the processes a benchmark tracks. */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { round } from "./log.js";

const CLK_TCK = 100;
export type Role = "redis" | "node" | "worker" | "load" | "bench";
export interface Tracked {
  label: string;
  role: Role;
  pid: number;
}
/** Every tracked process, in the order they were added (the order of by_process in the results). */
export const tracked: Tracked[] = [];

/** Tracks `pid` (ignored when 0 or undefined). */
export function trackPid(label: string, role: Role, pid: number | undefined): void {
  if (pid) tracked.push({ label, role, pid });
}

function cpuTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15)
  } catch {
    return null;
  }
}

/** CPU ticks per tracked pid, now. */
export function cpuSnapshot(): Map<number, number> {
  const m = new Map<number, number>();
  for (const p of tracked) {
    const v = cpuTicks(p.pid);
    if (v !== null) m.set(p.pid, v);
  }
  return m;
}

/** CPU % (of one core) per tracked process between two snapshots. */
export function cpuPercent(a: Map<number, number>, b: Map<number, number>, ms: number): { label: string; role: string; pid: number; pct: number }[] {
  return tracked.map((p) => ({ ...p, pct: (((b.get(p.pid) ?? 0) - (a.get(p.pid) ?? 0)) / CLK_TCK / (ms / 1000)) * 100 }));
}

export function byRole(rows: { role: string; pct: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.role] = Math.round(((out[r.role] ?? 0) + r.pct) * 10) / 10;
  return out;
}

export interface CpuMark {
  at: number;
  ticks: Map<number, number>;
}
export function cpuMark(): CpuMark {
  return { at: performance.now(), ticks: cpuSnapshot() };
}

/** CPU between two marks: % of one core per process (rounded) and per role (2 cores = 200 %). */
export function cpuBetween(a: CpuMark, b: CpuMark) {
  const s = (b.at - a.at) / 1000;
  const rows = tracked.map((p) => ({ label: p.label, role: p.role, pct: s > 0 ? round((((b.ticks.get(p.pid) ?? 0) - (a.ticks.get(p.pid) ?? 0)) / CLK_TCK / s) * 100, 1) : 0 }));
  const by_role: Record<string, number> = {};
  for (const r of rows) by_role[r.role] = round((by_role[r.role] ?? 0) + r.pct, 1);
  return { seconds: round(s, 2), by_role, by_process: Object.fromEntries(rows.map((r) => [r.label, r.pct])), total_pct: round(rows.reduce((x, r) => x + r.pct, 0), 1) };
}

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** RSS in MB per tracked process label (null when unreadable). */
export function rssByLabel(): Record<string, number | null> {
  return Object.fromEntries(tracked.map((p) => [p.label, rssMb(p.pid)]));
}
