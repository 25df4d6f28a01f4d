/**
 * Winner selection (docs/fairness.md, "Picking winners"). Unweighted: one partial Fisher–Yates
 * over the sorted entry list, tier after tier, so earlier tiers' winners are never drawn again.
 * Weighted: sequential sampling without replacement, each pick proportional to tickets among the
 * entries not yet drawn (the same as drawing ticket stubs from a drum and discarding the winner's
 * other stubs).
 */
import type { Entry } from "./entries.js";
import { DrawRng } from "./rng.js";

export interface TierSpec {
  readonly tierId: string;
  /** Winners wanted in this tier (≥ 1). */
  readonly count: number;
}

export interface TierWinners {
  readonly tierId: string;
  /** In draw order; shorter than `count` only when the entrants ran out. */
  readonly entryIds: readonly string[];
}

/** Picks every tier's winners from canonical (sorted, validated) entries with the draw seed. */
export function drawWinners(
  drawSeed: Uint8Array,
  entries: readonly Entry[],
  tiers: readonly TierSpec[],
  weighted: boolean,
): TierWinners[] {
  const rng = new DrawRng(drawSeed);
  return weighted ? weightedTiers(rng, entries, tiers) : fisherYatesTiers(rng, entries, tiers);
}

function fisherYatesTiers(rng: DrawRng, entries: readonly Entry[], tiers: readonly TierSpec[]): TierWinners[] {
  const pool = entries.map((e) => e.id);
  const n = pool.length;
  let s = 0;
  return tiers.map((tier) => {
    const picked: string[] = [];
    const take = Math.min(tier.count, n - s);
    for (let k = 0; k < take; k++, s++) {
      const j = s + rng.uniform(n - s);
      const chosen = pool[j]!;
      pool[j] = pool[s]!;
      pool[s] = chosen;
      picked.push(chosen);
    }
    return { tierId: tier.tierId, entryIds: picked };
  });
}

function weightedTiers(rng: DrawRng, entries: readonly Entry[], tiers: readonly TierSpec[]): TierWinners[] {
  const drawn = new Set<string>();
  return tiers.map((tier) => {
    const picked: string[] = [];
    for (let k = 0; k < tier.count; k++) {
      const chosen = pickWeighted(rng, entries, drawn);
      if (chosen === null) break;
      drawn.add(chosen);
      picked.push(chosen);
    }
    return { tierId: tier.tierId, entryIds: picked };
  });
}

/**
 * One pick proportional to tickets among entries not in `excluded`: r = uniform(total tickets of
 * the candidates), then the first candidate, in sorted order, whose running ticket sum exceeds r.
 * Returns null when no candidate is left. With every ticket count 1 this is a uniform pick.
 */
export function pickWeighted(rng: DrawRng, entries: readonly Entry[], excluded: ReadonlySet<string>): string | null {
  let total = 0;
  for (const e of entries) if (!excluded.has(e.id)) total += e.tickets;
  if (total === 0) return null;
  const r = rng.uniform(total);
  let running = 0;
  for (const e of entries) {
    if (excluded.has(e.id)) continue;
    running += e.tickets;
    if (running > r) return e.id;
  }
  throw new Error("unreachable: r is below the candidates' total");
}

/** Why a tier list is unusable (empty, bad id, duplicate id, bad count), or null. */
export function tierListProblem(tiers: readonly TierSpec[]): string | null {
  if (tiers.length === 0) return "a draw needs at least one tier";
  const seen = new Set<string>();
  for (const [i, tier] of tiers.entries()) {
    if (!Number.isSafeInteger(tier.count) || tier.count < 1) return `tier ${i} (${tier.tierId}): count must be a positive integer`;
    if (seen.has(tier.tierId)) return `tier ${i}: duplicate tier id ${tier.tierId}`;
    seen.add(tier.tierId);
  }
  return null;
}
