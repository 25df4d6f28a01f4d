/**
 * Everything nodes and workers do to a live draw's state in Redis. Each transition is one Lua script
 * that checks the current phase (compare-and-set), so two hosts or two workers racing cannot apply
 * a transition twice. Replies are validated here so nothing untyped leaks upward.
 *
 *   open ──(deadline, close job)──▶ closed ──(winners computed)──▶ drawn ──(reveal tier)──▶ revealing
 *     │                               │                              │                        │
 *     └──────────── cancel ───────────┴──────────────────────────────┴────────────────────────┤
 *                                                                             (last tier)      ▼
 *                                                         cancelled                          done
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { DRAW_AUDIT_TYPES, appendAuditRecord, campaignCreatedData, type AuditRecord } from "@livedraw/fairness";
import { AppError } from "./errors.js";
import type { BeaconRef, DrawPhase, DrawSnapshot, DrawTier, EnterResult, Winner } from "./protocol.js";
import { AdmitStatus, NO_ADMISSION, admissionArgs, admitReplySchema, type AdmitIntent, type SourceAdmission } from "./admission.js";
import { campaignKeys, drawKeys, intentLimitPrefix, openDrawsIndexKey, openDrawsMember, sourceKeys } from "./redis-keys.js";
import { proofCacheKeys } from "./redis-keys.js";
import { SCRIPT_ERRORS, ScriptStatus } from "./script-codes.js";
import { scriptReply } from "./script-reply.js";

const winnerSchema = z.object({ intentId: z.string(), name: z.string() });
const tierWinnersSchema = z.array(z.object({ tierId: z.string(), winners: z.array(winnerSchema) }));
export type StoredTierWinners = z.infer<typeof tierWinnersSchema>;

const optionsSchema = z.object({
  tiers: z.array(z.object({ tierId: z.string(), name: z.string(), count: z.number().int() })),
  autoReveal: z.boolean(),
  beacon: z.object({ chainHash: z.string(), round: z.number().int() }).nullable(),
});
export type DrawOptions = z.infer<typeof optionsSchema>;

const tierCommitmentsSchema = z.array(z.object({ tierId: z.string(), salt: z.string(), entryIds: z.array(z.string()).readonly(), winnersHash: z.string() }));
/** Each tier's original winners with the salt and hash the public log commits to (fairness: "Tier commitments"). */
export type StoredTierCommitments = z.infer<typeof tierCommitmentsSchema>;

const redrawsSchema = z.array(z.object({ tierId: z.string(), replaces: z.string(), winner: winnerSchema.nullable() }));
const auditRecordSchema = z.object({ seq: z.number().int(), type: z.string(), at: z.string(), data: z.unknown(), prevHash: z.string(), hash: z.string() });

/** A draw's full state, secrets included: for workers and nodes only, never sent as is. */
export interface DrawState {
  campaignId: string;
  drawId: string;
  phase: DrawPhase;
  title: string;
  openedAt: number;
  deadline: number;
  /** Redis time at which entries closed (set by closeDraw). */
  closedAt: number | null;
  /** Redis time at which winners were recorded (set by setDrawn). */
  drawnAt: number | null;
  entrants: number;
  weighted: boolean;
  excludePrevious: boolean;
  options: DrawOptions;
  commitment: string;
  algorithm: string;
  /** Secret until the draw is done. */
  serverSeed: string;
  merkleRoot: string | null;
  winners: StoredTierWinners | null;
  /** Secret until each tier is revealed; null for draws recorded before tier commitments (recomputed then). */
  tierCommitments: StoredTierCommitments | null;
  revealed: string[];
  /** Broadcast sequence number each revealed tier's `draw:reveal` carries (taken when it was revealed). */
  revealSeqs: Record<string, number>;
  /** Revealed tiers whose `draw:reveal` has not been emitted yet (a crash between the two). */
  unsentReveals: string[];
  redraws: z.infer<typeof redrawsSchema>;
  beacon: unknown;
}

export interface StoredEntry {
  intentId: string;
  playerId: string;
  name: string;
  tickets: number;
}

