/**
 * The public wire contract: one event map for each direction, the payload types and the
 * acknowledgement envelope. The server validates every inbound payload against the runtime schemas
 * in `core/schemas.ts`; a type test there fails if the two drift. Documented in `docs/protocol.md`.
 */
import type { Stage, StageGetPayload, StageSetPayload, StageView } from "./stage.js";
import type { ErrorCode } from "./errors.js";

/**
 * Phases of a live draw: `open` accepts entries until `deadline`; `closed` has its final entrants;
 * `drawn` has winners (not yet shown); `revealing` shows them tier by tier; `done` has every tier
 * revealed and the server seed published; `cancelled` ends it without winners.
 */
export type DrawPhase = "open" | "closed" | "drawn" | "revealing" | "done" | "cancelled";

/** A prize tier of a live draw: `count` winners are picked for it. */
export interface DrawTier {
  tierId: string;
  name: string;
  count: number;
}

/** A drand beacon round named when the draw opened; its randomness is mixed into the draw seed. */
export interface BeaconRef {
  chainHash: string;
  round: number;
}

// ---------------------------------------------------------------- client → server payloads

export interface SubscribePayload {
  campaignId: string;
  /**
   * The draw to snapshot instead of the campaign's latest: a client catching up on a draw whose
   * events it missed part of while a newer draw opened. Optional.
   */
  drawId?: string;
}

export interface EnterPayload {
  campaignId: string;
  drawId: string;
}

export interface TimeSyncPayload {
  /** The client's clock when it sent the request, in ms since the epoch. */
  clientTime: number;
}

export interface SpinPayload {
  campaignId: string;
  /** Client-chosen key (8-64 of letters, digits, '_', '-'); a retry with the same key is the same spin. */
  idempotencyKey: string;
}

export interface SpinFetchPayload {
  campaignId: string;
  intentId: string;
}

export interface SpinHistoryPayload {
  campaignId: string;
  /** Most recent first; 1-100. @default 20 */
  limit?: number;
}

export interface RulesPayload {
  campaignId: string;
}

/** Leaderboards of a campaign: assists received (助力), points, and team PK scores. */
export type LeaderboardId = "assists" | "points" | "teams";

export interface LeaderboardPayload {
  campaignId: string;
  board: LeaderboardId;
}

export interface AssistPayload {
  campaignId: string;
  /** The player who shared the invite. */
  inviterId: string;
}

export interface TeamJoinPayload {
  campaignId: string;
  teamId: string;
}

/** `draw:claim`: a winner of a live draw claims the prize. */
export interface DrawClaimPayload {
  campaignId: string;
  drawId: string;
}

export interface DrawClaimResult {
  campaignId: string;
  drawId: string;
  /** The caller's winning entry. */
  intentId: string;
  tierId: string;
  claimedAt: number;
  /** When the claim window ends (null: the draw has none). */
  deadline: number | null;
}

/** `wins:list` names the campaign. */
export interface WinsPayload {
  campaignId: string;
}

/** The claim form of a physical prize: where to ship it. Stored sealed (AES-256-GCM), shown masked. */
export interface WinClaimPayload {
  campaignId: string;
  winId: string;
  name: string;
  phone: string;
  address: string;
}

/** `task:checkin`, `task:share` and `tickets:get` name only the campaign. */
export interface TaskPayload {
  campaignId: string;
}

// ---------------------------------------------------------------- acknowledgements

export interface AckError {
  code: ErrorCode;
  message: string;
  /** Present on `E_RATE_LIMITED`, `E_BUSY` and `E_UNAVAILABLE` (1000): wait this long before retrying. */
  retryAfterMs?: number;
  /** Present on `E_CHALLENGE_REQUIRED`: what the client must solve (a captcha page, say) before it retries. */
  challenge?: Challenge;
}

/**
 * A challenge (captcha or similar) asked of a flagged source by the server's challenge hook. The
 * client shows `url` (with `params`), gets an answer, and reconnects with it as `auth.challenge`.
 */
export interface Challenge {
  /** What kind of challenge, for example `captcha`. */
  type: string;
  /** Where the client solves it (absent when the client knows how from `type`). */
  url?: string;
  /** Opaque values the challenge needs (a site key, a nonce). */
  params?: Record<string, string>;
}

export type Ack<T> = { ok: true; data: T } | { ok: false; error: AckError };
export type AckCallback<T> = (response: Ack<T>) => void;

export interface EnterResult {
  /** The id of the stored intent (a Redis stream entry id). Only sent once the intent is stored. */
  intentId: string;
  /** True when this player had already entered this draw; `intentId` is then the original one. */
  duplicate: boolean;
}

