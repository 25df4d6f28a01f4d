/**
 * The one module that builds Redis key and stream names. Nothing else concatenates key strings.
 * Every key of a campaign shares the hash tag `{campaign:<id>}` so that all of it lives on one
 * Redis Cluster slot and one Lua script may touch any of it.
 */
import { ID_PATTERN } from "@livedraw/protocol";

export const KEY_PREFIX = "ld";

function checkId(kind: string, id: string): string {
  if (!ID_PATTERN.test(id)) throw new Error(`invalid ${kind} id for a Redis key: ${JSON.stringify(id)}`);
  return id;
}

export function campaignTag(campaignId: string): string {
  return `${KEY_PREFIX}:{campaign:${checkId("campaign", campaignId)}}`;
}

export interface DrawKeys {
  /** Hash: phase, title, winnersWanted, openedAt, deadline, entrants, drawnAt, winners (JSON). */
  state: string;
  /** Hash: playerId → intentId, one field per entrant. */
  entrants: string;
  /** Stream: one entry per accepted enter intent (the durable log). */
  intents: string;
  /** Hash: the draw's claim window (`_window` → ms) and each claimed winning entry (intentId → claimed at, ms). */
  claims: string;
}

export function drawKeys(campaignId: string, drawId: string): DrawKeys {
  const base = `${campaignTag(campaignId)}:draw:${checkId("draw", drawId)}`;
  return { state: `${base}:state`, entrants: `${base}:entrants`, intents: `${base}:intents`, claims: `${base}:claims` };
}

export const campaignKeys = (campaignId: string) => {
  const tag = campaignTag(campaignId);
  return {
    /** Sorted set: drawId scored by openedAt; the newest is the campaign's current draw. */
    draws: `${tag}:draws`,
    /** String: the instant-win configuration as JSON (StoredCampaign). */
    config: `${tag}:config`,
    /** Hash: tierId → prizes left. */
    inventory: `${tag}:inventory`,
    /** Hash: tierId → prizes won. */
    issued: `${tag}:issued`,
    /** Hash: tierId → prizes ever stocked (initial + added); stocked = inventory + issued, always. */
    stocked: `${tag}:stocked`,
    /** Stream: spin intents, appended by nodes, resolved in order by workers. */
    spins: `${tag}:spins`,
    /** String: id of the last resolved spin intent. */
    cursor: `${tag}:spins:cursor`,
    /** String: the worker whose resolver loop holds this campaign's spins (a lease with a TTL). */
    resolverLease: `${tag}:spins:resolver`,
    /** Hash: `<playerId>:<idempotencyKey>` → intentId. */
    idempotency: `${tag}:spins:idem`,
    /** Hash: intentId → SpinResult JSON. */
    results: `${tag}:spins:results`,
    /**
     * Hash: per-player counters `<playerId>:used`, `:wins`, `:d:<day>` (spins that day), `:tickets`
     * (the ticket balance), `:checkin` (day of the last check-in), `:streak`, `:share:<day>`, `:team`.
     */
    players: `${tag}:players`,
    /** Stream: the campaign's ledger, one entry per resolved spin and per stock change. */
    ledger: `${tag}:ledger`,
    /** Stream: the ticket ledger, one entry per change of a balance (`player`, `delta`, `reason`, `ref`, `balance`). */
    ticketLedger: `${tag}:tickets:ledger`,
    /** Hash: winId (the spin intent id) → the win record JSON (docs/lifecycle.md §2.9). */
    wins: `${tag}:wins`,
    /** Prefix of per-player lists of win ids: `<prefix><playerId>` (built inside Lua, same hash tag). */
    winsPlayerPrefix: `${tag}:wins:player:`,
    /** Sorted set, every score 0: the wins' time index, members the win ids zero-padded (core/wins.ts `winOrderMember`), oldest first BYLEX. */
    winsOrder: `${tag}:wins:order`,
    /** String: the lease of the campaign's one running export (server/export-stream.ts), its holder's id, with a TTL. */
    exportLease: `${tag}:export:lease`,
    /** Sorted set: wins the issuer still has to act on (not physical prizes), by win time. */
    issuePending: `${tag}:issue:pending`,
    /** Sorted set: wins with a claim deadline, by that deadline (the issuer expires them). */
    winsExpiry: `${tag}:wins:expiry`,
    /** Sorted set: pending wins by the time past which the winner gets a delay notice. */
    issueDue: `${tag}:issue:due`,
    /** Stream: wins whose issuance failed for good (webhook retries ran out). */
    issueDead: `${tag}:issue:dead`,
    /** Hash: one-time redemption code → winId. */
    redemptionCodes: `${tag}:redemption-codes`,
    /** Prefix of the coupon pools, one list per tier: `<prefix><tierId>`. */
    couponPoolPrefix: `${tag}:coupons:`,
    /** Set: every coupon code ever loaded into the campaign (a code is loaded, hence issued, once). */
    couponsSeen: `${tag}:coupons-seen`,
    /** Hash: nodeId → `<sockets in the campaign room>|<ms>`, refreshed by each node every 2 s (expires after 10 s). */
    online: `${tag}:online`,
    /** Hash: the funnel's distinct players per stage (`viewed`, `entered`, `won`, `issued`, `redeemed`), and wins by status (`wins:<status>`). */
    funnel: `${tag}:funnel`,
    /** Hash: `<endpoint>:<Idempotency-Key>` → the first reply, for host requests that change stock, tickets or points. */
    requests: `${tag}:requests`,
    /** Set: players who have won a live draw of this campaign (for draws that exclude them). */
    liveWinners: `${tag}:live-winners`,
    /** List: the campaign's hash-chained audit log, one JSON record per element (seq = index). */
    audit: `${tag}:audit`,
    /** Hash: dedupe key (`<type>:<drawId>[:<n>]`) → seq, so a transition is logged once. */
    auditIndex: `${tag}:audit-index`,
    /** String: a done draw's proof bundle JSON, built once (`<prefix><drawId>`). */
    proofPrefix: `${tag}:proof:`,
    /** Sorted sets of the leaderboards: `<prefix><board>` (assists, points, teams). */
    leaderboardPrefix: `${tag}:lb:`,
    /** Hash: board → version, bumped on every change (nodes push only changed boards). */
    leaderboardVersions: `${tag}:lb-versions`,
    /** Set: `<friendId>><inviterId>`, one member per assist given. */
    assists: `${tag}:assists`,
    /** Hash: playerId → masked display name, for leaderboards. */
    names: `${tag}:names`,
    /** Prefix of per-player history lists: `<prefix><playerId>` (built inside Lua, same hash tag). */
    historyPrefix: `${tag}:history:`,
    /** String (INCR): sequence number of the campaign room's broadcasts, so clients notice a gap. */
    eventSeq: `${tag}:event-seq`,
    /** String: the close time (ms) the retention sweep settled on (core/retention.ts); expires with the audit log. */
    retention: `${tag}:retention`,
    /** Hash: what the hall's screens show (server/stage.ts): drawId, phase, version, updatedAt, updatedBy. */
    stage: `${tag}:stage`,
  };
};

