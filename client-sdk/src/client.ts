/**
 * LiveDrawClient: one connection per app, typed events, and a view of each campaign's current draw
 * that converges to the server's after every reconnect — missed reveals and results included.
 * Speaks Socket.IO v4 over any `Transport` (browser, Node, WeChat and other mini-programs).
 */
import {
  PROTOCOL_VERSION,
  STATE_REASONS,
  type Ack,
  type AssistResult,
  type CheckInResult,
  type ShareResult,
  type Win,
  type DrawClaimResult,
  type WinClaimPayload,
  type TicketBalance,
  type CampaignSnapshot,
  type ClientToServerEvents,
  type DrawSnapshot,
  type EnterResult,
  type ErrorCode,
  type LeaderboardId,
  type LeaderboardRank,
  type LeaderboardTop,
  type PublishedRules,
  type ServerToClientEvents,
  type SpinResult,
  type StateReason,
  type Stage,
  type StagePhase,
  type StageView,
} from "@livedraw/protocol";
import { bestOffset, type ClockSample } from "./clock.js";
import { LiveDrawError, clientError, newIdempotencyKey } from "./errors.js";
import { DrawViews } from "./draw-view.js";
import { ClientState, backoff, canTransition } from "./state.js";
import { detectTransport, type Transport, type TransportSocket } from "./transport.js";
import { EIO, SIO, decode, encode, socketUrl } from "./wire.js";

export interface LiveDrawClientOptions {
  /** Socket node or load balancer, e.g. `https://draw.example.com`; several are tried in turn. */
  url: string | string[];
  /**
   * Player token, or a function returning a fresh one: called on every (re)connection. Omit it in
   * the host console (the server uses the signed-in session's cookie) or with `viewer`.
   */
  token?: string | (() => string | Promise<string>);
  /** Connect as an anonymous read-only viewer (the venue's big screen): subscribe and watch only. */
  viewer?: boolean;
  /**
   * A stable id of this device (store one random id per install, e.g. with `wx.setStorageSync`);
   * sent as `auth.device` so the server can limit and flag per device. 1-64 letters, digits, `_`, `-`.
   */
  device?: string;
  /** How sockets are opened. @default detected at connect time: wx, uni, my, then a global WebSocket */
  transport?: Transport;
  /** Socket.IO path. @default "/socket.io/" */
  path?: string;
  /** One handshake attempt may take this long, in ms. @default 10000 */
  connectTimeoutMs?: number;
  /** A request (including automatic retries) fails with E_TIMEOUT after this long, in ms. @default 15000 */
  requestTimeoutMs?: number;
  /** Reconnect after the connection is lost or the server disconnects. @default true */
  reconnect?: boolean;
  /** Full-jitter backoff bounds between attempts, in ms. @default 500 / 20000 */
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** Automatic retries of a request refused with E_BUSY / E_RATE_LIMITED. @default 5 */
  maxRetries?: number;
  /** After `draw:done`, how long to wait for your own `draw:result` before fetching it, in ms. @default 5000 */
  resultGraceMs?: number;
  /** Round trips per clock estimate (the lowest-RTT one is used). @default 10 */
  clockSamples?: number;
  /** This device's clock. @default Date.now */
  now?: () => number;
  /** Log to the console. @default false */
  debug?: boolean;
}

export interface SpinOptions {
  /** Reuse the key of a spin whose answer was lost to retry it safely. @default a fresh random key */
  idempotencyKey?: string;
  /** How long to wait for the pushed result before asking for it, in ms. @default 2000 */
  pushWaitMs?: number;
  /** Give up (E_TIMEOUT) after this long, in ms. @default 15000 */
  timeoutMs?: number;
}

export interface StateChange {
  oldState: ClientState;
  newState: ClientState;
  reason: StateReason;
}

export type ClientEvents = ServerToClientEvents & {
  state: (change: StateChange) => void;
  /** After a reconnect: the campaign's current state (missed events were delivered just before). */
  resync: (snapshot: CampaignSnapshot) => void;
};

type Payload<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[0];
type Answer<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[1] extends (r: Ack<infer T>) => void ? T : never;

interface Request {
  event: string;
  payload: unknown;
  /** Safe to send again after a lost connection (idempotent or read-only). */
  resend: boolean;
  tries: number;
  done: boolean;
  resolve(data: unknown): void;
  reject(err: LiveDrawError): void;
}