export interface TimeSyncResult {
  clientTime: number;
  serverTime: number;
}

export interface SpinAck {
  /** Id of the stored spin intent. The result follows as `spin:result` (and via `spin:fetch`). */
  intentId: string;
  /** True when this idempotency key was already used by this player; `intentId` is the original. */
  duplicate: boolean;
}

// ---------------------------------------------------------------- server → client payloads

export interface Winner {
  /** Id of the winning entry (the intent id acknowledged to the winner; public and pseudonymous). */
  intentId: string;
  /** Masked display name (for example `张*` or `138****1234`); never the raw name. */
  name: string;
}

export interface DrawCountdown {
  /**
   * Sequence number of the campaign room's broadcasts (countdown, closed, reveal, redraw, done,
   * cancelled): each takes the next one. A client that sees a number more than one past the last
   * it saw — on any broadcast, on a tick, or in a snapshot — has missed one and should resync.
   */
  eventSeq: number;
  campaignId: string;
  drawId: string;
  title: string;
  tiers: DrawTier[];
  /** Total number of winners over all tiers. */
  winners: number;
  /** Entries weighted by the player's tickets (else one chance each). */
  weighted: boolean;
  openedAt: number;
  /** Authoritative close time, in server ms since the epoch. */
  deadline: number;
  /** Server clock when this message was produced; lets the client correct its own clock. */
  serverTime: number;
  /** hex SHA-256 of the secret server seed, published before any entry (docs/fairness.md). */
  commitment: string;
  algorithm: string;
  beacon: BeaconRef | null;
}

export interface DrawTick {
  /** The campaign's latest broadcast sequence number (`eventSeq`): a tick past the last one seen means one was missed. */
  eventSeq: number;
  campaignId: string;
  drawId: string;
  deadline: number;
  serverTime: number;
  remainingMs: number;
  entrants: number;
  /** Masked names of the latest entrants (up to 12, newest first): the big screen's sign-in wall. */
  recentEntrants: string[];
}

/** Entries are final: their count and the Merkle root over the sorted entry ids. */
export interface DrawClosed {
  /**
   * Sequence number of the campaign room's broadcasts (countdown, closed, reveal, redraw, done,
   * cancelled): each takes the next one. A client that sees a number more than one past the last
   * it saw — on any broadcast, on a tick, or in a snapshot — has missed one and should resync.
   */
  eventSeq: number;
  campaignId: string;
  drawId: string;
  entrants: number;
  merkleRoot: string;
  serverTime: number;
}

/** One tier's winners, revealed (the host reveals tier by tier, or all at once with autoReveal). */
export interface DrawReveal {
  /**
   * Sequence number of the campaign room's broadcasts (countdown, closed, reveal, redraw, done,
   * cancelled): each takes the next one. A client that sees a number more than one past the last
   * it saw — on any broadcast, on a tick, or in a snapshot — has missed one and should resync.
   */
  eventSeq: number;
  campaignId: string;
  drawId: string;
  tierId: string;
  tierName: string;
  winners: Winner[];
  entrants: number;
  /** True on the last tier's reveal. */
  final: boolean;
  serverTime: number;
}

/** An unclaimed prize was redrawn: `replaced` lost the slot, `winner` (or nobody) took it. */
export interface DrawRedraw {
  /**
   * Sequence number of the campaign room's broadcasts (countdown, closed, reveal, redraw, done,
   * cancelled): each takes the next one. A client that sees a number more than one past the last
   * it saw — on any broadcast, on a tick, or in a snapshot — has missed one and should resync.
   */
  eventSeq: number;
  campaignId: string;
  drawId: string;
  tierId: string;
  replaced: string;
  winner: Winner | null;
  serverTime: number;
}

/** Every tier is revealed: the seed is public and the proof bundle can be fetched and verified. */
export interface DrawDone {
  /**
   * Sequence number of the campaign room's broadcasts (countdown, closed, reveal, redraw, done,
   * cancelled): each takes the next one. A client that sees a number more than one past the last
   * it saw — on any broadcast, on a tick, or in a snapshot — has missed one and should resync.
   */
  eventSeq: number;
  campaignId: string;
  drawId: string;
  serverSeed: string;
  /** HTTP path of the proof bundle on any node. */
  proofPath: string;
  serverTime: number;
}

export interface DrawCancelled {
  /**
   * Sequence number of the campaign room's broadcasts (countdown, closed, reveal, redraw, done,
   * cancelled): each takes the next one. A client that sees a number more than one past the last
   * it saw — on any broadcast, on a tick, or in a snapshot — has missed one and should resync.
   */
  eventSeq: number;
  campaignId: string;
  drawId: string;
  reason: string;
  serverTime: number;
}