/** SCAN pattern matching every key of every campaign (the retention sweep, core/retention.ts). */
export const CAMPAIGN_KEY_PATTERN = `${KEY_PREFIX}:{campaign:*`;

/** The campaign id and the rest (`spins:results`, `draw:d1:state`, …) of a campaign's key; null for any other key. */
export function parseCampaignKey(key: string): { campaignId: string; rest: string } | null {
  const m = /^ld:\{campaign:([^}]+)\}:(.+)$/.exec(key);
  if (!m || !ID_PATTERN.test(m[1]!)) return null;
  return { campaignId: m[1]!, rest: m[2]! };
}

export function historyKey(campaignId: string, playerId: string): string {
  return `${campaignKeys(campaignId).historyPrefix}${checkId("player", playerId)}`;
}

/** Set of campaigns that have spin intents: the workers' periodic sweep drains each. */
export const spinCampaignsKey = `${KEY_PREFIX}:spin-campaigns`;

/** The workers' index of campaigns with work (core/work-index.ts, core/lua/indexWork-7.lua). */
export interface WorkIndexKeys {
  /** Sorted set: campaignId scored by "has spin work until" (+inf while it has unresolved spins, then a linger time). */
  spins: string;
  /** Sorted set: campaignId scored by when the issuer must next act on it (issuance, delay notice, claim deadline). */
  issue: string;
  /** Stream: campaigns that just became active (`c` = campaignId), read by every resolver loop's blocking read. */
  wake: string;
}

/**
 * The work index that holds `campaignId`. One global index today; a function of the campaign so that
 * splitting it per Redis Cluster slot (issue 18) changes this function and `workIndexShards` only.
 */
