/**
 * LiveDrawClient: connect with a token, subscribe to a campaign, enter its draws, and receive the
 * countdown, ticks, the reveal and your own result as typed events. Reconnects with Socket.IO's
 * backoff and re-subscribes by itself; reveals and results are delivered once per draw even if the
 * server re-sends them; `serverNow()` gives the server clock for countdowns after `syncClock()`.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";
import { STATE_REASONS as DISCONNECT_REASONS, isErrorCode, type ErrorCode } from "@livedraw/protocol";
import type {
  Ack,
  CampaignSnapshot,
  ClientToServerEvents,
  AssistResult,
  EnterResult,
  LeaderboardId,
  LeaderboardRank,
  LeaderboardTop,
  PublishedRules,
  ServerToClientEvents,
  SpinResult,
} from "@livedraw/protocol";

export interface SpinOptions {
  /** Reuse the key of a spin whose answer was lost to retry it safely. @default a fresh random key */
  idempotencyKey?: string;
  /** How long to wait for the pushed result before asking for it, in ms. @default 2000 */
  pushWaitMs?: number;
  /** Give up (E_TIMEOUT) after this long, in ms. @default 15000 */
  timeoutMs?: number;
}

/** A fresh idempotency key: 22 characters from a CSPRNG where there is one. */
export function newIdempotencyKey(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const bytes = new Uint8Array(22);
  const webCrypto = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (webCrypto?.getRandomValues) webCrypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => alphabet[b & 63]).join("");
}

export enum ClientState {
  Disconnected = "disconnected",
  Connecting = "connecting",
  Connected = "connected",
  Closed = "closed",
}

export interface StateChange {
  oldState: ClientState;
  newState: ClientState;
  reason?: string;
}

export interface LiveDrawClientOptions {
  /** Base URL of a socket node (or the load balancer), e.g. `https://draw.example.com`. */
  url: string;
  /**
   * Player token (JWT from your backend), or a function that returns a fresh one: it is called on
   * every (re)connection, so a long session survives token expiry.
   */
  token: string | (() => string | Promise<string>);
  /** Socket.IO transports. @default ["websocket"] */
  transports?: ("websocket" | "polling")[];
  /** How long to wait for an acknowledgement before failing with E_TIMEOUT, in ms. @default 10000 */
  ackTimeoutMs?: number;
  /** Log to the console. @default false */
  debug?: boolean;
  /** Extra Socket.IO client options (advanced). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
}

/** An error from the server (a registry code) or from the SDK itself (E_TIMEOUT). */
export class LiveDrawError extends Error {
  /** On a failed `spin()`: the key to retry it with, so a spin the server did store is not spent twice. */
  idempotencyKey?: string;

  constructor(
    readonly code: ErrorCode | "E_TIMEOUT",
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "LiveDrawError";
  }
}

type ClientEvents = ServerToClientEvents & {
  state: (change: StateChange) => void;
  /** After a reconnect: the campaign's current state, including what was missed while offline. */
  resync: (snapshot: CampaignSnapshot) => void;
};
type Listener<E extends keyof ClientEvents> = ClientEvents[E];

export class LiveDrawClient {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  private stateValue = ClientState.Disconnected;
  private readonly listeners = new Map<keyof ClientEvents, Set<(...args: unknown[]) => void>>();
  private readonly subscriptions = new Set<string>();
  private readonly boards = new Map<string, { campaignId: string; board: LeaderboardId; version: number }>();
  private readonly seenReveals = new Set<string>();
  private readonly resultSeq = new Map<string, number>();
  /** Spin results pushed by the server, by intent id, until a `spin()` call picks them up. */
  private readonly spinResults = new Map<string, SpinResult>();
  private readonly spinWaiters = new Map<string, (r: SpinResult) => void>();
  private clockOffsetMs = 0;
  private everConnected = false;
  private authRetryMs = 500;
  private readonly ackTimeoutMs: number;

