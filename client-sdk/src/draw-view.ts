/**
 * What the client knows of each campaign's current draw, kept equal to the server's snapshot: live
 * events update it, and after a reconnect the fresh snapshot is compared with it to re-create the
 * events that were missed (countdown, closed, reveals, redraws, done, cancelled, own result). Every
 * event, live or re-created, passes one gate, so each is delivered once. Memory is bounded: the
 * delivery records of the last `MAX_DRAWS` draws are kept.
 */
import type {
  CampaignSnapshot,
  DrawCancelled,
  DrawClosed,
  DrawCountdown,
  DrawDone,
  DrawRedraw,
  DrawResult,
  DrawReveal,
  DrawSnapshot,
  DrawTick,
  ServerToClientEvents,
  Winner,
} from "@livedraw/protocol";

const MAX_DRAWS = 64;

interface Seen {
  countdown: boolean;
  closed: boolean;
  done: boolean;
  cancelled: boolean;
  tiers: Set<string>;
  /** Highest `seq` of a `draw:result` delivered, by intent id. */
  results: Map<string, number>;
}

type Emit = (event: keyof ServerToClientEvents, payload: unknown) => void;

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

export class DrawViews {
  private readonly views = new Map<string, DrawSnapshot>();
  private readonly seen = new Map<string, Seen>();
  /** Highest broadcast sequence number seen per campaign (events, ticks, snapshots). */
  private readonly seqs = new Map<string, number>();

  constructor(private readonly emit: Emit) {}

  /**
   * Records a broadcast's (or a tick's) sequence number. True when it shows that something was
   * missed: a broadcast more than one past the last seen, or a tick past it.
   */
  gap(campaignId: string, eventSeq: number, isTick: boolean): boolean {
    const last = this.seqs.get(campaignId);
    if (last === undefined) {
      this.seqs.set(campaignId, eventSeq);
      return false;
    }
    if (eventSeq > last) this.seqs.set(campaignId, eventSeq);
    return isTick ? eventSeq > last : eventSeq > last + 1;
  }

  /** True once this entry's personal result has been delivered. */
  hasResult(campaignId: string, drawId: string, intentId: string): boolean {
    return this.seen.get(campaignId + "/" + drawId)?.results.has(intentId) ?? false;
  }

  /** The current draw of a subscribed campaign, as the server would describe it to this player. */
  get(campaignId: string): DrawSnapshot | null {
    const v = this.views.get(campaignId);
    return v ? copy(v) : null;
  }

  private seenOf(campaignId: string, drawId: string): Seen {
    const key = campaignId + "/" + drawId;
    let s = this.seen.get(key);
    if (!s) {
      s = { countdown: false, closed: false, done: false, cancelled: false, tiers: new Set(), results: new Map() };
      this.seen.set(key, s);
      if (this.seen.size > MAX_DRAWS) this.seen.delete(this.seen.keys().next().value as string);
    }
    return s;
  }

  private view(campaignId: string, drawId: string): DrawSnapshot | undefined {
    const v = this.views.get(campaignId);
    return v && v.drawId === drawId ? v : undefined;
  }

  countdown(p: DrawCountdown): void {
    const s = this.seenOf(p.campaignId, p.drawId);
    if (!this.view(p.campaignId, p.drawId)) {
      this.views.set(p.campaignId, {
        campaignId: p.campaignId,
        drawId: p.drawId,
        title: p.title,
        phase: "open",
        tiers: p.tiers,
        weighted: p.weighted,
        openedAt: p.openedAt,
        deadline: p.deadline,
        entrants: 0,
        commitment: p.commitment,
        merkleRoot: null,
        revealed: [],
        serverSeed: null,
        myIntentId: null,
        myResult: null,
        myTierId: null,
        resultSeq: 0,
        algorithm: p.algorithm,
        beacon: p.beacon,
      });
    }
    if (s.countdown) return;
    s.countdown = true;
    this.emit("draw:countdown", p);
  }

  tick(p: DrawTick): void {
    const v = this.view(p.campaignId, p.drawId);
    if (v) v.entrants = p.entrants;
    this.emit("draw:tick", p);
  }

  closed(p: DrawClosed): void {
    const s = this.seenOf(p.campaignId, p.drawId);
    const v = this.view(p.campaignId, p.drawId);
    if (v) {
      // Sent once the winners are recorded: the server's phase is then `drawn` (or later).
      if (v.phase === "open" || v.phase === "closed") v.phase = "drawn";
      v.entrants = p.entrants;
      v.merkleRoot = p.merkleRoot;
    }
    if (s.closed) return;
    s.closed = true;
    this.emit("draw:closed", p);
  }

  reveal(p: DrawReveal): void {
    const s = this.seenOf(p.campaignId, p.drawId);
    const v = this.view(p.campaignId, p.drawId);
    if (v && !v.revealed.some((t) => t.tierId === p.tierId)) {
      v.revealed.push({ tierId: p.tierId, name: p.tierName, winners: p.winners });
      if (v.phase !== "done") v.phase = "revealing";
      v.entrants = p.entrants;
      mine(v);
    }
    if (s.tiers.has(p.tierId)) return;
    s.tiers.add(p.tierId);
    this.emit("draw:reveal", p);
  }

  redraw(p: DrawRedraw): void {
    const v = this.view(p.campaignId, p.drawId);
    const tier = v?.revealed.find((t) => t.tierId === p.tierId);
    if (v && tier) {
      const slot = tier.winners.findIndex((w) => w.intentId === p.replaced);
      if (slot < 0) return; // already applied (a re-sent redraw, or a snapshot that had it)
      if (p.winner) tier.winners[slot] = p.winner;
      else tier.winners.splice(slot, 1);
      v.resultSeq++;
      mine(v);
    }
    this.emit("draw:redraw", p);
  }