export function workIndexKeys(campaignId: string): WorkIndexKeys {
  checkId("campaign", campaignId);
  return WORK_INDEX;
}

/** Every work index, for the rounds that read them (one today). */
export function workIndexShards(): readonly WorkIndexKeys[] {
  return [WORK_INDEX];
}

const WORK_INDEX: WorkIndexKeys = { spins: `${KEY_PREFIX}:work:spins`, issue: `${KEY_PREFIX}:work:issue`, wake: `${KEY_PREFIX}:work:wake` };

/**
 * Sorted set across campaigns: `<campaignId>/<drawId>` scored by deadline. Only an index that lets
 * every node emit countdown ticks; the truth is in the draw's own state hash.
 */
export const openDrawsIndexKey = `${KEY_PREFIX}:open-draws`;

export function openDrawsMember(campaignId: string, drawId: string): string {
  return `${checkId("campaign", campaignId)}/${checkId("draw", drawId)}`;
}

export function parseOpenDrawsMember(member: string): { campaignId: string; drawId: string } | null {
  const [campaignId, drawId, extra] = member.split("/");
  if (!campaignId || !drawId || extra !== undefined) return null;
  if (!ID_PATTERN.test(campaignId) || !ID_PATTERN.test(drawId)) return null;
  return { campaignId, drawId };
}

/**
 * String: one console session (JSON `{ hostId, csrfToken, expiresAt }`, with the session's TTL),
 * keyed by the SHA-256 (hex) of the cookie's value, so the store never holds a usable cookie.
 */
export function hostSessionKey(sessionHash: string): string {
  if (!/^[0-9a-f]{64}$/.test(sessionHash)) throw new Error("a host session key needs a 64-hex-digit hash");
  return `${KEY_PREFIX}:host-session:${sessionHash}`;
}

/**
 * Failed console sign-ins (server/host-session.ts): a hash `{ f: failures, at: last ms }` per
 * (host id, client address) and per client address, each throttled with backoff; and a counter per
 * host id, which only slows that account's sign-ins down. Each is one key (no multi-key command).
 */
export const hostSignInKeys = {
  pair: (hostId: string, address: string): string => `${KEY_PREFIX}:sign-in-fail:pair:${hostId}:${address}`,
  address: (address: string): string => `${KEY_PREFIX}:sign-in-fail:addr:${address}`,
  account: (hostId: string): string => `${KEY_PREFIX}:sign-in-fail:host:${hostId}`,
} as const;

/** BullMQ prefix; braces make every queue key share one cluster slot. */
export const BULL_PREFIX = `{${KEY_PREFIX}:bull}`;
export const QUEUE_NAME = "draws";
/** BullMQ queue of webhook prize deliveries (worker/issuer.ts). */
export const ISSUANCE_QUEUE = "issuance";
/** Channel prefix shared by the Socket.IO Redis adapter (nodes) and the Redis emitter (workers). */
export const SOCKET_IO_CHANNEL_PREFIX = `${KEY_PREFIX}:sio`;

/** A done draw's cached proof bundle and its Merkle tree (entry id → index/tickets; the raw 32-byte nodes). */
export function proofCacheKeys(campaignId: string, drawId: string): { bundle: string; merkleIndex: string; merkleNodes: string } {
  const bundle = `${campaignKeys(campaignId).proofPrefix}${checkId("draw", drawId)}`;
  return { bundle, merkleIndex: `${bundle}:merkle-index`, merkleNodes: `${bundle}:merkle-nodes` };
}

/** What a concentrated-source count or a blocklist entry is about (server/sources.ts, server/blocklist.ts). */
export type SourceKind = "player" | "address" | "device";

/**
 * Abuse control of one campaign (server/sources.ts, server/blocklist.ts). Fields are
 * `<kind>:<value>` (`address:203.0.113.7`, `device:abc`, `player:<pseudonym>`).
 */
export function sourceKeys(campaignId: string) {
  const tag = campaignTag(campaignId);
  return {
    /** Hash: `<kind>:<value>` → JSON `{ reason, hostId, at }`, the hosts' blocklist. */
    blocklist: `${tag}:blocklist`,
    /** Hash: `<kind>:<value>` → JSON `{ accounts, threshold, action, firstAt, lastAt }` of a flagged source. */
    flaggedSources: `${tag}:flagged-sources`,
    /** Hash: `<kind>:<value>` → how many intents of that source were flagged (HINCRBY). */
    flaggedSourceCounts: `${tag}:flagged-source-counts`,
  };
}

