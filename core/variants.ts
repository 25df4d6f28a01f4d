/**
 * Campaign variants (A/B): a player's variant is a pure function of the campaign and the player's
 * pseudonym — the first 32 bits of SHA-1("<campaignId>:<playerId>") modulo the total weight picks
 * the bucket — so every node, worker and Lua script (redis.sha1hex, core/lua/resolveSpins) assigns
 * the same one without storing it. The funnel is counted per variant and compared with a
 * two-proportion z-test (docs/operations.md, "Campaign analytics").
 */
import { createHash } from "node:crypto";
import { errorFunction } from "simple-statistics";

export interface Variant {
  variantId: string;
  /** Relative share of players. */
  weight: number;
  /** Free spins in this variant (else the campaign's). */
  freeSpins: number | null;
  /** What the app shows differently (a presentation key the app understands), passed through. */
  presentation: string | null;
}

/** The variant of a player, or null when the campaign has none. */
export function variantOf(campaignId: string, playerId: string, variants: readonly Variant[]): Variant | null {
  if (variants.length === 0) return null;
  const total = variants.reduce((s, v) => s + v.weight, 0);
  let bucket = parseInt(createHash("sha1").update(`${campaignId}:${playerId}`).digest("hex").slice(0, 8), 16) % total;
  for (const v of variants) {
    if (bucket < v.weight) return v;
    bucket -= v.weight;
  }
  return variants[variants.length - 1]!;
}

export interface ZTest {
  /** Conversion rates of the two groups. */
  rateA: number;
  rateB: number;
  z: number;
  /** Two-sided p-value; null when a group is empty or the pooled rate is 0 or 1 (nothing to test). */
  pValue: number | null;
}

/** Two-proportion z-test (pooled): successes `xa` of `na` against `xb` of `nb`. */
export function twoProportionZTest(xa: number, na: number, xb: number, nb: number): ZTest {
  const rateA = na > 0 ? xa / na : 0;
  const rateB = nb > 0 ? xb / nb : 0;
  const pooled = na + nb > 0 ? (xa + xb) / (na + nb) : 0;
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb));
  if (na === 0 || nb === 0 || !(se > 0)) return { rateA, rateB, z: 0, pValue: null };
  const z = (rateB - rateA) / se;
  // Two-sided: 2 (1 − Φ(|z|)) = 1 − erf(|z| / √2).
  const pValue = Math.min(1, Math.max(0, 1 - errorFunction(Math.abs(z) / Math.SQRT2)));
  return { rateA, rateB, z, pValue };
}
