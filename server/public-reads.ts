/**
 * The expensive public reads of a socket node, computed once and then served from caches:
 *
 *   GET …/draws/:d/proof      the proof bundle: built once (cached in Redis by LiveDraws.proof, as
 *                             before), in this node's heavy-reads thread (server/reads-worker.ts), never
 *                             on its event loop, and kept in this node's memory for the draw's current
 *                             redraw count, so a redraw anywhere (which changes the count) is never
 *                             hidden by a copy held here.
 *   GET …/draws/:d/inclusion  the entrants' Merkle tree is built once per closed draw (in the
 *                             heavy-reads thread; from sources, here in slices yielding to the event
 *                             loop) and stored in Redis beside the bundle
 *                             (`:merkle-index`, `:merkle-nodes`); any node then answers a proof with
 *                             one HMGET and one pipeline of O(log n) GETRANGEs, and this node keeps
 *                             the answers (and the trees it built) in memory. Entries never change
 *                             after the close, so neither do the answers.
 *   GET …/audit               the campaign's log is append-only: this node keeps the page and checks
 *                             it with LLEN + LINDEX -1 (the tail's hash commits to the whole chain);
 *                             when the log grew, only the new records are read.
 *
 *   GET …/draws/:d            the public snapshot is live state: read every time, and the last one
 *                             served is kept here.
 *
 * While Redis is unreachable, a read this node has answered before is served from what it holds,
 * marked `x-livedraw-stale: true` with `age` (seconds since it was read); the snapshot also carries
 * `"stale": true`. A read it never answered is E_UNAVAILABLE as before.
 *
 * Every answer is byte for byte what the uncached code computed. Each request still checks the
 * draw's phase, so an expired or cancelled draw is answered as before. At most
 * PUBLIC_READ_CONCURRENCY computations (builds, cache fills) run at once on a node; requests for a
 * result being computed wait for it, and a new computation beyond the limit is answered
 * 503 E_BUSY with `retryAfterMs` (ComputeGate).
 */
import { isEntryId, sortEntries, type Entry } from "@livedraw/fairness";
import { assertPhase, parseAuditRecord, type DrawReadState } from "../core/draw-store.js";
import { AppError, isRedisUnavailable } from "../core/errors.js";
import type { DrawPhase } from "../core/protocol.js";
import { ComputeGate } from "./compute-gate.js";
import type { NodeContext } from "./context.js";
import type { HttpResponse } from "./http-types.js";
import { setImmediate as nextTurn } from "node:timers/promises";
import { Lru } from "./lru.js";
import { readsWorker, type ReadsWorker } from "./reads-worker.js";
import { buildMerkleTree, inclusionProofJson, proofFromTree, siblingOffsets, type MerkleTree } from "./merkle-tree.js";

/** Builds and cache fills running at once per node (a candidate for an option, LIVEDRAW_PUBLIC_READ_CONCURRENCY). */
export const PUBLIC_READ_CONCURRENCY = 4;
/** What a request refused with E_BUSY is told to wait. */
export const PUBLIC_READ_RETRY_AFTER_MS = 500;
/** Memory budgets of this node's caches, in characters / bytes. */
const PROOF_CACHE_BYTES = 64 * 1024 * 1024;
const TREE_CACHE_BYTES = 64 * 1024 * 1024;
const INCLUSION_CACHE_BYTES = 16 * 1024 * 1024;
const AUDIT_CACHE_BYTES = 16 * 1024 * 1024;
const SNAPSHOT_CACHE_BYTES = 16 * 1024 * 1024;
/** Answers whose last confirmation time is remembered (for the `age` of a stale answer). */
const CONFIRMED_MAX = 100_000;
/** Entries read per XRANGE while a tree is built. */
const ENTRY_PAGE = 2000;

const INCLUSION_PHASES: DrawPhase[] = ["closed", "drawn", "revealing", "done"];
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

interface AuditPage {
  length: number;
  /** The last record as stored. */
  tail: string | null;
  /** Each record as served (parsed, in the registry's key order, stringified). */
  records: string[];
  body: string;
}

