/**
 * The audience of a chaos run: SDK clients that know every node (as behind a load balancer), spin
 * continuously with an idempotency key per spin (retrying a failed spin with the same key, as the
 * SDK's README says), enter every draw the host opens, and record everything they were told:
 * acknowledged intents, reveals and results per draw, and every connection state change.
 */
import WebSocket from "ws";
import { LiveDrawClient, LiveDrawError, newIdempotencyKey, webSocketTransport, type StateChange } from "@livedraw/client-sdk";
import type { DrawResult, DrawReveal, SpinResult } from "@livedraw/protocol";
import type { TokenService } from "../server/auth.js";

/** One spin key, from first attempt to its acknowledged intent (or giving up). */
export interface SpinRecord {
  key: string;
  /** Every intent id the SDK reported for this key (more than one would be a duplicate). */
  intentIds: string[];
  result: SpinResult | null;
  attempts: number;
  errors: string[];
  startedAt: number;
  endedAt: number | null;
}

export interface EntryRecord {
  drawId: string;
  intentId: string | null;
  duplicate: boolean;
  error: string | null;
  at: number;
}

export interface StateRecord {
  at: number;
  from: string;
  to: string;
  reason: string;
}

/** Codes after which the same key is tried again (the spin may or may not have been stored). */
const RETRY_SAME_KEY = new Set(["E_TIMEOUT", "E_UNAVAILABLE", "E_BUSY", "E_RATE_LIMITED", "E_SHUTTING_DOWN", "E_DISCONNECTED", "E_INTERNAL"]);

export class Player {
  readonly client: LiveDrawClient;
  readonly spins: SpinRecord[] = [];
  readonly entries = new Map<string, EntryRecord>();
  readonly reveals = new Map<string, DrawReveal[]>();
  readonly results = new Map<string, DrawResult[]>();
  readonly countdowns = new Set<string>();
  readonly states: StateRecord[] = [];
  /** Times (ms since t0) at which a spin or entry was answered successfully. */
  readonly successes: number[] = [];
  url = "";
  private spinning: Promise<void> | null = null;
  private readonly pendingEntries = new Set<Promise<unknown>>();

  /** Every frame this player's sockets received (searched for personal data at the end). */
  readonly frames: string[] = [];

  /**
   * `person` is who the player is to the integrator (the token's `sub`, name and phone: personal
   * data); `playerId` is the pseudonym the server stores and everything here compares against.
   */
  constructor(
    readonly person: { sub: string; name: string; phone: string },
    readonly playerId: string,
    urls: string[],
    tokens: TokenService,
    private readonly since: () => number,
  ) {
    const base = webSocketTransport(WebSocket);
    this.client = new LiveDrawClient({
      url: urls,
      token: () => tokens.sign({ sub: person.sub, role: "player", name: person.name, phone: person.phone }, 3600),
      transport: (url, h) => {
        this.url = url;
        return base(url, {
          onOpen: () => h.onOpen(),
          onMessage: (data) => {
            this.frames.push(data);
            h.onMessage(data);
          },
          onClose: (code, reason) => h.onClose(code, reason),
        });
      },
    });
    this.client.on("state", (s: StateChange) => this.states.push({ at: this.since(), from: s.oldState, to: s.newState, reason: s.reason }));
    this.client.on("draw:countdown", (c) => this.countdowns.add(c.drawId));
    this.client.on("draw:reveal", (r) => push(this.reveals, r.drawId, r));
    this.client.on("draw:result", (r) => push(this.results, r.drawId, r));
  }

  async start(campaignId: string): Promise<void> {
    await this.client.connect(30_000);
    await this.client.subscribe(campaignId);
  }

  /** Spins one key after another, `gapMs()` apart, until `running()` is false. */
  spinLoop(campaignId: string, running: () => boolean, gapMs: () => number, giveUp: () => boolean): void {
    this.spinning = (async () => {
      while (running()) {
        const rec: SpinRecord = { key: newIdempotencyKey(), intentIds: [], result: null, attempts: 0, errors: [], startedAt: this.since(), endedAt: null };
        this.spins.push(rec);
        for (;;) {
          rec.attempts++;
          try {
            const r = await this.client.spin(campaignId, { idempotencyKey: rec.key, timeoutMs: 20_000 });
            if (!rec.intentIds.includes(r.intentId)) rec.intentIds.push(r.intentId);
            rec.result = r;
            this.successes.push(this.since());
            break;
          } catch (err) {
            const code = err instanceof LiveDrawError ? err.code : "E_UNKNOWN";
            rec.errors.push(code);
            if (code === "E_CLOSED" || !RETRY_SAME_KEY.has(code) || giveUp()) break;
            await sleep(300 + Math.random() * 700);
          }
        }
        rec.endedAt = this.since();
        if (running()) await sleep(gapMs());
      }
    })();
  }

  /** Enters a draw (the SDK waits for a connection and resends); records the answer. */
  enter(campaignId: string, drawId: string, afterMs: number): void {
    const p = sleep(afterMs)
      .then(() => this.client.enter(campaignId, drawId))
      .then(
        (r) => {
          this.entries.set(drawId, { drawId, intentId: r.intentId, duplicate: r.duplicate, error: null, at: this.since() });
          this.successes.push(this.since());
        },
        (err: unknown) => {
          const code = err instanceof LiveDrawError ? err.code : String(err);
          this.entries.set(drawId, { drawId, intentId: null, duplicate: false, error: code, at: this.since() });
        },
      );
    this.pendingEntries.add(p);
    void p.finally(() => this.pendingEntries.delete(p));
  }

  /** Resolves when the spin loop has ended and every entry has its answer. */
  async idle(): Promise<void> {
    await this.spinning;
    while (this.pendingEntries.size > 0) await Promise.all([...this.pendingEntries]);
  }

  get busy(): boolean {
    return this.pendingEntries.size > 0;
  }

  ackedEntries(): EntryRecord[] {
    return [...this.entries.values()].filter((e) => e.intentId !== null);
  }

  /** Disconnected intervals [left, back] in ms since t0 (back = null: still not connected). */
  outages(): { left: number; back: number | null; reason: string }[] {
    const out: { left: number; back: number | null; reason: string }[] = [];
    let open: { left: number; back: number | null; reason: string } | null = null;
    for (const s of this.states) {
      if (s.from === "connected" && s.to !== "connected") {
        open = { left: s.at, back: null, reason: s.reason };
        out.push(open);
      } else if (s.to === "connected" && open) {
        open.back = s.at;
        open = null;
      }
    }
    return out;
  }
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
