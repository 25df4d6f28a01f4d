/**
 * Socket handlers: authentication at the handshake, then one handler per client → server event. Every
 * payload is validated against its schema; a bad one is answered with E_BAD_REQUEST and changes
 * nothing. Every answer is an Ack envelope `{ ok, data | error }`.
 *
 * The handshake admits, in this order of precedence:
 *   - `auth.token`: a player or host JWT (integrators, the SDK);
 *   - `auth.viewer: true`: an anonymous, read-only viewer (the venue's big screen), which may only use
 *     VIEWER_EVENTS;
 *   - the console's `ld_host` session cookie, only from a page of this origin (the Origin header's
 *     host must be the request's Host), so another site cannot open a socket with the host's cookie
 *     (cross-site WebSocket hijacking).
 *
 * Bounds on what one client can cost a node: concurrent connections per client address (taken at
 * the handshake, viewers included), every inbound message counted against the per-socket rate (a
 * sustained flood is disconnected), rooms per socket (handlers/subscriptions.ts), and no socket
 * outlives its token's `exp` (or its console session).
 */
import { createHash } from "node:crypto";
import { AppError, toAppError, UNAVAILABLE_RETRY_AFTER_MS } from "../core/errors.js";
import { logId, maskName } from "../core/mask.js";
import { SUPPORTED_PROTOCOL_VERSIONS, rooms, type Ack, type SocketData } from "../core/protocol.js";
import { describeIssues } from "../core/schemas.js";
import type { NodeContext } from "./context.js";
import { drawHandlers } from "./handlers/draws.js";
import { spinHandlers } from "./handlers/spins.js";
import { leaderboardHandlers } from "./handlers/leaderboards.js";
import { taskHandlers } from "./handlers/tasks.js";
import { prizeHandlers } from "./handlers/prizes.js";
import { stageHandlers } from "./handlers/stage.js";
import { StageStore } from "./stage.js";
import type { Bind, EventName, HandlerGroup, IoSocket } from "./handlers/types.js";
import type { IoServer } from "./context.js";
import { SECURITY_HEADERS } from "./routes.js";
import { clientAddress } from "./client-address.js";
import { AddressConnections } from "./connection-limit.js";
import { FORCED_DISCONNECT_REASONS, type ForcedDisconnectReason } from "./disconnect-reasons.js";
import { MessageRate } from "./message-rate.js";
import { handshakeSource } from "./sources.js";
import { Lru } from "./lru.js";
import type { VerifiedClaims } from "./auth.js";

/** What a client refused at the handshake for its address's connection count is told to wait. */
export const CONNECTION_LIMIT_RETRY_AFTER_MS = 5000;
/** setTimeout's longest delay; an expiry further away is re-armed when it fires. */
const MAX_TIMER_MS = 2_147_483_647;

/** The only events a viewer may send; every other one is answered E_FORBIDDEN. */
export const VIEWER_EVENTS: ReadonlySet<EventName> = new Set<EventName>(["campaign:subscribe", "time:sync", "campaign:rules", "leaderboard:subscribe", "stage:get"]);

/** A viewer's id, unique per socket. Viewers never join a player room, so a player whose id looks like one gains nothing. */
function viewerId(socketId: string): string {
  return `viewer-${socketId.replace(/[^A-Za-z0-9_-]/g, "_")}`.slice(0, 64);
}