const noSuchEntry = () => new AppError("E_NOT_FOUND", "No such entry in this draw.");
const ok = (body: string | Buffer): HttpResponse => ({ status: 200, headers: { ...JSON_HEADERS }, body });

export class PublicReads {
  private readonly gate = new ComputeGate(PUBLIC_READ_CONCURRENCY, PUBLIC_READ_RETRY_AFTER_MS);
  private readonly builder: ReadsWorker;
  /** Bundles as UTF-8 bytes: a 10,000-entry bundle is ~370 kB, not re-encoded per request. */
  private readonly proofs = new Lru<{ redraws: number; body: Buffer }>(PROOF_CACHE_BYTES);
  private readonly trees = new Lru<MerkleTree>(TREE_CACHE_BYTES);
  private readonly inclusions = new Lru<string>(INCLUSION_CACHE_BYTES);
  private readonly audits = new Lru<AuditPage>(AUDIT_CACHE_BYTES);
  /** The last public snapshot served per draw, as sent (JSON): for stale answers only. */
  private readonly snapshots = new Lru<string>(SNAPSHOT_CACHE_BYTES);
  /** When each cached proof / inclusion / audit answer was last confirmed against Redis. */
  private readonly confirmed = new Map<string, number>();

  constructor(private readonly ctx: NodeContext) {
    this.builder = readsWorker(ctx);
  }

  /**
   * Runs a fresh read; if Redis is unreachable and this node holds an earlier answer, serves that,
   * marked stale. `key` names the answer in `confirmed`.
   */
  private async orStale(key: string, fresh: () => Promise<HttpResponse>, held: () => HttpResponse | undefined): Promise<HttpResponse> {
    try {
      const res = await fresh();
      this.confirm(key);
      return res;
    } catch (err) {
      const old = isRedisUnavailable(err) || (err instanceof AppError && err.code === "E_UNAVAILABLE") ? held() : undefined;
      if (old === undefined) throw err;
      const age = Math.max(0, Math.round((Date.now() - (this.confirmed.get(key) ?? Date.now())) / 1000));
      return { ...old, headers: { ...old.headers, "x-livedraw-stale": "true", age: String(age), "cache-control": "no-store" } };
    }
  }

  private confirm(key: string): void {
    this.confirmed.delete(key);
    this.confirmed.set(key, Date.now());
    if (this.confirmed.size > CONFIRMED_MAX) this.confirmed.delete(this.confirmed.keys().next().value as string);
  }

  /** `GET …/draws/:drawId`: the public snapshot (winners of revealed tiers only). */
  async snapshot(campaignId: string, drawId: string): Promise<HttpResponse> {
    const key = `${campaignId}/${drawId}`;
    return this.orStale(
      `snapshot:${key}`,
      async () => {
        const snapshot = await this.ctx.store.snapshot(campaignId, drawId, null);
        if (!snapshot) throw new AppError("E_DRAW_NOT_FOUND");
        // Encoded once: the same text is the answer and what is kept for a stale answer.
        const text = JSON.stringify({ ...snapshot, serverTime: this.ctx.clock.now() });
        this.snapshots.set(key, text, text.length * 2);
        return ok(text);
      },
      () => {
        const held = this.snapshots.get(key);
        // The kept object's text with `"stale":true` appended before its closing brace.
        return held === undefined ? undefined : ok(`${held.slice(0, -1)},"stale":true}`);
      },
    );
  }

  /** `GET …/draws/:drawId/proof`: the bundle of a done draw. */
  async proof(campaignId: string, drawId: string): Promise<HttpResponse> {
    const key = `${campaignId}/${drawId}`;
    return this.orStale(`proof:${key}`, () => this.freshProof(campaignId, drawId), () => {
      const held = this.proofs.get(key);
      return held && ok(held.body);
    });
  }

  private largeAnswers: Promise<void> = Promise.resolve();

