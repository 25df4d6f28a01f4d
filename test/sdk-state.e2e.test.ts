/**
 * The SDK's state machine against real nodes: every entry of TRANSITIONS is walked — connect, a
 * dropped network, a server-side disconnect (a draining node), pause/resume, a refused token, a
 * handshake that never completes (timeout), close() while connecting, while connected and while
 * disconnected — and `connect()` rejects on timeout and after close(). Also: a spin refused with
 * E_BUSY is retried by the SDK with the same key and resolves once.
 */
import net from "node:net";
import { io as rawIo } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientState, LiveDrawClient, LiveDrawError, STATE_REASONS, TRANSITIONS, type Ack, type SpinAck, type StateChange } from "@livedraw/client-sdk";
import { liveCampaign } from "./fixtures.js";
import { Harness, collect, http, metricsText, tokens, uniqueId, type NodeProcess } from "./harness.js";
import { TestNetwork, nodeTransport } from "./sdk-transport.js";

/** Records every transition of the clients it watches. */
class Transitions {
  readonly seen: StateChange[] = [];
  watch(client: LiveDrawClient): LiveDrawClient {
    client.on("state", (s) => this.seen.push(s));
    return client;
  }
  next(client: LiveDrawClient, to: ClientState, timeoutMs = 10_000): Promise<StateChange> {
    const got = collect<StateChange>(`transition to ${to}`, 1, timeoutMs);
    const off = client.on("state", (s) => {
      if (s.newState === to) {
        off();
        got.add(s);
      }
    });
    return got.done.then(([s]) => s!);
  }
}

const fast = { minReconnectDelayMs: 50, maxReconnectDelayMs: 200 };

describe("SDK state machine", () => {
  const h = new Harness();
  const t = new Transitions();
  let node: NodeProcess;
  let draining: NodeProcess;
  let token: string;
  beforeAll(async () => {
    await h.startRedis();
    [node, draining] = await Promise.all([h.startNode(), h.startNode()]);
    token = await tokens.sign({ sub: "state-1", role: "player" }, 3600);
  });
  afterAll(async () => {
    await h.cleanup();
    // Every transition the table allows was taken at least once, and no other.
    const taken = new Set(t.seen.map((s) => `${s.oldState}→${s.newState}`));
    const allowed = Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}→${to}`));
    expect([...taken].sort()).toEqual(allowed.sort());
  });

  it("connects, survives a dropped network and a draining node, pauses, resumes and closes", async () => {
    const network = new TestNetwork();
    const client = t.watch(new LiveDrawClient({ url: [draining.url, node.url], token, transport: network.transport, ...fast }));
    h.defer(() => client.close());
    expect(client.state).toBe(ClientState.Disconnected);
    await client.connect();
    expect(t.seen.slice(-2).map((s) => [s.newState, s.reason])).toEqual([
      [ClientState.Connecting, STATE_REASONS.CONNECT_CALLED],
      [ClientState.Connected, STATE_REASONS.CONNECTED],
    ]);

    // The network drops (no close frame): connecting, then connected again by itself.
    const lost = t.next(client, ClientState.Connecting);
    network.dropAll();
    expect((await lost).reason).toBe(STATE_REASONS.TRANSPORT_CLOSED);
    await t.next(client, ClientState.Connected);

    // The node it is on drains (SIGTERM): the server disconnects the socket, reported as such.
    await client.close();
    const second = t.watch(new LiveDrawClient({ url: [draining.url, node.url], token, transport: nodeTransport, ...fast }));
    h.defer(() => second.close());
    await second.connect();
    const kicked = t.next(second, ClientState.Connecting);
    void draining.stop("SIGTERM");
    expect((await kicked).reason).toBe(STATE_REASONS.SERVER_DISCONNECT);
    await t.next(second, ClientState.Connected);
    expect((await second.syncClock(1)) | 0).toBeTypeOf("number"); // answers: it is on the other node

    // pause() (onHide) → disconnected, no reconnect; resume() (onShow) → connected; pause; close.
    second.pause();
    expect(second.state).toBe(ClientState.Disconnected);
    expect(t.seen.at(-1)).toMatchObject({ oldState: ClientState.Connected, newState: ClientState.Disconnected, reason: STATE_REASONS.PAUSED });
    await second.resume();
    expect(t.seen.at(-1)).toMatchObject({ newState: ClientState.Connected });
    second.close();
    expect(t.seen.at(-1)).toMatchObject({ oldState: ClientState.Connected, newState: ClientState.Closed, reason: STATE_REASONS.CLIENT_CLOSED });
    await expect(second.connect()).rejects.toMatchObject({ code: "E_CLOSED" });

    const third = t.watch(await h.player(node.url, "state-3"));
    third.pause();
    third.close();
    expect(t.seen.at(-1)).toMatchObject({ oldState: ClientState.Disconnected, newState: ClientState.Closed });
  });

  it("reports a refused token as unauthorized and does not retry it", async () => {
    const network = new TestNetwork();
    const client = t.watch(new LiveDrawClient({ url: node.url, token: "not-a-token", transport: network.transport, ...fast }));
    h.defer(() => client.close());
    const err = await client.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LiveDrawError);
    expect(err).toMatchObject({ code: "E_UNAUTHORIZED" });
    expect(client.state).toBe(ClientState.Disconnected);
    expect(t.seen.at(-1)).toMatchObject({ oldState: ClientState.Connecting, newState: ClientState.Disconnected, reason: STATE_REASONS.UNAUTHORIZED });
    expect(network.opened).toBe(1);
  });

  it("times out a handshake that never completes, keeps trying, and can be closed while connecting", async () => {
    // A TCP server that accepts and never answers: the WebSocket upgrade hangs.
    const sockets: net.Socket[] = [];
    const blackHole = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
    h.defer(() => (sockets.forEach((s) => s.destroy()), new Promise((r) => blackHole.close(r))));
    const port = (blackHole.address() as net.AddressInfo).port;
    const network = new TestNetwork();
    const client = t.watch(new LiveDrawClient({ url: `http://127.0.0.1:${port}`, token, transport: network.transport, connectTimeoutMs: 150, ...fast }));
    const err = await client.connect(800).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "E_TIMEOUT" });
    expect(client.state).toBe(ClientState.Connecting);
    expect(network.opened).toBeGreaterThanOrEqual(2); // each attempt timed out and another began
    client.close();
    expect(t.seen.at(-1)).toMatchObject({ oldState: ClientState.Connecting, newState: ClientState.Closed, reason: STATE_REASONS.CLIENT_CLOSED });
    await expect(client.ready(100)).rejects.toMatchObject({ code: "E_CLOSED" });
  });

  it("with reconnect off, a lost connection ends in disconnected", async () => {
    const network = new TestNetwork();
    const client = t.watch(new LiveDrawClient({ url: node.url, token, transport: network.transport, reconnect: false }));
    h.defer(() => client.close());
    await client.connect();
    const down = t.next(client, ClientState.Disconnected);
    network.dropAll();
    expect(await down).toMatchObject({ oldState: ClientState.Connected, reason: STATE_REASONS.TRANSPORT_CLOSED });
    expect(network.opened).toBe(1);
  });
});

