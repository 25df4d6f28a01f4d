/** Child side of the load processes: IPC with bench/load-ipc.ts, their sockets, and player socket connections. */
import { io } from "socket.io-client";
import type { TokenService } from "../server/auth.js";
import { type BenchSocket, RawSocket } from "./raw-client.js";
import type { BenchClient } from "./env.js";

/** What every load process is given (bench/spin-load.ts and bench/flash-load.ts add their own fields). */
export interface BaseLoadConfig {
  proc: number;
  /** The socket nodes; client `global` uses urls[global % urls.length]. */
  urls: string[];
  campaignId: string;
  secret: string;
  /** Index of this process's first client among all clients (player ids and node choice are global). */
  clientOffset: number;
  clients: number;
  /** Which Socket.IO client the simulated players use (BENCH_CLIENT). */
  client: BenchClient;
}

/** This process's sockets, by local client index. */
export const sockets: BenchSocket[] = [];
let stopRequested = false;
let proc: number | undefined;

/** True once the parent sent {type:"stop"} or went away. */
export const stopping = (): boolean => stopRequested;

export function send(msg: unknown): void {
  process.send?.(msg);
}

export function closeAll(): void {
  for (const s of sockets) s?.close();
}

/** Reports a fatal error to the parent and exits. */
export function fatal(err: unknown): void {
  send({ type: "fatal", proc, message: err instanceof Error ? err.stack ?? err.message : String(err) });
  closeAll();
  setTimeout(() => process.exit(1), 200).unref();
}

/**
 * Handles the parent's messages: {type:"stop"} here, every other type in `onMessage` (after {type:"config"},
 * its `proc` is used in fatal messages). Exits when the parent goes away: never outlive it.
 */
export function listen(onMessage: (msg: { type: string } & Record<string, unknown>) => void): void {
  process.on("message", (raw: unknown) => {
    const msg = raw as { type: string } & Record<string, unknown>;
    if (msg.type === "config") proc = Number(msg.proc);
    if (msg.type === "stop") {
      stopRequested = true;
      closeAll();
      setTimeout(() => process.exit(0), 200).unref();
    } else onMessage(msg);
  });
  process.on("disconnect", () => {
    stopRequested = true;
    closeAll();
    process.exit(0);
  });
}

/** A player's socket (websocket only, no reconnection): bench/raw-client.ts, or socket.io-client itself. */
export async function playerSocket(client: BenchClient, tokens: TokenService, sub: string, tokenTtlS: number, url: string, timeoutMs: number): Promise<BenchSocket> {
  const token = await tokens.sign({ sub, role: "player" }, tokenTtlS);
  if (client === "raw") return new RawSocket(url, { token }, timeoutMs);
  return io(url, { transports: ["websocket"], auth: { token }, reconnection: false, forceNew: true, timeout: timeoutMs }) as unknown as BenchSocket;
}

/** null once connected, the connect_error, or "timeout" after `timeoutMs`. */
export function connectOutcome(socket: BenchSocket, timeoutMs: number): Promise<Error | "timeout" | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve(null);
    });
    socket.once("connect_error", (err: Error) => {
      clearTimeout(timer);
      resolve(err);
    });
  });
}
