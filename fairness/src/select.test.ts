import { describe, expect, it } from "vitest";
import { sortEntries, type Entry } from "./entries.js";
import { applyRedraws } from "./redraw.js";
import { drawWinners } from "./select.js";

const seedOf = (k: number): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => (i * 31 + k) & 0xff);
const people = (n: number, tickets: (i: number) => number = () => 1): Entry[] =>
  sortEntries(Array.from({ length: n }, (_, i) => ({ id: `p${String(i).padStart(3, "0")}`, tickets: tickets(i) })));

describe("partial Fisher–Yates (unweighted)", () => {
  it("picks K distinct entrants, deterministically", () => {
    const entries = people(50);
    for (let k = 0; k < 30; k++) {
      const [tier] = drawWinners(seedOf(k), entries, [{ tierId: "t1", count: 10 }], false);
      expect(tier!.entryIds).toHaveLength(10);
      expect(new Set(tier!.entryIds).size).toBe(10);
      for (const id of tier!.entryIds) expect(entries.some((e) => e.id === id)).toBe(true);
      expect(drawWinners(seedOf(k), entries, [{ tierId: "t1", count: 10 }], false)).toEqual([tier]);
    }
  });

  it("draws tiers in order and never gives an earlier tier's winner a later prize", () => {
    const entries = people(20);
    for (let k = 0; k < 30; k++) {
      const tiers = drawWinners(seedOf(k), entries, [{ tierId: "gold", count: 1 }, { tierId: "silver", count: 3 }, { tierId: "bronze", count: 6 }], false);
      expect(tiers.map((t) => t.tierId)).toEqual(["gold", "silver", "bronze"]);
      const all = tiers.flatMap((t) => t.entryIds);
      expect(all).toHaveLength(10);
      expect(new Set(all).size).toBe(10);
      // tier 1 is the prefix of a longer single-tier draw with the same seed: tiers continue one shuffle
      const single = drawWinners(seedOf(k), entries, [{ tierId: "all", count: 10 }], false)[0]!;
      expect(single.entryIds).toEqual(all);
    }
  });

  it("gives later tiers fewer (or no) winners when entrants run out, and handles 0 and 1 entrants", () => {
    const tiers = drawWinners(seedOf(1), people(4), [{ tierId: "a", count: 3 }, { tierId: "b", count: 3 }, { tierId: "c", count: 1 }], false);
    expect(tiers.map((t) => t.entryIds.length)).toEqual([3, 1, 0]);
    expect(drawWinners(seedOf(1), people(1), [{ tierId: "a", count: 2 }], false)[0]!.entryIds).toEqual(["p000"]);
    expect(drawWinners(seedOf(1), [], [{ tierId: "a", count: 2 }], false)[0]!.entryIds).toEqual([]);
  });
});

describe("weighted selection", () => {
  it("picks distinct entrants across tiers and never one with no chance left", () => {
    const entries = people(12, (i) => (i % 4) + 1);
    for (let k = 0; k < 30; k++) {
      const tiers = drawWinners(seedOf(k), entries, [{ tierId: "a", count: 2 }, { tierId: "b", count: 5 }], true);
      const all = tiers.flatMap((t) => t.entryIds);
      expect(all).toHaveLength(7);
      expect(new Set(all).size).toBe(7);
    }
    const tiers = drawWinners(seedOf(3), people(3, (i) => i + 1), [{ tierId: "a", count: 5 }], true);
    expect([...tiers[0]!.entryIds].sort()).toEqual(["p000", "p001", "p002"]);
  });

  it("lets a dominant ticket holder win almost always", () => {
    const entries = sortEntries([{ id: "whale", tickets: 1_000_000 }, { id: "minnow", tickets: 1 }]);
    let whale = 0;
    for (let k = 0; k < 200; k++) if (drawWinners(seedOf(k), entries, [{ tierId: "a", count: 1 }], true)[0]!.entryIds[0] === "whale") whale++;
    expect(whale).toBeGreaterThanOrEqual(199);
  });

  it("handles ticket totals above 2^32 (64-bit words)", () => {
    const entries = people(3, () => 0xffff_ffff);
    const [tier] = drawWinners(seedOf(9), entries, [{ tierId: "a", count: 3 }], true);
    expect(new Set(tier!.entryIds).size).toBe(3);
  });
});

describe("redraws", () => {
  it("exclude every winner of every tier and every earlier redraw", () => {
    const entries = people(12);
    for (let k = 0; k < 20; k++) {
      const seed = seedOf(k);
      const winners = drawWinners(seed, entries, [{ tierId: "a", count: 2 }, { tierId: "b", count: 3 }], false);
      const original = winners.flatMap((t) => t.entryIds);
      const requests = [
        { tierId: "b", replaces: winners[1]!.entryIds[0]! },
        { tierId: "a", replaces: winners[0]!.entryIds[1]! },
      ];
      const { redraws, finalWinners } = applyRedraws(seed, entries, winners, requests);
      const first = redraws[0]!.entryId!;
      const second = redraws[1]!.entryId!;
      expect(original).not.toContain(first);
      expect(original).not.toContain(second);
      expect(second).not.toBe(first);
      expect(finalWinners[1]!.entryIds[0]).toBe(first);
      expect(finalWinners[0]!.entryIds[1]).toBe(second);
      // a forfeiting redraw winner can be replaced too, and is not drawn again
      const third = applyRedraws(seed, entries, winners, [...requests, { tierId: "b", replaces: first }]).redraws[2]!.entryId!;
      expect([...original, first, second]).not.toContain(third);
    }
  });

  it("do not depend on which slot is replaced, and are deterministic", () => {
    const entries = people(30);
    const seed = seedOf(5);
    const winners = drawWinners(seed, entries, [{ tierId: "a", count: 4 }], false);
    const picks = winners[0]!.entryIds.map((id) => applyRedraws(seed, entries, winners, [{ tierId: "a", replaces: id }]).redraws[0]!.entryId);
    expect(new Set(picks).size).toBe(1);
  });

  it("leave the slot empty when nobody is left, and refuse a non-winner", () => {
    const entries = people(2);
    const seed = seedOf(2);
    const winners = drawWinners(seed, entries, [{ tierId: "a", count: 2 }], false);
    const out = applyRedraws(seed, entries, winners, [{ tierId: "a", replaces: winners[0]!.entryIds[0]! }]);
    expect(out.redraws[0]!.entryId).toBeNull();
    expect(out.finalWinners[0]!.entryIds).toEqual([winners[0]!.entryIds[1]]);
    expect(() => applyRedraws(seed, people(5), drawWinners(seed, people(5), [{ tierId: "a", count: 1 }], false), [{ tierId: "a", replaces: "nobody" }])).toThrow(/not a current winner/);
    expect(() => applyRedraws(seed, entries, winners, [{ tierId: "zzz", replaces: "p000" }])).toThrow(/no tier/);
  });
});