  done(p: DrawDone): void {
    const s = this.seenOf(p.campaignId, p.drawId);
    const v = this.view(p.campaignId, p.drawId);
    if (v) {
      v.phase = "done";
      v.serverSeed = p.serverSeed;
      mine(v);
    }
    if (s.done) return;
    s.done = true;
    this.emit("draw:done", p);
  }

  cancelled(p: DrawCancelled): void {
    const s = this.seenOf(p.campaignId, p.drawId);
    const v = this.view(p.campaignId, p.drawId);
    if (v) v.phase = "cancelled";
    if (s.cancelled) return;
    s.cancelled = true;
    this.emit("draw:cancelled", p);
  }

  /** Delivered at least once, possibly out of order across nodes: only a newer `seq` passes. */
  result(p: DrawResult): void {
    const s = this.seenOf(p.campaignId, p.drawId);
    const last = s.results.get(p.intentId);
    if (last !== undefined && p.seq <= last) return;
    s.results.set(p.intentId, p.seq);
    const v = this.view(p.campaignId, p.drawId);
    if (v && v.myIntentId === p.intentId && p.seq > v.resultSeq) v.resultSeq = p.seq;
    this.emit("draw:result", p);
  }

  /** The player's own entry was acknowledged. */
  entered(campaignId: string, drawId: string, intentId: string): void {
    const v = this.view(campaignId, drawId);
    if (v && !v.myIntentId) {
      v.myIntentId = intentId;
      mine(v);
    }
  }

  /**
   * A snapshot from the server. With `replay`, events this client missed are re-created from it
   * first (through the same gate as live events); then the snapshot becomes the view.
   */
  snapshot(snap: CampaignSnapshot, replay: boolean): void {
    const seq = snap.eventSeq;
    this.seqs.set(snap.campaignId, Math.max(this.seqs.get(snap.campaignId) ?? 0, seq));
    const d = snap.draw;
    if (!d) return;
    const { campaignId, drawId } = d;
    const at = snap.serverTime;
    if (replay) {
      this.countdown({
        campaignId,
        drawId,
        title: d.title,
        tiers: d.tiers,
        winners: d.tiers.reduce((n, t) => n + t.count, 0),
        weighted: d.weighted,
        openedAt: d.openedAt,
        deadline: d.deadline,
        serverTime: at,
        commitment: d.commitment,
        algorithm: d.algorithm,
        beacon: d.beacon,
        eventSeq: seq,
      });
      if (d.myIntentId) this.entered(campaignId, drawId, d.myIntentId);
      if (d.merkleRoot !== null) this.closed({ campaignId, drawId, entrants: d.entrants, merkleRoot: d.merkleRoot, serverTime: at, eventSeq: seq });
      const before = this.view(campaignId, drawId);
      d.revealed.forEach((t, i) => {
        const had = before?.revealed.find((r) => r.tierId === t.tierId);
        if (!had) {
          const final = i === d.revealed.length - 1 && d.revealed.length === d.tiers.length;
          this.reveal({ campaignId, drawId, tierId: t.tierId, tierName: t.name, winners: t.winners, entrants: d.entrants, final, serverTime: at, eventSeq: seq });
          return;
        }
        // Redraws missed while away: pair the winners that left with those that arrived.
        const now = new Set(t.winners.map((w) => w.intentId));
        const then = new Set(had.winners.map((w) => w.intentId));
        const arrived: Winner[] = t.winners.filter((w) => !then.has(w.intentId));
        for (const gone of had.winners.filter((w) => !now.has(w.intentId))) {
          this.redraw({ campaignId, drawId, tierId: t.tierId, replaced: gone.intentId, winner: arrived.shift() ?? null, serverTime: at, eventSeq: seq });
        }
      });
      if (d.phase === "done" && d.serverSeed) {
        this.done({ campaignId, drawId, serverSeed: d.serverSeed, proofPath: `/v1/campaigns/${campaignId}/draws/${drawId}/proof`, serverTime: at, eventSeq: seq });
      }
      if (d.phase === "cancelled") this.cancelled({ campaignId, drawId, reason: "cancelled", serverTime: at, eventSeq: seq });
      if (d.phase === "done" && d.myIntentId && d.myResult) {
        this.result({ campaignId, drawId, intentId: d.myIntentId, won: d.myResult === "won", tierId: d.myTierId, seq: d.resultSeq });
      }
    } else {
      // First subscribe: the caller renders the snapshot it got; only mark what it already shows.
      const s = this.seenOf(campaignId, drawId);
      s.countdown = true;
      s.closed = d.merkleRoot !== null;
      s.done = d.phase === "done";
      s.cancelled = d.phase === "cancelled";
      for (const t of d.revealed) s.tiers.add(t.tierId);
      if (d.myIntentId && d.phase === "done") s.results.set(d.myIntentId, d.resultSeq);
    }
    // A snapshot read before this client's entry was stored can arrive after the entry's ack: the
    // acknowledged entry stands (it is durable), so keep it rather than forget it.
    const held = this.view(campaignId, drawId);
    const next = copy(d);
    if (next.myIntentId === null && held?.myIntentId) {
      next.myIntentId = held.myIntentId;
      mine(next);
    }
    this.views.set(campaignId, next);
  }
}

/** The player's own result as the server's snapshot computes it. */
function mine(v: DrawSnapshot): void {
  if (!v.myIntentId) return;
  const won = v.revealed.find((t) => t.winners.some((w) => w.intentId === v.myIntentId));
  v.myResult = won ? "won" : v.phase === "done" ? "lost" : null;
  v.myTierId = won ? won.tierId : null;
}
