/** The common fields of a result (machine, date, commit) and its charts, for bench/baseline-bench.ts. */
import os from "node:os";
import { loadAvg } from "../meta.js";
import { round } from "../log.js";

export interface Machine {
  cpu_model: string;
  cores: number;
  load_avg_start: number[];
  load_avg_end: number[];
  node: string;
}

export function machineAtStart(): Machine {
  return { cpu_model: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, load_avg_start: loadAvg(), load_avg_end: [], node: process.version };
}

export { loadAvg, commitId } from "../meta.js";

import type { Chart } from "../meta.js";
export type { Chart };

/** At most `max` points per line: consecutive points averaged in groups (nulls ignored; a group of nulls stays null). */
export function downsample(c: Chart, max = 300): Chart {
  if (c.x.length <= max) return c;
  const g = Math.ceil(c.x.length / max);
  const groups = Math.ceil(c.x.length / g);
  const avg = (v: (number | null)[]) => {
    const nums = v.filter((n): n is number => n !== null);
    return nums.length ? round(nums.reduce((a, b) => a + b, 0) / nums.length, 2) : null;
  };
  return {
    ...c,
    x: Array.from({ length: groups }, (_, i) => c.x[i * g]!),
    lines: c.lines.map((l) => ({ name: l.name, y: Array.from({ length: groups }, (_, i) => avg(l.y.slice(i * g, (i + 1) * g))) })),
  };
}
