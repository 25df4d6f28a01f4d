/**
 * Transports: one small interface, so the same client core runs over a browser or Node WebSocket
 * and over mini-program SocketTasks (WeChat `wx.connectSocket`, Alipay `my.connectSocket`, uni-app,
 * Taro). A transport opens one socket; the client tags each with an id so callbacks of a dead socket
 * are ignored. Nothing here runs at load time.
 */

export interface TransportHandlers {
  onOpen(): void;
  /** A text frame. Binary frames are not part of the contract and are dropped by the transport. */
  onMessage(data: string): void;
  onClose(code: number, reason: string): void;
}

export interface TransportSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Opens a socket to `url` (ws:// or wss://) and reports to `handlers`. */
export type Transport = (url: string, handlers: TransportHandlers) => TransportSocket;

interface WebSocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
type WebSocketConstructor = new (url: string) => WebSocketLike;

/** A WHATWG WebSocket: the browser's, Node ≥ 22's global, or the `ws` package's class on Node 20. */
export function webSocketTransport(WebSocketImpl: unknown): Transport {
  const Ctor = WebSocketImpl as WebSocketConstructor;
  return (url, h) => {
    const ws = new Ctor(url);
    ws.onopen = () => h.onOpen();
    ws.onmessage = (ev) => {
      if (typeof ev.data === "string") h.onMessage(ev.data);
    };
    ws.onclose = (ev) => h.onClose(ev.code, ev.reason);
    ws.onerror = () => undefined; // a close event follows
    return {
      send: (data) => ws.send(data),
      close: (code, reason) => {
        try {
          ws.close(code, reason);
        } catch {
          ws.close();
        }
      },
    };
  };
}

/** The SocketTask of WeChat, Alipay (with `multiple: true`), uni-app and Taro. */
export interface SocketTaskLike {
  send(options: { data: string }): void;
  close(options: { code?: number; reason?: string }): void;
  onOpen(cb: (res?: unknown) => void): void;
  onMessage(cb: (res: { data: unknown }) => void): void;
  onClose(cb: (res?: { code?: number; reason?: string }) => void): void;
  onError(cb: (res?: unknown) => void): void;
}

export interface ConnectSocketOptions {
  url: string;
  [option: string]: unknown;
}

/**
 * Any `connectSocket(options)` that returns a SocketTask, or a promise of one (Taro). `extra` is
 * merged into every call's options (e.g. `{ tcpNoDelay: true }` on WeChat).
 */
export function socketTaskTransport(
  connectSocket: (options: ConnectSocketOptions) => SocketTaskLike | Promise<SocketTaskLike>,
  extra: Record<string, unknown> = {},
): Transport {
  return (url, h) => {
    let task: SocketTaskLike | undefined;
    let ended = false;
    const end = (code: number, reason: string) => {
      if (ended) return;
      ended = true;
      h.onClose(code, reason);
    };
    const attach = (t: SocketTaskLike) => {
      task = t;
      t.onOpen(() => h.onOpen());
      t.onMessage((res) => {
        if (typeof res.data === "string") h.onMessage(res.data);
      });
      t.onClose((res) => end(res?.code ?? 1006, res?.reason ?? ""));
      t.onError((res) => end(1006, (res as { errMsg?: string } | undefined)?.errMsg ?? "socket error"));
    };
    // uni-app returns the task only when a callback is passed; the others ignore `complete`.
    const r = connectSocket({ url, complete: () => undefined, ...extra });
    if (r && typeof (r as Promise<SocketTaskLike>).then === "function") {
      (r as Promise<SocketTaskLike>).then(
        (t) => {
          attach(t);
          if (ended) t.close({});
        },
        (err: unknown) => end(1006, String(err)),
      );
    } else attach(r as SocketTaskLike);
    return {
      send: (data) => task?.send({ data }),
      close: (code = 1000, reason = "") => {
        task?.close({ code, reason });
        end(code, reason);
      },
    };
  };
}

interface HasConnectSocket {
  connectSocket(options: ConnectSocketOptions): SocketTaskLike | Promise<SocketTaskLike>;
}

/** WeChat: `wxTransport(wx)`. One connection per app: mini-programs allow very few sockets. */
export const wxTransport = (wx: HasConnectSocket, extra?: Record<string, unknown>): Transport =>
  socketTaskTransport((o) => wx.connectSocket(o), extra);

/** Alipay: `my.connectSocket` with `multiple: true`, which returns a SocketTask. */
export const alipayTransport = (my: HasConnectSocket, extra?: Record<string, unknown>): Transport =>
  socketTaskTransport((o) => my.connectSocket({ multiple: true, ...o }), extra);

/** uni-app (`uni`) and Taro (`Taro`): the same SocketTask shape. */
export const uniTransport = wxTransport;
export const taroTransport = wxTransport;

declare const WebSocket: unknown;
declare const wx: HasConnectSocket | undefined;
declare const my: HasConnectSocket | undefined;
declare const uni: HasConnectSocket | undefined;

/** Picks what this runtime has, when a connection is first made (never at load time). */
export function detectTransport(): Transport | null {
  if (typeof wx !== "undefined" && wx && typeof wx.connectSocket === "function") return wxTransport(wx);
  if (typeof uni !== "undefined" && uni && typeof uni.connectSocket === "function") return uniTransport(uni);
  if (typeof my !== "undefined" && my && typeof my.connectSocket === "function") return alipayTransport(my);
  if (typeof WebSocket === "function") return webSocketTransport(WebSocket);
  return null;
}