  constructor(private readonly options: LiveDrawClientOptions) {
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.socket = io(options.url, {
      transports: options.transports ?? ["websocket"],
      autoConnect: false,
      auth: (cb: (data: { token: string }) => void) => {
        const { token } = options;
        Promise.resolve(typeof token === "function" ? token() : token).then(
          (t) => cb({ token: t }),
          (err: unknown) => {
            this.log("token provider failed", err);
            cb({ token: "" });
          },
        );
      },
      ...options.socketOptions,
    });
    this.socket.on("connect", () => {
      this.setState(ClientState.Connected);
      this.authRetryMs = 500;
      if (!this.everConnected) {
        this.everConnected = true;
        return;
      }
      for (const campaignId of this.subscriptions) {
        this.subscribe(campaignId).then(
          (snapshot) => this.dispatch("resync", snapshot),
          (err: unknown) => this.log("resubscribe failed", err),
        );
      }
      for (const b of this.boards.values()) {
        const before = b.version;
        this.subscribeLeaderboard(b.campaignId, b.board).then(
          (top) => {
            if (top.version > before) this.dispatch("leaderboard:update", top);
          },
          (err: unknown) => this.log("leaderboard resubscribe failed", err),
        );
      }
    });
    this.socket.on("disconnect", (reason) => {
      if (this.stateValue !== ClientState.Closed) this.setState(ClientState.Connecting, reason);
    });
    this.socket.on("connect_error", (err) => {
      const data = (err as Error & { data?: { code?: unknown } }).data;
      if (data?.code !== "E_UNAUTHORIZED") return;
      this.setState(ClientState.Disconnected, DISCONNECT_REASONS.UNAUTHORIZED);
      // Socket.IO does not retry a refused handshake. With a token provider, a session that was
      // connected before (its token expired meanwhile) tries again with a fresh token, backing off.
      if (typeof this.options.token === "function" && this.everConnected && this.stateValue !== ClientState.Closed) {
        this.authRetryMs = Math.min(this.authRetryMs * 2, 30_000);
        setTimeout(() => {
          if (this.stateValue !== ClientState.Closed && !this.socket.connected) this.socket.connect();
        }, Math.random() * this.authRetryMs);
      }
    });
    this.socket.on("draw:countdown", (p) => this.dispatch("draw:countdown", p));
    this.socket.on("draw:tick", (p) => this.dispatch("draw:tick", p));
    this.socket.on("draw:closed", (p) => this.dispatch("draw:closed", p));
    this.socket.on("draw:redraw", (p) => this.dispatch("draw:redraw", p));
    this.socket.on("draw:done", (p) => this.dispatch("draw:done", p));
    this.socket.on("draw:cancelled", (p) => this.dispatch("draw:cancelled", p));
    this.socket.on("draw:reveal", (p) => {
      // One reveal per tier; a worker retry may send it again.
      const key = `${p.campaignId}/${p.drawId}/${p.tierId}`;
      if (this.seenReveals.has(key)) return;
      this.seenReveals.add(key);
      this.dispatch("draw:reveal", p);
    });
    this.socket.on("spin:result", (p) => {
      const waiter = this.spinWaiters.get(p.intentId);
      if (waiter) waiter(p);
      else if (!this.spinResults.has(p.intentId)) {
        this.spinResults.set(p.intentId, p);
        if (this.spinResults.size > 1000) this.spinResults.delete(this.spinResults.keys().next().value as string);
      }
      this.dispatch("spin:result", p);
    });
    this.socket.on("leaderboard:update", (p) => {
      if (this.acceptBoard(p)) this.dispatch("leaderboard:update", p);
    });
    this.socket.on("draw:result", (p) => {
      // Delivered at least once, possibly out of order across nodes: keep only newer results (by seq).
      const key = `${p.campaignId}/${p.drawId}/${p.intentId}`;
      const seen = this.resultSeq.get(key);
      if (seen !== undefined && p.seq <= seen) return;
      this.resultSeq.set(key, p.seq);
      if (this.resultSeq.size > 1000) this.resultSeq.delete(this.resultSeq.keys().next().value as string);
      this.dispatch("draw:result", p);
    });
  }

