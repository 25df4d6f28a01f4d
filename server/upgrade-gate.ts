/**
 * Connections counted from the upgrade (server/connection-limit.ts `TransportConnections`): every
 * Engine.IO handshake request — a WebSocket upgrade, or a long-polling GET without `sid` — takes a
 * place of its client address and of the node before Engine.IO sees it, and the place moves onto the
 * Engine.IO connection it becomes, given back when that closes. A request over a bound is answered
 * at once with an HTTP status and the API's error body (429 E_RATE_LIMITED per address, 503 E_BUSY
 * at the node's ceiling) and its TCP connection closed, so no descriptor is kept for it.
 *
 * A connection that never sends the Socket.IO CONNECT is closed by Socket.IO's `connectTimeout`
 * (LIVEDRAW_CONNECT_TIMEOUT_MS, set in server/node.ts), which gives its place back too.
 *
 * Wired on uWebSockets.js by wrapping the `any` and `ws` handlers Engine.IO registers
 * (`gateUwsApp`), and on node:http by wrapping its `upgrade` and `request` listeners
 * (`gateNodeServer`).
 */
import { STATUS_CODES, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Server as EngineServer, Socket as EngineSocket } from "engine.io";
import type { HttpRequest as UwsRequest, HttpResponse as UwsResponse, TemplatedApp, WebSocketBehavior } from "uWebSockets.js";
import { clientAddress } from "./client-address.js";
import type { TransportConnections, TransportRefusal } from "./connection-limit.js";
import { errorResponse, type HttpResponse } from "./http-types.js";

/** `retryAfterMs` of a refused upgrade (and its `Retry-After`). */
export const UPGRADE_RETRY_AFTER_MS = 5000;

export interface UpgradeGateOptions {
  /** Proxies in front of the node (LIVEDRAW_TRUST_PROXY): which X-Forwarded-For entry is the client. */
  trustProxyHops: number;
  /** A place held for a handshake that never became a connection nor failed is given back after this long. */
  pendingTimeoutMs: number;
  /** Told of each refusal (metrics, rate-limited logs). */
  onRefused(kind: TransportRefusal, address: string): void;
}

interface Pending {
  release: () => void;
  timer: NodeJS.Timeout;
}

export class UpgradeGate {
  /** Places held by handshake requests not yet connections, keyed by the request object Engine.IO keeps as `socket.request`. */
  private readonly pending = new WeakMap<object, Pending>();

  /** The two answers, made once: a flood is refused at the cost of a lookup and a write. */
  private readonly refusals: Record<TransportRefusal, HttpResponse>;

  constructor(
    private readonly connections: TransportConnections,
    private readonly options: UpgradeGateOptions,
  ) {
    this.refusals = {
      address: errorResponse("E_RATE_LIMITED", `Too many connections from your address to this node (at most ${connections.maxPerAddress}, counted from the upgrade); retry after \`retryAfterMs\`.`, UPGRADE_RETRY_AFTER_MS),
      node: errorResponse("E_BUSY", `This node holds as many connections as it takes (LIVEDRAW_MAX_CONNECTIONS = ${connections.maxTotal}); retry after \`retryAfterMs\`, or connect to another node.`, UPGRADE_RETRY_AFTER_MS),
    };
  }

  /**
   * Admits a handshake request (it then holds a place under `key`), or answers the refusal to send.
   * Requests of an existing Engine.IO session (`sid`) are not handshakes: they pass.
   */
  admit(key: object, query: string, peer: string, forwardedFor: string | undefined): HttpResponse | null {
    if (/(?:^|&)sid=/.test(query)) return null;
    const address = clientAddress(peer, forwardedFor, this.options.trustProxyHops);
    const got = this.connections.acquire(address);
    if (typeof got === "string") {
      this.options.onRefused(got, address);
      return this.refusals[got];
    }
    const timer = setTimeout(() => {
      this.pending.delete(key);
      got();
    }, this.options.pendingTimeoutMs);
    timer.unref();
    this.pending.set(key, { release: got, timer });
    return null;
  }

  /** Gives back the place of a handshake request that did not become a connection. */
  private fail(key: object): void {
    const held = this.pending.get(key);
    if (held === undefined) return;
    this.pending.delete(key);
    clearTimeout(held.timer);
    held.release();
  }

