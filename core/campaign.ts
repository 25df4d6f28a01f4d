/**
 * Instant-win campaigns (转盘 / 开宝箱): the configuration an operator submits, the compliance policy
 * it must satisfy, the phase at a given server time, and the rules published to players.
 *
 * Probabilities are stored as integer parts per million (ppm) so the Lua picker works in exact
 * integers: tier i wins when a uniform r in [0, 1_000_000) falls in its slot of the cumulative
 * table. The remaining mass (1_000_000 − Σ ppm) is "no prize". When a tier is sold out its slot
 * stays where it is and becomes "no prize": the other tiers' odds never change (see
 * SOLD_OUT_POLICY, published with the rules).
 */
import { z } from "zod";
import type { CampaignPhase, PublishedRules } from "@livedraw/protocol";
import { AppError } from "./errors.js";
import { idSchema } from "./schemas.js";

export const PPM = 1_000_000;

export const SOLD_OUT_POLICY =
  "When a prize tier is sold out, a spin that lands in that tier's probability slot wins nothing. " +
  "The other tiers keep exactly their published probabilities; sold-out mass is never moved to them.";

const ms = z.number().int().nonnegative();

export const tierInputSchema = z.strictObject({
  tierId: idSchema,
  name: z.string().trim().min(1).max(60),
  /** Chance per spin, 0 < p ≤ 1, at most 6 decimal places (stored as ppm). */
  probability: z.number().gt(0).lte(1),
  inventory: z.number().int().nonnegative().max(100_000_000),
});

export const campaignInputSchema = z
  .strictObject({
    campaignId: idSchema,
    title: z.string().trim().min(1).max(120),
    /** Human-readable rules shown to players. */
    rules: z.string().trim().max(5000).default(""),
    schedule: z.strictObject({ warmupAt: ms, liveAt: ms, longTailAt: ms, closedAt: ms }),
    tiers: z.array(tierInputSchema).min(1).max(20),
    limits: z.strictObject({
      spinsPerDay: z.number().int().positive().max(100_000),
      spinsPerCampaign: z.number().int().positive().max(1_000_000),
      winsPerCampaign: z.number().int().positive().max(1_000_000),
    }),
    /** Spins every player gets; more come from tickets. */
    freeSpins: z.number().int().nonnegative().max(1_000_000),
    /** Offset of the campaign's calendar day from UTC, in minutes (daily caps reset at its midnight). @default 480 (UTC+8) */
    dayOffsetMinutes: z.number().int().min(-720).max(840).default(480),
  })
  .superRefine((c, ctx) => {
    const s = c.schedule;
    if (!(s.warmupAt <= s.liveAt && s.liveAt <= s.longTailAt && s.longTailAt <= s.closedAt && s.liveAt < s.closedAt)) {
      ctx.addIssue({ code: "custom", path: ["schedule"], message: "must satisfy warmupAt ≤ liveAt ≤ longTailAt ≤ closedAt and liveAt < closedAt" });
    }
    const seen = new Set<string>();
    c.tiers.forEach((t, i) => {
      if (seen.has(t.tierId)) ctx.addIssue({ code: "custom", path: ["tiers", i, "tierId"], message: `duplicate tier id ${t.tierId}` });
      seen.add(t.tierId);
      if (Math.abs(t.probability * PPM - Math.round(t.probability * PPM)) > 1e-6) {
        ctx.addIssue({ code: "custom", path: ["tiers", i, "probability"], message: "at most 6 decimal places" });
      }
    });
  });
export type CampaignInput = z.input<typeof campaignInputSchema>;

/** What is stored in Redis (`config` key) and read by the Lua resolver. */
export interface StoredCampaign {
  v: 1;
  campaignId: string;
  title: string;
  rules: string;
  schedule: { warmupAt: number; liveAt: number; longTailAt: number; closedAt: number };
  tiers: { tierId: string; name: string; ppm: number }[];
  limits: { spinsPerDay: number; spinsPerCampaign: number; winsPerCampaign: number };
  freeSpins: number;
  dayOffsetMinutes: number;
}

export interface CompliancePolicy {
  minTierProbability: number;
  maxTierProbability: number;
  maxTotalProbability: number;
}

/**
 * Validates a campaign against the schema and the compliance policy. Every problem names its field
 * or tier; nothing is stored unless all pass.
 */
export function parseCampaign(raw: unknown, policy: CompliancePolicy): { stored: StoredCampaign; inventory: Record<string, number> } {
  const parsed = campaignInputSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError("E_BAD_REQUEST", parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(payload)"}: ${i.message}`).join("; "));
  }
  const c = parsed.data;
  const problems: string[] = [];
  let totalPpm = 0;
  for (const t of c.tiers) {
    if (t.probability < policy.minTierProbability || t.probability > policy.maxTierProbability) {
      problems.push(`tier ${t.tierId} ("${t.name}"): probability ${t.probability} is outside the allowed ${policy.minTierProbability}–${policy.maxTierProbability}`);
    }
    totalPpm += Math.round(t.probability * PPM);
  }
  if (totalPpm > Math.round(policy.maxTotalProbability * PPM)) {
    problems.push(`tiers: total probability ${totalPpm / PPM} exceeds the allowed ${policy.maxTotalProbability}`);
  }
  if (problems.length > 0) throw new AppError("E_POLICY_VIOLATION", problems.join("; "));
  return {
    stored: {
      v: 1,
      campaignId: c.campaignId,
      title: c.title,
      rules: c.rules,
      schedule: c.schedule,
      tiers: c.tiers.map((t) => ({ tierId: t.tierId, name: t.name, ppm: Math.round(t.probability * PPM) })),
      limits: c.limits,
      freeSpins: c.freeSpins,
      dayOffsetMinutes: c.dayOffsetMinutes,
    },
    inventory: Object.fromEntries(c.tiers.map((t) => [t.tierId, t.inventory])),
  };
}

export function phaseAt(c: StoredCampaign, now: number): CampaignPhase {
  const s = c.schedule;
  if (now < s.warmupAt) return "scheduled";
  if (now < s.liveAt) return "warmup";
  if (now < s.longTailAt) return "live";
  if (now < s.closedAt) return "longtail";
  return "closed";
}

export const SPINNABLE_PHASES: ReadonlySet<CampaignPhase> = new Set(["live", "longtail"]);

export function publishRules(c: StoredCampaign, remaining: Record<string, number>, now: number): PublishedRules {
  const totalPpm = c.tiers.reduce((sum, t) => sum + t.ppm, 0);
  return {
    campaignId: c.campaignId,
    title: c.title,
    rules: c.rules,
    phase: phaseAt(c, now),
    schedule: c.schedule,
    tiers: c.tiers.map((t) => ({
      tierId: t.tierId,
      name: t.name,
      probability: t.ppm / PPM,
      probabilityPpm: t.ppm,
      remaining: remaining[t.tierId] ?? 0,
      soldOut: (remaining[t.tierId] ?? 0) <= 0,
    })),
    noPrizeProbability: (PPM - totalPpm) / PPM,
    soldOutPolicy: SOLD_OUT_POLICY,
    limits: c.limits,
    freeSpins: c.freeSpins,
    dayOffsetMinutes: c.dayOffsetMinutes,
    serverTime: now,
  };
}