/**
 * Set: the distinct accounts seen from one address or device in one campaign during fixed window
 * number `window` (ms since the epoch / window length); expires after two windows. The value is
 * base64url-encoded, so an IPv6 address's colons stay out of the key's structure.
 */
export function sourceAccountsKey(campaignId: string, kind: "address" | "device", value: string, window: number): string {
  if (!Number.isSafeInteger(window) || window < 0) throw new Error("a source window must be a non-negative integer");
  return `${campaignTag(campaignId)}:src:${kind}:${Buffer.from(value, "utf8").toString("base64url")}:${window}`;
}

/** Hash: intentId → JSON `{ reasons, action, at }` of a draw's flagged entries (stored and acknowledged, marked for the hosts). */
export function flaggedEntriesKey(campaignId: string, drawId: string): string {
  return `${campaignTag(campaignId)}:draw:${checkId("draw", drawId)}:flagged`;
}

/**
 * Prefix of a campaign's rate-limit counters of one intent kind (core/lua/includes/admit-source.lua
 * appends `<p|a|d>:<value>:<second>`; each counter expires after 2 s).
 */
export function intentLimitPrefix(campaignId: string, intent: "spin" | "entry"): string {
  return `${campaignTag(campaignId)}:rl:${intent}:`;
}

/** Hash of one player's sealed personal fields (core/privacy.ts); the pseudonym is the hash tag. */
export const profileKey = (playerId: string): string => `${KEY_PREFIX}:profile:{${playerId}}`;

/**
 * String: a player's data key (32 random bytes) wrapped by the key ring (core/privacy.ts,
 * `k1.<keyId>.<ringKeyId>.<iv>.<ciphertext+tag>`). Every personal value of the player — profile
 * fields, claim forms — is sealed under it; erasure deletes it (crypto-shredding). Same hash tag as
 * the profile, so erasure deletes both in one transaction on one cluster slot.
 */
export const playerKeyKey = (playerId: string): string => `${KEY_PREFIX}:player-key:{${playerId}}`;

/** Pattern matching every player data key (SCAN, for re-wrapping after a key-ring rotation). */
export const PLAYER_KEY_PATTERN = `${KEY_PREFIX}:player-key:*`;

/**
 * Hash: what is sealed under the player's data key outside the profile: `<campaignId>/<winId>` →
 * `claim`. Only ids (pseudonymous); read by erasure for its receipt. Same hash tag as the profile.
 */
export const playerSealedKey = (playerId: string): string => `${KEY_PREFIX}:player-sealed:{${playerId}}`;

/** The pseudonym inside a per-player key (`ld:profile:{p…}`, `ld:player-key:{p…}`); null for another key. */
export function parsePlayerTag(key: string): string | null {
  return /^ld:(?:profile|player-key|player-sealed):\{([^}]+)\}$/.exec(key)?.[1] ?? null;
}

/** Pattern matching every profile key (SCAN, for re-sealing after a key rotation). */
export const PROFILE_KEY_PATTERN = `${KEY_PREFIX}:profile:*`;

/** Stream of erasures: pseudonym, host and time only (POST /v1/privacy/erasure). */
export const ERASURE_LOG_KEY = `${KEY_PREFIX}:privacy:erasures`;

/** Erasure records kept (approximately; the stream is trimmed). */
export const ERASURE_LOG_MAXLEN = 100_000;

/** The one-time sign-in codes of a phone (hash: attempts, and each live code's HMAC → expiry), keyed by the phone's player pseudonym (never the number). */
export const otpKey = (playerId: string): string => `${KEY_PREFIX}:otp:{${playerId}}`;
/** Set while a new code for that phone may not be sent yet. */
export const otpGapKey = (playerId: string): string => `${KEY_PREFIX}:otp-gap:{${playerId}}`;
/** Codes sent to that phone in the current day window. */
export const otpDayKey = (playerId: string): string => `${KEY_PREFIX}:otp-day:{${playerId}}`;
/** Present while a revoked token (by `jti`) would still be valid. */
export const revokedTokenKey = (tokenId: string): string => `${KEY_PREFIX}:revoked:${tokenId}`;
/** Seconds since the epoch: a player's tokens issued before it are refused ("sign out everywhere"). */
export const tokensAfterKey = (playerId: string): string => `${KEY_PREFIX}:tokens-after:{${playerId}}`;
