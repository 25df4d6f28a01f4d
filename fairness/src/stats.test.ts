/**
 * Statistical checks of the whole pipeline (server seed → draw seed → generator → selection) over
 * 100,000 simulated draws, each with its own server seed. Pearson's chi-square statistic of the
 * observed win counts against the expected ones must stay below the critical value at p = 0.001.
 *
 * Critical values use the Wilson–Hilferty approximation: if X ~ χ²(k), (X/k)^(1/3) is close to
 * normal with mean 1 − 2/(9k) and variance 2/(9k), so the upper-α quantile is
 *   χ²₁₋α(k) ≈ k · (1 − 2/(9k) + z₁₋α · √(2/(9k)))³,  z₀.₉₉₉ = 3.0902323061678132.
 * Its error against tabulated quantiles is well under 1% for k ≥ 7 (checked below), slightly on
 * the generous side for small k. The seeds are fixed, so the outcome is reproducible, not flaky.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sortEntries, type Entry } from "./entries.js";
import { merkleRoot } from "./merkle.js";
import { deriveDrawSeed } from "./seed.js";
import { drawWinners, type TierSpec } from "./select.js";

const Z_999 = 3.0902323061678132;

function chiSquareCritical(df: number, z = Z_999): number {
  const v = 2 / (9 * df);
  return df * (1 - v + z * Math.sqrt(v)) ** 3;
}

function chiSquare(observed: readonly number[], expected: readonly number[]): number {
  return observed.reduce((sum, o, i) => sum + (o - expected[i]!) ** 2 / expected[i]!, 0);
}

const DRAWS = 100_000;
const serverSeed = (i: number): string => createHash("sha256").update(`stats-seed-${i}`).digest("hex");

/** Runs DRAWS draws and calls `record` with each draw's winners (all tiers, in order). */
function simulate(entries: Entry[], tiers: TierSpec[], weighted: boolean, record: (winners: string[]) => void): void {
  const root = merkleRoot(entries, weighted);
  for (let i = 0; i < DRAWS; i++) {
    const seed = deriveDrawSeed({ serverSeed: serverSeed(i), drawId: "stats", merkleRoot: root, beaconRandomness: null });
    record(drawWinners(seed, entries, tiers, weighted).flatMap((t) => t.entryIds));
  }
}

describe("chi-square critical values (Wilson–Hilferty)", () => {
  it("are within 1% of tabulated χ² quantiles at p = 0.001", () => {
    const table: [number, number][] = [
      [7, 24.322],
      [10, 29.588],
      [20, 45.315],
      [30, 59.703],
      [50, 86.661],
      [100, 149.449],
    ];
    for (const [df, value] of table) expect(Math.abs(chiSquareCritical(df) / value - 1), `df ${df}`).toBeLessThan(0.01);
  });
});

describe("winners are uniform over 100,000 draws (unweighted)", () => {
  it("for each winner slot, and for the ordered pair of the first two", { timeout: 60_000 }, () => {
    const n = 10;
    const entries = sortEntries(Array.from({ length: n }, (_, i) => ({ id: `entrant-${i}`, tickets: 1 })));
    const index = new Map(entries.map((e, i) => [e.id, i]));
    const slots = 3;
    const perSlot = Array.from({ length: slots }, () => new Array<number>(n).fill(0));
    const pairs = new Array<number>(n * n).fill(0);
    simulate(entries, [{ tierId: "first", count: 1 }, { tierId: "second", count: 2 }], false, (winners) => {
      expect(winners.length).toBe(slots);
      winners.forEach((id, s) => perSlot[s]![index.get(id)!]!++);
      pairs[index.get(winners[0]!)! * n + index.get(winners[1]!)!]!++;
    });

    const critical = chiSquareCritical(n - 1);
    for (const [s, counts] of perSlot.entries()) {
      const stat = chiSquare(counts, new Array<number>(n).fill(DRAWS / n));
      expect(stat, `slot ${s}: χ² = ${stat.toFixed(2)}, critical ${critical.toFixed(2)}`).toBeLessThan(critical);
    }
    // ordered pairs (a, b), a ≠ b: n(n − 1) equally likely cells; a = b must never happen
    const observed: number[] = [];
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (a === b) expect(pairs[a * n + b]).toBe(0);
    else observed.push(pairs[a * n + b]!);
    const pairStat = chiSquare(observed, new Array<number>(observed.length).fill(DRAWS / observed.length));
    expect(pairStat).toBeLessThan(chiSquareCritical(observed.length - 1));
  });
});

describe("winners are proportional to tickets over 100,000 draws (weighted)", () => {
  it("for a single prize", { timeout: 60_000 }, () => {
    const tickets = [1, 2, 3, 4, 5, 6, 7, 8, 20];
    const entries = sortEntries(tickets.map((t, i) => ({ id: `holder-${i}`, tickets: t })));
    const total = tickets.reduce((a, b) => a + b, 0);
    const index = new Map(entries.map((e, i) => [e.id, i]));
    const counts = new Array<number>(entries.length).fill(0);
    simulate(entries, [{ tierId: "only", count: 1 }], true, (winners) => counts[index.get(winners[0]!)!]!++);
    const expected = entries.map((e) => (DRAWS * e.tickets) / total);
    const stat = chiSquare(counts, expected);
    const critical = chiSquareCritical(entries.length - 1);
    expect(stat, `χ² = ${stat.toFixed(2)}, critical ${critical.toFixed(2)}`).toBeLessThan(critical);
  });
});
