import type { Socket } from "socket.io";
import type { z } from "zod";
import type { Ack, ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from "../../core/protocol.js";
import type { NodeContext } from "../context.js";

export type IoSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type EventName = keyof ClientToServerEvents;
export type AckData<E extends EventName> = Parameters<ClientToServerEvents[E]>[1] extends (r: Ack<infer T>) => void ? T : never;

/** Binds one client → server event: rate limit, schema check, handler, ack envelope. */
export type Bind = <E extends EventName, S extends z.ZodType>(event: E, schema: S, handler: (payload: z.output<S>) => Promise<AckData<E>>) => void;

/** A group of handlers for one feature (draws, spins, leaderboards...). */
export type HandlerGroup = (ctx: NodeContext, socket: IoSocket, bind: Bind) => void;
