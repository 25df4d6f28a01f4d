import { setTimeout as tick } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { LoadShedder } from "./load-shedder.js";

/** Blocks this thread, as a flood of socket messages would. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe("LoadShedder", () => {
  it("sheds after a window in which the event loop ran late, and recovers after a calm one", async () => {
    const shedder = new LoadShedder(200, 60_000); // windows closed by hand below
    try {
      await tick(30); // a first, calm window
      shedder.sample();
      expect(shedder.overloaded).toBe(false);
      busy(400);
      await tick(25); // let the probe timer run (late) and record the stall
      shedder.sample();
      expect(shedder.lagMs).toBeGreaterThan(200);
      expect(shedder.overloaded).toBe(true);
      await tick(25); // a calm window (a loaded machine may delay it, but not by 200 ms)
      shedder.sample();
      expect(shedder.overloaded).toBe(false);
    } finally {
      shedder.stop();
    }
  });

  it("never sheds when turned off (threshold 0)", async () => {
    const shedder = new LoadShedder(0, 60_000);
    try {
      await tick(30);
      busy(400);
      await tick(25);
      shedder.sample();
      expect(shedder.lagMs).toBeGreaterThan(200);
      expect(shedder.overloaded).toBe(false);
    } finally {
      shedder.stop();
    }
  });
});
