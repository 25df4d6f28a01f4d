/**
 * Socket handlers: authentication at the handshake, then one handler per client → server event. Every
 * payload is validated against its schema; a bad one is answered with E_BAD_REQUEST and changes
 * nothing. Every answer is an Ack envelope `{ ok, data | error }`.
 */
import { RateLimiterMemory } from "rate-limiter-flexible";
import { AppError, toAppError } from "../core/errors.js";
import { logId, maskName } from "../core/mask.js";
import { SUPPORTED_PROTOCOL_VERSIONS, rooms, type Ack } from "../core/protocol.js";
import { describeIssues } from "../core/schemas.js";
import type { NodeContext } from "./context.js";
import { drawHandlers } from "./handlers/draws.js";
import { spinHandlers } from "./handlers/spins.js";
import { leaderboardHandlers } from "./handlers/leaderboards.js";
import type { Bind, HandlerGroup, IoSocket } from "./handlers/types.js";
import { consume } from "./rate-limit.js";

export function registerSocketHandlers(ctx: NodeContext): void {
  const { io, log, metrics } = ctx;
  const limiter = new RateLimiterMemory({ points: ctx.config.socketMessagesPerSecond, duration: 1 });
  const groups: HandlerGroup[] = [drawHandlers, spinHandlers(ctx), leaderboardHandlers];
  const known = new Set<string>(); // every bound event name; anything else is refused

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
    ctx.tokens
      .verify(auth?.token)
      .then((claims) => {
        socket.data = { playerId: claims.sub, role: claims.role, maskedName: maskName(claims.name ?? claims.sub) };
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
    void socket.join(rooms.player(socket.data.playerId));
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