/** What a host chooses when opening a draw. */
export interface DrawDefinition {
  title: string;
  durationMs: number;
  tiers: DrawTier[];
  weighted: boolean;
  excludePrevious: boolean;
  autoReveal: boolean;
  beacon: BeaconRef | null;
}

/** A definition plus the secrets and commitments the server adds. */
export interface OpenSpec extends DrawDefinition {
  serverSeed: string;
  commitment: string;
  algorithm: string;
}

/** One row of `GET /v1/campaigns/:campaignId/draws`. */
export interface DrawSummary {
  drawId: string;
  title: string;
  phase: DrawPhase;
  openedAt: number;
  deadline: number;
  entrants: number;
}

export type CloseOutcome = { status: "closed" } | { status: "already"; phase: string } | { status: "early"; remainingMs: number };

export class DrawStore {
  constructor(private readonly redis: Redis) {}

  async open(campaignId: string, drawId: string, spec: OpenSpec): Promise<{ openedAt: number; deadline: number }> {
    const k = drawKeys(campaignId, drawId);
    const options: DrawOptions = { tiers: spec.tiers, autoReveal: spec.autoReveal, beacon: spec.beacon };
    const { rest } = scriptReply(
      await this.redis.ld1_openDraw(
        k.state, campaignKeys(campaignId).draws,
        drawId, spec.title, spec.durationMs, JSON.stringify(options), spec.weighted ? 1 : 0, spec.excludePrevious ? 1 : 0,
        spec.commitment, spec.serverSeed, spec.algorithm,
      ),
    );
    const openedAt = Number(rest[0]);
    const deadline = Number(rest[1]);
    // Advisory index that lets every node emit countdown ticks; the truth stays in the state hash.
    await this.redis.zadd(openDrawsIndexKey, deadline, openDrawsMember(campaignId, drawId));
    return { openedAt, deadline };
  }

  /** Records one entry with no admission checks (sockets' entries go through server/intent-batcher.ts: the same script, many per call). */
  async enter(campaignId: string, drawId: string, playerId: string, maskedName: string): Promise<EnterResult> {
    const [status, intentId] = admitReplySchema.parse(await this.admitEntries(campaignId, drawId, NO_ADMISSION, [[playerId, maskedName, "", "", "", "", ""]]));
    if (status === AdmitStatus.STORED || status === AdmitStatus.DUPLICATE) return { intentId: String(intentId), duplicate: status === AdmitStatus.DUPLICATE };
    const code = SCRIPT_ERRORS[Number(status)];
    throw code ? new AppError(code) : new AppError("E_INTERNAL", `admitEntries answered status ${status}`);
  }

  /** core/lua/admitEntries-7.lua for these intents of one draw (the raw reply: 3 elements per intent). */
  admitEntries(campaignId: string, drawId: string, admission: SourceAdmission, intents: readonly AdmitIntent[], redis: Redis = this.redis): Promise<unknown> {
    const k = drawKeys(campaignId, drawId);
    const c = campaignKeys(campaignId);
    return redis.ld1_admitEntries(k.state, k.entrants, k.intents, c.players, c.liveWinners, sourceKeys(campaignId).blocklist, c.names, ...admissionArgs(intentLimitPrefix(campaignId, "entry"), admission, intents));
  }

  async close(campaignId: string, drawId: string): Promise<CloseOutcome> {
    const raw = await this.redis.ld1_closeDraw(drawKeys(campaignId, drawId).state);
    if (Array.isArray(raw) && Number(raw[0]) === ScriptStatus.TOO_EARLY) return { status: "early", remainingMs: Number(raw[1]) };
    const { code, rest } = scriptReply(raw);
    await this.redis.zrem(openDrawsIndexKey, openDrawsMember(campaignId, drawId));
    return code === ScriptStatus.OK ? { status: "closed" } : { status: "already", phase: String(rest[0]) };
  }

