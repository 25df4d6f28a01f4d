/**
 * The shared clock of bench:flash and its load processes: performance.timeOrigin + performance.now(), corrected by this process's offset
 * from Date.now() (the system clock every process on this machine shares). performance.timeOrigin
 * alone can be off by about a millisecond per process; the offset is measured at the instants
 * Date.now() ticks to the next millisecond, averaged over 20 ticks (≈ 0.1 ms accuracy).
 */
import { performance } from "node:perf_hooks";

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