export interface DrawResult {
  campaignId: string;
  drawId: string;
  intentId: string;
  won: boolean;
  /** The tier won, when `won`. */
  tierId: string | null;
  /**
   * How many redraws this result reflects. A redraw can change a result after the draw is done;
   * results may arrive out of order across nodes, so keep the one with the highest `seq`.
   */
  seq: number;
}

export interface RevealedTier {
  tierId: string;
  name: string;
  winners: Winner[];
}

export interface DrawSnapshot {
  campaignId: string;
  drawId: string;
  title: string;
  phase: DrawPhase;
  tiers: DrawTier[];
  weighted: boolean;
  openedAt: number;
  deadline: number;
  entrants: number;
  commitment: string;
  /** Set once the draw is closed. */
  merkleRoot: string | null;
  /** The tiers revealed so far, in reveal order, with their current winners. */
  revealed: RevealedTier[];
  /** Published once the draw is done. */
  serverSeed: string | null;
  /** The caller's own entry, if any. */
  myIntentId: string | null;
  /** The caller's own result: known once the caller's tier is revealed ("won") or the draw is done. */
  myResult: "won" | "lost" | null;
  myTierId: string | null;
  /** How many redraws this snapshot reflects: the `seq` of the caller's current `draw:result`. */
  resultSeq: number;
  algorithm: string;
  beacon: BeaconRef | null;
}

/** Phases of an instant-win campaign; spins are accepted in `live` and `longtail`. */
export type CampaignPhase = "scheduled" | "warmup" | "live" | "longtail" | "closed";

/**
 * Outcome of one spin. `won`: a prize of `tierId`. `lost`: no prize (the no-prize mass, a sold-out
 * tier's slot — `reason: "sold_out"` — or the player's win cap — `reason: "win_cap"`). `rejected`:
 * the spin did not count (`reason` is an error code such as E_NO_SPINS_LEFT) and used no chance.
 */
export interface SpinResult {
  campaignId: string;
  intentId: string;
  idempotencyKey: string;
  outcome: "won" | "lost" | "rejected";
  tierId: string | null;
  tierName: string | null;
  reason: "sold_out" | "win_cap" | "E_NO_SPINS_LEFT" | "E_DAILY_LIMIT" | "E_CAMPAIGN_LIMIT" | "E_CAMPAIGN_NOT_LIVE" | null;
  /** Spins this player has left after this one (free spins + tickets − used, bounded by caps). */
  spinsLeft: number;
  resolvedAt: number;
}

export interface PublishedTier {
  tierId: string;
  name: string;
  /** Chance per spin, exactly `probabilityPpm / 1_000_000`. */
  probability: number;
  probabilityPpm: number;
  remaining: number;
  soldOut: boolean;
  /** One prize's value in yuan (CNY); null only where the operator's policy does not require it. */
  value: number | null;
  /** How the prize is issued: `onsite` (redeemed at the venue), `coupon`, `points`, `physical` (shipped), `webhook` (a partner issues it). */
  prizeKind: "onsite" | "coupon" | "points" | "physical" | "webhook";
}

/** The published rules of an instant-win campaign: what the mini-program shows as the odds. */
export interface PublishedRules {
  campaignId: string;
  title: string;
  rules: string;
  phase: CampaignPhase;
  schedule: { warmupAt: number; liveAt: number; longTailAt: number; closedAt: number };
  tiers: PublishedTier[];
  /** 1 − Σ tier probabilities. */
  noPrizeProbability: number;
  /** What happens when a tier sells out, in words. */
  soldOutPolicy: string;
  limits: { spinsPerDay: number; spinsPerCampaign: number; winsPerCampaign: number };
  freeSpins: number;
  dayOffsetMinutes: number;
  /** The platform the campaign runs on; on `wechat` shares and invites never earn tickets. */
  platform: "wechat" | "alipay" | "douyin" | "web";
  /** What a winner must do to receive a prize, and within how long (null only where not required). */
  claim: { windowHours: number; conditions: string } | null;
  /** What each task earns: tickets are draw chances, points go to the points leaderboard. */
  tasks: {
    checkin: { tickets: number; streakBonus: { everyDays: number; tickets: number } | null };
    share: { tickets: number; points: number; perDay: number };
    invite: { tickets: number };
  };
  /** A/B variants (empty when none): each player is in one, by a hash of their id; `freeSpins` is that variant's. */
  variants: { variantId: string; weight: number; freeSpins: number; presentation: string | null }[];
  serverTime: number;
}

