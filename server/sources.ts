/**
 * Admission of entries and spins by source, across nodes (docs/decisions.md, "Concentrated sources"
 * and "One script per turn"). The checks themselves run in Redis, in the scripts that store the
 * intents (server/intent-batcher.ts, core/lua/includes/admit-source.lua):
 *
 * - **Rate limits** per player, address and device, per campaign, in fixed one-second windows.
 * - **The hosts' blocklist** (server/blocklist.ts): a blocked player, address or device gets E_BLOCKED.
 * - **Concentrated sources**: per campaign, the distinct accounts (player ids) seen from each client
 *   address and each device in a fixed window (LIVEDRAW_SOURCE_WINDOW_SECONDS) are a Redis set per
 *   source and window (SADD + SCARD, exact, expiring after two windows). An intent whose source
 *   has more accounts than allowed (LIVEDRAW_ACCOUNTS_PER_ADDRESS / _PER_DEVICE), its own
 *   included, is flagged: the challenge hook (server/challenge.ts) decides, here, whether it is
 *   stored (and recorded as flagged: the draw's flagged entries, the campaign's flagged sources, for
 *   the hosts), challenged (E_CHALLENGE_REQUIRED) or refused (E_BLOCKED). The counts are made in the
 *   script, one intent after another, so concurrent intents of one source see distinct counts.
 * - **Overload**: a node refuses entries with E_BUSY and `retryAfterMs` while its event loop is late
 *   (the load shedder, as for spins) or while LIVEDRAW_MAX_INFLIGHT_ENTRIES entries are in flight.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { ID_PATTERN } from "@livedraw/protocol";
import type { Config } from "../config/options.js";
import { AppError } from "../core/errors.js";
import { describeIssues } from "../core/schemas.js";
import { flaggedEntriesKey, sourceKeys, type SourceKind } from "../core/redis-keys.js";
import { BUSY_RETRY_AFTER_MS } from "../core/spin-store.js";
import { Blocklist, blockField } from "./blocklist.js";
import { ChallengeRequiredError, loadChallengeHook, type ChallengeHook, type FlagReason } from "./challenge.js";
import type { NodeContext } from "./context.js";
import { IntentBatcher } from "./intent-batcher.js";

export type Intent = "entry" | "spin";

/** What the guard needs to know of a socket. */
export interface SourceOf {
  playerId: string;
  address?: string | undefined;
  device?: string | undefined;
  challenge?: string | undefined;
}

export interface FlaggedSource {
  kind: "address" | "device";
  value: string;
  /** Distinct accounts in the window when it was last flagged. */
  accounts: number;
  threshold: number;
  /** What the hook answered the last time (`allow` for the default `flag` action). */
  action: "allow" | "challenge" | "block";
  /** Intents of this source flagged so far (allowed, challenged or refused). */
  flaggedIntents: number;
  lastAt: number;
}

export interface FlaggedEntry {
  intentId: string;
  playerId: string;
  reasons: FlagReason[];
  at: number;
}

/** Most flagged entries or sources one listing returns (the count is always complete). */
export const FLAGGED_LIST_LIMIT = 1000;

type GuardConfig = Pick<
  Config,
  | "sourceWindowSeconds"
  | "accountsPerAddress"
  | "accountsPerDevice"
  | "drawRetentionSeconds"
  | "maxDurationMs"
  | "challengeModule"
  | "flaggedSourceAction"
  | "challengeUrl"
>;

export class SourceGuard {
  private readonly hook: Promise<ChallengeHook>;

  constructor(
    private readonly redis: Redis,
    private readonly config: GuardConfig,
    private readonly now: () => number,
    readonly blocklist: Blocklist,
    private readonly onFlag: (intent: Intent, action: string) => void = () => undefined,
  ) {
    this.hook = loadChallengeHook(config);
  }

  /** Resolves once the challenge hook is loaded (rejects with why it could not be). */
  ready(): Promise<unknown> {
    return this.hook;
  }

