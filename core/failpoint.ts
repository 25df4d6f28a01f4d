/**
 * Crash points for the crash tests (test/reveal-crash.e2e.test.ts): with
 * `LIVEDRAW_FAILPOINT=<site>` or `<site>:<n>`, the process stops the n-th time (the first by default)
 * it passes `site` — it logs "failpoint reached" and then waits forever, holding whatever it holds
 * (a BullMQ job lock keeps being renewed) — so a test can SIGKILL it at exactly that step instead of
 * guessing a moment. Unset (as in production), `pass` costs one comparison. Read from the
 * environment like LIVEDRAW_CPU_PROFILE: a diagnostic, not a setting.
 */
import type { Logger } from "./logger.js";

/** The steps of a live draw a failpoint can name (core/live-draw.ts). */
export type FailpointSite =
  /** The draw is drawn and `draw:closed` was sent; no tier is revealed yet. */
  | "draw.closed"
  /** A tier's reveal is recorded (state and sequence number) but its `draw:reveal` is not sent. */
  | "reveal.recorded"
  /** A tier's `draw:reveal` was sent; the next tier (or the results of a done draw) is not. */
  | "reveal.sent";

export type Failpoint = (site: FailpointSite) => Promise<void>;

export const noFailpoint: Failpoint = () => Promise.resolve();

/** The failpoint named by `spec` (`LIVEDRAW_FAILPOINT`), or `noFailpoint` when it is empty. */
export function failpointFrom(spec: string | undefined, log: Logger): Failpoint {
  if (!spec) return noFailpoint;
  const [site, nth] = spec.split(":");
  const at = nth === undefined ? 1 : Number(nth);
  if (!Number.isSafeInteger(at) || at < 1) throw new Error(`LIVEDRAW_FAILPOINT: "${spec}" is not <site> or <site>:<n> with n ≥ 1`);
  log.warn({ failpoint: spec }, "failpoint armed: this process stops there (tests only)");
  let passed = 0;
  return (s) => {
    if (s !== site || ++passed !== at) return Promise.resolve();
    log.warn({ failpoint: spec }, "failpoint reached");
    return new Promise<void>(() => undefined);
  };
}
