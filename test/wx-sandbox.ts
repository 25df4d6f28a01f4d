/**
 * A WeChat-like sandbox for the SDK's mini-program build: a fresh V8 context whose only globals are
 * `wx`, the timers and the language built-ins (no WebSocket, process, require, console, URL,
 * TextEncoder). The file is loaded the way the mini-program runtime loads a CommonJS file, and
 * `wx.connectSocket` returns a SocketTask backed by a real WebSocket to the real server.
 */
import { readFileSync } from "node:fs";
import vm from "node:vm";
import WebSocket from "ws";

export const MP_BUNDLE = new URL("../client-sdk/dist/livedraw-sdk.mp.js", import.meta.url);

interface TaskCallbacks {
  open: (() => void)[];
  message: ((res: { data: unknown }) => void)[];
  close: ((res: { code: number; reason: string }) => void)[];
  error: ((res: { errMsg: string }) => void)[];
}

export class FakeWx {
  /** Every `wx.connectSocket` call, in order. */
  readonly calls: { url: string }[] = [];
  private readonly tasks = new Set<{ cut(code: number, reason: string): void }>();

  /** What WeChat does a few seconds after `onHide`: the socket is closed (code 1000, "interrupted"). */
  cutSockets(): void {
    for (const t of [...this.tasks]) t.cut(1000, "interrupted");
  }

  readonly api = {
    connectSocket: (options: { url: string }) => {
      this.calls.push({ url: options.url });
      const cb: TaskCallbacks = { open: [], message: [], close: [], error: [] };
      const ws = new WebSocket(options.url);
      let closed = false;
      const fireClose = (code: number, reason: string) => {
        if (closed) return;
        closed = true;
        this.tasks.delete(entry);
        for (const f of cb.close) f({ code, reason });
      };
      const entry = {
        cut: (code: number, reason: string) => {
          ws.terminate();
          fireClose(code, reason);
        },
      };
      this.tasks.add(entry);
      ws.on("open", () => cb.open.forEach((f) => f()));
      ws.on("message", (data, isBinary) => {
        if (!closed) cb.message.forEach((f) => f({ data: isBinary ? new ArrayBuffer(0) : String(data) }));
      });
      ws.on("close", (code, reason) => fireClose(code, String(reason)));
      ws.on("error", (err) => cb.error.forEach((f) => f({ errMsg: err.message })));
      return {
        send: ({ data }: { data: string }) => {
          if (ws.readyState === WebSocket.OPEN) ws.send(data);
        },
        close: ({ code, reason }: { code?: number; reason?: string }) => {
          ws.close(code ?? 1000, reason ?? "");
          fireClose(code ?? 1000, reason ?? "");
        },
        onOpen: (f: () => void) => cb.open.push(f),
        onMessage: (f: (res: { data: unknown }) => void) => cb.message.push(f),
        onClose: (f: (res: { code: number; reason: string }) => void) => cb.close.push(f),
        onError: (f: (res: { errMsg: string }) => void) => cb.error.push(f),
      };
    },
  };
}

/** Loads the mini-program build into a new sandbox and returns its exports and the sandbox's globals. */
export function loadMiniProgramSdk(wx: FakeWx): { sdk: Record<string, unknown>; globals: string[] } {
  const context = vm.createContext({ wx: wx.api, setTimeout, clearTimeout, setInterval, clearInterval });
  vm.runInContext("delete globalThis.console", context); // V8 adds one; the language does not have it
  const code = readFileSync(MP_BUNDLE, "utf8");
  const wrapper = vm.runInContext(`(function (module, exports) {${code}\n})`, context, { filename: "livedraw-sdk.mp.js" }) as (m: { exports: unknown }, e: unknown) => void;
  const mod = { exports: {} as Record<string, unknown> };
  wrapper(mod, mod.exports);
  const globals = vm.runInContext("Object.getOwnPropertyNames(globalThis)", context) as string[];
  return { sdk: mod.exports, globals: [...globals] };
}
