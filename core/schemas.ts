/**
 * Runtime schemas for every client → server payload and every HTTP body. Each schema sits next to
 * the type it checks (`@livedraw/protocol`); the assertions at the bottom fail the build if
 * a schema and its type drift apart.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { ID_PATTERN } from "@livedraw/protocol";
import type {
  EnterPayload,
  AssistPayload,
  LeaderboardPayload,
  RulesPayload,
  SpinFetchPayload,
  SpinHistoryPayload,
  SpinPayload,
  SubscribePayload,
  TaskPayload,
  DrawClaimPayload,
  WinClaimPayload,
  WinsPayload,
  TeamJoinPayload,
  TimeSyncPayload,
} from "@livedraw/protocol";

export const idSchema = z
  .string()
  .regex(ID_PATTERN, "must be 1-64 characters of letters, digits, '_' or '-', starting with a letter or digit");

export const subscribeSchema = z.strictObject({ campaignId: idSchema, drawId: idSchema.optional() });
export const enterSchema = z.strictObject({ campaignId: idSchema, drawId: idSchema });
export const timeSyncSchema = z.strictObject({ clientTime: z.number().finite() });

export const rulesSchema = z.strictObject({ campaignId: idSchema });
export const spinSchema = z.strictObject({
  campaignId: idSchema,
  idempotencyKey: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "must be 8-64 characters of letters, digits, '_' or '-'"),
});
export const spinFetchSchema = z.strictObject({ campaignId: idSchema, intentId: z.string().regex(/^\d{1,20}-\d{1,20}$/, "must be a stream entry id") });
export const spinHistorySchema = z.strictObject({ campaignId: idSchema, limit: z.number().int().min(1).max(100).optional() });

export const leaderboardSchema = z.strictObject({ campaignId: idSchema, board: z.enum(["assists", "points", "teams"]) });
export const assistSchema = z.strictObject({ campaignId: idSchema, inviterId: idSchema });
export const teamJoinSchema = z.strictObject({ campaignId: idSchema, teamId: idSchema });
export const taskSchema = z.strictObject({ campaignId: idSchema });
export const winsSchema = z.strictObject({ campaignId: idSchema });
export const drawClaimSchema = z.strictObject({ campaignId: idSchema, drawId: idSchema });
const winIdSchema = z.string().regex(/^\d{1,20}-\d{1,20}$/, "must be a win id (a stream entry id)");
export const winClaimSchema = z.strictObject({
  campaignId: idSchema,
  winId: winIdSchema,
  name: z.string().trim().min(1).max(64),
  phone: z.string().regex(/^\+?\d{5,15}$/, "must be 5-15 digits, optionally after +"),
  address: z.string().trim().min(5).max(300),
});
/** Body of `POST /v1/campaigns/:campaignId/coupons`: codes for a coupon tier's pool. */
export const loadCouponsSchema = z.strictObject({
  tierId: idSchema,
  codes: z.array(z.string().regex(/^[\x21-\x7e]{1,64}$/, "must be 1-64 printable ASCII characters without spaces")).min(1).max(10_000),
});
/** Body of `POST /v1/campaigns/:campaignId/wins/:winId/ship`. */
export const shipWinSchema = z.strictObject({ carrier: z.string().trim().min(1).max(40), trackingNumber: z.string().trim().regex(/^[A-Za-z0-9-]{4,40}$/, "must be 4-40 letters, digits or '-'") });
/** Body of `POST /v1/campaigns/:campaignId/redemptions`: the typed code or the scanned QR payload (exactly one). */
export const redeemSchema = z
  .strictObject({ code: z.string().regex(/^[0-9A-Z]{12}$/, "must be the 12-character redemption code").optional(), qr: z.string().min(20).max(2000).optional() })
  .refine((b) => (b.code === undefined) !== (b.qr === undefined), "give exactly one of code and qr");
/** Body of `POST /v1/campaigns/:campaignId/points`: award (or with a negative number, remove) points. */
export const awardPointsSchema = z.strictObject({ playerId: idSchema, points: z.number().int().min(-1_000_000).max(1_000_000).refine((n) => n !== 0, "must not be 0") });