/** Refusals that changed nothing and say so: retried after `retryAfterMs`, with jitter. */
const RETRY_ALWAYS = ["E_BUSY", "E_RATE_LIMITED"];
/** Refusals retried only for requests that are safe to repeat. */
const RETRY_IF_SAFE = ["E_UNAVAILABLE", "E_SHUTTING_DOWN"];
/** Handshake refusals that another attempt cannot fix. */
const FINAL_REFUSALS = ["E_UNAUTHORIZED", "E_FORBIDDEN", "E_PROTOCOL_VERSION"];

export class LiveDrawClient {
  private stateValue = ClientState.Disconnected;
  private readonly urls: string[];
  private readonly opt: Required<Omit<LiveDrawClientOptions, "transport" | "url" | "token" | "viewer" | "device">>;
  private challengeAnswer: string | undefined;
  private readonly listeners = new Map<string, Set<(...args: never[]) => void>>();
  private readonly views: DrawViews;
  private readonly subscriptions = new Set<string>();
  private readonly boards = new Map<string, { campaignId: string; board: LeaderboardId; version: number }>();
  private readonly spinResults = new Map<string, SpinResult>();
  private readonly spinWaiters = new Map<string, (r: SpinResult | null) => void>();
  private readonly inflight = new Map<number, Request>();
  private outbox: Request[] = [];
  private readyWaiters: { resolve(): void; reject(e: LiveDrawError): void }[] = [];
  /** Id of the current socket: callbacks of an older one are ignored. */
  private tid = 0;
  private sock: TransportSocket | null = null;
  private nextAck = 0;
  private attempt = 0;
  private urlIndex = 0;
  private everConnected = false;
  private timers: { reconnect?: ReturnType<typeof setTimeout>; handshake?: ReturnType<typeof setTimeout>; ping?: ReturnType<typeof setTimeout> } = {};
  private pingWindowMs = 45_000;
  private clockOffsetMs = 0;
  private clockRun: Promise<number> | null = null;
  private readonly resyncing = new Set<string>();

  constructor(private readonly options: LiveDrawClientOptions) {
    this.urls = typeof options.url === "string" ? [options.url] : [...options.url];
    if (this.urls.length === 0) throw new TypeError("LiveDrawClient: `url` is empty.");
    this.opt = {
      path: options.path ?? "/socket.io/",
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      reconnect: options.reconnect ?? true,
      minReconnectDelayMs: options.minReconnectDelayMs ?? 500,
      maxReconnectDelayMs: options.maxReconnectDelayMs ?? 20_000,
      maxRetries: options.maxRetries ?? 5,
      clockSamples: options.clockSamples ?? 10,
      resultGraceMs: options.resultGraceMs ?? 5000,
      now: options.now ?? (() => Date.now()),
      debug: options.debug ?? false,
    };
    this.views = new DrawViews((event, payload) => (this.dispatch as (e: string, p: unknown) => void)(event, payload));
  }

  get state(): ClientState {
    return this.stateValue;
  }

  // ------------------------------------------------------------------ life cycle

  /** Starts connecting; resolves once connected. Rejects with E_TIMEOUT, E_CLOSED or the server's refusal. */
  connect(timeoutMs = this.opt.requestTimeoutMs): Promise<void> {
    if (this.stateValue === ClientState.Disconnected) {
      this.attempt = 0;
      this.setState(ClientState.Connecting, STATE_REASONS.CONNECT_CALLED);
      this.open();
    }
    return this.ready(timeoutMs);
  }

