/**
 * Time in bench:flash and bench:fanout:
 *
 * - the shared clock of the bench process and its load processes: performance.timeOrigin +
 *   performance.now(), corrected by this process's offset from Date.now() (the system clock every
 *   process on this machine shares, Redis's TIME included). performance.timeOrigin alone can be off
 *   by about a millisecond per process; the offset is measured at the instants Date.now() ticks to
 *   the next millisecond, averaged over 20 ticks (≈ 0.1 ms accuracy);
 * - the SDK's clock sync, as a player's phone runs it (client-sdk/src/client.ts `syncClock`:
 *   N sequential `time:sync` round trips, the lowest-RTT one wins, `bestOffset`);
 * - the run's time series (connections, CPU % and RSS per process, sampled from /proc) and the
 *   common result stamp (machine, load average, date, commit) with its `charts` format.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { bestOffset, type ClockSample } from "@livedraw/client-sdk";
import { tracked } from "./cpu.js";
import { round } from "./log.js";
import type { BenchSocket } from "./raw-client.js";

function calibrateClock(): number {
  let sum = 0;
  let k = 0;
  let last = Date.now();
  const end = performance.now() + 100;
  while (k < 20 && performance.now() < end) {
    const d = Date.now();
    const h = performance.timeOrigin + performance.now();
    if (d !== last) {
      sum += d - h;
      k++;
      last = d;
    }
  }
  return k ? sum / k : Date.now() - (performance.timeOrigin + performance.now());
}

/** This process's correction of timeOrigin + performance.now() to Date.now(), ms. */
export const clockOffset = calibrateClock();
export const hr = (): number => performance.timeOrigin + performance.now() + clockOffset;

// ------------------------------------------------------------------------------------ SDK clock sync

/**
 * What the SDK does on every connect: `samples` sequential `time:sync` round trips; the lowest-RTT
 * one gives the offset to add to the local clock to get the server's (client-sdk `bestOffset`).
 * null when no round trip was answered within `timeoutMs` each.
 */
export async function sdkClockSync(socket: BenchSocket, samples: number, timeoutMs: number): Promise<{ offsetMs: number; rttMs: number; samples: number } | null> {
  const taken: ClockSample[] = [];
  for (let i = 0; i < samples; i++) {
    const sent = hr();
    const r = await new Promise<{ ok: boolean; data?: { serverTime: number } } | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      socket.emit("time:sync", { clientTime: Math.round(sent) }, (ack: { ok: boolean; data?: { serverTime: number } }) => {
        clearTimeout(timer);
        resolve(ack);
      });
    });
    if (r?.ok && r.data && Number.isFinite(r.data.serverTime)) taken.push({ sent, received: hr(), serverTime: r.data.serverTime });
  }
  const best = bestOffset(taken);
  return best ? { ...best, samples: taken.length } : null;
}

// ------------------------------------------------------------------------------------ result stamp

export { loadAvg, machine, commitId, type LoadAvg } from "./meta.js";

// ------------------------------------------------------------------------------------ time series

import type { Chart } from "./meta.js";
export type { Chart };

/** Every `every`-th point so a line keeps ≤ `max` points (the last point is always kept). */
export function downsample<T>(v: T[], max = 300): T[] {
  if (v.length <= max) return v;
  const step = Math.ceil(v.length / max);
  const out = v.filter((_, i) => i % step === 0);
  if ((v.length - 1) % step !== 0) out[out.length - 1] = v[v.length - 1]!;
  return out.slice(0, max);
}

/** A chart from rows sharing x, one line per key, ≤ 300 points. */
export function chart(id: string, title: string, unit: string, xLabel: string, rows: { x: number; y: Record<string, number | null> }[], keys?: string[]): Chart {
  const r = downsample(rows);
  const names = keys ?? [...new Set(r.flatMap((p) => Object.keys(p.y)))];
  return { id, title, unit, x_label: xLabel, x: r.map((p) => round(p.x, 2)), lines: names.map((name) => ({ name, y: r.map((p) => p.y[name] ?? null) })) };
}

const CLK_TCK = 100;
function ticksOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

/** VmRSS of `pid` in kB, or null. */
export function rssKb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export interface Sample {
  /** Seconds since the sampler started. */
  t: number;
  /** % of one core per tracked process label over the last interval. */
  cpu: Record<string, number | null>;
  /** RSS per tracked process label, MB. */
  rssMb: Record<string, number | null>;
  /** Whatever the caller adds (e.g. connections). */
  extra: Record<string, number | null>;
}

/** Samples CPU % and RSS of every tracked process (bench/cpu.ts) and the caller's `extra` every `everyMs`. */
export function startSampler(everyMs: number, extra: () => Record<string, number | null> = () => ({})) {
  const t0 = performance.now();
  const samples: Sample[] = [];
  let lastAt = t0;
  let last = new Map(tracked.map((p) => [p.pid, ticksOf(p.pid)]));
  const take = () => {
    const now = performance.now();
    const ticks = new Map(tracked.map((p) => [p.pid, ticksOf(p.pid)]));
    const s = (now - lastAt) / 1000;
    const cpu: Record<string, number | null> = {};
    const rssMb: Record<string, number | null> = {};
    for (const p of tracked) {
      const a = last.get(p.pid);
      const b = ticks.get(p.pid);
      cpu[p.label] = a == null || b == null || s <= 0 ? null : round(((b - a) / CLK_TCK / s) * 100, 1);
      const kb = rssKb(p.pid);
      rssMb[p.label] = kb === null ? null : round(kb / 1024, 1);
    }
    samples.push({ t: (now - t0) / 1000, cpu, rssMb, extra: extra() });
    last = ticks;
    lastAt = now;
  };
  const timer = setInterval(take, everyMs);
  timer.unref();
  return {
    samples,
    /** Seconds since the sampler started (to mark phases on the same axis). */
    now: () => (performance.now() - t0) / 1000,
    stop: () => clearInterval(timer),
    /** The CPU and RSS charts (per process) of everything sampled. */
    charts(prefix: string): Chart[] {
      return [
        chart(`${prefix}-cpu-per-process`, `${prefix}: CPU per process`, "% of one core", "s", samples.map((x) => ({ x: x.t, y: x.cpu }))),
        chart(`${prefix}-rss-per-process`, `${prefix}: RSS per process`, "MB", "s", samples.map((x) => ({ x: x.t, y: x.rssMb }))),
      ];
    },
  };
}
