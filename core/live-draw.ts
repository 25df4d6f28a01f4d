/**
 * The live-draw lifecycle, shared by socket nodes (host actions: open, reveal, redraw, cancel) and
 * workers (close at the deadline, draw, auto-reveal). Winners are computed with the published,
 * verifiable algorithm (@livedraw/fairness, docs/fairness.md); every transition is a
 * compare-and-set in Lua (core/draw-store.ts) and an audit record.
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ALGORITHM_VERSION,
  DRAW_AUDIT_TYPES,
  applyRedraws,
  buildProofBundle,
  closeEntries,
  commitToSeed,
  computeDraw,
  drawClosedData,
  drawDrawnData,
  drawOpenedData,
  drawRedrawnData,
  drawRevealedData,
  drawTierRevealedData,
  generateServerSeed,
  tierCommitments,
  type ProofBundle,
  type RedrawRequest,
} from "@livedraw/fairness";
import { fromHex } from "@livedraw/fairness";
import { AppError } from "./errors.js";
import { DrawStore, assertPhase, type DrawDefinition, type DrawState, type StoredEntry, type StoredTierWinners } from "./draw-store.js";
import { noFailpoint, type Failpoint } from "./failpoint.js";
import type { BeaconRef, DrawCountdown, DrawResult, ServerToClientEvents, Winner } from "./protocol.js";

/** How a process tells clients: nodes through their Socket.IO server, workers through the emitter. */
export interface Broadcaster {
  toCampaign<E extends keyof ServerToClientEvents>(campaignId: string, event: E, payload: Parameters<ServerToClientEvents[E]>[0]): void;
  /** Personal results, delivered by every node to its own players' sockets; resolves once all are sent. */
  personal(results: [string, DrawResult][]): Promise<void>;
}

type RoomEvent = "draw:countdown" | "draw:closed" | "draw:reveal" | "draw:redraw" | "draw:done" | "draw:cancelled";
type RoomPayload<E extends RoomEvent> = Omit<Parameters<ServerToClientEvents[E]>[0], "eventSeq">;

export interface OpenRequest extends DrawDefinition {
  drawId: string;
}

/** Personal results per inter-node message: a 10,000-entrant draw is 20 messages, not one of 1 MB. */
const RESULT_CHUNK = 500;

/**
 * Sends personal results in chunks, one per event-loop turn, so that the broadcasts just before them
 * (the last tier's reveal, `draw:done`) reach every node and socket first.
 */
export function sendInChunks(results: [string, DrawResult][], send: (chunk: [string, DrawResult][]) => void): Promise<void> {
  return new Promise((resolve) => {
    const step = (from: number) => {
      if (from >= results.length) return resolve();
      send(results.slice(from, from + RESULT_CHUNK));
      setImmediate(() => step(from + RESULT_CHUNK));
    };
    setImmediate(() => step(0));
  });
}

export function newDrawId(): string {
  return `d${Date.now().toString(36)}${randomBytes(4).toString("hex")}`;
}

export interface LiveDrawOptions {
  /** Pause between the final reveal and `draw:done` + personal results (LIVEDRAW_DRAW_RESULTS_DELAY_MS). */
  resultsDelayMs: number;
  /** Crash points for the crash tests (core/failpoint.ts); none by default. */
  failpoint?: Failpoint;
}

export class LiveDraws {
  constructor(
    readonly store: DrawStore,
    private readonly out: Broadcaster,
    private readonly now: () => number,
    private readonly options: LiveDrawOptions = { resultsDelayMs: 0 },
  ) {}

  private get failpoint(): Failpoint {
    return this.options.failpoint ?? noFailpoint;
  }

  /** Sends to the campaign room with the next broadcast sequence number; returns what was sent. */
  private async broadcast<E extends RoomEvent>(campaignId: string, event: E, payload: RoomPayload<E>): Promise<Parameters<ServerToClientEvents[E]>[0]> {
    const sent = { ...payload, eventSeq: await this.store.nextEventSeq(campaignId) } as Parameters<ServerToClientEvents[E]>[0];
    this.out.toCampaign(campaignId, event, sent);
    return sent;
  }

