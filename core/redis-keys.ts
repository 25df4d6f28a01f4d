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
}

export function drawKeys(campaignId: string, drawId: string): DrawKeys {
  const base = `${campaignTag(campaignId)}:draw:${checkId("draw", drawId)}`;
  return { state: `${base}:state`, entrants: `${base}:entrants`, intents: `${base}:intents` };
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
    /** Hash: `<playerId>:<idempotencyKey>` → intentId. */
    idempotency: `${tag}:spins:idem`,
    /** Hash: intentId → SpinResult JSON. */
    results: `${tag}:spins:results`,
    /** Hash: per-player counters `<playerId>:used`, `:wins`, `:tickets`, `:d:<yyyymmdd>`. */
    players: `${tag}:players`,
    /** Stream: the campaign's ledger, one entry per resolved spin and per stock change. */
    ledger: `${tag}:ledger`,
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
  };
};

export function historyKey(campaignId: string, playerId: string): string {
  return `${campaignKeys(campaignId).historyPrefix}${checkId("player", playerId)}`;
}

/** Set of campaigns that have spin intents: the workers' periodic sweep drains each. */
export const spinCampaignsKey = `${KEY_PREFIX}:spin-campaigns`;

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

/** rate-limiter-flexible key prefixes (it appends `:<key>`): failed console sign-ins per host id and per client address. */
export const hostSignInLimitPrefix = { account: `${KEY_PREFIX}:sign-in-fail:host`, address: `${KEY_PREFIX}:sign-in-fail:addr` } as const;

/** BullMQ prefix; braces make every queue key share one cluster slot. */
export const BULL_PREFIX = `{${KEY_PREFIX}:bull}`;
export const QUEUE_NAME = "draws";
/** Channel prefix shared by the Socket.IO Redis adapter (nodes) and the Redis emitter (workers). */
export const SOCKET_IO_CHANNEL_PREFIX = `${KEY_PREFIX}:sio`;

/** A done draw's cached proof bundle and its Merkle tree (entry id → index/tickets; the raw 32-byte nodes). */
export function proofCacheKeys(campaignId: string, drawId: string): { bundle: string; merkleIndex: string; merkleNodes: string } {
  const bundle = `${campaignKeys(campaignId).proofPrefix}${checkId("draw", drawId)}`;
  return { bundle, merkleIndex: `${bundle}:merkle-index`, merkleNodes: `${bundle}:merkle-nodes` };
}