describe("SDK retries E_BUSY", () => {
  const h = new Harness();
  afterAll(() => h.cleanup());

  it("retries a spin refused with E_BUSY after retryAfterMs, same key, until it is stored and resolved", async () => {
    await h.startRedis();
    // No worker yet: 100 stored spins fill the campaign's pending bound, so the next is E_BUSY. The
    // event-loop shedder (the other source of E_BUSY) is off: on shared cores it refused some fillers.
    const node = await h.startNode({ LIVEDRAW_MAX_PENDING_SPINS: "100", LIVEDRAW_SOCKET_MESSAGES_PER_SECOND: "1000", LIVEDRAW_SPINS_PER_SECOND_PER_PLAYER: "1000", LIVEDRAW_SPIN_SHED_LAG_MS: "60000" });
    const campaignId = uniqueId("busy");
    expect((await http(`${node.url}/v1/campaigns`, { token: await h.hostToken(), body: liveCampaign(campaignId) })).status).toBe(201);
    const filler = rawIo(node.url, { transports: ["websocket"], auth: { token: await tokens.sign({ sub: "filler", role: "player" }, 60) } });
    h.defer(() => filler.close());
    const acks = await Promise.all(
      Array.from({ length: 100 }, (_, i) => new Promise<Ack<SpinAck>>((resolve) => filler.emit("spin", { campaignId, idempotencyKey: `fill-${String(i).padStart(4, "0")}` }, resolve))),
    );
    expect(acks.filter((a) => !a.ok)).toEqual([]);

    const busyBefore = await busyCount(node.url);
    const player = await h.player(node.url, "patient", undefined, { maxRetries: 100, requestTimeoutMs: 60_000 });
    const spun = player.spin(campaignId, { idempotencyKey: "patient-key-1", timeoutMs: 60_000 });
    // Wait until the node has refused it at least once, then let a worker drain the backlog.
    while ((await busyCount(node.url)) === busyBefore) await new Promise((r) => setTimeout(r, 50));
    await h.startWorker();
    const result = await spun;
    expect(result.idempotencyKey).toBe("patient-key-1");
    expect(["won", "lost"]).toContain(result.outcome);
    expect(await busyCount(node.url)).toBeGreaterThan(busyBefore);
    const history = await player.spinHistory(campaignId, 100);
    expect(history.filter((r) => r.idempotencyKey === "patient-key-1")).toHaveLength(1);
  });
});

async function busyCount(url: string): Promise<number> {
  const text = await metricsText(url);
  const m = /livedraw_errors_total\{[^}]*code="E_BUSY"[^}]*\} (\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}