/** Body of `POST /v1/campaigns/:campaignId/inventory`: add stock to one tier (allowed while live). */
export const addInventorySchema = z.strictObject({ tierId: idSchema, add: z.number().int().positive().max(100_000_000) });
/** Body of `POST /v1/campaigns/:campaignId/tickets`: grant spins to a player. */
/** POST /v1/auth/wechat: the code from the mini-program's `wx.login()`. */
export const wechatLoginSchema = z.strictObject({ code: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "must be the code from wx.login(): 1-128 letters, digits, '_' or '-'") });
/** POST /v1/auth/phone/code: where to send a one-time code. */
export const phoneCodeSchema = z.strictObject({ phone: z.string().min(5).max(24) });
/** POST /v1/auth/phone: the phone and the code it received. */
export const phoneLoginSchema = z.strictObject({ phone: z.string().min(5).max(24), code: z.string().regex(/^\d{6}$/, "must be the 6-digit code") });
/** POST /v1/auth/revoke: the integrator's id of the player whose tokens are revoked. */
export const revokePlayerSchema = z.strictObject({ playerId: idSchema });
/** POST /v1/privacy/erasure: the integrator's id of the player (a token's `sub`, not the pseudonym). */
export const erasureSchema = z.strictObject({ playerId: idSchema });
export const grantTicketsSchema = z.strictObject({ playerId: idSchema, tickets: z.number().int().positive().max(1_000_000) });

const drawTierSchema = z.strictObject({ tierId: idSchema, name: z.string().trim().min(1).max(60), count: z.number().int().positive() });

/**
 * Body of `POST /v1/campaigns/:campaignId/draws`: either `winners` (one tier) or `tiers` (revealed
 * in this order). `autoReveal` (default true) reveals every tier as soon as the draw is drawn;
 * false leaves the reveals to the host, tier by tier.
 */
export const startDrawSchema = z
  .strictObject({
    drawId: idSchema.optional(),
    title: z.string().trim().min(1).max(120).default("Live draw"),
    durationMs: z.number().int().positive(),
    winners: z.number().int().positive().optional(),
    tiers: z.array(drawTierSchema).min(1).max(20).optional(),
    weighted: z.boolean().default(false),
    excludePreviousWinners: z.boolean().default(false),
    autoReveal: z.boolean().default(true),
    /** A drand round of the configured chain, named now, whose randomness is mixed in at close. */
    beaconRound: z.number().int().positive().optional(),
    /** Seconds each winner has, from their tier's reveal, to claim (`draw:claim`); only then may a host redraw them. */
    claimWindowSeconds: z.number().int().min(1).max(30 * 86400).optional(),
  })
  .superRefine((b, ctx) => {
    if ((b.winners === undefined) === (b.tiers === undefined)) ctx.addIssue({ code: "custom", path: ["winners"], message: "give either winners (one tier) or tiers" });
    const ids = new Set(b.tiers?.map((t) => t.tierId));
    if (b.tiers && ids.size !== b.tiers.length) ctx.addIssue({ code: "custom", path: ["tiers"], message: "tier ids must be unique" });
  });

/** Body of `POST …/draws/:drawId/reveal`: a tier, or the next one in order when absent. */
export const revealSchema = z.strictObject({ tierId: idSchema.optional() });
/** Body of `POST …/draws/:drawId/redraw`: replace an unclaimed winner of a revealed tier. */
export const redrawSchema = z.strictObject({
  tierId: idSchema,
  replaces: z.string().regex(/^\d{1,20}-\d{1,20}$/, "must be a winner's intent id"),
  /** Why the host redraws (the console always sends one): audited, and shown on the hall's screens. */
  reason: z.enum(["absent", "ineligible", "declined", "unclaimed"]).optional(),
});
/** Body of `POST …/draws/:drawId/cancel`. */
export const cancelSchema = z.strictObject({ reason: z.string().trim().min(1).max(200).default("cancelled by the host") });
/** Body of `POST …/draws/:drawId/close` (early close): empty. */
export const closeSchema = z.strictObject({});
export type StartDrawBody = z.infer<typeof startDrawSchema>;