  /**
   * A host's early close: an open draw's deadline moves to now (Lua, atomic with the phase check),
   * so no entry is accepted from here on. E_DRAW_STATE unless open. The close job does the rest.
   */
  async closeEarly(campaignId: string, drawId: string): Promise<{ deadline: number; previousDeadline: number }> {
    const { rest } = scriptReply(await this.redis.ld1_closeEarly(drawKeys(campaignId, drawId).state));
    const deadline = Number(rest[0]);
    // Advisory tick index (score = deadline), only if the draw is still listed there.
    await this.redis.zadd(openDrawsIndexKey, "XX", deadline, openDrawsMember(campaignId, drawId));
    return { deadline, previousDeadline: Number(rest[1]) };
  }

  /**
   * The campaign's draws, newest first, at most `limit`. Draws whose keys expired after retention
   * (the draws set keeps every id ever used) are left out.
   */
  async listDraws(campaignId: string, limit: number): Promise<DrawSummary[]> {
    const ids = await this.redis.zrevrange(campaignKeys(campaignId).draws, 0, limit * 2 - 1);
    const rows = await Promise.all(ids.map((id) => this.redis.hmget(drawKeys(campaignId, id).state, "phase", "title", "openedAt", "deadline", "entrants")));
    const out: DrawSummary[] = [];
    rows.forEach(([phase, title, openedAt, deadline, entrants], i) => {
      if (!phase || out.length >= limit) return;
      out.push({ drawId: ids[i]!, title: title ?? "", phase: phase as DrawPhase, openedAt: Number(openedAt), deadline: Number(deadline), entrants: Number(entrants ?? 0) });
    });
    return out;
  }

  /** The final entries of a closed draw, in stream order. */
  async entries(campaignId: string, drawId: string): Promise<StoredEntry[]> {
    const rows = await this.redis.xrange(drawKeys(campaignId, drawId).intents, "-", "+");
    return rows.map(([intentId, fields]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      return { intentId, playerId: f.player ?? "", name: f.name ?? "", tickets: Number(f.tickets ?? 1) };
    });
  }

  async state(campaignId: string, drawId: string): Promise<DrawState | null> {
    const s = await this.redis.hgetall(drawKeys(campaignId, drawId).state);
    // A draw written before the verifiable lifecycle (no options) is not readable as one: ignore it.
    if (!s.phase || !s.options) return null;
    return {
      campaignId,
      drawId,
      phase: s.phase as DrawPhase,
      title: s.title ?? "",
      openedAt: Number(s.openedAt),
      deadline: Number(s.deadline),
      closedAt: s.closedAt ? Number(s.closedAt) : null,
      drawnAt: s.drawnAt ? Number(s.drawnAt) : null,
      entrants: Number(s.entrants ?? 0),
      weighted: s.weighted === "1",
      excludePrevious: s.excludePrevious === "1",
      options: optionsSchema.parse(JSON.parse(s.options ?? "null")),
      commitment: s.commitment ?? "",
      algorithm: s.algorithm ?? "",
      serverSeed: s.seed ?? "",
      merkleRoot: s.merkleRoot ?? null,
      winners: s.winners ? tierWinnersSchema.parse(JSON.parse(s.winners)) : null,
      tierCommitments: s.tierCommitments ? tierCommitmentsSchema.parse(JSON.parse(s.tierCommitments)) : null,
      revealed: z.array(z.string()).parse(JSON.parse(s.revealed ?? "[]")),
      revealSeqs: Object.fromEntries(Object.entries(s).filter(([f]) => f.startsWith("revealSeq:")).map(([f, v]) => [f.slice("revealSeq:".length), Number(v)])),
      unsentReveals: Object.keys(s).filter((f) => f.startsWith("revealUnsent:")).map((f) => f.slice("revealUnsent:".length)),
      redraws: redrawsSchema.parse(JSON.parse(s.redraws ?? "[]")),
      beacon: s.beacon ? (JSON.parse(s.beacon) as unknown) : null,
    };
  }

