/**
 * Transports for SDK tests: Node's `ws` behind the SDK's transport interface, and a wrapper that can
 * cut every socket it opened (a network drop, without closing frames) and delay every frame in both
 * directions by a random 0..jitterMs while keeping their order (as TCP would).
 */
import WebSocket from "ws";
import { webSocketTransport, type Transport, type TransportHandlers, type TransportSocket } from "@livedraw/client-sdk";

export const nodeTransport: Transport = webSocketTransport(WebSocket);

export class TestNetwork {
  private readonly live = new Set<{ drop(): void; reading(on: boolean): void }>();
  opened = 0;

  /** Frames from the server for which this returns true are silently dropped (a lossy proxy). */
  dropIncoming: ((frame: string) => boolean) | null = null;
  dropped: string[] = [];

  constructor(private readonly jitterMs = 0) {}

  /** Cuts every open socket at once, as a dead network or a killed node would. */
  dropAll(): void {
    for (const s of [...this.live]) s.drop();
  }

  /** Stops reading every open socket (the kernel's and then the server's buffers fill), or resumes. */
  setReading(reading: boolean): void {
    for (const s of this.live) s.reading(reading);
  }

  readonly transport: Transport = (url: string, h: TransportHandlers): TransportSocket => {
    this.opened++;
    const ws = new WebSocket(url);
    const delayed = this.delayer();
    const entry = {
      drop: () => {
        this.live.delete(entry);
        ws.terminate();
      },
      reading: (on: boolean) => {
        const raw = (ws as unknown as { _socket?: { pause(): void; resume(): void } })._socket;
        if (on) raw?.resume();
        else raw?.pause();
      },
    };
    this.live.add(entry);
    const toClient = this.delayer();
    ws.onopen = () => toClient(() => h.onOpen());
    ws.onmessage = (ev) => {
      if (typeof ev.data === "string") {
        const data = ev.data;
        if (this.dropIncoming?.(data)) {
          this.dropped.push(data);
          return;
        }
        toClient(() => h.onMessage(data));
      }
    };
    ws.onclose = (ev) => {
      this.live.delete(entry);
      toClient(() => h.onClose(ev.code, ev.reason));
    };
    ws.onerror = () => undefined;
    return {
      send: (data) =>
        delayed(() => {
          if (ws.readyState === WebSocket.OPEN) ws.send(data);
        }),
      close: (code, reason) => {
        this.live.delete(entry);
        ws.close(code, reason);
      },
    };
  };

  /** Runs callbacks after a random delay, never out of order. */
  private delayer(): (fn: () => void) => void {
    let last = 0;
    return (fn) => {
      if (this.jitterMs === 0) return fn();
      const at = Math.max(last, Date.now() + Math.random() * this.jitterMs);
      last = at;
      setTimeout(fn, at - Date.now());
    };
  }
}
