/** Summary statistics over raw samples (bench:flash keeps every per-client sample). */
import { round } from "./log.js";

export function stats(values: number[]) {
  if (values.length === 0) return { count: 0, min: null, p50: null, p95: null, p99: null, max: null, mean: null };
  const v = [...values].sort((a, b) => a - b);
  const q = (p: number) => v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))]!;
  return { count: v.length, min: round(v[0]!), p50: round(q(50)), p95: round(q(95)), p99: round(q(99)), max: round(v[v.length - 1]!), mean: round(v.reduce((a, b) => a + b, 0) / v.length) };
}

/** max − min, or null without samples. */
export const spread = (v: number[]): number | null => (v.length ? round(Math.max(...v) - Math.min(...v)) : null);

/** The p-th percentile (nearest rank) of `v`, 0 without samples. */
export const pctOf = (v: number[], p: number): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : 0;
};

/** A time series for the lead's REPORT.md (rendered as SVG): the common `charts` format of bench/results/*.json. */
import type { Chart } from "./meta.js";
export type { Chart };

/** At most this many points per line. */
export const CHART_MAX_POINTS = 300;

/**
 * A chart with at most CHART_MAX_POINTS points per line: consecutive points are merged in groups
 * (x = the group's first x; y = the mean, or the max for `reduce: "max"` such as a p99, of the
 * group's non-null values; null when all are null).
 */
export function chart(c: Chart, reduce: "mean" | "max" = "mean", digits = 2): Chart {
  const n = c.x.length;
  const g = Math.max(1, Math.ceil(n / CHART_MAX_POINTS));
  const x: number[] = [];
  for (let i = 0; i < n; i += g) x.push(round(c.x[i]!, 2));
  const lines = c.lines.map((l) => {
    const y: (number | null)[] = [];
    for (let i = 0; i < n; i += g) {
      const v = l.y.slice(i, i + g).filter((e): e is number => e !== null && Number.isFinite(e));
      y.push(v.length === 0 ? null : round(reduce === "max" ? Math.max(...v) : v.reduce((a, b) => a + b, 0) / v.length, digits));
    }
    return { name: l.name, y };
  });
  return { ...c, x, lines };
}