  async setDrawn(
    campaignId: string,
    drawId: string,
    drawn: { entrants: number; merkleRoot: string; drawSeed: string; winners: StoredTierWinners; beacon: unknown; winnerPlayers: Record<string, string[]>; tierCommitments: StoredTierCommitments },
  ): Promise<void> {
    const k = drawKeys(campaignId, drawId);
    scriptReply(
      await this.redis.ld1_setDrawn(
        k.state,
        drawn.entrants, drawn.merkleRoot, drawn.drawSeed, JSON.stringify(drawn.winners), drawn.beacon === null ? "" : JSON.stringify(drawn.beacon),
        JSON.stringify(drawn.winnerPlayers), JSON.stringify(drawn.tierCommitments),
      ),
    );
  }

  /**
   * Reveals `tierId` (or the next tier in order when null), recording the broadcast sequence number
   * its `draw:reveal` will carry and marking it unsent (core/lua/revealTier-3.lua); returns the tier,
   * whether the draw is now done, and that number.
   */
  async revealTier(campaignId: string, drawId: string, tierId: string | null): Promise<{ tierId: string; done: boolean; eventSeq: number }> {
    const c = campaignKeys(campaignId);
    const { rest } = scriptReply(await this.redis.ld1_revealTier(drawKeys(campaignId, drawId).state, c.liveWinners, c.eventSeq, tierId ?? ""));
    return { tierId: String(rest[0]), done: Number(rest[1]) === 1, eventSeq: Number(rest[2]) };
  }

  /** The tier's recorded `draw:reveal` has been emitted: nobody needs to re-send it. */
  async markRevealSent(campaignId: string, drawId: string, tierId: string): Promise<void> {
    await this.redis.hdel(drawKeys(campaignId, drawId).state, `revealUnsent:${tierId}`);
  }

  async redraw(campaignId: string, drawId: string, r: { tierId: string; replaces: string; index: number; winner: Winner | null; winnerPlayerId: string | null }): Promise<void> {
    scriptReply(
      await this.redis.ld1_redrawWinner(
        drawKeys(campaignId, drawId).state, campaignKeys(campaignId).liveWinners,
        r.tierId, r.replaces, r.index, r.winner === null ? "" : JSON.stringify(r.winner), r.winnerPlayerId ?? "",
      ),
    );
  }

  async cancel(campaignId: string, drawId: string, reason: string): Promise<void> {
    scriptReply(await this.redis.ld1_cancelDraw(drawKeys(campaignId, drawId).state, reason));
    await this.redis.zrem(openDrawsIndexKey, openDrawsMember(campaignId, drawId));
  }

  /** Starts the retention clock of a finished draw's keys. */
  async expire(campaignId: string, drawId: string, retentionSeconds: number): Promise<void> {
    const k = drawKeys(campaignId, drawId);
    await Promise.all([k.state, k.entrants, k.intents, k.claims].map((key) => this.redis.expire(key, retentionSeconds)));
  }

  /** All entrants of a draw: playerId → intentId. */
  async entrants(campaignId: string, drawId: string): Promise<Map<string, string>> {
    return new Map(Object.entries(await this.redis.hgetall(drawKeys(campaignId, drawId).entrants)));
  }

  async latestDrawId(campaignId: string): Promise<string | null> {
    const ids = await this.redis.zrevrange(campaignKeys(campaignId).draws, 0, 0);
    return ids[0] ?? null;
  }