export interface LeaderboardRow {
  rank: number;
  /** Masked display name for players (e.g. `张*`), the team id for the teams board. */
  name: string;
  score: number;
}

export interface LeaderboardTop {
  campaignId: string;
  board: LeaderboardId;
  /** Increases with every change; a client keeps the highest it has seen. */
  version: number;
  top: LeaderboardRow[];
  serverTime: number;
}

export interface LeaderboardRank {
  campaignId: string;
  board: LeaderboardId;
  /** 1-based rank of the caller (or the caller's team), null when not on the board. */
  rank: number | null;
  score: number | null;
  /** How many players (or teams) are on the board. */
  total: number;
}

/**
 * Where a prize is: `pending` (won, not yet issued; physical prizes wait for the claim form and the
 * shipment), `issued` (the coupon, points, partner's issuance or shipment happened; it carries a
 * redemption code), `redeemed` (used, once), `failed` (issuance gave up; see `failure`), `expired`
 * (the claim deadline passed first).
 */
export type WinStatus = "pending" | "issued" | "redeemed" | "failed" | "expired";

/** A prize won, as its winner (and the operator) sees it; pushed as `win:status` on every change. */
export interface Win {
  /** The win's id: the spin intent id that won it. */
  winId: string;
  campaignId: string;
  tierId: string;
  tierName: string;
  prizeKind: "onsite" | "coupon" | "points" | "physical" | "webhook";
  /** The prize's published value in yuan. */
  value: number | null;
  status: WinStatus;
  wonAt: number;
  issuedAt: number | null;
  redeemedAt: number | null;
  /** The claim deadline (null: none published): unredeemed by then, the prize expires. */
  expiresAt: number | null;
  /** The coupon code (coupon prizes, once issued). */
  coupon: string | null;
  /** Points credited (points prizes). */
  points: number | null;
  /** Carrier and tracking number (physical prizes, once shipped). */
  shipment: { carrier: string; trackingNumber: string } | null;
  /** Whether the winner has submitted the claim form (physical prizes). */
  claimed: boolean;
  /** One-time code staff redeem the prize with (once issued). */
  redemptionCode: string | null;
  /** The same code as a server-signed QR payload (a compact JWS); what the staff scanner reads. */
  qr: string | null;
  /** True once the win took longer than promised to issue: the app should show the delay notice. */
  delayed: boolean;
  /** Why issuance failed or the prize expired. */
  failure: string | null;
}

/** Why a ticket balance changed: the `reason` of a ticket ledger entry. */
export type TicketReason = "checkin" | "streak" | "share" | "invite" | "grant" | "spin";

export interface CheckInResult {
  campaignId: string;
  /** The campaign day checked in (days since the epoch in the campaign's `dayOffsetMinutes`). */
  day: number;
  /** Consecutive days checked in, including today. */
  streak: number;
  /** Tickets this check-in earned (the daily reward plus any streak bonus). */
  ticketsEarned: number;
  /** The player's ticket balance after it. */
  balance: number;
}

export interface ShareResult {
  campaignId: string;
  /** Tickets this share earned (0 on `platform=wechat`). */
  tickets: number;
  /** Points it earned on the `points` board. */
  points: number;
  balance: number;
  /** Rewarded shares today, including this one, of at most `perDay`. */
  sharesToday: number;
  perDay: number;
}

export interface TicketBalance {
  campaignId: string;
  /** Tickets held now: each is one spin after the free spins, and weight in weighted live draws. */
  balance: number;
  /** Free spins not used yet. */
  freeSpinsLeft: number;
  /** Consecutive days checked in up to the last check-in (0 if never). */
  streak: number;
  checkedInToday: boolean;
  sharesToday: number;
  /** The player's A/B variant (null when the campaign has none) and what the app should show for it. */
  variant: string | null;
  presentation: string | null;
}

export interface AssistResult {
  inviterId: string;
  /** Assists the inviter has received in this campaign, including this one. */
  assists: number;
}

export interface CampaignSnapshot {
  /** The campaign's broadcast sequence number when the snapshot was read: everything up to it is reflected. */
  eventSeq: number;
  campaignId: string;
  serverTime: number;
  /**
   * The caller's player id as the server knows it: a pseudonym of the token's `sub` (hosts: their
   * host id; viewers: a per-socket id). Put it in invite links: `assist` takes it as `inviterId`.
   */
  playerId: string;
  /** The most recently opened draw of the campaign, if any. */
  draw: DrawSnapshot | null;
}

// ---------------------------------------------------------------- event maps

