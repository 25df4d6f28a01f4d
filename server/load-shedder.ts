/**
 * Admission control for spins: when this node's event loop is running late, a spin is refused at
 * once with E_BUSY (nothing stored, `retryAfterMs` set) instead of being queued behind thousands of
 * others and acknowledged seconds later, after its player gave up.
 *
 * Why event-loop delay: it is what a waiting spin actually experiences on this node, whatever the
 * cause (its own CPU, a machine shared with Redis and workers, GC). The stream backlog
 * (LIVEDRAW_MAX_PENDING_SPINS) covers slow workers; this covers a slow node. Measured
 * with a probe timer (how late it runs) over short windows; see docs/decisions.md ("Load shedding").
 */
/** How often the probe timer runs, ms: a late run measures how far the event loop is behind. */
const PROBE_MS = 20;

export class LoadShedder {
  private readonly probe: NodeJS.Timeout;
  private readonly window: NodeJS.Timeout;
  private last = performance.now();
  private worst = 0;
  private lag = 0;

  /** `thresholdMs` 0 turns shedding off. */
  constructor(
    private readonly thresholdMs: number,
    windowMs = 250,
  ) {
    this.probe = setInterval(() => {
      const now = performance.now();
      this.worst = Math.max(this.worst, now - this.last - PROBE_MS);
      this.last = now;
    }, PROBE_MS);
    this.probe.unref();
    this.window = setInterval(() => this.sample(), windowMs);
    this.window.unref();
  }

  /** Closes the current window: the worst lateness of the probe in it becomes the lag. */
  sample(): void {
    this.lag = Math.max(0, this.worst);
    this.worst = 0;
  }

  /** The worst event-loop delay in the last complete window, ms. */
  get lagMs(): number {
    return Math.round(this.lag);
  }

  /** True while this node is too far behind to take new spins. */
  get overloaded(): boolean {
    return this.thresholdMs > 0 && this.lag > this.thresholdMs;
  }

  stop(): void {
    clearInterval(this.probe);
    clearInterval(this.window);
  }
}