  /**
   * Appends a record to the campaign's hash-chained audit log, retrying on the new tail if another
   * append won, and at most once per `dedupeKey` (so repeating a transition's logging is harmless).
   * Times never go backwards: a record is stamped no earlier than the one before it.
   * Returns false when a record with this dedupe key already existed.
   */
  async appendAudit(campaignId: string, type: string, at: number, data: Parameters<typeof appendAuditRecord>[3], dedupeKey = ""): Promise<boolean> {
    const c = campaignKeys(campaignId);
    for (let attempt = 0; attempt < 50; attempt++) {
      const tail = await this.redis.lindex(c.audit, -1);
      const prev = tail === null ? null : (auditRecordSchema.parse(JSON.parse(tail)) as AuditRecord);
      const stamp = new Date(Math.max(at, prev ? Date.parse(prev.at) : 0)).toISOString();
      if (prev === null && type !== DRAW_AUDIT_TYPES.campaignCreated) {
        // Every campaign's log starts with the record that binds it to the campaign (seq 0 only:
        // if another append got there first, that append's genesis stands).
        const genesis = appendAuditRecord(null, DRAW_AUDIT_TYPES.campaignCreated, stamp, campaignCreatedData(campaignId));
        await this.redis.ld1_appendAudit(c.audit, c.auditIndex, 0, JSON.stringify(genesis), DRAW_AUDIT_TYPES.campaignCreated);
        continue;
      }
      const record = appendAuditRecord(prev, type, stamp, data);
      const raw = await this.redis.ld1_appendAudit(c.audit, c.auditIndex, record.seq, JSON.stringify(record), dedupeKey);
      if (Array.isArray(raw) && Number(raw[0]) === ScriptStatus.AUDIT_CONFLICT) continue;
      return scriptReply(raw).code === ScriptStatus.OK;
    }
    throw new Error(`audit log of ${campaignId}: too many concurrent appends`);
  }

  /** Which of these audit dedupe keys have no record yet. */
  async missingAudit(campaignId: string, keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const seqs = await this.redis.hmget(campaignKeys(campaignId).auditIndex, ...keys);
    return new Set(keys.filter((_, i) => seqs[i] === null));
  }

  /** Drops a cached proof bundle (a redraw after the draw was done changes it). */
  async invalidateProof(campaignId: string, drawId: string): Promise<void> {
    await this.redis.del(proofCacheKeys(campaignId, drawId).bundle);
  }

  /**
   * A done draw's proof bundle, built once and kept as long as the draw. A redraw applied while the
   * bundle was being built would otherwise leave the bundle it made obsolete in the cache (its
   * invalidation may land before this SET): the redraw count is checked after the SET, and a bundle
   * built on an older count is dropped again (the next request builds the current one).
   */
  async cachedProof(campaignId: string, drawId: string, build: () => Promise<unknown>, retentionSeconds: number): Promise<string> {
    const key = proofCacheKeys(campaignId, drawId).bundle;
    const cached = await this.redis.get(key);
    if (cached !== null) return cached;
    const bundle = await build();
    const json = JSON.stringify(bundle);
    await this.redis.set(key, json, "EX", retentionSeconds);
    const built = (bundle as { redraws?: unknown } | null)?.redraws;
    const now = await this.redis.hget(drawKeys(campaignId, drawId).state, "redraws");
    if (Array.isArray(built) && built.length !== redrawCount(now)) await this.redis.del(key);
    return json;
  }

  async audit(campaignId: string): Promise<AuditRecord[]> {
    const rows = await this.redis.lrange(campaignKeys(campaignId).audit, 0, -1);
    return rows.map(parseAuditRecord);
  }

  // ── Read caches of the public endpoints (server/public-reads.ts) ──────────────────────────────

  /** The audit log's length and its last record as stored (the tail's hash commits to the whole chain). */
  async auditTail(campaignId: string): Promise<{ length: number; tail: string | null }> {
    const key = campaignKeys(campaignId).audit;
    const [length, tail] = await Promise.all([this.redis.llen(key), this.redis.lindex(key, -1)]);
    return { length, tail };
  }

  /** Audit records as stored (JSON strings), from index `start` to the end. */
  async auditFrom(campaignId: string, start: number): Promise<string[]> {
    return this.redis.lrange(campaignKeys(campaignId).audit, start, -1);
  }

  /** The few fields of a draw's state the public reads check on every request; null as `state()` would be. */
  async readState(campaignId: string, drawId: string): Promise<DrawReadState | null> {
    const [phase, options, weighted, redraws, merkleRoot] = await this.redis.hmget(drawKeys(campaignId, drawId).state, "phase", "options", "weighted", "redraws", "merkleRoot");
    if (!phase || !options) return null;
    return { phase: phase as DrawPhase, weighted: weighted === "1", redraws: redrawCount(redraws ?? null), merkleRoot: merkleRoot ?? null };
  }

