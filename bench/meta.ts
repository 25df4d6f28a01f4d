/** What every benchmark result carries besides its figures: the machine, the commit, and the chart format. */
import { execFileSync } from "node:child_process";
import os from "node:os";
import { projectRoot } from "../core/assets.js";

export type { ChartSpec as Chart } from "./svg-chart.js";

export type LoadAvg = [number, number, number];

/** The 1, 5 and 15 minute load averages, rounded. */
export const loadAvg = (): LoadAvg => os.loadavg().map((x) => Math.round(x * 100) / 100) as LoadAvg;

/** The `machine` field of every result; `loadAvgStart` is loadAvg() taken when the run began. */
export function machine(loadAvgStart: LoadAvg) {
  return { cpu_model: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, load_avg_start: loadAvgStart, load_avg_end: loadAvg(), node: process.version };
}

/** `git rev-parse --short HEAD` of the project, or "unknown". */
export function commitId(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: projectRoot(), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 }).trim() || "unknown";
  } catch {
    return "unknown";
  }
}
