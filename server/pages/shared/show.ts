/**
 * What the hall sees, as both pages follow it: the campaign's stage (which draw, which phase, set by
 * a host and kept on the server) and that one draw, followed by id. Events of any other draw of the
 * campaign are ignored. While no draw is staged, the pages follow the campaign's latest draw, as an
 * integrator driving draws over the HTTP API alone would expect.
 *
 * The staged draw's snapshot comes with the stage (`stage:get`, read after the campaign's sequence
 * number); events that arrived while it was on its way and are numbered above it are applied again
 * (every application is idempotent), so a snapshot never undoes a newer event. After a reconnect the
 * stage is asked for again; the page keeps what it shows until the answer comes (never blank).
 */
import {
  SERVER_EVENTS,
  type DrawCancelled,
  type DrawClosed,
  type DrawDone,
  type DrawRedraw,
  type DrawReveal,
  type DrawSnapshot,
  type DrawTick,
  type Stage,
  type StagePhase,
  type StageView,
} from "@livedraw/protocol";
import { ClientState, type LiveDrawClient } from "@livedraw/client-sdk";

type DrawEvent =
  | { kind: "tick"; p: DrawTick }
  | { kind: "closed"; p: DrawClosed }
  | { kind: "reveal"; p: DrawReveal }
  | { kind: "redraw"; p: DrawRedraw }
  | { kind: "done"; p: DrawDone }
  | { kind: "cancelled"; p: DrawCancelled };

export type ShowChange = { kind: "stage" } | DrawEvent | { kind: "countdown"; drawId: string } | { kind: "loaded" };

const BUFFER = 256;
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The stage phase that matches a draw's own phase, for a campaign whose stage no host has set. */
export function phaseOfDraw(d: DrawSnapshot | null): StagePhase {
  if (!d) return "waiting";
  if (d.phase === "open" || d.phase === "closed" || d.phase === "drawn" || d.phase === "cancelled") return "countdown";
  return d.phase === "revealing" ? "reveal" : "summary";
}

export class Show {
  /** The stage as the server last said it (version 0: never set). */
  stage: Stage;
  private followed: DrawSnapshot | null = null;
  private recent: { seq: number; e: DrawEvent }[] = [];
  private loading = 0;
  private everConnected = false;

  constructor(
    private readonly client: LiveDrawClient,
    readonly campaignId: string,
    private readonly changed: (c: ShowChange) => void,
  ) {
    this.stage = { campaignId, drawId: null, phase: "waiting", version: 0, updatedAt: 0, updatedBy: null, redraw: null };
    const on = <K extends DrawEvent["kind"]>(kind: K, p: Extract<DrawEvent, { kind: K }>["p"]) => this.event({ kind, p } as DrawEvent);
    client.on(SERVER_EVENTS.tick, (p) => on("tick", p));
    client.on(SERVER_EVENTS.closed, (p) => on("closed", p));
    client.on(SERVER_EVENTS.reveal, (p) => on("reveal", p));
    client.on(SERVER_EVENTS.redraw, (p) => on("redraw", p));
    client.on(SERVER_EVENTS.done, (p) => on("done", p));
    client.on(SERVER_EVENTS.cancelled, (p) => on("cancelled", p));
    client.on(SERVER_EVENTS.countdown, (p) => {
      if (p.campaignId === campaignId && !this.staged) changed({ kind: "countdown", drawId: p.drawId });
    });
    client.on(SERVER_EVENTS.stageUpdate, (s) => {
      if (s.campaignId !== campaignId || s.version <= this.stage.version) return;
      const drawChanged = s.drawId !== this.stage.drawId;
      this.stage = s;
      if (drawChanged) void this.load();
      else changed({ kind: "stage" });
    });
    // After a reconnect (the SDK has re-subscribed): the stage and the staged draw again.
    client.on("resync", (snap) => {
      if (snap.campaignId === campaignId) void this.load();
    });
    client.on("state", (s) => {
      if (s.newState !== ClientState.Connected) return;
      if (this.everConnected) void this.load();
      this.everConnected = true;
    });
  }

  /** True while a host has a draw on stage (a stage without a draw follows the campaign's latest). */
  get staged(): boolean {
    return this.stage.drawId !== null;
  }

  /** The draw on screen: the staged one, or (no stage yet) the campaign's latest. */
  draw(): DrawSnapshot | null {
    if (this.staged) return this.followed && this.followed.drawId === this.stage.drawId ? copy(this.followed) : null;
    return this.client.draw(this.campaignId);
  }

  phase(): StagePhase {
    return this.staged ? this.stage.phase : phaseOfDraw(this.draw());
  }

  /** Whether an event of this draw is about what the hall sees. */
  shows(campaignId: string, drawId: string): boolean {
    return campaignId === this.campaignId && this.draw()?.drawId === drawId;
  }

  /** Asks for the stage and its draw (after subscribing, and after every reconnect). */
  async load(): Promise<void> {
    const ticket = ++this.loading;
    let view: StageView;
    try {
      view = await this.client.stage(this.campaignId);
    } catch {
      return; // the next reconnect asks again; meanwhile the page keeps what it shows
    }
    if (ticket !== this.loading || view.stage.version < this.stage.version) return;
    this.stage = view.stage;
    this.followed = view.draw ? copy(view.draw) : null;
    for (const { seq, e } of this.recent) if (seq > view.eventSeq) this.apply(e);
    this.changed({ kind: "loaded" });
  }

  private event(e: DrawEvent): void {
    if (e.p.campaignId !== this.campaignId) return;
    this.recent.push({ seq: e.p.eventSeq, e });
    if (this.recent.length > BUFFER) this.recent.shift();
    if (this.staged) {
      if (this.followed?.drawId !== e.p.drawId) return;
      this.apply(e);
    } else if (this.client.draw(this.campaignId)?.drawId !== e.p.drawId) return;
    this.changed(e);
  }

  /** Applies one event to the followed draw; applying it twice changes nothing. */
  private apply(e: DrawEvent): void {
    const d = this.followed;
    if (!d || d.drawId !== e.p.drawId) return;
    switch (e.kind) {
      case "tick":
        d.entrants = Math.max(d.entrants, e.p.entrants);
        return;
      case "closed":
        if (d.phase === "open" || d.phase === "closed") d.phase = "drawn";
        d.entrants = e.p.entrants;
        d.merkleRoot = e.p.merkleRoot;
        return;
      case "reveal":
        if (!d.revealed.some((t) => t.tierId === e.p.tierId)) d.revealed.push({ tierId: e.p.tierId, name: e.p.tierName, winners: e.p.winners });
        if (d.phase !== "done" && d.phase !== "cancelled") d.phase = "revealing";
        return;
      case "redraw": {
        const tier = d.revealed.find((t) => t.tierId === e.p.tierId);
        const slot = tier ? tier.winners.findIndex((w) => w.intentId === e.p.replaced) : -1;
        if (!tier || slot < 0) return;
        if (e.p.winner) tier.winners[slot] = e.p.winner;
        else tier.winners.splice(slot, 1);
        return;
      }
      case "done":
        d.phase = "done";
        d.serverSeed = e.p.serverSeed;
        return;
      case "cancelled":
        d.phase = "cancelled";
        return;
    }
  }
}