  /** Opens a draw: commits to a fresh secret seed, records it, and starts the countdown everywhere. */
  async open(campaignId: string, req: OpenRequest): Promise<DrawCountdown> {
    const serverSeed = generateServerSeed();
    const commitment = commitToSeed(serverSeed);
    const { openedAt, deadline } = await this.store.open(campaignId, req.drawId, { ...req, serverSeed, commitment, algorithm: ALGORITHM_VERSION });
    await this.store.appendAudit(campaignId, DRAW_AUDIT_TYPES.opened, openedAt, drawOpenedData({ drawId: req.drawId, version: ALGORITHM_VERSION, commitment, weighted: req.weighted, tiers: req.tiers, beacon: req.beacon }), `${DRAW_AUDIT_TYPES.opened}:${req.drawId}`);
    const countdown: RoomPayload<"draw:countdown"> = {
      campaignId,
      drawId: req.drawId,
      title: req.title,
      tiers: req.tiers,
      winners: req.tiers.reduce((n, t) => n + t.count, 0),
      weighted: req.weighted,
      openedAt,
      deadline,
      serverTime: this.now(),
      commitment,
      algorithm: ALGORITHM_VERSION,
      beacon: req.beacon,
    };
    return this.broadcast(campaignId, "draw:countdown", countdown);
  }

  /**
   * At the deadline: close (open → closed), log the close (entrant count, Merkle root) before any
   * beacon round is published, compute the winners, record them (closed → drawn) and announce the
   * close. Safe to repeat after a crash at any step: the audit trail is completed (each record once)
   * and a closed-but-not-drawn draw is drawn now. Returns "early" with the time left if the deadline
   * is ahead.
   */
  async closeAndDraw(campaignId: string, drawId: string, beacon: (ref: BeaconRef) => Promise<{ randomness: string; proof: unknown }>): Promise<{ status: "early"; remainingMs: number } | { status: "drawn" | "skipped"; state: DrawState | null }> {
    const closed = await this.store.close(campaignId, drawId);
    if (closed.status === "early") return closed;
    let state = await this.store.state(campaignId, drawId);
    if (!state) return { status: "skipped", state };
    const entries = await this.store.entries(campaignId, drawId);
    await this.completeAudit(state, entries);
    if (state.phase !== "closed") return { status: "skipped", state };

    const byIntent = new Map(entries.map((e) => [e.intentId, e]));
    const beaconValue = state.options.beacon ? await beacon(state.options.beacon) : null;
    const outcome = computeDraw({ ...drawInput(state, entries), beaconRandomness: beaconValue?.randomness ?? null });
    const winners: StoredTierWinners = outcome.winners.map((t) => ({ tierId: t.tierId, winners: t.entryIds.map((id) => winnerOf(byIntent.get(id)!)) }));
    try {
      await this.store.setDrawn(campaignId, drawId, {
        entrants: outcome.entrantCount,
        merkleRoot: outcome.merkleRoot,
        drawSeed: outcome.drawSeed,
        winners,
        beacon: beaconValue?.proof ?? null,
        winnerPlayers: Object.fromEntries(outcome.winners.map((t) => [t.tierId, t.entryIds.map((id) => byIntent.get(id)!.playerId)])),
        // What the public log commits to now and publishes tier by tier (fairness.md, "Tier commitments").
        tierCommitments: tierCommitments(state.serverSeed, drawId, outcome.winners),
      });
    } catch (err) {
      // Another closer (a retried job racing the first) recorded the same, deterministic result first.
      if (err instanceof AppError && err.code === "E_DRAW_STATE") return { status: "skipped", state: await this.store.state(campaignId, drawId) };
      throw err;
    }
    state = (await this.store.state(campaignId, drawId))!;
    await this.completeAudit(state, entries);
    await this.broadcast(campaignId, "draw:closed", { campaignId, drawId, entrants: outcome.entrantCount, merkleRoot: outcome.merkleRoot, serverTime: this.now() });
    await this.failpoint("draw.closed");
    return { status: "drawn", state };
  }