  get state(): ClientState {
    return this.stateValue;
  }

  /** Connects; resolves when connected, rejects with a LiveDrawError (E_UNAUTHORIZED...) if refused. */
  connect(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    this.setState(ClientState.Connecting);
    return new Promise((resolve, reject) => {
      const onConnect = () => {
        this.socket.off("connect_error", onError);
        resolve();
      };
      const onError = (err: Error) => {
        const data = (err as Error & { data?: { code?: unknown; message?: unknown } }).data;
        if (data && isErrorCode(data.code)) {
          this.socket.off("connect", onConnect);
          this.socket.disconnect();
          reject(new LiveDrawError(data.code, typeof data.message === "string" ? data.message : err.message));
        }
        // Other errors are transport failures: Socket.IO keeps retrying and we keep waiting.
      };
      this.socket.once("connect", onConnect);
      this.socket.on("connect_error", onError);
      this.socket.connect();
    });
  }

  /** Joins a campaign's room and returns its current draw; repeated after every reconnect. */
  async subscribe(campaignId: string): Promise<CampaignSnapshot> {
    this.subscriptions.add(campaignId);
    const snapshot = await this.request("campaign:subscribe", { campaignId });
    this.observeServerTime(snapshot.serverTime);
    return snapshot;
  }

  /** Enters a draw. Resolves only once the server has stored the entry; safe to retry. */
  enter(campaignId: string, drawId: string): Promise<EnterResult> {
    return this.request("draw:enter", { campaignId, drawId });
  }

  /** The campaign's published rules: tiers, exact odds, stock left, limits, sold-out policy. */
  rules(campaignId: string): Promise<PublishedRules> {
    return this.request("campaign:rules", { campaignId });
  }

