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
import type { Variant } from "./variants.js";
import { STRICT_WEBHOOK_POLICY, WebhookAddressError, resolveChecked, urlProblem, webhookPolicy, type WebhookPolicy } from "./webhook-policy.js";

export const PPM = 1_000_000;

export const SOLD_OUT_POLICY =
  "When a prize tier is sold out, a spin that lands in that tier's probability slot wins nothing. " +
  "The other tiers keep exactly their published probabilities; sold-out mass is never moved to them.";

const ms = z.number().int().nonnegative();

/** Platforms a campaign runs on; each brings its own rules (WeChat: no draw chances for sharing). */
export const PLATFORMS = ["wechat", "alipay", "douyin", "web"] as const;
export type Platform = (typeof PLATFORMS)[number];

/** How a tier's prize reaches the winner (docs/lifecycle.md, "Prizes"). */
export const prizeSchema = z.discriminatedUnion("kind", [
  /** Issued at once: the win record and its redemption code are the prize, redeemed at the venue. */
  z.strictObject({ kind: z.literal("onsite") }),
  /** A code popped from the tier's pre-loaded coupon pool (POST …/coupons). */
  z.strictObject({ kind: z.literal("coupon") }),
  /** Points credited to the player's points ledger (and the points leaderboard). */
  z.strictObject({ kind: z.literal("points"), points: z.number().int().positive().max(1_000_000) }),
  /** Goods shipped to the address in the winner's claim form; issued when the operator marks it shipped. */
  z.strictObject({ kind: z.literal("physical") }),
  /** Issued by a third party: a signed webhook to `url` (HMAC-SHA256 over timestamp and body). */
  z.strictObject({ kind: z.literal("webhook"), url: z.string().url().max(2000).regex(/^https?:\/\//, "must be an http(s) URL") }),
]);
export type Prize = z.infer<typeof prizeSchema>;
export type PrizeKind = Prize["kind"];

const yuan = z.number().nonnegative().max(100_000_000).refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6, "at most 2 decimal places (fen)");

export const tierInputSchema = z.strictObject({
  tierId: idSchema,
  name: z.string().trim().min(1).max(60),
  /** Chance per spin, 0 < p ≤ 1, at most 6 decimal places (stored as ppm). */
  probability: z.number().gt(0).lte(1),
  inventory: z.number().int().nonnegative().max(100_000_000),
  /** Market value of one prize in yuan (CNY), published with the rules; required by rule `prize-terms-published`. */
  value: yuan.optional(),
  /** How the prize is issued. @default { kind: "onsite" } */
  prize: prizeSchema.default({ kind: "onsite" }),
});

const taskTickets = z.number().int().nonnegative().max(1000);
/** Tasks that earn tickets (draw chances) or leaderboard points (docs/lifecycle.md, "Tickets"). */
export const tasksSchema = z.strictObject({
  /** Daily check-in: `tickets` each day, plus `streakBonus.tickets` on every `streakBonus.everyDays`-th consecutive day. */
  checkin: z
    .strictObject({
      tickets: taskTickets.default(1),
      streakBonus: z.strictObject({ everyDays: z.number().int().min(2).max(366), tickets: taskTickets }).nullable().default(null),
    })
    .prefault({}),
  /** Sharing the campaign: rewarded at most `perDay` times a day. */
  share: z.strictObject({ tickets: taskTickets.default(0), points: taskTickets.default(1), perDay: z.number().int().min(0).max(100).default(3) }).prefault({}),
  /** An invite a friend accepts (the friend's `assist`): the inviter earns `tickets`. @default LIVEDRAW_TICKETS_PER_ASSIST (0 on WeChat) */
  invite: z.strictObject({ tickets: taskTickets.optional() }).prefault({}),
});

/** An A/B variant: players are assigned by hashed id (core/variants.ts), in proportion to `weight`. */
export const variantSchema = z.strictObject({
  variantId: idSchema,
  weight: z.number().int().min(1).max(100),
  /** Free spins in this variant instead of the campaign's. */
  freeSpins: z.number().int().nonnegative().max(1_000_000).optional(),
  /** A presentation key the app understands (a wheel skin, a prize layout), passed through. */
  presentation: z.string().trim().min(1).max(40).optional(),
});

/** What a winner must do to receive a prize, published with the rules. */
export const claimSchema = z.strictObject({
  /** Hours after the win within which the winner must claim (fill the form, come to the desk); past it the prize expires. */
  windowHours: z.number().int().min(1).max(8760),
  /** The claim conditions in words (who may claim, with what, where). */
  conditions: z.string().trim().min(1).max(1000),
  /** Seconds after a win by which it should be issued; a win still pending then gets a delay notice. @default 600 */
  issueWithinSeconds: z.number().int().min(1).max(30 * 86400).default(600),
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
    /** Where the campaign runs (its platform's rules apply). @default LIVEDRAW_PLATFORM */
    platform: z.enum(PLATFORMS).optional(),
    /** Claim conditions; required by rule `prize-terms-published`. */
    claim: claimSchema.optional(),
    tasks: tasksSchema.prefault({}),
    /** A/B variants (2-4; the first is the control the others are compared with). @default [] */
    variants: z.array(variantSchema).min(2).max(4).optional(),
  })
  .superRefine((c, ctx) => {
    const s = c.schedule;
    if (!(s.warmupAt <= s.liveAt && s.liveAt <= s.longTailAt && s.longTailAt <= s.closedAt && s.liveAt < s.closedAt)) {
      ctx.addIssue({ code: "custom", path: ["schedule"], message: "must satisfy warmupAt ≤ liveAt ≤ longTailAt ≤ closedAt and liveAt < closedAt" });
    }
    const variantIds = new Set<string>();
    c.variants?.forEach((v, i) => {
      if (variantIds.has(v.variantId)) ctx.addIssue({ code: "custom", path: ["variants", i, "variantId"], message: `duplicate variant id ${v.variantId}` });
      variantIds.add(v.variantId);
    });
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
export interface StoredTier {
  tierId: string;
  name: string;
  ppm: number;
  /** Yuan; null only when the policy does not require published values. */
  value: number | null;
  prize: Prize;
}

export interface StoredTasks {
  checkin: { tickets: number; streakBonus: { everyDays: number; tickets: number } | null };
  share: { tickets: number; points: number; perDay: number };
  invite: { tickets: number };
}

export interface StoredClaim {
  windowHours: number;
  conditions: string;
  issueWithinSeconds: number;
}

export interface StoredCampaign {
  v: 1;
  campaignId: string;
  title: string;
  rules: string;
  schedule: { warmupAt: number; liveAt: number; longTailAt: number; closedAt: number };
  tiers: StoredTier[];
  limits: { spinsPerDay: number; spinsPerCampaign: number; winsPerCampaign: number };
  freeSpins: number;
  dayOffsetMinutes: number;
  platform: Platform;
  /** Null only when the policy does not require published claim conditions. */
  claim: StoredClaim | null;
  tasks: StoredTasks;
  /** A/B variants; empty when the campaign has none. */
  variants: Variant[];
}

/**
 * The compliance policy a campaign must satisfy (LIVEDRAW_* options; docs/operations.md,
 * "Compliance"). Every refusal names its rule: the ids are in COMPLIANCE_RULES.
 */
export interface CompliancePolicy {
  minTierProbability: number;
  maxTierProbability: number;
  maxTotalProbability: number;
  /** Highest value of one prize, in yuan; 0 turns the rule off. */
  prizeValueCapYuan: number;
  /** Every tier's value and the claim conditions must be given (and are then published). */
  requirePrizeTerms: boolean;
  /** Platform of campaigns that do not name one. */
  defaultPlatform: Platform;
  /** Tickets an inviter earns per assist when the campaign does not say (never on WeChat). */
  defaultInviteTickets: number;
  /** Whether webhook prizes can be signed (LIVEDRAW_WEBHOOK_SECRET is set). @default false */
  webhookPrizes?: boolean;
  /** Where webhook prizes may be delivered (rule `webhook-address`). @default STRICT_WEBHOOK_POLICY */
  webhooks?: WebhookPolicy;
}

/** The policy of a node or worker's configuration (config/options.ts). */
export function compliancePolicy(config: {
  tierMinProbability: number;
  tierMaxProbability: number;
  maxTotalProbability: number;
  prizeValueCapYuan: number;
  requirePrizeTerms: boolean;
  platform: Platform;
  ticketsPerAssist: number;
  webhookSecret?: string;
  webhookAllowHosts?: string;
  webhookAllowHttp?: boolean;
}): CompliancePolicy {
  return {
    minTierProbability: config.tierMinProbability,
    maxTierProbability: config.tierMaxProbability,
    maxTotalProbability: config.maxTotalProbability,
    prizeValueCapYuan: config.prizeValueCapYuan,
    requirePrizeTerms: config.requirePrizeTerms,
    defaultPlatform: config.platform,
    defaultInviteTickets: config.ticketsPerAssist,
    webhookPrizes: (config.webhookSecret ?? "") !== "",
    webhooks: webhookPolicy(config),
  };
}

/** The compliance rules, by the id every refusal names (docs/operations.md, "Compliance"). */
export const COMPLIANCE_RULES = {
  "tier-probability-bounds": "Each tier's probability lies within LIVEDRAW_TIER_MIN_PROBABILITY–LIVEDRAW_TIER_MAX_PROBABILITY.",
  "total-probability-cap": "The tiers' probabilities add up to at most LIVEDRAW_MAX_TOTAL_PROBABILITY.",
  "prize-value-cap":
    "A lottery-style promotion's top prize is worth at most LIVEDRAW_PRIZE_VALUE_CAP_YUAN (default ¥50,000, the cap of the PRC Anti-Unfair Competition Law, art. 10).",
  "prize-terms-published": "Every prize's value and the claim conditions are stated, so the published rules show them.",
  "wechat-no-tickets-for-sharing":
    "On platform=wechat, sharing, inviting and assisting may earn leaderboard points but never draw chances (WeChat's platform rules forbid inducing shares).",
  "webhook-address":
    "A webhook prize's URL is https and names a public internet host: no loopback, private, link-local (cloud metadata), carrier-grade NAT, multicast, unspecified or reserved address in any spelling, no internal name (localhost, *.internal, single-label), and no name resolving to one; LIVEDRAW_WEBHOOK_ALLOW_HOSTS names exceptions.",
} as const;
export type ComplianceRule = keyof typeof COMPLIANCE_RULES;

/** One problem of a campaign: a rule it breaks and what exactly is wrong. */
export interface PolicyProblem {
  rule: ComplianceRule;
  detail: string;
}

/** The E_POLICY_VIOLATION message: every problem as `rule <id>: <detail>`. */
export function policyMessage(problems: readonly PolicyProblem[]): string {
  return problems.map((p) => `rule ${p.rule}: ${p.detail}`).join("; ");
}

const yuanText = (v: number) => `¥${v.toLocaleString("en-US", { maximumFractionDigits: 2 })}`;

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
  const hook = c.tiers.findIndex((t) => t.prize.kind === "webhook");
  if (hook >= 0 && policy.webhookPrizes !== true) {
    throw new AppError("E_BAD_REQUEST", `tiers.${hook}.prize: webhook prizes need LIVEDRAW_WEBHOOK_SECRET on the server (nodes and workers) to sign deliveries`);
  }
  const platform = c.platform ?? policy.defaultPlatform;
  const tasks: StoredTasks = {
    checkin: { tickets: c.tasks.checkin.tickets, streakBonus: c.tasks.checkin.streakBonus },
    share: c.tasks.share,
    // The default never grants chances for invites on WeChat; an explicit number is checked below.
    invite: { tickets: c.tasks.invite.tickets ?? (platform === "wechat" ? 0 : policy.defaultInviteTickets) },
  };
  const problems: PolicyProblem[] = [];
  let totalPpm = 0;
  for (const t of c.tiers) {
    if (t.probability < policy.minTierProbability || t.probability > policy.maxTierProbability) {
      problems.push({ rule: "tier-probability-bounds", detail: `tier ${t.tierId} ("${t.name}"): probability ${t.probability} is outside the allowed ${policy.minTierProbability}–${policy.maxTierProbability}` });
    }
    totalPpm += Math.round(t.probability * PPM);
    if (t.value === undefined) {
      if (policy.requirePrizeTerms) problems.push({ rule: "prize-terms-published", detail: `tier ${t.tierId} ("${t.name}"): give the prize's value in yuan (value)` });
    } else if (policy.prizeValueCapYuan > 0 && t.value > policy.prizeValueCapYuan) {
      problems.push({ rule: "prize-value-cap", detail: `tier ${t.tierId} ("${t.name}"): value ${yuanText(t.value)} exceeds the cap of ${yuanText(policy.prizeValueCapYuan)} per prize` });
    }
  }
  if (totalPpm > Math.round(policy.maxTotalProbability * PPM)) {
    problems.push({ rule: "total-probability-cap", detail: `tiers: total probability ${totalPpm / PPM} exceeds the allowed ${policy.maxTotalProbability}` });
  }
  if (c.claim === undefined && policy.requirePrizeTerms) {
    problems.push({ rule: "prize-terms-published", detail: "claim: give the claim conditions (windowHours, conditions)" });
  }
  if (platform === "wechat") {
    const forbidden = [
      tasks.share.tickets > 0 ? `tasks.share.tickets is ${tasks.share.tickets}` : null,
      tasks.invite.tickets > 0 ? `tasks.invite.tickets is ${tasks.invite.tickets}` : null,
    ].filter((x): x is string => x !== null);
    if (forbidden.length > 0) {
      problems.push({ rule: "wechat-no-tickets-for-sharing", detail: `${forbidden.join(" and ")}: on platform=wechat shares and invites may earn points, not tickets (set them to 0)` });
    }
  }
  for (const t of c.tiers) {
    if (t.prize.kind !== "webhook") continue;
    const problem = urlProblem(t.prize.url, policy.webhooks ?? STRICT_WEBHOOK_POLICY);
    if (problem !== null) problems.push({ rule: "webhook-address", detail: `tier ${t.tierId} ("${t.name}"): prize.url: ${problem}` });
  }
  if (problems.length > 0) throw new AppError("E_POLICY_VIOLATION", policyMessage(problems));
  return {
    stored: {
      v: 1,
      campaignId: c.campaignId,
      title: c.title,
      rules: c.rules,
      schedule: c.schedule,
      tiers: c.tiers.map((t) => ({ tierId: t.tierId, name: t.name, ppm: Math.round(t.probability * PPM), value: t.value ?? null, prize: t.prize })),
      limits: c.limits,
      freeSpins: c.freeSpins,
      dayOffsetMinutes: c.dayOffsetMinutes,
      platform,
      claim: c.claim ?? null,
      tasks,
      variants: (c.variants ?? []).map((v) => ({ variantId: v.variantId, weight: v.weight, freeSpins: v.freeSpins ?? null, presentation: v.presentation ?? null })),
    },
    inventory: Object.fromEntries(c.tiers.map((t) => [t.tierId, t.inventory])),
  };
}

/**
 * Rule `webhook-address`, second half: resolves each webhook tier's host and refuses the campaign if
 * any address it has is internal (parseCampaign checked the URL itself). A name that does not
 * resolve now is let through: the worker checks again at every delivery and dials only checked
 * addresses, and a partner may publish its DNS after the campaign is configured.
 */
export async function checkWebhookAddresses(c: StoredCampaign, policy: CompliancePolicy): Promise<void> {
  const webhooks = policy.webhooks ?? STRICT_WEBHOOK_POLICY;
  const problems: PolicyProblem[] = [];
  await Promise.all(
    c.tiers.map(async (t) => {
      if (t.prize.kind !== "webhook") return;
      try {
        await resolveChecked(new URL(t.prize.url).hostname, webhooks);
      } catch (err) {
        if (err instanceof WebhookAddressError && err.refused) problems.push({ rule: "webhook-address", detail: `tier ${t.tierId} ("${t.name}"): prize.url: ${err.detail}` });
      }
    }),
  );
  if (problems.length > 0) throw new AppError("E_POLICY_VIOLATION", policyMessage(problems));
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
      value: t.value,
      prizeKind: t.prize.kind,
      remaining: remaining[t.tierId] ?? 0,
      soldOut: (remaining[t.tierId] ?? 0) <= 0,
    })),
    noPrizeProbability: (PPM - totalPpm) / PPM,
    soldOutPolicy: SOLD_OUT_POLICY,
    limits: c.limits,
    freeSpins: c.freeSpins,
    dayOffsetMinutes: c.dayOffsetMinutes,
    platform: c.platform,
    claim: c.claim === null ? null : { windowHours: c.claim.windowHours, conditions: c.claim.conditions },
    tasks: c.tasks,
    variants: c.variants.map((v) => ({ variantId: v.variantId, weight: v.weight, freeSpins: v.freeSpins ?? c.freeSpins, presentation: v.presentation })),
    serverTime: now,
  };
}