export interface ClientToServerEvents {
  "campaign:subscribe": (payload: SubscribePayload, ack: AckCallback<CampaignSnapshot>) => void;
  "draw:enter": (payload: EnterPayload, ack: AckCallback<EnterResult>) => void;
  "time:sync": (payload: TimeSyncPayload, ack: AckCallback<TimeSyncResult>) => void;
  "campaign:rules": (payload: RulesPayload, ack: AckCallback<PublishedRules>) => void;
  spin: (payload: SpinPayload, ack: AckCallback<SpinAck>) => void;
  "spin:fetch": (payload: SpinFetchPayload, ack: AckCallback<SpinResult | null>) => void;
  "spin:history": (payload: SpinHistoryPayload, ack: AckCallback<SpinResult[]>) => void;
  "leaderboard:subscribe": (payload: LeaderboardPayload, ack: AckCallback<LeaderboardTop>) => void;
  "leaderboard:rank": (payload: LeaderboardPayload, ack: AckCallback<LeaderboardRank>) => void;
  assist: (payload: AssistPayload, ack: AckCallback<AssistResult>) => void;
  "team:join": (payload: TeamJoinPayload, ack: AckCallback<{ teamId: string }>) => void;
  "task:checkin": (payload: TaskPayload, ack: AckCallback<CheckInResult>) => void;
  "task:share": (payload: TaskPayload, ack: AckCallback<ShareResult>) => void;
  "tickets:get": (payload: TaskPayload, ack: AckCallback<TicketBalance>) => void;
  "wins:list": (payload: WinsPayload, ack: AckCallback<Win[]>) => void;
  "draw:claim": (payload: DrawClaimPayload, ack: AckCallback<DrawClaimResult>) => void;
  "win:claim": (payload: WinClaimPayload, ack: AckCallback<Win>) => void;
  "stage:get": (payload: StageGetPayload, ack: AckCallback<StageView>) => void;
  "stage:set": (payload: StageSetPayload, ack: AckCallback<Stage>) => void;
}

export interface ServerToClientEvents {
  "draw:countdown": (payload: DrawCountdown) => void;
  "draw:tick": (payload: DrawTick) => void;
  "draw:closed": (payload: DrawClosed) => void;
  "draw:reveal": (payload: DrawReveal) => void;
  "draw:redraw": (payload: DrawRedraw) => void;
  "draw:done": (payload: DrawDone) => void;
  "draw:cancelled": (payload: DrawCancelled) => void;
  "draw:result": (payload: DrawResult) => void;
  "spin:result": (payload: SpinResult) => void;
  "leaderboard:update": (payload: LeaderboardTop) => void;
  "win:status": (payload: Win) => void;
  "stage:update": (payload: Stage) => void;
}

// ---------------------------------------------------------------- event names

type ValueOf<T> = T[keyof T];

/** Names of the server → client events, for code that must not spell them by hand (pages, tests). */
export const SERVER_EVENTS = {
  countdown: "draw:countdown",
  tick: "draw:tick",
  closed: "draw:closed",
  reveal: "draw:reveal",
  redraw: "draw:redraw",
  done: "draw:done",
  cancelled: "draw:cancelled",
  result: "draw:result",
  spinResult: "spin:result",
  leaderboardUpdate: "leaderboard:update",
  winStatus: "win:status",
  stageUpdate: "stage:update",
} as const satisfies Record<string, keyof ServerToClientEvents>;

/** Names of the client → server events. */
export const CLIENT_EVENTS = {
  subscribe: "campaign:subscribe",
  enter: "draw:enter",
  timeSync: "time:sync",
  rules: "campaign:rules",
  spin: "spin",
  spinFetch: "spin:fetch",
  spinHistory: "spin:history",
  leaderboardSubscribe: "leaderboard:subscribe",
  leaderboardRank: "leaderboard:rank",
  assist: "assist",
  teamJoin: "team:join",
  checkIn: "task:checkin",
  share: "task:share",
  tickets: "tickets:get",
  wins: "wins:list",
  drawClaim: "draw:claim",
  winClaim: "win:claim",
  stageGet: "stage:get",
  stageSet: "stage:set",
} as const satisfies Record<string, keyof ClientToServerEvents>;

// Compile-time: every event of each map has a name above (adding an event without one fails the build).
type Unnamed<M, N> = Exclude<keyof M, ValueOf<N>>;
export type AssertAllNamed = [Unnamed<ServerToClientEvents, typeof SERVER_EVENTS>, Unnamed<ClientToServerEvents, typeof CLIENT_EVENTS>] extends [never, never] ? true : never;
const allNamed: AssertAllNamed = true;
void allNamed;