  /** Resolves when connected (now or later); rejects after `timeoutMs` (E_TIMEOUT) or on close. */
  ready(timeoutMs = this.opt.requestTimeoutMs): Promise<void> {
    if (this.stateValue === ClientState.Connected) return Promise.resolve();
    if (this.stateValue === ClientState.Closed) return Promise.reject(clientError("E_CLOSED"));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (e: LiveDrawError) => (clearTimeout(timer), reject(e)),
      };
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== waiter);
        reject(clientError("E_TIMEOUT", `not connected within ${timeoutMs} ms`));
      }, timeoutMs);
      this.readyWaiters.push(waiter);
    });
  }

  /**
   * The app went to the background (mini-program `onHide`): drop the socket and stop reconnecting.
   * Subscriptions and pending entries/spins are kept and resumed by `resume()`.
   */
  pause(): void {
    if (this.stateValue !== ClientState.Connected && this.stateValue !== ClientState.Connecting) return;
    this.teardown();
    this.requeueInflight();
    this.setState(ClientState.Disconnected, STATE_REASONS.PAUSED);
  }

  /**
   * After an `E_CHALLENGE_REQUIRED` (its `challenge` says what to show): give the answer (a captcha
   * token); the client reconnects with it and re-subscribes. Then retry the entry or spin.
   */
  answerChallenge(answer: string, timeoutMs?: number): Promise<void> {
    this.challengeAnswer = answer;
    this.pause();
    return this.resume(timeoutMs);
  }

  /** Back in the foreground (`onShow`): reconnect, re-subscribe, deliver what was missed. */
  resume(timeoutMs?: number): Promise<void> {
    return this.connect(timeoutMs);
  }

  /** Final: closes the socket; pending requests fail with E_CLOSED. */
  close(): void {
    if (this.stateValue === ClientState.Closed) return;
    this.teardown();
    const pending = [...this.inflight.values(), ...this.outbox];
    this.inflight.clear();
    this.outbox = [];
    for (const r of pending) this.finish(r, clientError("E_CLOSED"));
    for (const w of this.spinWaiters.values()) w(null);
    this.setState(ClientState.Closed, STATE_REASONS.CLIENT_CLOSED);
  }

  // ------------------------------------------------------------------ campaigns and draws

  /** Joins a campaign's room and returns its current draw; repeated after every reconnect. */
  async subscribe(campaignId: string): Promise<CampaignSnapshot> {
    this.subscriptions.add(campaignId);
    const snapshot = await this.request("campaign:subscribe", { campaignId });
    this.views.snapshot(snapshot, false);
    return snapshot;
  }

  /** The current draw of a subscribed campaign, kept up to date by events and resyncs. */
  draw(campaignId: string): DrawSnapshot | null {
    return this.views.get(campaignId);
  }

  /** Enters a draw. Resolves once the server has stored the entry; resent by itself after a reconnect. */
  async enter(campaignId: string, drawId: string): Promise<EnterResult> {
    const r = await this.request("draw:enter", { campaignId, drawId });
    this.views.entered(campaignId, drawId, r.intentId);
    return r;
  }

  /** The campaign's published rules: tiers, exact odds, stock left, limits, sold-out policy. */
  rules(campaignId: string): Promise<PublishedRules> {
    return this.request("campaign:rules", { campaignId });
  }

  /**
   * Spins once and resolves with the result the server decided (play the animation to it). The
   * same idempotency key is used for every automatic retry and resend, so it counts once.
   */
  async spin(campaignId: string, options: SpinOptions = {}): Promise<SpinResult> {
    const idempotencyKey = options.idempotencyKey ?? newIdempotencyKey();
    const deadline = this.opt.now() + (options.timeoutMs ?? 15_000);
    let intentId: string;
    let duplicate: boolean;
    try {
      ({ intentId, duplicate } = await this.request("spin", { campaignId, idempotencyKey }));
    } catch (err) {
      if (err instanceof LiveDrawError) err.idempotencyKey = idempotencyKey;
      throw err;
    }
    // A key used before: its result was probably pushed long ago, so ask for it at once.
    if (duplicate) {
      const known = await this.request("spin:fetch", { campaignId, intentId });
      if (known) return known;
    }
    let wait = options.pushWaitMs ?? 2000;
    try {
      for (;;) {
        const pushed = this.spinResults.get(intentId);
        if (pushed) {
          this.spinResults.delete(intentId);
          return pushed;
        }
        const result = await new Promise<SpinResult | null>((resolve) => {
          const timer = setTimeout(() => resolve(null), Math.max(0, Math.min(wait, deadline - this.opt.now())));
          this.spinWaiters.set(intentId, (r) => (clearTimeout(timer), resolve(r)));
        });
        if (result) return result;
        if (this.stateValue === ClientState.Closed) throw clientError("E_CLOSED");
        const fetched = await this.request("spin:fetch", { campaignId, intentId });
        if (fetched) return fetched;
        if (this.opt.now() >= deadline) {
          const timeout = clientError("E_TIMEOUT", `no result for spin ${intentId} yet; see spinHistory()`);
          timeout.idempotencyKey = idempotencyKey;
          throw timeout;
        }
        wait = Math.min(wait * 2, 5000);
      }
    } finally {
      this.spinWaiters.delete(intentId);
    }
  }

  /** This player's recent spin results, most recent first. */
  spinHistory(campaignId: string, limit = 20): Promise<SpinResult[]> {
    return this.request("spin:history", { campaignId, limit });
  }

  /** Subscribes to a leaderboard: its top N now; `leaderboard:update` brings changes. */
  async subscribeLeaderboard(campaignId: string, board: LeaderboardId): Promise<LeaderboardTop> {
    const key = campaignId + "/" + board;
    const known = this.boards.has(key);
    if (!known) this.boards.set(key, { campaignId, board, version: -1 });
    try {
      const top = await this.request("leaderboard:subscribe", { campaignId, board });
      this.acceptBoard(top);
      return top;
    } catch (err) {
      // Refused (no such campaign, too many subscriptions...): do not re-subscribe after reconnects.
      if (!known && err instanceof LiveDrawError && err.code !== "E_TIMEOUT") this.boards.delete(key);
      throw err;
    }
  }

  /** Your rank on a board (your team's rank on the teams board). */
  leaderboardRank(campaignId: string, board: LeaderboardId): Promise<LeaderboardRank> {
    return this.request("leaderboard:rank", { campaignId, board });
  }

  /** Helps the friend who shared an invite (once per friend and campaign). Not resent after a lost connection. */
  assist(campaignId: string, inviterId: string): Promise<AssistResult> {
    return this.request("assist", { campaignId, inviterId }, false);
  }

  /** Joins a team for the campaign's team PK (final). Not resent after a lost connection. */
  joinTeam(campaignId: string, teamId: string): Promise<{ teamId: string }> {
    return this.request("team:join", { campaignId, teamId }, false);
  }

  /** Today's check-in (streaks earn bonus tickets). Not resent after a lost connection: `tickets()` tells whether it counted. */
  checkIn(campaignId: string): Promise<CheckInResult> {
    return this.request("task:checkin", { campaignId }, false);
  }

  /** Reports a share (from `onShareAppMessage`); rewarded up to the campaign's daily cap. Not resent after a lost connection. */
  share(campaignId: string): Promise<ShareResult> {
    return this.request("task:share", { campaignId }, false);
  }

  /** Your ticket balance, free spins left, check-in streak and today's shares. */
  tickets(campaignId: string): Promise<TicketBalance> {
    return this.request("tickets:get", { campaignId });
  }

  /** Your prizes in this campaign with their status (pending, issued, redeemed, failed, expired); call it after a reconnect. */
  wins(campaignId: string): Promise<Win[]> {
    return this.request("wins:list", { campaignId });
  }

  /** Claims a live-draw prize you won, within the draw's claim window. Safe to resend (answers the first claim). */
  claimDrawPrize(campaignId: string, drawId: string): Promise<DrawClaimResult> {
    return this.request("draw:claim", { campaignId, drawId });
  }

  /** Submits (or corrects, until shipped) the claim form of a physical prize. Safe to resend: it replaces the form. */
  claimPrize(form: WinClaimPayload): Promise<Win> {
    return this.request("win:claim", form);
  }

  // ------------------------------------------------------------------ the stage (big screens and consoles)

  /** What the hall's screens show for a campaign, with the staged draw; ask again after a reconnect (`resync`). */
  stage(campaignId: string): Promise<StageView> {
    return this.request("stage:get", { campaignId });
  }

  /** Hosts: puts a draw (or none) on the hall's screens in a phase. Safe to resend: it sets, not toggles. Pushed as `stage:update`. */
  setStage(campaignId: string, drawId: string | null, phase: StagePhase): Promise<Stage> {
    return this.request("stage:set", { campaignId, drawId, phase });
  }

  // ------------------------------------------------------------------ clock

  /** Estimates the server clock from `samples` round trips (lowest RTT wins); done on every connect. */
  syncClock(samples = this.opt.clockSamples): Promise<number> {
    this.clockRun ??= (async () => {
      try {
        const taken: ClockSample[] = [];
        for (let i = 0; i < samples; i++) {
          const sent = this.opt.now();
          const r = await this.request("time:sync", { clientTime: sent });
          taken.push({ sent, received: this.opt.now(), serverTime: r.serverTime });
        }
        const best = bestOffset(taken);
        if (best) this.clockOffsetMs = best.offsetMs;
        this.log("clock", best);
        return this.clockOffsetMs;
      } finally {
        this.clockRun = null;
      }
    })();
    return this.clockRun;
  }

  /** The server's clock as best known: compare with a countdown's `deadline`. */
  serverNow(): number {
    return this.opt.now() + this.clockOffsetMs;
  }

  /** Time left until a server-time deadline, in ms (never negative). */
  remainingMs(deadline: number): number {
    return Math.max(0, deadline - this.serverNow());
  }

  /** Calls `onTick(remainingMs)` every `intervalMs` until the deadline (last call with 0). Returns a stop function. */
  countdown(deadline: number, onTick: (remainingMs: number) => void, intervalMs = 200): () => void {
    const tick = () => {
      const left = this.remainingMs(deadline);
      onTick(left);
      if (left === 0) stop();
    };
    const timer = setInterval(tick, intervalMs);
    const stop = () => clearInterval(timer);
    tick();
    return stop;
  }

  // ------------------------------------------------------------------ events

  /** Listens to an event; returns a function that removes the listener. */
  on<E extends keyof ClientEvents>(event: E, listener: ClientEvents[E]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (...args: never[]) => void);
    return () => set.delete(listener as (...args: never[]) => void);
  }

  private dispatch<E extends keyof ClientEvents>(event: E, ...args: Parameters<ClientEvents[E]>): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const l of set) {
      try {
        (l as (...a: unknown[]) => void)(...args);
      } catch (err) {
        this.log(`listener for ${event} threw`, err);
      }
    }
  }

  // ------------------------------------------------------------------ connection

  private setState(newState: ClientState, reason: StateReason): void {
    const oldState = this.stateValue;
    if (oldState === newState) return;
    if (!canTransition(oldState, newState)) {
      this.log("refused transition", oldState, newState, reason);
      return;
    }
    this.stateValue = newState;
    this.log("state", oldState, "→", newState, reason);
    if (newState === ClientState.Connected) this.settleReady(null);
    if (newState === ClientState.Closed) this.settleReady(clientError("E_CLOSED"));
    this.dispatch("state", { oldState, newState, reason });
  }

  private settleReady(err: LiveDrawError | null): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) err ? w.reject(err) : w.resolve();
  }

  private open(): void {
    const transport = this.options.transport ?? detectTransport();
    if (!transport) {
      this.setState(ClientState.Disconnected, STATE_REASONS.TRANSPORT_CLOSED);
      this.settleReady(clientError("E_NO_TRANSPORT"));
      return;
    }
    const id = ++this.tid;
    const url = socketUrl(this.urls[this.urlIndex % this.urls.length]!, this.opt.path);
    this.timers.handshake = setTimeout(() => this.lost(id, STATE_REASONS.HANDSHAKE_TIMEOUT), this.opt.connectTimeoutMs);
    try {
      this.sock = transport(url, {
        onOpen: () => undefined, // engine.io speaks first
        onMessage: (data) => {
          if (id === this.tid) this.onFrame(id, data);
        },
        onClose: (code, reason) => {
          this.log("socket closed", code, reason);
          this.lost(id, STATE_REASONS.TRANSPORT_CLOSED);
        },
      });
    } catch (err) {
      this.log("transport failed", err);
      setTimeout(() => this.lost(id, STATE_REASONS.TRANSPORT_CLOSED), 0);
    }
  }

  private onFrame(id: number, frame: string): void {
    const kind = frame[0];
    if (kind === EIO.PING) {
      this.sock?.send(EIO.PONG);
      this.watchPing(id);
    } else if (kind === EIO.OPEN) {
      try {
        const open = JSON.parse(frame.slice(1)) as { pingInterval?: number; pingTimeout?: number };
        this.pingWindowMs = (open.pingInterval ?? 25_000) + (open.pingTimeout ?? 20_000);
      } catch {
        // keep the default window
      }
      this.watchPing(id);
      const { token, viewer, device } = this.options;
      Promise.resolve(typeof token === "function" ? token() : token)
        .catch((err: unknown) => (this.log("token provider failed", err), ""))
        .then((t) => {
          const auth: Record<string, unknown> = viewer ? { viewer: true, protocol: PROTOCOL_VERSION } : t === undefined ? { protocol: PROTOCOL_VERSION } : { token: t, protocol: PROTOCOL_VERSION };
          if (device !== undefined) auth.device = device;
          if (this.challengeAnswer !== undefined) auth.challenge = this.challengeAnswer;
          if (id === this.tid) this.sock?.send(encode(SIO.CONNECT, auth));
        });
    } else if (kind === EIO.CLOSE) {
      this.lost(id, STATE_REASONS.TRANSPORT_CLOSED);
    } else if (kind === EIO.MESSAGE) {
      const p = decode(frame.slice(1));
      if (!p) return this.log("dropped frame", frame.slice(0, 80));
      if (p.type === SIO.EVENT && Array.isArray(p.data)) this.onEvent(String(p.data[0]), p.data[1] as never);
      else if (p.type === SIO.ACK && p.id !== undefined) this.onAck(p.id, Array.isArray(p.data) ? p.data[0] : undefined);
      else if (p.type === SIO.CONNECT) this.onConnected();
      else if (p.type === SIO.CONNECT_ERROR) this.onRefused(id, p.data as { message?: string; data?: { code?: string; message?: string } });
      else if (p.type === SIO.DISCONNECT) this.lost(id, STATE_REASONS.SERVER_DISCONNECT);
    }
  }

  private watchPing(id: number): void {
    clearTimeout(this.timers.ping);
    this.timers.ping = setTimeout(() => this.lost(id, STATE_REASONS.PING_TIMEOUT), this.pingWindowMs);
  }

  private onConnected(): void {
    clearTimeout(this.timers.handshake);
    this.attempt = 0;
    const again = this.everConnected;
    this.everConnected = true;
    this.setState(ClientState.Connected, STATE_REASONS.CONNECTED);
    void this.syncClock().catch((err: unknown) => this.log("clock sync failed", err));
    const pending = new Set(this.outbox.filter((r) => r.event === "campaign:subscribe").map((r) => (r.payload as { campaignId: string }).campaignId));
    for (const campaignId of this.subscriptions) {
      if (pending.has(campaignId)) continue;
      this.request("campaign:subscribe", { campaignId }).then(
        (snapshot) => {
          this.views.snapshot(snapshot, true);
          this.dispatch("resync", snapshot);
        },
        (err: unknown) => this.log("resubscribe failed", err),
      );
    }
    if (again) {
      for (const b of this.boards.values()) {
        this.request("leaderboard:subscribe", { campaignId: b.campaignId, board: b.board }).then(
          (top) => {
            if (this.acceptBoard(top)) this.dispatch("leaderboard:update", top);
          },
          (err: unknown) => this.log("leaderboard resubscribe failed", err),
        );
      }
    }
    const queued = this.outbox;
    this.outbox = [];
    for (const r of queued) this.send(r);
    // Results pushed while away were lost with the socket: have waiting spins fetch theirs now.
    for (const w of this.spinWaiters.values()) w(null);
  }

  private onRefused(id: number, packet: { message?: string; data?: { code?: string; message?: string } } | undefined): void {
    const code = packet?.data?.code ?? "E_UNAUTHORIZED";
    const message = packet?.data?.message ?? packet?.message ?? "refused";
    if (!FINAL_REFUSALS.includes(code)) return this.lost(id, STATE_REASONS.TRANSPORT_CLOSED);
    this.teardown();
    const reason = code === "E_PROTOCOL_VERSION" ? STATE_REASONS.PROTOCOL_VERSION : STATE_REASONS.UNAUTHORIZED;
    this.setState(ClientState.Disconnected, reason);
    // A session that was connected before (its token expired) asks its provider again, backing off.
    if (reason === STATE_REASONS.UNAUTHORIZED && typeof this.options.token === "function" && this.everConnected) {
      this.scheduleReconnect();
      return;
    }
    const err = new LiveDrawError(code as ErrorCode, message);
    this.settleReady(err);
    const queued = this.outbox;
    this.outbox = [];
    for (const r of queued) this.finish(r, err);
  }

  /** The socket `id` is gone (or must go): clean up, keep what can be resent, reconnect unless told not to. */
  private lost(id: number, reason: StateReason): void {
    if (id !== this.tid || this.stateValue === ClientState.Closed || this.stateValue === ClientState.Disconnected) return;
    this.teardown();
    this.requeueInflight();
    if (!this.opt.reconnect) {
      this.setState(ClientState.Disconnected, reason);
      return;
    }
    this.setState(ClientState.Connecting, reason);
    this.urlIndex++;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    clearTimeout(this.timers.reconnect);
    this.timers.reconnect = setTimeout(() => {
      if (this.stateValue === ClientState.Closed) return;
      if (this.stateValue === ClientState.Disconnected) this.setState(ClientState.Connecting, STATE_REASONS.RECONNECT);
      if (this.stateValue === ClientState.Connecting) this.open();
    }, backoff(this.attempt++, this.opt.minReconnectDelayMs, this.opt.maxReconnectDelayMs));
  }

  private teardown(): void {
    this.tid++;
    for (const t of Object.values(this.timers)) clearTimeout(t);
    this.timers = {};
    const sock = this.sock;
    this.sock = null;
    try {
      sock?.close(1000, "client");
    } catch {
      // already gone
    }
  }

  private requeueInflight(): void {
    const inflight = [...this.inflight.values()];
    this.inflight.clear();
    for (const r of inflight) {
      if (r.resend) this.outbox.push(r);
      else this.finish(r, clientError("E_DISCONNECTED", r.event));
    }
  }

  // ------------------------------------------------------------------ requests

  private request<E extends keyof ClientToServerEvents>(event: E, payload: Payload<E>, resend = true): Promise<Answer<E>> {
    if (this.stateValue === ClientState.Closed) return Promise.reject(clientError("E_CLOSED"));
    return new Promise((resolve, reject) => {
      const r: Request = { event, payload, resend, tries: 0, done: false, resolve: resolve as (d: unknown) => void, reject };
      const timer = setTimeout(() => this.finish(r, clientError("E_TIMEOUT", `${event}: no answer within ${this.opt.requestTimeoutMs} ms`)), this.opt.requestTimeoutMs);
      r.resolve = (d) => (clearTimeout(timer), resolve(d as Answer<E>));
      r.reject = (e) => (clearTimeout(timer), reject(e));
      this.send(r);
    });
  }

  private send(r: Request): void {
    if (r.done) return;
    if (this.stateValue !== ClientState.Connected || !this.sock) {
      this.outbox.push(r);
      return;
    }
    const id = this.nextAck++;
    this.inflight.set(id, r);
    this.sock.send(encode(SIO.EVENT, [r.event, r.payload], id));
  }

  private finish(r: Request, err: LiveDrawError | null, data?: unknown): void {
    if (r.done) return;
    r.done = true;
    for (const [id, x] of this.inflight) if (x === r) this.inflight.delete(id);
    this.outbox = this.outbox.filter((x) => x !== r);
    err ? r.reject(err) : r.resolve(data);
  }

  private onAck(id: number, response: unknown): void {
    const r = this.inflight.get(id);
    if (!r) return;
    this.inflight.delete(id);
    const ack = response as Ack<unknown> | undefined;
    if (ack?.ok === true) return this.finish(r, null, ack.data);
    if (ack?.ok !== false) return this.finish(r, new LiveDrawError("E_INTERNAL", `${r.event}: malformed answer`));
    const e = ack.error;
    const retry = RETRY_ALWAYS.includes(e.code) || (r.resend && RETRY_IF_SAFE.includes(e.code));
    if (retry && r.tries < this.opt.maxRetries) {
      r.tries++;
      const wait = (e.retryAfterMs ?? this.opt.minReconnectDelayMs) * (0.5 + Math.random());
      this.log("retrying", r.event, e.code, Math.round(wait));
      setTimeout(() => this.send(r), wait);
      return;
    }
    const err = new LiveDrawError(e.code, e.message, e.retryAfterMs);
    if (e.challenge) err.challenge = e.challenge;
    this.finish(r, err);
  }

  private onEvent(event: string, p: never): void {
    const v = this.views;
    const seqd = p as { campaignId?: unknown; eventSeq?: unknown };
    if (typeof seqd?.campaignId === "string" && typeof seqd.eventSeq === "number" && this.subscriptions.has(seqd.campaignId)) {
      if (v.gap(seqd.campaignId, seqd.eventSeq, event === "draw:tick")) {
        this.log("missed a broadcast of", seqd.campaignId, "- resyncing");
        this.resync(seqd.campaignId);
      }
    }
    if (event === "draw:done") this.expectResult(p);
    if (event === "draw:result") {
      // Results are sent once a draw is done: one arriving before we saw the done means we lost
      // broadcasts (the reveal and the done, say) that no later number would show.
      const r = p as { campaignId: string; drawId: string };
      const view = v.get(r.campaignId);
      if (this.subscriptions.has(r.campaignId) && (!view || view.drawId !== r.drawId || view.phase !== "done")) this.resync(r.campaignId);
    }
    switch (event) {
      case "draw:countdown":
        return v.countdown(p);
      case "draw:tick":
        return v.tick(p);
      case "draw:closed":
        return v.closed(p);
      case "draw:reveal":
        return v.reveal(p);
      case "draw:redraw":
        return v.redraw(p);
      case "draw:done":
        return v.done(p);
      case "draw:cancelled":
        return v.cancelled(p);
      case "draw:result":
        return v.result(p);
      case "spin:result": {
        const r = p as SpinResult;
        const waiter = this.spinWaiters.get(r.intentId);
        if (waiter) waiter(r);
        else if (!this.spinResults.has(r.intentId)) {
          this.spinResults.set(r.intentId, r);
          if (this.spinResults.size > 1000) this.spinResults.delete(this.spinResults.keys().next().value as string);
        }
        return this.dispatch("spin:result", r);
      }
      case "leaderboard:update":
        if (this.acceptBoard(p)) this.dispatch("leaderboard:update", p);
        return;
      case "win:status":
        // Best effort, like every push: `wins(campaignId)` is the truth after a reconnect.
        return this.dispatch("win:status", p as Win);
      case "stage:update":
        // Best effort too: `stage(campaignId)` is the truth after a reconnect.
        return this.dispatch("stage:update", p as Stage);
      default:
        this.log("unknown event", event);
    }
  }

  /**
   * Fetches the campaign's snapshot and replays what it shows that was missed (one at a time per
   * campaign). When the draw in view is not finished, its own snapshot first: a newer draw may have
   * opened since, and the latest snapshot would not show what this one missed.
   */
  private resync(campaignId: string, attempt = 0): void {
    if (this.resyncing.has(campaignId) || this.stateValue !== ClientState.Connected) return;
    this.resyncing.add(campaignId);
    const view = this.views.get(campaignId);
    const unfinished = view && view.phase !== "done" && view.phase !== "cancelled" ? view.drawId : null;
    const replay = (snapshot: CampaignSnapshot) => {
      this.views.snapshot(snapshot, true);
      this.dispatch("resync", snapshot);
    };
    (unfinished ? this.request("campaign:subscribe", { campaignId, drawId: unfinished }).then(replay) : Promise.resolve())
      .then(() => this.request("campaign:subscribe", { campaignId }))
      .then(
      (snapshot) => {
        this.resyncing.delete(campaignId);
        replay(snapshot);
      },
      (err: unknown) => {
        this.resyncing.delete(campaignId);
        this.log("resync failed", err);
        // The gap is still there (the answer itself may have been lost): try again, backing off.
        // A reconnect re-subscribes anyway, so this only matters on a socket that stays up.
        if (attempt < 5) setTimeout(() => this.resync(campaignId, attempt + 1), backoff(attempt + 1, this.opt.minReconnectDelayMs, this.opt.maxReconnectDelayMs));
      },
    );
  }

  /** After `draw:done`, an entrant's own result is due; if it does not come, ask for the snapshot. */
  private expectResult(done: { campaignId: string; drawId: string }): void {
    const mine = this.views.get(done.campaignId);
    if (!mine || mine.drawId !== done.drawId || !mine.myIntentId) return;
    const intentId = mine.myIntentId;
    setTimeout(() => {
      if (this.stateValue !== ClientState.Closed && !this.views.hasResult(done.campaignId, done.drawId, intentId)) {
        this.log("own result of", done.drawId, "did not come - resyncing");
        this.resync(done.campaignId);
      }
    }, this.opt.resultGraceMs);
  }

  /** Keeps only boards newer than the last one seen (pushes and answers may cross). */
  private acceptBoard(top: LeaderboardTop): boolean {
    const b = this.boards.get(top.campaignId + "/" + top.board);
    if (!b) return true;
    if (top.version <= b.version) return false;
    b.version = top.version;
    return true;
  }

  private log(...args: unknown[]): void {
    if (this.opt.debug && typeof console !== "undefined") console.log("[livedraw]", ...args);
  }
}