  /**
   * Writes every audit record the draw's phase calls for and the log lacks (each at most once, by
   * dedupe key), in the order the verifier expects. Transitions are atomic in Lua but their records
   * are written after them; this is what makes a crash in between harmless: the next step (a retried
   * job, a host's retry, the proof) completes the trail.
   */
  private async completeAudit(state: DrawState, entriesOrLoader: StoredEntry[] | (() => Promise<StoredEntry[]>)): Promise<void> {
    const { campaignId, drawId } = state;
    let loaded: StoredEntry[] | undefined = Array.isArray(entriesOrLoader) ? entriesOrLoader : undefined;
    const entries = async () => (loaded ??= await (entriesOrLoader as () => Promise<StoredEntry[]>)());
    const k = (type: string, n?: string | number) => (n === undefined ? `${type}:${drawId}` : `${type}:${drawId}:${n}`);
    const wanted = [k(DRAW_AUDIT_TYPES.opened)];
    if (state.closedAt !== null) wanted.push(k(DRAW_AUDIT_TYPES.closed));
    if (state.winners !== null) {
      wanted.push(k(DRAW_AUDIT_TYPES.drawn), ...state.revealed.map((t) => k(DRAW_AUDIT_TYPES.tierRevealed, t)), ...state.redraws.map((_, i) => k(DRAW_AUDIT_TYPES.redrawn, i)));
    }
    if (state.phase === "done") wanted.push(k(DRAW_AUDIT_TYPES.revealed));
    if (state.phase === "cancelled") wanted.push(k("draw.cancelled"));
    const missing = await this.store.missingAudit(campaignId, wanted);
    if (missing.size === 0) return; // the usual case: one HMGET

    const log = (type: string, at: number, data: Parameters<DrawStore["appendAudit"]>[3], key: string) =>
      missing.has(key) ? this.store.appendAudit(campaignId, type, at, data, key) : Promise.resolve(false);
    await log(DRAW_AUDIT_TYPES.opened, state.openedAt, drawOpenedData({ drawId, version: ALGORITHM_VERSION, commitment: state.commitment, weighted: state.weighted, tiers: state.options.tiers, beacon: state.options.beacon }), k(DRAW_AUDIT_TYPES.opened));
    if (state.closedAt !== null && missing.has(k(DRAW_AUDIT_TYPES.closed))) {
      const closing = closeEntries(drawInput(state, await entries()).entries, state.weighted);
      // Stamped with the time entries closed, before the beacon round was published (the verifier checks).
      await log(DRAW_AUDIT_TYPES.closed, state.closedAt, drawClosedData({ drawId, entrantCount: closing.entrantCount, merkleRoot: closing.merkleRoot }), k(DRAW_AUDIT_TYPES.closed));
    }
    if (state.winners !== null) {
      const tierRevealed = (t: string) => k(DRAW_AUDIT_TYPES.tierRevealed, t);
      // Recomputing the draw (sort, hash, pick) is only needed to rebuild a missing redrawn record,
      // or the commitments of a draw recorded before they were stored.
      const needsCommitments = missing.has(k(DRAW_AUDIT_TYPES.drawn)) || state.revealed.some((t) => missing.has(tierRevealed(t)));
      const needsDraw = (needsCommitments && state.tierCommitments === null) || state.redraws.some((_, i) => missing.has(k(DRAW_AUDIT_TYPES.redrawn, i)));
      const original = needsDraw ? this.recompute(state, await entries()) : null;
      const commitments = state.tierCommitments ?? (original ? tierCommitments(state.serverSeed, drawId, original.winners) : []);
      // The drawn record commits to each tier's winners by hash; it names none of them.
      await log(DRAW_AUDIT_TYPES.drawn, state.drawnAt ?? this.now(), drawDrawnData(drawId, commitments), k(DRAW_AUDIT_TYPES.drawn));
      for (const tierId of state.revealed) {
        const c = commitments.find((x) => x.tierId === tierId);
        if (c) await log(DRAW_AUDIT_TYPES.tierRevealed, this.now(), drawTierRevealedData(drawId, c), tierRevealed(tierId));
      }
      if (original && state.redraws.length > 0) {
        const requests = state.redraws.map((r) => ({ tierId: r.tierId, replaces: r.replaces }));
        const { redraws } = applyRedraws(fromHex(original.drawSeed), original.entries, original.winners, requests);
        for (const r of redraws) await log(DRAW_AUDIT_TYPES.redrawn, this.now(), drawRedrawnData(drawId, r), k(DRAW_AUDIT_TYPES.redrawn, r.index));
      }
    }
    if (state.phase === "done") await log(DRAW_AUDIT_TYPES.revealed, this.now(), drawRevealedData({ drawId, serverSeed: state.serverSeed }), k(DRAW_AUDIT_TYPES.revealed));
    if (state.phase === "cancelled") await log("draw.cancelled", this.now(), { drawId }, k("draw.cancelled"));
  }