  /**
   * Resolves in an event-loop iteration of its own, one caller after another. (Immediates queued in
   * one iteration all run in that iteration's check phase, with no I/O between them; an immediate
   * queued from inside one runs in the next iteration. So each waiter queues its immediate only once
   * the previous waiter's has run.)
   */
  private largeAnswerTurn(): Promise<void> {
    const turn = this.largeAnswers.then(() => nextTurn()).then(() => undefined);
    this.largeAnswers = turn;
    return turn;
  }

  private async freshProof(campaignId: string, drawId: string): Promise<HttpResponse> {
    const state = await this.ctx.store.readState(campaignId, drawId);
    assertPhase(state, ["done"]);
    const key = `${campaignId}/${drawId}`;
    const held = this.proofs.get(key);
    if (held && held.redraws === state.redraws) {
      // A burst of bundle requests all pass their state read in the same turn; writing each ~400 kB
      // answer in an event-loop iteration of its own lets /healthz, ticks and acks in between.
      await this.largeAnswerTurn();
      return ok(held.body);
    }
    const body = await this.gate.run(`proof:${key}:${state.redraws}`, async () => {
      // Built (or read from Redis) by this node's heavy-reads thread: never on its event loop.
      const { body: bytes, redraws } = await this.builder.proof(campaignId, drawId);
      // Between a redraw's Lua and its invalidation the cache may still hold the bundle before it:
      // serve it as before, but keep only a bundle of the count this request saw.
      if (redraws === state.redraws) this.proofs.set(key, { redraws, body: bytes }, bytes.length);
      return bytes;
    });
    return ok(body);
  }

  /** `GET …/draws/:drawId/inclusion?entryId=…`: the Merkle inclusion proof of one entry of a closed draw. */
  async inclusion(campaignId: string, drawId: string, entryId: string): Promise<HttpResponse> {
    const answer = `${campaignId}/${drawId}/${entryId}`;
    return this.orStale(`inclusion:${answer}`, () => this.freshInclusion(campaignId, drawId, entryId), () => {
      const held = this.inclusions.get(answer);
      return held === undefined ? undefined : ok(held);
    });
  }

  private async freshInclusion(campaignId: string, drawId: string, entryId: string): Promise<HttpResponse> {
    const key = `${campaignId}/${drawId}`;
    // Not an entry id at all: no entry, known without reading the tree (checked after the phase, as before).
    const valid = isEntryId(entryId);
    const held = valid ? this.inclusions.get(`${key}/${entryId}`) : undefined;
    const tree = valid && held === undefined ? this.trees.get(key) : undefined;
    const lookup = valid && held === undefined && tree === undefined;
    const [state, stored] = await Promise.all([this.ctx.store.readState(campaignId, drawId), lookup ? this.ctx.store.merkleEntry(campaignId, drawId, entryId) : null]);
    assertPhase(state, INCLUSION_PHASES);
    if (!valid) throw noSuchEntry();
    if (held !== undefined) return ok(held);
    let body: string | null;
    if (tree) body = proofFromTree(tree, entryId);
    else if (stored) {
      if (!stored.entry) throw noSuchEntry();
      const { index, tickets } = stored.entry;
      const path = await this.ctx.store.merkleNodes(campaignId, drawId, siblingOffsets(stored.count, index));
      body = inclusionProofJson(entryId, state.weighted, tickets, index, stored.count, path);
    } else {
      // Built and stored in Redis by the heavy-reads thread, then answered like any node answers from Redis.
      const inThread = await this.gate.run(`tree:${key}`, () => this.builder.tree(campaignId, drawId, state.weighted, state.merkleRoot));
      if (!inThread) body = proofFromTree(await this.gate.run(`tree-here:${key}`, () => this.buildTree(campaignId, drawId, state)), entryId);
      else {
        const built = await this.ctx.store.merkleEntry(campaignId, drawId, entryId);
        if (!built) throw new Error(`the Merkle tree of ${campaignId}/${drawId} was built but is not in Redis`);
        if (!built.entry) throw noSuchEntry();
        const { index, tickets } = built.entry;
        const path = await this.ctx.store.merkleNodes(campaignId, drawId, siblingOffsets(built.count, index));
        body = inclusionProofJson(entryId, state.weighted, tickets, index, built.count, path);
      }
    }
    if (body === null) throw noSuchEntry();
    this.inclusions.set(`${key}/${entryId}`, body, body.length);
    return ok(body);
  }

