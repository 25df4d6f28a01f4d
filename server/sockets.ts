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
 */
import { RateLimiterMemory } from "rate-limiter-flexible";
import { AppError, toAppError } from "../core/errors.js";
import { logId, maskName } from "../core/mask.js";
import { SUPPORTED_PROTOCOL_VERSIONS, rooms, type Ack, type SocketData } from "../core/protocol.js";
import { describeIssues } from "../core/schemas.js";
import type { NodeContext } from "./context.js";
import { drawHandlers } from "./handlers/draws.js";
import { spinHandlers } from "./handlers/spins.js";
import { leaderboardHandlers } from "./handlers/leaderboards.js";
import type { Bind, EventName, HandlerGroup, IoSocket } from "./handlers/types.js";
import type { IoServer } from "./context.js";
import { SECURITY_HEADERS } from "./routes.js";
import { consume } from "./rate-limit.js";

/** The only events a viewer may send; every other one is answered E_FORBIDDEN. */
export const VIEWER_EVENTS: ReadonlySet<EventName> = new Set<EventName>(["campaign:subscribe", "time:sync", "campaign:rules", "leaderboard:subscribe"]);

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

export function registerSocketHandlers(ctx: NodeContext): void {
  const { io, log, metrics } = ctx;
  const limiter = new RateLimiterMemory({ points: ctx.config.socketMessagesPerSecond, duration: 1 });
  const groups: HandlerGroup[] = [drawHandlers, spinHandlers(ctx), leaderboardHandlers];
  const known = new Set<string>(); // every bound event name; anything else is refused

  async function authenticate(socketId: string, auth: Record<string, unknown> | undefined, headers: Record<string, string | string[] | undefined>): Promise<SocketData> {
    const token = auth?.token;
    if (typeof token === "string" && token !== "") {
      const claims = await ctx.tokens.verify(token);
      return { playerId: claims.sub, role: claims.role, maskedName: maskName(claims.name ?? claims.sub) };
    }
    if (auth?.viewer === true) return { playerId: viewerId(socketId), role: "viewer", maskedName: "viewer" };
    const cookie = typeof headers.cookie === "string" ? headers.cookie : undefined;
    if (cookie !== undefined && cookie.includes("ld_host=")) {
      if (!sameOrigin(headers, ctx.config.trustProxy)) {
        throw new AppError("E_FORBIDDEN", "A console socket must come from a page of this server's own origin; pass a host token as auth.token instead.");
      }
      const session = await ctx.hostAuth.session(cookie);
      if (!session) throw new AppError("E_UNAUTHORIZED", "No valid host session: sign in again (POST /v1/host/session).");
      return { playerId: session.hostId, role: "host", maskedName: maskName(session.hostId), hostSession: session.ref };
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
    authenticate(socket.id, auth, socket.handshake.headers)
      .then((data) => {
        socket.data = data;
        next();
      })
      .catch((err: unknown) => {
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
    if (socket.data.hostSession) void socket.join(rooms.hostSession(socket.data.hostSession));
    slog.debug({ role: socket.data.role }, "connected");
    socket.on("disconnect", (reason) => {
      metrics.sockets.dec();
      slog.debug({ reason }, "disconnected");
    });

    const bind: Bind = (event, schema, handler) => {
      known.add(event);
      const listener = async (payload: unknown, ack: unknown) => {
        if (typeof ack !== "function") {
          slog.debug({ event }, "message without an ack callback ignored");
          return;
        }
        const reply = ack as (r: Ack<unknown>) => void;
        ctx.inflight++;
        try {
          await consume(limiter, socket.id);
          if (socket.data.role === "viewer" && !VIEWER_EVENTS.has(event)) {
            throw new AppError("E_FORBIDDEN", `A viewer (the big screen) may only watch: ${[...VIEWER_EVENTS].join(", ")}.`);
          }
          const parsed = schema.safeParse(payload);
          if (!parsed.success) throw new AppError("E_BAD_REQUEST", `${event}: ${describeIssues(parsed.error)}`);
          reply({ ok: true, data: await handler(parsed.data) });
        } catch (err) {
          const appErr = toAppError(err);
          metrics.errors.labels(appErr.code).inc();
          if (appErr.code === "E_INTERNAL" || appErr.code === "E_UNAVAILABLE") slog.error({ err, event }, "handler failed");
          reply({ ok: false, error: appErr.toAckError() });
        } finally {
          ctx.inflight--;
        }
      };
      socket.on(event, listener as never); // payloads arrive untyped; `listener` validates them
    };
    for (const group of groups) group(ctx, socket, bind);

    socket.onAny((event: string, ...args: unknown[]) => {
      if (known.has(event)) return;
      metrics.errors.labels("E_BAD_REQUEST").inc();
      const ack = args[args.length - 1];
      if (typeof ack === "function") {
        const error = new AppError("E_BAD_REQUEST", `Unknown event ${JSON.stringify(event).slice(0, 80)}.`).toAckError();
        (ack as (r: Ack<never>) => void)({ ok: false, error });
      }
    });
  });
}
