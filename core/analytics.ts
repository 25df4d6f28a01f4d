/**
 * Operator analytics of an instant-win campaign (docs/operations.md, "Campaign analytics"): live
 * counters and the funnel, read from counters the Lua scripts keep in the same steps as the changes
 * they count (the funnel hash), so they are exact and cost O(tiers) to read, whatever the size of
 * the campaign.
 */
import type { Redis } from "ioredis";
import { campaignKeys } from "./redis-keys.js";
import type { SpinStore } from "./spin-store.js";
import { twoProportionZTest, type Variant } from "./variants.js";

export const FUNNEL_STAGES = ["viewed", "entered", "won", "issued", "redeemed"] as const;
export type FunnelStage = (typeof FUNNEL_STAGES)[number];

export interface FunnelStep {
  stage: FunnelStage;
  /** Distinct players who reached this stage. */
  players: number;
  /** Share of the previous stage's players (null for the first, or when the previous is 0). */
  fromPrevious: number | null;
}

export interface CampaignAnalytics {
  campaignId: string;
  serverTime: number;
  /** Whether the campaign has an instant-win configuration (else only `online` can be non-zero). */
  instantWin: boolean;
  /** Sockets following the campaign now, summed over the nodes' reports of the last 6 s. */
  online: number;
  /** Distinct players with at least one spin that counted. */
  entrants: number;
  spinsResolved: number;
  spinsPending: number;
  tiers: { tierId: string; name: string; prizeKind: string; won: number; stockLeft: number; couponsLeft: number | null }[];
  /** Wins by status. */
  wins: { pending: number; issued: number; redeemed: number; failed: number; expired: number };
  /** Wins not issued yet (pending). */
  issuanceBacklog: number;
  /** Wins whose issuance failed for good (webhook retries ran out). */
  deadLetters: number;
  funnel: FunnelStep[];
  /** Per A/B variant (empty without variants): its funnel, and each stage's conversion from viewed against the first variant's. */
  variants: VariantFunnel[];
}

export interface VariantFunnel {
  variantId: string;
  weight: number;
  freeSpins: number;
  funnel: FunnelStep[];
  /** Null for the first variant (the control). */
  vsControl: { stage: FunnelStage; rate: number; controlRate: number; z: number; pValue: number | null }[] | null;
}

const ONLINE_FRESH_MS = 6000;

export function funnelSteps(counts: Record<string, string>, prefix = ""): FunnelStep[] {
  return FUNNEL_STAGES.map((stage, i) => {
    const players = Number(counts[prefix + stage] ?? 0);
    const prev = i === 0 ? 0 : Number(counts[prefix + FUNNEL_STAGES[i - 1]!] ?? 0);
    return { stage, players, fromPrevious: i === 0 || prev === 0 ? null : players / prev };
  });
}

export async function campaignAnalytics(redis: Redis, spins: SpinStore, campaignId: string, now: number): Promise<CampaignAnalytics> {
  // Any campaign id answers: a live-draw campaign (or one not created yet) has only online sockets.
  const campaign = await spins.campaign(campaignId);
  const tiers = campaign?.tiers ?? [];
  const k = campaignKeys(campaignId);
  const coupons = tiers.filter((t) => t.prize.kind === "coupon");
  const [online, funnel, issued, inventory, resolved, pending, dead, ...pools] = await Promise.all([
    redis.hgetall(k.online),
    redis.hgetall(k.funnel),
    redis.hgetall(k.issued),
    redis.hgetall(k.inventory),
    redis.hlen(k.results),
    redis.xlen(k.spins),
    redis.xlen(k.issueDead),
    ...coupons.map((t) => redis.llen(`${k.couponPoolPrefix}${t.tierId}`)),
  ]);
  const poolLeft = new Map(coupons.map((t, i) => [t.tierId, pools[i] as number]));
  let sockets = 0;
  for (const v of Object.values(online)) {
    const [count, at] = v.split("|").map(Number);
    if (at !== undefined && now - at <= ONLINE_FRESH_MS) sockets += count ?? 0;
  }
  const wins = (s: string) => Math.max(0, Number(funnel[`wins:${s}`] ?? 0));
  return {
    campaignId,
    serverTime: now,
    instantWin: campaign !== null,
    online: sockets,
    entrants: Number(funnel.entered ?? 0),
    spinsResolved: resolved,
    spinsPending: pending,
    tiers: tiers.map((t) => ({
      tierId: t.tierId,
      name: t.name,
      prizeKind: t.prize.kind,
      won: Number(issued[t.tierId] ?? 0),
      stockLeft: Number(inventory[t.tierId] ?? 0),
      couponsLeft: poolLeft.get(t.tierId) ?? null,
    })),
    wins: { pending: wins("pending"), issued: wins("issued"), redeemed: wins("redeemed"), failed: wins("failed"), expired: wins("expired") },
    issuanceBacklog: wins("pending"),
    deadLetters: dead,
    funnel: funnelSteps(funnel),
    variants: variantFunnels(funnel, campaign?.variants ?? [], campaign?.freeSpins ?? 0),
  };
}

function variantFunnels(counts: Record<string, string>, variants: readonly Variant[], freeSpins: number): VariantFunnel[] {
  const funnels = variants.map((v) => funnelSteps(counts, `v:${v.variantId}:`));
  const control = funnels[0];
  return variants.map((v, i) => ({
    variantId: v.variantId,
    weight: v.weight,
    freeSpins: v.freeSpins ?? freeSpins,
    funnel: funnels[i]!,
    vsControl:
      i === 0 || !control
        ? null
        : FUNNEL_STAGES.slice(1).map((stage) => {
            const at = (f: FunnelStep[], st: FunnelStage) => f.find((x) => x.stage === st)!.players;
            const t = twoProportionZTest(at(control, stage), at(control, "viewed"), at(funnels[i]!, stage), at(funnels[i]!, "viewed"));
            return { stage, rate: t.rateB, controlRate: t.rateA, z: t.z, pValue: t.pValue };
          }),
  }));
}