  /** `GET /v1/campaigns/:campaignId/audit`: the campaign's whole hash-chained log. */
  async audit(campaignId: string): Promise<HttpResponse> {
    return this.orStale(`audit:${campaignId}`, () => this.freshAudit(campaignId), () => {
      const held = this.audits.get(campaignId);
      return held && ok(held.body);
    });
  }

  private async freshAudit(campaignId: string): Promise<HttpResponse> {
    const { length, tail } = await this.ctx.store.auditTail(campaignId);
    const held = this.audits.get(campaignId);
    if (held && held.length === length && held.tail === tail) return ok(held.body);
    const page = await this.gate.run(`audit:${campaignId}:${length}`, () => this.readAudit(campaignId, held));
    return ok(page.body);
  }

  private async readAudit(campaignId: string, held: AuditPage | undefined): Promise<AuditPage> {
    let records: string[] | null = null;
    let tail: string | null = null;
    if (held && held.length > 0) {
      // The log only grows: read from the last record held; if it is still there, only what follows is new.
      const rows = await this.ctx.store.auditFrom(campaignId, held.length - 1);
      if (rows[0] === held.tail) {
        records = held.records.concat(rows.slice(1).map(serveRecord));
        tail = rows[rows.length - 1]!;
      }
    }
    if (records === null) {
      const rows = await this.ctx.store.auditFrom(campaignId, 0);
      records = rows.map(serveRecord);
      tail = rows.length === 0 ? null : rows[rows.length - 1]!;
    }
    // What JSON.stringify({ campaignId, records }) writes.
    const body = `{"campaignId":${JSON.stringify(campaignId)},"records":[${records.join(",")}]}`;
    const page: AuditPage = { length: records.length, tail, records, body };
    this.audits.set(campaignId, page, body.length * 2);
    return page;
  }

  /** Reads a closed draw's entries (in pages), builds its tree, stores it in Redis and here. */
  private async buildTree(campaignId: string, drawId: string, state: DrawReadState): Promise<MerkleTree> {
    const entries: Entry[] = [];
    for (let after: string | null = null; ; ) {
      const page = await this.ctx.store.entriesPage(campaignId, drawId, after, ENTRY_PAGE);
      for (const e of page) entries.push({ id: e.intentId, tickets: e.tickets });
      if (page.length < ENTRY_PAGE) break;
      after = page[page.length - 1]!.intentId;
    }
    const tree = await buildMerkleTree(sortEntries(entries), state.weighted);
    if (state.merkleRoot !== null && tree.root !== state.merkleRoot) {
      throw new Error(`Merkle tree of ${campaignId}/${drawId}: root ${tree.root} is not the published ${state.merkleRoot}`);
    }
    try {
      await this.ctx.store.saveMerkleTree(campaignId, drawId, tree, this.ctx.config.drawRetentionSeconds * 1000);
    } catch (err) {
      // This node can still answer from memory; another node builds its own.
      this.ctx.log.warn({ err, campaignId, drawId }, "could not store a Merkle tree in Redis");
    }
    this.trees.set(`${campaignId}/${drawId}`, tree, tree.nodes.length + tree.count * 96);
    return tree;
  }
}

function serveRecord(raw: string): string {
  return JSON.stringify(parseAuditRecord(raw));
}

const byNode = new WeakMap<NodeContext, PublicReads>();

/** The node's one PublicReads (its caches live as long as the node). */
export function publicReads(ctx: NodeContext): PublicReads {
  let reads = byNode.get(ctx);
  if (!reads) byNode.set(ctx, (reads = new PublicReads(ctx)));
  return reads;
}
