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