  /**
   * Reveals one tier (the next in order when `tierId` is null) to everyone; finishes the draw after
   * the last. The reveal is recorded with its broadcast sequence number before it is sent, and any
   * reveal an earlier process recorded but did not send goes out first (`sendRecordedReveals`).
   * Asked again after a crash that left a done draw unfinished, it finishes it.
   */
  async reveal(campaignId: string, drawId: string, tierId: string | null, retentionSeconds: number): Promise<{ tierId: string; done: boolean }> {
    let revealed;
    try {
      revealed = await this.store.revealTier(campaignId, drawId, tierId);
    } catch (err) {
      const current = await this.store.state(campaignId, drawId);
      if (err instanceof AppError && err.code === "E_DRAW_STATE" && current?.phase === "done" && tierId === null) {
        await this.finish(current, await this.store.entries(campaignId, drawId), retentionSeconds);
      }
      throw err;
    }
    await this.failpoint("reveal.recorded");
    const state = await this.store.state(campaignId, drawId);
    assertPhase(state, ["revealing", "done"]);
    await this.sendRecordedReveals(state);
    await this.failpoint("reveal.sent");
    // Entries (one read of the whole stream) only when they are needed: results, or a trail to repair.
    if (revealed.done) {
      // The final reveal first reaches every socket; one personal message per entrant follows it.
      if (this.options.resultsDelayMs > 0) await sleep(this.options.resultsDelayMs);
      await this.finish(state, await this.store.entries(campaignId, drawId), retentionSeconds);
    }
    else await this.completeAudit(state, () => this.store.entries(campaignId, drawId));
    return { tierId: revealed.tierId, done: revealed.done };
  }

  /**
   * Sends every `draw:reveal` that is recorded but not marked sent, in reveal order, each with the
   * sequence number recorded with it, and marks it sent. Normally that is just the tier revealed a
   * moment ago; after a crash between record and send it includes the lost one, which goes out
   * again with its own number (a client that saw a later number has resynced; one that saw it twice
   * drops the repeat).
   */
  private async sendRecordedReveals(state: DrawState): Promise<void> {
    const { campaignId, drawId } = state;
    const all = state.revealed.length === state.options.tiers.length;
    for (const [i, tierId] of state.revealed.entries()) {
      const eventSeq = state.revealSeqs[tierId];
      const tier = state.options.tiers.find((t) => t.tierId === tierId);
      if (!state.unsentReveals.includes(tierId) || eventSeq === undefined || !tier) continue;
      this.out.toCampaign(campaignId, "draw:reveal", {
        campaignId,
        drawId,
        tierId,
        tierName: tier.name,
        winners: state.winners?.find((w) => w.tierId === tierId)?.winners ?? [],
        entrants: state.entrants,
        final: all && i === state.revealed.length - 1,
        serverTime: this.now(),
        eventSeq,
      });
      await this.store.markRevealSent(campaignId, drawId, tierId);
      state.unsentReveals = state.unsentReveals.filter((t) => t !== tierId);
    }
  }

  /** Reveals every remaining tier in order (auto-reveal, or a host's "reveal all"). */
  async revealAll(campaignId: string, drawId: string, retentionSeconds: number): Promise<void> {
    for (;;) {
      const state = await this.store.state(campaignId, drawId);
      if (!state || (state.phase !== "drawn" && state.phase !== "revealing")) return;
      // Taking over from a process that died after recording a reveal: send it before the next one.
      await this.sendRecordedReveals(state);
      const { done } = await this.reveal(campaignId, drawId, null, retentionSeconds);
      if (done) return;
    }
  }

  /** Done: log and publish the seed, tell every entrant their result, start the retention clock. Idempotent. */
  private async finish(state: DrawState, entries: StoredEntry[], retentionSeconds: number): Promise<void> {
    const { campaignId, drawId } = state;
    await this.sendRecordedReveals(state); // the final reveal, if its sender died before sending it
    await this.completeAudit(state, entries);
    await this.broadcast(campaignId, "draw:done", { campaignId, drawId, serverSeed: state.serverSeed, proofPath: proofPath(campaignId, drawId), serverTime: this.now() });
    const tierOf = new Map<string, string>();
    for (const t of state.winners ?? []) for (const w of t.winners) tierOf.set(w.intentId, t.tierId);
    const results: [string, DrawResult][] = entries.map((e) => {
      const tierId = tierOf.get(e.intentId) ?? null;
      return [e.playerId, { campaignId, drawId, intentId: e.intentId, won: tierId !== null, tierId, seq: state.redraws.length }];
    });
    await this.out.personal(results);
    await this.store.expire(campaignId, drawId, retentionSeconds);
  }

  /** Completes a done draw whose finishing was interrupted (the close job calls this on retry). */
  async ensureFinished(campaignId: string, drawId: string, retentionSeconds: number): Promise<void> {
    const state = await this.store.state(campaignId, drawId);
    if (state?.phase === "done") await this.finish(state, await this.store.entries(campaignId, drawId), retentionSeconds);
  }

