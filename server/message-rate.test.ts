import { describe, expect, it } from "vitest";
import { FLOOD_FACTOR, FLOOD_SECONDS, MessageRate } from "./message-rate.js";

describe("MessageRate", () => {
  it("allows the limit per wall-clock second, then refuses with the time left in the second", () => {
    const rate = new MessageRate(3);
    const t = 10_000;
    expect([0, 1, 2].map((i) => rate.take(t + i).kind)).toEqual(["ok", "ok", "ok"]);
    expect(rate.take(t + 250)).toEqual({ kind: "limited", retryAfterMs: 750 });
    expect(rate.take(t + 1000).kind).toBe("ok"); // a new second
  });

  it("calls it a flood only after FLOOD_SECONDS consecutive seconds above FLOOD_FACTOR × the limit", () => {
    const limit = 2;
    const rate = new MessageRate(limit);
    const flood = (second: number) => {
      const kinds = new Set<string>();
      for (let i = 0; i <= limit * FLOOD_FACTOR; i++) kinds.add(rate.take(second * 1000 + i).kind);
      return kinds;
    };
    for (let s = 0; s < FLOOD_SECONDS - 1; s++) expect(flood(100 + s).has("flood")).toBe(false);
    expect(flood(100 + FLOOD_SECONDS - 1).has("flood")).toBe(true);
    // A quiet second in between starts the count again.
    const other = new MessageRate(limit);
    for (let i = 0; i <= limit * FLOOD_FACTOR; i++) other.take(1000 + i);
    other.take(3000); // second 2 skipped
    for (let i = 0; i <= limit * FLOOD_FACTOR; i++) expect(other.take(4000 + i).kind).not.toBe("flood");
  });
});