/** A blocklist entry's value: a player id or pseudonym and a device id match ID_PATTERN; an address is an IPv4/IPv6 literal (`::ffff:` dropped). */
function checkBlockValue(b: { kind: "player" | "address" | "device"; value: string }, ctx: z.RefinementCtx): void {
  if (b.kind === "address") {
    if (isIP(b.value.replace(/^::ffff:(?=\d)/i, "")) === 0) ctx.addIssue({ code: "custom", path: ["value"], message: "must be an IPv4 or IPv6 address" });
  } else if (!ID_PATTERN.test(b.value)) {
    ctx.addIssue({ code: "custom", path: ["value"], message: "must be 1-64 characters of letters, digits, '_' or '-', starting with a letter or digit" });
  }
}
const blockKindSchema = z.enum(["player", "address", "device"]);
/** Body of `POST /v1/campaigns/:campaignId/blocklist` (server/routes-blocklist.ts). */
export const blockSchema = z
  .strictObject({ kind: blockKindSchema, value: z.string().trim().min(1).max(64), reason: z.string().trim().min(1).max(200).default("blocked by a host") })
  .superRefine(checkBlockValue);
/** Body of `DELETE /v1/campaigns/:campaignId/blocklist`. */
export const unblockSchema = z.strictObject({ kind: blockKindSchema, value: z.string().trim().min(1).max(64) }).superRefine(checkBlockValue);

/** Body of `POST /dev/token` (only when dev tokens are enabled). */
export const devTokenSchema = z.strictObject({
  role: z.enum(["player", "host", "staff"]).default("player"),
  playerId: idSchema,
  name: z.string().trim().min(1).max(64).optional(),
  phone: z.string().regex(/^\+?\d{5,15}$/, "must be 5-15 digits, optionally after +").optional(),
  ttlSeconds: z.number().int().positive().max(7 * 24 * 3600).default(3600),
});

/** Body of `POST /v1/host/session`: a console sign-in (accounts in LIVEDRAW_HOSTS). */
export const hostSignInSchema = z.strictObject({ hostId: idSchema, password: z.string().min(1).max(1024) });

/** Claims carried by player and host tokens (HS256 JWT). */
export const tokenClaimsSchema = z.object({
  sub: idSchema,
  role: z.enum(["player", "host", "staff"]),
  name: z.string().max(64).optional(),
  /** The player's phone number (digits, optional leading +): stored sealed (AES-256-GCM), shown masked, never logged. */
  phone: z.string().regex(/^\+?\d{5,15}$/).optional(),
  /** Host tokens only: the campaigns this token may act on (absent: every campaign). */
  campaigns: z.array(idSchema).min(1).max(1000).optional(),
});
export type TokenClaims = z.infer<typeof tokenClaimsSchema>;

/** Turns a zod error into one line a person can act on: `drawId: must be ...; winners: expected number`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "(payload)"}: ${issue.message}`)
    .join("; ");
}

// ---- drift checks: these lines fail to compile if a schema and its protocol type disagree.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T | undefined => undefined;
assertType<Equals<z.infer<typeof subscribeSchema>, SubscribePayload>>();
assertType<Equals<z.infer<typeof enterSchema>, EnterPayload>>();
assertType<Equals<z.infer<typeof timeSyncSchema>, TimeSyncPayload>>();
assertType<Equals<z.infer<typeof rulesSchema>, RulesPayload>>();
assertType<Equals<z.infer<typeof spinSchema>, SpinPayload>>();
assertType<Equals<z.infer<typeof spinFetchSchema>, SpinFetchPayload>>();
assertType<Equals<z.infer<typeof spinHistorySchema>, SpinHistoryPayload>>();
assertType<Equals<z.infer<typeof leaderboardSchema>, LeaderboardPayload>>();
assertType<Equals<z.infer<typeof assistSchema>, AssistPayload>>();
assertType<Equals<z.infer<typeof teamJoinSchema>, TeamJoinPayload>>();
assertType<Equals<z.infer<typeof taskSchema>, TaskPayload>>();
assertType<Equals<z.infer<typeof winsSchema>, WinsPayload>>();
assertType<Equals<z.infer<typeof winClaimSchema>, WinClaimPayload>>();
assertType<Equals<z.infer<typeof drawClaimSchema>, DrawClaimPayload>>();