/** Whether the handshake's Origin names the host it was sent to (behind a trusted proxy, X-Forwarded-Host). */
function sameOrigin(headers: Record<string, string | string[] | undefined>, trustProxy: boolean): boolean {
  const origin = headers.origin;
  const forwarded = trustProxy ? headers["x-forwarded-host"] : undefined;
  const host = typeof forwarded === "string" && forwarded !== "" ? forwarded.split(",")[0]!.trim() : headers.host;
  if (typeof origin !== "string" || typeof host !== "string" || host === "") return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** The security headers of the HTTP API on Socket.IO's own responses too (polling, handshake). */
export function secureEngineHeaders(io: IoServer): void {
  io.engine.on("headers", (headers: Record<string, string>) => Object.assign(headers, SECURITY_HEADERS));
}

/** The socket-side id of a host: never a pseudonym (those match `p` + 22 characters), so never a player's. */
export const hostPlayerId = (hostId: string): string => `host:${hostId}`;

export function registerSocketHandlers(ctx: NodeContext): void {
  const { io, log, metrics } = ctx;
  const connections = new AddressConnections(ctx.config.maxConnectionsPerAddress);
  // Which (name, phone) each recent player's profile already holds, so a reconnect writes nothing.
  const savedProfiles = new Lru<string>(4_000_000);
  /**
   * Whether a player's token was revoked. Fails closed: when Redis cannot answer, the handshake is
   * refused with E_UNAVAILABLE (the SDK retries) rather than letting a possibly revoked token in.
   */
  async function revoked(playerId: string, claims: VerifiedClaims): Promise<boolean> {
    try {
      return await ctx.revocations.isRevoked(playerId, claims);
    } catch (err) {
      log.warn({ err, player: logId(playerId) }, "token revocation not checked: handshake refused");
      throw new AppError("E_UNAVAILABLE", "Token revocation could not be checked; retry shortly.", UNAVAILABLE_RETRY_AFTER_MS, { cause: err });
    }
  }
  function rememberProfile(playerId: string, name: string | undefined, phone: string | undefined): void {
    if (name === undefined && phone === undefined) return;
    // The day is part of it, so a returning player's profile is written (its retention clock restarted) once a day at most.
    const day = Math.floor(Date.now() / 86_400_000);
    const fingerprint = createHash("sha256").update(`${name ?? ""}\0${phone ?? ""}\0${day}`).digest("base64url").slice(0, 16);
    if (savedProfiles.get(playerId) === fingerprint) return;
    ctx.profiles.save(playerId, { ...(name === undefined ? {} : { name }), ...(phone === undefined ? {} : { phone }) }).then(
      () => savedProfiles.set(playerId, fingerprint, playerId.length + fingerprint.length + 64),
      (err: unknown) => log.warn({ err, player: logId(playerId) }, "player profile not saved (retried at the next connection)"),
    );
  }
  const groups: HandlerGroup[] = [drawHandlers, spinHandlers(ctx), leaderboardHandlers, taskHandlers, prizeHandlers, stageHandlers(new StageStore(ctx.redis))];
  const known = new Set<string>(); // every bound event name; anything else is refused

  async function authenticate(socketId: string, auth: Record<string, unknown> | undefined, headers: Record<string, string | string[] | undefined>): Promise<SocketData> {
    const token = auth?.token;
    if (typeof token === "string" && token !== "") {
      const claims = await ctx.tokens.verify(token);
      // A host is never a player: its id lives outside the pseudonym space (`host:` prefix), so a host
      // token whose `sub` equals a player's pseudonym joins no player's room and reads no player's data.
      if (claims.role === "host") {
        return {
          playerId: hostPlayerId(claims.sub),
          role: claims.role,
          maskedName: maskName(claims.name ?? claims.sub),
          expiresAt: claims.expiresAt,
          hostId: claims.sub,
          ...(claims.campaigns ? { hostCampaigns: claims.campaigns } : {}),
        };
      }
      if (claims.role === "staff") throw new AppError("E_FORBIDDEN", "Staff tokens are for the redemption endpoint (POST /v1/campaigns/:campaignId/redemptions), not for sockets.");
      // From here on the player is their pseudonym: Redis, logs, rooms and broadcasts never see the raw `sub`.
      const playerId = ctx.pseudonyms.player(claims.sub);
      if (await revoked(playerId, claims)) throw new AppError("E_UNAUTHORIZED", "This token has been revoked (signed out); sign in again.");
      rememberProfile(playerId, claims.name, claims.phone);
      return { playerId, role: claims.role, maskedName: maskName(claims.name ?? claims.sub), expiresAt: claims.expiresAt, ...(claims.tokenId === undefined ? {} : { tokenId: claims.tokenId }) };
    }
    if (auth?.viewer === true) return { playerId: viewerId(socketId), role: "viewer", maskedName: "viewer" };
    const cookie = typeof headers.cookie === "string" ? headers.cookie : undefined;
    if (cookie !== undefined && cookie.includes("ld_host=")) {
      if (!sameOrigin(headers, ctx.config.trustProxy)) {
        throw new AppError("E_FORBIDDEN", "A console socket must come from a page of this server's own origin; pass a host token as auth.token instead.");
      }
      const session = await ctx.hostAuth.session(cookie);
      if (!session) throw new AppError("E_UNAUTHORIZED", "No valid host session: sign in again (POST /v1/host/session).");
      return { playerId: hostPlayerId(session.hostId), role: "host", maskedName: maskName(session.hostId), hostSession: session.ref, expiresAt: session.expiresAt, hostId: session.hostId };
    }
    await ctx.tokens.verify(token); // no token: throws E_UNAUTHORIZED ("No token: …")
    throw new AppError("E_UNAUTHORIZED");
  }

  io.use((socket, next) => {
    const auth = socket.handshake.auth as Record<string, unknown> | undefined;
    // A handshake without `protocol` is v1 (clients written before the field existed).
    const version = auth?.protocol ?? 1;
    if (typeof version !== "number" || !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      const error = new Error("protocol version") as Error & { data?: unknown };
      error.data = new AppError(
        "E_PROTOCOL_VERSION",
        `This client speaks protocol ${JSON.stringify(version).slice(0, 20)}; this server speaks ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")}. Update the SDK.`,
      ).toAckError();
      next(error);
      return;
    }
    // Every socket takes a place of its address before anything else is done for it (viewers too).
    const address = clientAddress(socket.handshake.address, socket.handshake.headers["x-forwarded-for"], ctx.config.trustProxyHops);
    const release = connections.acquire(address);
    if (!release) {
      metrics.connectionsRefused.inc();
      metrics.errors.labels("E_RATE_LIMITED").inc();
      const message = `Too many connections from your address to this node (at most ${ctx.config.maxConnectionsPerAddress}); retry after \`retryAfterMs\`.`;
      const error = new Error(message) as Error & { data?: unknown };
      error.data = new AppError("E_RATE_LIMITED", message, CONNECTION_LIMIT_RETRY_AFTER_MS).toAckError();
      next(error);
      return;
    }
    // Given back once: at disconnect, or when the connection closes, even mid-handshake.
    socket.conn.once("close", release);
    socket.once("disconnect", release);
    authenticate(socket.id, auth, socket.handshake.headers)
      .then((data) => {
        // The address and the optional `auth.device` / `auth.challenge` (server/sources.ts; a bad one is E_BAD_REQUEST).
        socket.data = { ...data, address, ...handshakeSource(auth) };
        next();
      })
      .catch((err: unknown) => {
        release();
        const appErr = toAppError(err);
        const error = new Error(appErr.message) as Error & { data?: unknown };
        error.data = appErr.toAckError();
        next(error);
      });
  });

  io.on("connection", (socket: IoSocket) => {
    const slog = log.child({ socket: socket.id, player: logId(socket.data.playerId) });
    metrics.sockets.inc();
    // A viewer has no personal messages; a console socket also joins its session's room (sign-out).
    if (socket.data.role !== "viewer") void socket.join(rooms.player(socket.data.playerId));
    if (socket.data.tokenId !== undefined) void socket.join(rooms.token(socket.data.tokenId));
    if (socket.data.hostSession) void socket.join(rooms.hostSession(socket.data.hostSession));
    slog.debug({ role: socket.data.role }, "connected");
    const forceDisconnect = (reason: ForcedDisconnectReason, level: "warn" | "info") => {
      if (!socket.connected) return;
      metrics.forcedDisconnects.labels(reason).inc();
      slog[level]({ reason, role: socket.data.role }, `socket disconnected: ${reason}`);
      socket.disconnect(true);
    };

    // No socket outlives its credential: at the token's exp (or the session's end) the node ends
    // it, and the SDK reconnects with a fresh token from its provider.
    let expiry: NodeJS.Timeout | undefined;
    const armExpiry = (expiresAt: number) => {
      const left = expiresAt - Date.now();
      if (left <= 0) {
        forceDisconnect(socket.data.hostSession ? FORCED_DISCONNECT_REASONS.SESSION_EXPIRED : FORCED_DISCONNECT_REASONS.TOKEN_EXPIRED, "info");
        return;
      }
      expiry = setTimeout(() => armExpiry(expiresAt), Math.min(left, MAX_TIMER_MS));
      expiry.unref();
    };
    if (socket.data.expiresAt !== undefined) armExpiry(socket.data.expiresAt);

    socket.on("disconnect", (reason) => {
      clearTimeout(expiry);
      metrics.sockets.dec();
      slog.debug({ reason }, "disconnected");
    });

    // Every inbound message counts, known or not, with an ack or without, before any handler runs.
    const rate = new MessageRate(ctx.config.socketMessagesPerSecond);
    socket.use((packet, next) => {
      const [event] = packet as unknown[];
      const ack = packet.length > 1 ? (packet[packet.length - 1] as unknown) : undefined;
      const reply = typeof ack === "function" ? (ack as (r: Ack<never>) => void) : undefined;
      const verdict = rate.take(Date.now());
      if (verdict.kind === "flood") {
        forceDisconnect(FORCED_DISCONNECT_REASONS.MESSAGE_FLOOD, "warn");
        return;
      }
      if (verdict.kind === "limited") {
        metrics.errors.labels("E_RATE_LIMITED").inc();
        reply?.({ ok: false, error: new AppError("E_RATE_LIMITED", undefined, verdict.retryAfterMs).toAckError() });
        return;
      }
      if (typeof event !== "string" || !known.has(event)) {
        metrics.errors.labels("E_BAD_REQUEST").inc();
        reply?.({ ok: false, error: new AppError("E_BAD_REQUEST", `Unknown event ${JSON.stringify(event)?.slice(0, 80) ?? "(none)"}.`).toAckError() });
        return;
      }
      next();
    });

    const bind: Bind = (event, schema, handler) => {
      known.add(event);
      // The ack callback is the last argument, whatever their number; the payload is the one before it.
      const listener = async (...args: unknown[]) => {
        const ack = args[args.length - 1];
        if (typeof ack !== "function") {
          slog.debug({ event }, "message without an ack callback ignored");
          return;
        }
        const reply = ack as (r: Ack<unknown>) => void;
        const payloads = args.length - 1;
        ctx.inflight++;
        const ackTimer = metrics.ackLatency.startTimer({ event }); // arrival at the handler → ack sent
        try {
          if (socket.data.role === "viewer" && !VIEWER_EVENTS.has(event)) {
            throw new AppError("E_FORBIDDEN", `A viewer (the big screen) may only watch: ${[...VIEWER_EVENTS].join(", ")}.`);
          }
          if (payloads !== 1) {
            throw new AppError(
              "E_BAD_REQUEST",
              payloads === 0
                ? `${event}: (payload): missing; send one payload object, then the ack callback`
                : `${event}: (payload): expected one payload argument before the ack callback, got ${payloads}`,
            );
          }
          const parsed = schema.safeParse(args[0]);
          if (!parsed.success) throw new AppError("E_BAD_REQUEST", `${event}: ${describeIssues(parsed.error)}`);
          reply({ ok: true, data: await handler(parsed.data) });
          ackTimer({ outcome: "ok" });
        } catch (err) {
          const appErr = toAppError(err);
          metrics.errors.labels(appErr.code).inc();
          if (appErr.code === "E_INTERNAL" || appErr.code === "E_UNAVAILABLE") slog.error({ err, event }, "handler failed");
          reply({ ok: false, error: appErr.toAckError() });
          ackTimer({ outcome: "error" });
        } finally {
          ctx.inflight--;
        }
      };
      socket.on(event, listener as never); // payloads arrive untyped; `listener` validates them
    };
    for (const group of groups) group(ctx, socket, bind);
  });

  // Rooms by kind, for /metrics: leaderboard rooms are what every node polls once per interval.
  const roomKind = (room: string) =>
    room.startsWith("campaign:") ? "campaign" : room.startsWith("lb:") ? "leaderboard" : room.startsWith("player:") ? "player" : "other";
  for (const kind of ["campaign", "leaderboard", "player", "other"]) metrics.rooms.labels(kind).set(0);
  const adapter = io.of("/").adapter;
  adapter.on("create-room", (room: string) => metrics.rooms.labels(roomKind(room)).inc());
  adapter.on("delete-room", (room: string) => metrics.rooms.labels(roomKind(room)).dec());
}
