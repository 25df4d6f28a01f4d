/**
 * A minimal Socket.IO v5 / Engine.IO v4 protocol client over `ws`, for the load processes only.
 *
 * Why: the benchmarks run their simulated players on the same 2 cores as the system they measure,
 * and socket.io-client's layers (packet objects, encoder/decoder, emitters, `debug`) cost the load
 * processes about as much CPU as the socket nodes themselves. Real players are on their own phones.
 * This client speaks the same wire protocol over the same WebSocket transport (so the server does
 * exactly the same work per message) with far less client-side work: a frame is one string, an
 * event is one JSON.parse. `BENCH_CLIENT=socket.io-client` switches back to the library, for
 * comparison. Only what the benchmarks use is implemented: the main namespace, the websocket
 * transport, CONNECT with an auth object, EVENT, ACK of our own emits, ping/pong, DISCONNECT.
 * No binary attachments, no reconnection, no buffering before connect.
 */
import WebSocket from "ws";

/** What the load processes need of a socket: socket.io-client's `Socket` satisfies it too. */
export interface BenchSocket {
  readonly connected: boolean;
  on<A extends unknown[]>(event: string, listener: (...args: A) => void): unknown;
  once<A extends unknown[]>(event: string, listener: (...args: A) => void): unknown;
  emit(event: string, payload: unknown, ack?: (response: never) => void): unknown;
  close(): unknown;
}

type Listener = (...args: unknown[]) => void;

export class RawSocket implements BenchSocket {
  private readonly ws: WebSocket;
  private readonly listeners = new Map<string, Listener[]>();
  private readonly acks = new Map<number, (response: never) => void>();
  private nextAckId = 0;
  private state: "opening" | "connected" | "closed" = "opening";
  /** The CONNECT packet's payload (JSON), sent once Engine.IO is open. */
  private readonly auth: string;

  constructor(url: string, auth: Record<string, unknown>, timeoutMs: number) {
    this.auth = JSON.stringify(auth);
    const wsUrl = `${url.replace(/^http/, "ws").replace(/\/$/, "")}/socket.io/?EIO=4&transport=websocket`;
    this.ws = new WebSocket(wsUrl, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
    this.ws.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      if (!isBinary) this.onFrame(data.toString());
    });
    this.ws.on("close", () => this.ended("transport close"));
    this.ws.on("error", (err: Error) => this.ended("transport error", err));
  }

  get connected(): boolean {
    return this.state === "connected";
  }

  on<A extends unknown[]>(event: string, listener: (...args: A) => void): this {
    const list = this.listeners.get(event);
    if (list) list.push(listener as Listener);
    else this.listeners.set(event, [listener as Listener]);
    return this;
  }

  once<A extends unknown[]>(event: string, listener: (...args: A) => void): this {
    const wrapped: Listener = (...args) => {
      const list = this.listeners.get(event);
      if (list) list.splice(list.indexOf(wrapped), 1);
      (listener as Listener)(...args);
    };
    return this.on(event, wrapped);
  }

  emit(event: string, payload: unknown, ack?: (response: never) => void): this {
    if (this.state !== "connected") return this;
    let id = "";
    if (ack) {
      const n = this.nextAckId++;
      this.acks.set(n, ack);
      id = String(n);
    }
    // Engine.IO "4" (message) + Socket.IO "2" (EVENT) [+ ack id] + JSON array.
    this.ws.send(`42${id}${JSON.stringify([event, payload])}`);
    return this;
  }

  close(): this {
    if (this.state === "connected" && this.ws.readyState === WebSocket.OPEN) this.ws.send("41"); // DISCONNECT
    this.state = "closed";
    this.ws.terminate();
    return this;
  }

  private fire(event: string, ...args: unknown[]): void {
    const list = this.listeners.get(event);
    if (!list) return;
    for (const fn of list.length === 1 ? list : [...list]) fn(...args);
  }

  private ended(reason: string, err?: Error): void {
    const was = this.state;
    this.state = "closed";
    if (was === "opening") this.fire("connect_error", err ?? new Error(reason));
    else if (was === "connected") this.fire("disconnect", reason);
  }

  private onFrame(frame: string): void {
    switch (frame.charCodeAt(0)) {
      case 0x30: // "0" Engine.IO open → Socket.IO CONNECT to "/" with our auth
        this.ws.send(`40${this.auth}`);
        return;
      case 0x32: // "2" ping
        this.ws.send("3");
        return;
      case 0x31: // "1" close
        this.ws.terminate();
        return;
      case 0x34: // "4" message: a Socket.IO packet
        this.onPacket(frame);
        return;
      default: // "6" noop and anything else
        return;
    }
  }

  private onPacket(frame: string): void {
    const type = frame.charCodeAt(1);
    if (type === 0x32 || type === 0x33) {
      // EVENT ("2") or ACK ("3"): optional numeric id, then a JSON array.
      let i = 2;
      while (i < frame.length && frame.charCodeAt(i) >= 0x30 && frame.charCodeAt(i) <= 0x39) i++;
      const args = JSON.parse(frame.slice(i)) as unknown[];
      if (type === 0x33) {
        const id = Number(frame.slice(2, i));
        const ack = this.acks.get(id);
        if (ack) {
          this.acks.delete(id);
          (ack as Listener)(...args);
        }
      } else if (typeof args[0] === "string") this.fire(args[0], ...args.slice(1));
    } else if (type === 0x30) {
      // CONNECT accepted
      this.state = "connected";
      this.fire("connect");
    } else if (type === 0x34) {
      // CONNECT_ERROR {message, data}
      const body = JSON.parse(frame.slice(2)) as { message?: string };
      this.fire("connect_error", new Error(body.message ?? "connect_error"));
      this.state = "closed";
      this.ws.terminate();
    } else if (type === 0x31) {
      // DISCONNECT by the server
      const was = this.state;
      this.state = "closed";
      if (was === "connected") this.fire("disconnect", "io server disconnect");
      this.ws.terminate();
    }
  }
}
