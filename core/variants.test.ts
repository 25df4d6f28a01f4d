import { describe, expect, it } from "vitest";
import { twoProportionZTest, variantOf, type Variant } from "./variants.js";

const AB: Variant[] = [
  { variantId: "A", weight: 50, freeSpins: 1, presentation: null },
  { variantId: "B", weight: 50, freeSpins: 3, presentation: "big-wheel" },
];

describe("variants", () => {
  it("assigns by hashed player id: stable, and in proportion to the weights", () => {
    expect(variantOf("c1", "p1", AB)).toBe(variantOf("c1", "p1", AB));
    expect(variantOf("c1", "p1", [])).toBeNull();
    const counts = { A: 0, B: 0 };
    for (let i = 0; i < 20_000; i++) counts[variantOf("c1", `player-${i}`, AB)!.variantId as "A" | "B"]++;
    // 50/50 within 4 standard deviations (σ ≈ 71 for n = 20,000).
    expect(Math.abs(counts.A - 10_000)).toBeLessThan(4 * 71);
    const skew = [{ ...AB[0]!, weight: 1 }, { ...AB[1]!, weight: 3 }];
    let b = 0;
    for (let i = 0; i < 20_000; i++) if (variantOf("c2", `player-${i}`, skew)!.variantId === "B") b++;
    expect(Math.abs(b - 15_000)).toBeLessThan(4 * 62);
  });

  it("two-proportion z-test matches the textbook values", () => {
    // 200/1000 vs 250/1000: pooled 0.225, se = √(0.225·0.775·0.002) = 0.018675, z = 2.6774, p = 0.00742.
    const t = twoProportionZTest(200, 1000, 250, 1000);
    expect(t.z).toBeCloseTo(2.6774, 3);
    expect(t.pValue!).toBeCloseTo(0.00742, 4);
    // Same rates: z 0, p 1. Empty group or no variance: nothing to test.
    expect(twoProportionZTest(50, 100, 50, 100)).toMatchObject({ z: 0, pValue: 1 });
    expect(twoProportionZTest(0, 0, 5, 10).pValue).toBeNull();
    expect(twoProportionZTest(0, 10, 0, 10).pValue).toBeNull();
  });
});