  /**
   * A flagged intent (its source has more accounts than allowed): the challenge hook decides; the
   * source is recorded as flagged with what it answered. Returns when the intent may go on, or
   * throws E_CHALLENGE_REQUIRED / E_BLOCKED. (Intents are counted in their batch script,
   * server/intent-batcher.ts, and come here only when flagged.)
   */
  async decideFlagged(intent: Intent, campaignId: string, who: SourceOf, reasons: FlagReason[], now = this.now()): Promise<void> {
    const address = who.address?.toLowerCase();
    const counted = reasons.map((r) => ({ kind: r.kind, value: r.kind === "address" ? address ?? "" : who.device ?? "" }));
    const hook = await this.hook;
    const decision = await hook.decide({ campaignId, intent, playerId: who.playerId, address, device: who.device, reasons, response: who.challenge });
    await this.recordSources(campaignId, reasons, counted, decision.action, now);
    this.onFlag(intent, decision.action);
    if (decision.action === "challenge") throw new ChallengeRequiredError(decision.challenge);
    if (decision.action === "block") throw new AppError("E_BLOCKED", decision.message ?? "Too many accounts come from your network or device; entries and spins from it are refused.");
  }

  private async recordSources(campaignId: string, reasons: FlagReason[], counted: readonly { kind: string; value: string }[], action: FlaggedSource["action"], at: number): Promise<void> {
    const keys = sourceKeys(campaignId);
    const multi = this.redis.multi();
    for (const r of reasons) {
      const value = counted.find((c) => c.kind === r.kind)!.value;
      const field = blockField(r.kind, value);
      multi.hset(keys.flaggedSources, field, JSON.stringify({ accounts: r.accounts, threshold: r.threshold, action, lastAt: at }));
      multi.hincrby(keys.flaggedSourceCounts, field, 1);
    }
    multi.expire(keys.flaggedSources, this.config.drawRetentionSeconds).expire(keys.flaggedSourceCounts, this.config.drawRetentionSeconds);
    await multi.exec();
  }

  /**
   * Records a stored entry as flagged (idempotent: a retried entry writes the same field again). The
   * entry's ack waits for it, so an acknowledged flagged entry is always recorded as flagged.
   */
  async flagEntry(campaignId: string, drawId: string, intentId: string, playerId: string, reasons: FlagReason[]): Promise<void> {
    const key = flaggedEntriesKey(campaignId, drawId);
    const ttl = Math.ceil(this.config.maxDurationMs / 1000) + this.config.drawRetentionSeconds;
    await this.redis.multi().hset(key, intentId, JSON.stringify({ playerId, reasons, at: this.now() })).expire(key, ttl).exec();
  }

  /** A draw's flagged entries: how many, and up to FLAGGED_LIST_LIMIT of them (oldest first). */
  async flaggedEntries(campaignId: string, drawId: string): Promise<{ count: number; entries: FlaggedEntry[] }> {
    const key = flaggedEntriesKey(campaignId, drawId);
    const count = await this.redis.hlen(key);
    const raw = count <= FLAGGED_LIST_LIMIT ? await this.redis.hgetall(key) : await scanHash(this.redis, key, FLAGGED_LIST_LIMIT);
    const entries: FlaggedEntry[] = Object.entries(raw).map(([intentId, json]) => {
      const v = JSON.parse(json) as Omit<FlaggedEntry, "intentId">;
      return { intentId, playerId: v.playerId, reasons: v.reasons, at: v.at };
    });
    entries.sort((a, b) => a.at - b.at || (a.intentId < b.intentId ? -1 : 1));
    return { count, entries };
  }

  /** The campaign's flagged sources, most recently flagged first (at most FLAGGED_LIST_LIMIT). */
  async flaggedSources(campaignId: string): Promise<FlaggedSource[]> {
    const keys = sourceKeys(campaignId);
    const [sources, counts] = await Promise.all([this.redis.hgetall(keys.flaggedSources), this.redis.hgetall(keys.flaggedSourceCounts)]);
    const out: FlaggedSource[] = [];
    for (const [field, json] of Object.entries(sources)) {
      const colon = field.indexOf(":");
      const kind = field.slice(0, colon);
      if (kind !== "address" && kind !== "device") continue;
      const v = JSON.parse(json) as { accounts: number; threshold: number; action: FlaggedSource["action"]; lastAt: number };
      out.push({ kind, value: field.slice(colon + 1), accounts: v.accounts, threshold: v.threshold, action: v.action, flaggedIntents: Number(counts[field] ?? 0), lastAt: v.lastAt });
    }
    return out.sort((a, b) => b.lastAt - a.lastAt).slice(0, FLAGGED_LIST_LIMIT);
  }
}