  /** A page of a closed draw's entries in stream order: at most `count`, after the id `after` (from the start when null). */
  async entriesPage(campaignId: string, drawId: string, after: string | null, count: number): Promise<StoredEntry[]> {
    const rows = await this.redis.xrange(drawKeys(campaignId, drawId).intents, after === null ? "-" : `(${after}`, "+", "COUNT", count);
    return rows.map(([intentId, fields]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      return { intentId, playerId: f.player ?? "", name: f.name ?? "", tickets: Number(f.tickets ?? 1) };
    });
  }

  /**
   * Stores a closed draw's Merkle tree for inclusion proofs: a hash entryId → "<index> <tickets>"
   * (field "" holds the entry count, written in the same transaction) and a string of every node,
   * 32 raw bytes each, level by level from the leaves (`merkleNodeOffset`). Entries never change
   * after the close, so neither does the tree: no redraw invalidates it.
   */
  async saveMerkleTree(campaignId: string, drawId: string, tree: { ids: readonly string[]; tickets: readonly number[]; nodes: Buffer }, fallbackTtlMs: number): Promise<void> {
    const k = proofCacheKeys(campaignId, drawId);
    // Kept as long as the draw itself (its retention clock starts when it is done).
    const drawTtl = await this.redis.pttl(drawKeys(campaignId, drawId).state);
    const ttlMs = drawTtl > 0 ? drawTtl : fallbackTtlMs;
    const multi = this.redis.multi().del(k.merkleIndex, k.merkleNodes);
    for (let from = 0; from < tree.ids.length; from += MERKLE_HSET_CHUNK) {
      const args: string[] = [];
      for (let i = from; i < Math.min(from + MERKLE_HSET_CHUNK, tree.ids.length); i++) args.push(tree.ids[i]!, `${i} ${tree.tickets[i]!}`);
      multi.hset(k.merkleIndex, ...args);
    }
    multi.hset(k.merkleIndex, "", String(tree.ids.length)).set(k.merkleNodes, tree.nodes).pexpire(k.merkleIndex, ttlMs).pexpire(k.merkleNodes, ttlMs);
    const replies = await multi.exec();
    const failed = replies?.find(([err]) => err !== null)?.[0];
    if (!replies || failed) throw new Error(`saving the Merkle tree of ${campaignId}/${drawId} failed`, { cause: failed ?? undefined });
  }

  /**
   * One entry's place in the stored tree: `null` when no tree is stored, `{ count, entry: null }`
   * when the tree has no such entry.
   */
  async merkleEntry(campaignId: string, drawId: string, entryId: string): Promise<{ count: number; entry: { index: number; tickets: number } | null } | null> {
    const [count, row] = await this.redis.hmget(proofCacheKeys(campaignId, drawId).merkleIndex, "", entryId);
    if (count === null || count === undefined) return null;
    if (row === null || row === undefined) return { count: Number(count), entry: null };
    const [index, tickets] = row.split(" ");
    return { count: Number(count), entry: { index: Number(index), tickets: Number(tickets) } };
  }

  /** Stored tree nodes by their node offsets (`merkleNodeOffset`), 32 bytes each, in one pipeline. */
  async merkleNodes(campaignId: string, drawId: string, offsets: readonly number[]): Promise<Buffer[]> {
    if (offsets.length === 0) return [];
    const key = proofCacheKeys(campaignId, drawId).merkleNodes;
    const pipeline = this.redis.pipeline();
    for (const o of offsets) pipeline.getrangeBuffer(key, o * 32, o * 32 + 31);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, value], i) => {
      if (err || !Buffer.isBuffer(value) || value.length !== 32) throw new Error(`Merkle node ${offsets[i]} of ${campaignId}/${drawId} is missing`, { cause: err ?? undefined });
      return value;
    });
  }

  /** The next sequence number of the campaign room's broadcasts. */
  async nextEventSeq(campaignId: string): Promise<number> {
    return this.redis.incr(campaignKeys(campaignId).eventSeq);
  }

  /** The latest broadcast sequence number of the campaign (0 before the first). */
  async eventSeq(campaignId: string): Promise<number> {
    return Number((await this.redis.get(campaignKeys(campaignId).eventSeq)) ?? 0);
  }

  /** The draw as a client should see it (no secrets before their time); `playerId` adds that player's own entry and result. */
  async snapshot(campaignId: string, drawId: string, playerId: string | null): Promise<DrawSnapshot | null> {
    const [state, mine] = await Promise.all([
      this.state(campaignId, drawId),
      playerId === null ? Promise.resolve(null) : this.redis.hget(drawKeys(campaignId, drawId).entrants, playerId),
    ]);
    if (!state) return null;
    return publicSnapshot(state, mine);
  }
}

