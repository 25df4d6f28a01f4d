/**
 * A small HDR-style latency histogram (fixed buckets, mergeable, serialisable as sparse pairs):
 * 0.05 ms buckets up to 100 ms, then 1 ms buckets up to 120 s; larger values land in the last
 * bucket (and `max` keeps the exact maximum). Percentiles are reported as the bucket's upper edge,
 * so they are never optimistic by more than the bucket width.
 */
const FINE_MS = 100;
const FINE_STEP = 0.05;
const FINE_BUCKETS = Math.round(FINE_MS / FINE_STEP); // 2000
const COARSE_MAX_MS = 120_000;
const BUCKETS = FINE_BUCKETS + (COARSE_MAX_MS - FINE_MS);

export interface HistogramJSON {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Sparse [bucket index, count] pairs. */
  buckets: [number, number][];
}

export class Histogram {
  private counts = new Uint32Array(BUCKETS);
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  record(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    const i = v < FINE_MS ? Math.floor(v / FINE_STEP) : Math.min(BUCKETS - 1, FINE_BUCKETS + Math.floor(v - FINE_MS));
    this.counts[i]!++;
    this.count++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  private static upper(i: number): number {
    return i < FINE_BUCKETS ? (i + 1) * FINE_STEP : FINE_MS + (i - FINE_BUCKETS + 1);
  }

  /** The p-th percentile (0-100) in ms; 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(Histogram.upper(i), this.max);
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  merge(other: Histogram | HistogramJSON): void {
    if (other instanceof Histogram) {
      for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    } else {
      for (const [i, n] of other.buckets) this.counts[i]! += n;
    }
    if (other.count > 0) {
      this.count += other.count;
      this.sum += other.sum;
      this.min = Math.min(this.min, other.min);
      this.max = Math.max(this.max, other.max);
    }
  }

  toJSON(): HistogramJSON {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return { count: this.count, sum: this.sum, min: this.count === 0 ? 0 : this.min, max: this.max, buckets };
  }

  static fromJSON(j: HistogramJSON): Histogram {
    const h = new Histogram();
    h.merge(j);
    return h;
  }
}

/**
 * A coarse log-bucket histogram for per-second series (charts): ~3 % wide buckets from 0.1 ms to
 * 120 s, so a second's worth of samples serialises as a few dozen [bucket, count] pairs. Percentiles
 * are reported as the bucket's upper edge.
 */
const LOG_BASE = 1.03;
const LOG_MIN_MS = 0.1;
const LOG_BUCKETS = Math.ceil(Math.log(COARSE_MAX_MS / LOG_MIN_MS) / Math.log(LOG_BASE)) + 1;

export type CoarseJSON = [number, number][];

export class CoarseHistogram {
  private readonly counts = new Map<number, number>();
  count = 0;

  static bucket(ms: number): number {
    if (!(ms > LOG_MIN_MS)) return 0;
    return Math.min(LOG_BUCKETS - 1, Math.ceil(Math.log(ms / LOG_MIN_MS) / Math.log(LOG_BASE)));
  }

  static upper(i: number): number {
    return LOG_MIN_MS * LOG_BASE ** i;
  }

  record(ms: number): void {
    const b = CoarseHistogram.bucket(ms);
    this.counts.set(b, (this.counts.get(b) ?? 0) + 1);
    this.count++;
  }

  merge(j: CoarseJSON): void {
    for (const [b, n] of j) {
      this.counts.set(b, (this.counts.get(b) ?? 0) + n);
      this.count += n;
    }
  }

  /** The p-th percentile (0-100) in ms (bucket upper edge); null when empty. */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (const b of [...this.counts.keys()].sort((x, y) => x - y)) {
      seen += this.counts.get(b)!;
      if (seen >= rank) return CoarseHistogram.upper(b);
    }
    return null;
  }

  toJSON(): CoarseJSON {
    return [...this.counts.entries()];
  }
}