export const BLOCKED_MESSAGE: Record<SourceKind, string> = {
  player: "This account is blocked from this campaign by its hosts; contact the organiser.",
  address: "Your network address is blocked from this campaign by its hosts; contact the organiser.",
  device: "This device is blocked from this campaign by its hosts; contact the organiser.",
};

async function scanHash(redis: Redis, key: string, limit: number): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let cursor = "0";
  let n = 0;
  do {
    const [next, flat] = await redis.hscan(key, cursor, "COUNT", 500);
    cursor = next;
    for (let i = 0; i + 1 < flat.length && n < limit; i += 2, n++) out[flat[i]!] = flat[i + 1]!;
  } while (cursor !== "0" && n < limit);
  return out;
}

/** Per node: the intent limits, the source guard, and the entries in flight. */
export interface Admission {
  guard: SourceGuard;
  /** Spins: admission and append, one script call per campaign per event-loop turn. */
  spins: IntentBatcher;
  /** Entries: admission and entry, one script call per draw per event-loop turn. */
  entries: IntentBatcher;
  /**
   * Before an entry does any Redis work: E_BUSY with `retryAfterMs` when the node is overloaded
   * (event loop late, or LIVEDRAW_MAX_INFLIGHT_ENTRIES in flight). Returns the release of its place.
   */
  enterSlot(): () => void;
}

const byNode = new WeakMap<NodeContext, Admission>();

/** This node's admission control (made once per node, at its first use: the socket handlers' registration). */
export function admissionFor(ctx: NodeContext): Admission {
  let admission = byNode.get(ctx);
  if (admission) return admission;
  const guard = new SourceGuard(ctx.redis, ctx.config, () => ctx.clock.now(), new Blocklist(ctx.redis, (raw) => ctx.pseudonyms.player(raw)), (intent, action) =>
    ctx.metrics.flaggedIntents.labels(intent, action).inc(),
  );
  guard.ready().catch((err: unknown) => ctx.log.error({ err }, "the challenge hook could not be loaded (LIVEDRAW_CHALLENGE_MODULE): flagged intents fail with E_INTERNAL"));
  let inflight = 0;
  const stores = { spins: ctx.spins, draws: ctx.store };
  admission = {
    guard,
    spins: new IntentBatcher("spin", ctx.intentRedis, ctx.config, guard, () => ctx.clock.now(), stores),
    entries: new IntentBatcher("entry", ctx.intentRedis, ctx.config, guard, () => ctx.clock.now(), stores),
    enterSlot() {
      if (ctx.shedder.overloaded || inflight >= ctx.config.maxInflightEntries) {
        ctx.metrics.intents.labels("enter_shed").inc();
        throw new AppError("E_BUSY", "This node is overloaded; retry after `retryAfterMs`.", BUSY_RETRY_AFTER_MS);
      }
      inflight++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inflight--;
      };
    },
  };
  byNode.set(ctx, admission);
  return admission;
}

const handshakeSchema = z.object({
  device: z.string().regex(ID_PATTERN, "must be 1-64 characters of letters, digits, '_' or '-', starting with a letter or digit").optional(),
  challenge: z.string().min(1).max(2048).optional(),
});

/**
 * The handshake's optional `auth.device` (a stable id of the client's device, of the id grammar)
 * and `auth.challenge` (the answer to an E_CHALLENGE_REQUIRED). A bad one refuses the handshake
 * with E_BAD_REQUEST naming it.
 */
export function handshakeSource(auth: Record<string, unknown> | undefined): { device?: string; challenge?: string } {
  const parsed = handshakeSchema.safeParse({ device: auth?.device, challenge: auth?.challenge });
  if (!parsed.success) throw new AppError("E_BAD_REQUEST", `auth.${describeIssues(parsed.error)}`);
  return {
    ...(parsed.data.device === undefined ? {} : { device: parsed.data.device }),
    ...(parsed.data.challenge === undefined ? {} : { challenge: parsed.data.challenge }),
  };
}