  /**
   * Replaces a revealed winner whose prize went unclaimed with the next redraw of the published
   * algorithm (excluding everyone ever drawn in this draw). Two hosts racing: one applies, the
   * other gets E_DRAW_STATE.
   */
  async redraw(campaignId: string, drawId: string, tierId: string, replaces: string): Promise<Winner | null> {
    const state = await this.store.state(campaignId, drawId);
    assertPhase(state, ["revealing", "done"]);
    if (!state.revealed.includes(tierId)) throw new AppError("E_DRAW_STATE", `Tier ${tierId} has not been revealed yet.`);
    const entries = await this.store.entries(campaignId, drawId);
    // Earlier redraws' records first, so the log keeps redraws in their order even when hosts race.
    await this.completeAudit(state, entries);
    const byIntent = new Map(entries.map((e) => [e.intentId, e]));
    const original = this.recompute(state, entries);
    const requests: RedrawRequest[] = [...state.redraws.map((r) => ({ tierId: r.tierId, replaces: r.replaces })), { tierId, replaces }];
    let result;
    try {
      result = applyRedraws(fromHex(original.drawSeed), original.entries, original.winners, requests).redraws.at(-1)!;
    } catch {
      throw new AppError("E_NOT_A_WINNER");
    }
    const entry = result.entryId === null ? null : byIntent.get(result.entryId)!;
    const winner = entry ? winnerOf(entry) : null;
    await this.store.redraw(campaignId, drawId, { tierId, replaces, index: result.index, winner, winnerPlayerId: entry?.playerId ?? null });
    await this.store.appendAudit(campaignId, DRAW_AUDIT_TYPES.redrawn, this.now(), drawRedrawnData(drawId, result), `${DRAW_AUDIT_TYPES.redrawn}:${drawId}:${result.index}`);
    await this.store.invalidateProof(campaignId, drawId); // a bundle served before this redraw is out of date
    await this.broadcast(campaignId, "draw:redraw", { campaignId, drawId, tierId, replaced: replaces, winner, serverTime: this.now() });
    const replacedPlayer = entries.find((e) => e.intentId === replaces)?.playerId;
    const personal: [string, DrawResult][] = [];
    const seq = result.index + 1;
    if (replacedPlayer) personal.push([replacedPlayer, { campaignId, drawId, intentId: replaces, won: false, tierId: null, seq }]);
    if (entry) personal.push([entry.playerId, { campaignId, drawId, intentId: entry.intentId, won: true, tierId, seq }]);
    await this.out.personal(personal);
    return winner;
  }

  async cancel(campaignId: string, drawId: string, reason: string, retentionSeconds: number): Promise<void> {
    await this.store.cancel(campaignId, drawId, reason);
    await this.store.expire(campaignId, drawId, retentionSeconds);
    await this.store.appendAudit(campaignId, "draw.cancelled", this.now(), { drawId, reason }, `draw.cancelled:${drawId}`);
    await this.broadcast(campaignId, "draw:cancelled", { campaignId, drawId, reason, serverTime: this.now() });
  }

  /** The proof bundle of a done draw (JSON): everything an outsider needs to recompute the winners. Built once. */
  async proof(campaignId: string, drawId: string, retentionSeconds: number): Promise<string> {
    const state = await this.store.state(campaignId, drawId);
    assertPhase(state, ["done"]);
    return this.store.cachedProof(
      campaignId,
      drawId,
      async () => {
        const entries = await this.store.entries(campaignId, drawId);
        await this.completeAudit(state, entries);
        return buildProofBundle({
          campaignId,
          ...drawInput(state, entries),
          beacon: (state.beacon ?? null) as ProofBundle["beacon"],
          redraws: state.redraws.map((r) => ({ tierId: r.tierId, replaces: r.replaces })),
          audit: await this.store.audit(campaignId),
        });
      },
      retentionSeconds,
    );
  }

  private recompute(state: DrawState, entries: StoredEntry[]) {
    const beacon = state.beacon as { randomness?: string } | null;
    return computeDraw({ ...drawInput(state, entries), beaconRandomness: beacon?.randomness ?? null });
  }
}

/** The algorithm's input for a draw (its secret seed included: server side only). */
function drawInput(state: DrawState, entries: StoredEntry[]) {
  return {
    drawId: state.drawId,
    serverSeed: state.serverSeed,
    weighted: state.weighted,
    entries: entries.map((e) => ({ id: e.intentId, tickets: e.tickets })),
    tiers: state.options.tiers.map((t) => ({ tierId: t.tierId, count: t.count })),
  };
}

function winnerOf(e: StoredEntry): Winner {
  return { intentId: e.intentId, name: e.name };
}

export function proofPath(campaignId: string, drawId: string): string {
  return `/v1/campaigns/${campaignId}/draws/${drawId}/proof`;
}