  /** Moves each held place onto the Engine.IO connection its request became; gives back the places of failed handshakes. */
  watch(engine: EngineServer): void {
    engine.on("connection", (socket: EngineSocket) => {
      const key = socket.request as object;
      const held = this.pending.get(key);
      if (held === undefined) return;
      this.pending.delete(key);
      clearTimeout(held.timer);
      socket.once("close", held.release);
    });
    engine.on("connection_error", (err: { req?: unknown }) => {
      if (typeof err.req === "object" && err.req !== null) this.fail(err.req);
    });
  }
}

/**
 * A view of a uWS app for `io.attachApp`: the handlers Engine.IO registers with `any` (long polling)
 * and `ws` (upgrades) pass the gate first. Everything else goes to the app itself.
 */
export function gateUwsApp(app: TemplatedApp, gate: UpgradeGate): TemplatedApp {
  const refuse = (res: UwsResponse, out: HttpResponse) => {
    res.cork(() => {
      res.writeStatus(`${out.status} ${STATUS_CODES[out.status] ?? ""}`);
      for (const [k, v] of Object.entries(out.headers ?? {})) res.writeHeader(k, v);
      res.writeHeader("retry-after", String(Math.ceil(UPGRADE_RETRY_AFTER_MS / 1000)));
      res.end(out.body, true); // and close the connection: no descriptor kept for a refusal
    });
  };
  const check = (res: UwsResponse, req: UwsRequest): boolean => {
    const xff = req.getHeader("x-forwarded-for");
    const refusal = gate.admit(req, req.getQuery() ?? "", Buffer.from(res.getRemoteAddressAsText()).toString(), xff === "" ? undefined : xff);
    if (refusal === null) return true;
    refuse(res, refusal);
    return false;
  };
  const view: TemplatedApp = new Proxy(app, {
    get(target, prop) {
      if (prop === "any") {
        return (pattern: string, handler: (res: UwsResponse, req: UwsRequest) => void | Promise<void>) => {
          target.any(pattern, (res, req) => {
            // Only a GET opens a long-polling session (a POST carries data of an existing one).
            if (req.getMethod().toUpperCase() !== "GET" || check(res, req)) return handler(res, req);
          });
          return view;
        };
      }
      if (prop === "ws") {
        return <U>(pattern: string, behavior: WebSocketBehavior<U>) => {
          const upgrade = behavior.upgrade;
          target.ws<U>(pattern, {
            ...behavior,
            ...(upgrade === undefined ? {} : { upgrade: (res, req, context) => (check(res, req) ? upgrade(res, req, context) : undefined) }),
          });
          return view;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return view;
}

/** The same on node:http, after `io.attach(server)`: its `upgrade` and `request` listeners pass the gate first. */
export function gateNodeServer(server: HttpServer, gate: UpgradeGate, enginePath = "/socket.io/"): void {
  const isEngine = (req: IncomingMessage) => (req.url ?? "").startsWith(enginePath);
  const queryOf = (req: IncomingMessage) => {
    const url = req.url ?? "";
    const at = url.indexOf("?");
    return at < 0 ? "" : url.slice(at + 1);
  };
  const xff = (req: IncomingMessage) => (typeof req.headers["x-forwarded-for"] === "string" ? req.headers["x-forwarded-for"] : undefined);

  const upgradeListeners = server.listeners("upgrade") as ((req: IncomingMessage, socket: Duplex, head: Buffer) => void)[];
  server.removeAllListeners("upgrade");
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (isEngine(req)) {
      const refusal = gate.admit(req, queryOf(req), req.socket.remoteAddress ?? "", xff(req));
      if (refusal !== null) {
        socket.on("error", () => undefined);
        const head = [
          `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ""}`,
          "Connection: close",
          ...Object.entries(refusal.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
          `Retry-After: ${Math.ceil(UPGRADE_RETRY_AFTER_MS / 1000)}`,
          `Content-Length: ${Buffer.byteLength(refusal.body)}`,
        ];
        socket.end(`${head.join("\r\n")}\r\n\r\n${refusal.body}`, () => socket.destroy());
        return;
      }
    }
    for (const listener of upgradeListeners) listener.call(server, req, socket, head);
  });

  const requestListeners = server.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (isEngine(req) && req.method === "GET") {
      const refusal = gate.admit(req, queryOf(req), req.socket.remoteAddress ?? "", xff(req));
      if (refusal !== null) {
        res.writeHead(refusal.status, { ...refusal.headers, "retry-after": String(Math.ceil(UPGRADE_RETRY_AFTER_MS / 1000)), connection: "close" });
        res.end(refusal.body);
        return;
      }
    }
    for (const listener of requestListeners) listener.call(server, req, res);
  });
}