  /**
   * Spins once and resolves with the result the server decided (play the wheel's animation to it).
   * Safe to retry with the same `idempotencyKey`: the server stores one intent per key. If the pushed
   * result does not arrive (e.g. a reconnect), the result is fetched.
   */
  async spin(campaignId: string, options: SpinOptions = {}): Promise<SpinResult> {
    const idempotencyKey = options.idempotencyKey ?? newIdempotencyKey();
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    let ack;
    try {
      ack = await this.request("spin", { campaignId, idempotencyKey });
    } catch (err) {
      if (err instanceof LiveDrawError) err.idempotencyKey = idempotencyKey;
      throw err;
    }
    const { intentId } = ack;
    const pushed = this.spinResults.get(intentId);
    if (pushed) {
      this.spinResults.delete(intentId);
      return pushed;
    }
    let wait = options.pushWaitMs ?? 2000;
    try {
      for (;;) {
        const result = await new Promise<SpinResult | null>((resolve) => {
          const timer = setTimeout(() => resolve(null), Math.max(0, Math.min(wait, deadline - Date.now())));
          this.spinWaiters.set(intentId, (r) => {
            clearTimeout(timer);
            resolve(r);
          });
        });
        if (result) return result;
        const fetched = await this.request("spin:fetch", { campaignId, intentId });
        if (fetched) return fetched;
        if (Date.now() >= deadline) {
          const timeout = new LiveDrawError("E_TIMEOUT", `No result for spin ${intentId} yet; fetch it later with spinHistory().`);
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

  /** Subscribes to a leaderboard: returns its top N now; `leaderboard:update` brings changes. */
  async subscribeLeaderboard(campaignId: string, board: LeaderboardId): Promise<LeaderboardTop> {
    const key = `${campaignId}/${board}`;
    if (!this.boards.has(key)) this.boards.set(key, { campaignId, board, version: -1 });
    const top = await this.request("leaderboard:subscribe", { campaignId, board });
    this.acceptBoard(top);
    return top;
  }

  /** Your rank on a board (your team's rank on the teams board). */
  leaderboardRank(campaignId: string, board: LeaderboardId): Promise<LeaderboardRank> {
    return this.request("leaderboard:rank", { campaignId, board });
  }

  /** Helps the friend who shared an invite (once per friend and campaign). */
  assist(campaignId: string, inviterId: string): Promise<AssistResult> {
    return this.request("assist", { campaignId, inviterId });
  }

  /** Joins a team for the campaign's team PK (final). */
  joinTeam(campaignId: string, teamId: string): Promise<{ teamId: string }> {
    return this.request("team:join", { campaignId, teamId });
  }

  /** Measures the offset between this device's clock and the server's (best of `samples` round trips). */
  async syncClock(samples = 3): Promise<number> {
    let best: { rtt: number; offset: number } | undefined;
    for (let i = 0; i < samples; i++) {
      const sent = Date.now();
      const r = await this.request("time:sync", { clientTime: sent });
      const rtt = Date.now() - sent;
      const offset = r.serverTime - (sent + rtt / 2);
      if (!best || rtt < best.rtt) best = { rtt, offset };
    }
    this.clockOffsetMs = best?.offset ?? 0;
    return this.clockOffsetMs;
  }

  /** The server's clock as best known: use it with a countdown's `deadline`. */
  serverNow(): number {
    return Date.now() + this.clockOffsetMs;
  }

  on<E extends keyof ClientEvents>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (...args: unknown[]) => void);
    return () => set.delete(listener as (...args: unknown[]) => void);
  }

  close(): void {
    this.setState(ClientState.Closed, DISCONNECT_REASONS.CLIENT_CLOSED);
    this.socket.disconnect();
  }

  private request<E extends keyof ClientToServerEvents>(
    event: E,
    payload: Parameters<ClientToServerEvents[E]>[0],
  ): Promise<Parameters<ClientToServerEvents[E]>[1] extends (r: Ack<infer T>) => void ? T : never> {
    return new Promise((resolve, reject) => {
      // Typed at the call site (E); Socket.IO cannot follow a generic event name, hence the narrow view.
      const withTimeout = this.socket.timeout(this.ackTimeoutMs) as unknown as {
        emit(ev: string, p: unknown, cb: (err: Error | null, r: Ack<never>) => void): void;
      };
      withTimeout.emit(event, payload, (err, response) => {
        if (err) return reject(new LiveDrawError("E_TIMEOUT", `No answer to ${event} within ${this.ackTimeoutMs} ms.`));
        if (response.ok) return resolve(response.data);
        const e = response.error;
        reject(new LiveDrawError(e.code, e.message, e.retryAfterMs));
      });
    });
  }

  /** Keeps only boards newer than the last one seen (pushes and answers may cross). */
  private acceptBoard(top: LeaderboardTop): boolean {
    const b = this.boards.get(`${top.campaignId}/${top.board}`);
    if (!b) return true;
    if (top.version <= b.version) return false;
    b.version = top.version;
    return true;
  }

  private observeServerTime(serverTime: number): void {
    if (this.clockOffsetMs === 0) this.clockOffsetMs = serverTime - Date.now();
  }

  private setState(newState: ClientState, reason?: string): void {
    if (newState === this.stateValue) return;
    const change: StateChange = reason === undefined ? { oldState: this.stateValue, newState } : { oldState: this.stateValue, newState, reason };
    this.stateValue = newState;
    this.log("state", change);
    this.dispatch("state", change);
  }

  private dispatch<E extends keyof ClientEvents>(event: E, ...args: Parameters<ClientEvents[E]>): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const l of set) {
      try {
        l(...args);
      } catch (err) {
        this.log(`listener for ${String(event)} threw`, err);
      }
    }
  }

  private log(...args: unknown[]): void {
    if (this.options.debug) console.log("[livedraw]", ...args);
  }
}