/** What may be shown of a draw: winners only of revealed tiers, the seed only once done. */
export function publicSnapshot(state: DrawState, myIntentId: string | null): DrawSnapshot {
  const tierName = new Map(state.options.tiers.map((t) => [t.tierId, t.name]));
  const revealed = state.revealed.map((tierId) => ({
    tierId,
    name: tierName.get(tierId) ?? tierId,
    winners: state.winners?.find((w) => w.tierId === tierId)?.winners ?? [],
  }));
  let myResult: DrawSnapshot["myResult"] = null;
  let myTierId: string | null = null;
  if (myIntentId) {
    const won = revealed.find((t) => t.winners.some((w) => w.intentId === myIntentId));
    if (won) {
      myResult = "won";
      myTierId = won.tierId;
    } else if (state.phase === "done") myResult = "lost";
  }
  return {
    campaignId: state.campaignId,
    drawId: state.drawId,
    title: state.title,
    phase: state.phase,
    tiers: state.options.tiers,
    weighted: state.weighted,
    openedAt: state.openedAt,
    deadline: state.deadline,
    entrants: state.entrants,
    commitment: state.commitment,
    merkleRoot: state.merkleRoot,
    revealed,
    serverSeed: state.phase === "done" ? state.serverSeed : null,
    myIntentId,
    myResult,
    myTierId,
    resultSeq: state.redraws.length,
    algorithm: state.algorithm,
    beacon: state.options.beacon,
  };
}

export function assertPhase<S extends { phase: DrawPhase }>(state: S | null, allowed: DrawPhase[]): asserts state is S {
  if (!state) throw new AppError("E_DRAW_NOT_FOUND");
  if (!allowed.includes(state.phase)) throw new AppError("E_DRAW_STATE", `The draw is ${state.phase}; this needs it to be ${allowed.join(" or ")}.`);
}

/** What the public reads check of a draw on every request (`DrawStore.readState`). */
export interface DrawReadState {
  phase: DrawPhase;
  weighted: boolean;
  /** Redraws applied so far: a cached proof bundle is current only for this count. */
  redraws: number;
  merkleRoot: string | null;
}

/** Fields per HSET when a Merkle index is stored (each command stays small). */
const MERKLE_HSET_CHUNK = 1000;

function redrawCount(stored: string | null): number {
  return stored ? (JSON.parse(stored) as unknown[]).length : 0;
}

/** An audit record as stored, checked and in the registry's key order (what `GET …/audit` serves). */
export function parseAuditRecord(raw: string): AuditRecord {
  return auditRecordSchema.parse(JSON.parse(raw)) as AuditRecord;
}

/**
 * Cache keys of a done draw's public reads, under the campaign's proof prefix: the bundle (as
 * before), and the Merkle index and nodes (`:merkle-index`, `:merkle-nodes`; draw ids have no ':',
 * so these never collide with another draw's bundle).
 */
/** Re-exported for the routes and tests; built in core/redis-keys.ts like every key. */
export { proofCacheKeys };

/**
 * Offset (in nodes) of node `index` of tree level `level` in the stored node string: the levels of
 * a tree over `count` leaves follow each other, the leaves first, each level ceil(half) the one below.
 */
export function merkleNodeOffset(count: number, level: number, index: number): number {
  let offset = 0;
  let size = count;
  for (let l = 0; l < level; l++) {
    offset += size;
    size = Math.ceil(size / 2);
  }
  return offset + index;
}
