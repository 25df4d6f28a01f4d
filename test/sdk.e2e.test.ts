/**
 * The client SDK against the real processes (2 socket nodes + a worker, each its own process): it
 * connects, subscribes, enters, spins, and receives countdown, reveals and its own result; when its
 * node is SIGKILLed mid-draw it reconnects to the other node, re-subscribes, resends its pending
 * entry and still ends with every reveal and its own result — the same state as a player who never
 * left. Spins retried with one key resolve once.
 */
import { io as rawIo } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientState, STATE_REASONS, type CampaignSnapshot, type DrawCountdown, type DrawResult, type DrawReveal, type PublishedRules, type StateChange } from "@livedraw/client-sdk";
import { liveCampaign } from "./fixtures.js";
import { Harness, collect, http, tokens, uniqueId, type NodeProcess } from "./harness.js";

describe("client SDK against real nodes", () => {
  const h = new Harness();
  let doomed: NodeProcess;
  let survivor: NodeProcess;
  beforeAll(async () => {
    await h.startRedis();
    [doomed, survivor] = await Promise.all([h.startNode(), h.startNode()]);
    await h.startWorker();
  });
  afterAll(() => h.cleanup());

  it("plays a live draw through a SIGKILL of its node: reconnects elsewhere, resends, resyncs, misses nothing", async () => {
    const campaignId = uniqueId("sdk-live");
    // The victim knows both nodes (as a load balancer would) and starts on the doomed one.
    const victim = await h.player([doomed.url, survivor.url], "victim", "李四", { minReconnectDelayMs: 100, maxReconnectDelayMs: 500 });
    const witness = await h.player(survivor.url, "witness", "王五");
    const states: StateChange[] = [];
    victim.on("state", (s) => states.push(s));
    const reveals: DrawReveal[] = [];
    const results: DrawResult[] = [];
    const resynced = collect<CampaignSnapshot>("victim resync", 1, 10_000);
    victim.on("draw:reveal", (p) => reveals.push(p));
    victim.on("draw:result", (p) => results.push(p));
    victim.on("resync", (s) => resynced.add(s));
    const witnessDone = collect<DrawResult>("witness result", 1, 30_000);
    witness.on("draw:result", (r) => witnessDone.add(r));
    const victimResult = collect<DrawResult>("victim result", 1, 30_000);
    victim.on("draw:result", (r) => victimResult.add(r));
    const countdown = collect<DrawCountdown>("victim countdown", 1, 10_000);
    victim.on("draw:countdown", (p) => countdown.add(p));
    await Promise.all([victim.subscribe(campaignId), witness.subscribe(campaignId)]);

    const host = await h.hostToken();
    const opened = await http<DrawCountdown>(`${survivor.url}/v1/campaigns/${campaignId}/draws`, {
      token: host,
      body: { durationMs: 3000, title: "SDK draw", tiers: [{ tierId: "grand", name: "Grand", count: 1 }, { tierId: "lucky", name: "Lucky", count: 1 }] },
    });
    expect(opened.status).toBe(201);
    const { drawId } = opened.body;
    expect((await countdown.done)[0]!.drawId).toBe(drawId);
    const witnessEntry = await witness.enter(campaignId, drawId);

    // Kill the victim's node, then enter at once: the entry waits for the reconnect and is sent then.
    await doomed.stop("SIGKILL");
    const entry = await victim.enter(campaignId, drawId);
    expect(entry.duplicate).toBe(false);
    expect(states.map((s) => [s.oldState, s.newState, s.reason])).toContainEqual([ClientState.Connected, ClientState.Connecting, STATE_REASONS.TRANSPORT_CLOSED]);
    expect(victim.state).toBe(ClientState.Connected);
    const [resync] = await resynced.done;
    expect(resync!.draw?.drawId).toBe(drawId);

    const [mine] = await victimResult.done;
    await witnessDone.done;
    expect(mine).toMatchObject({ campaignId, drawId, intentId: entry.intentId });
    // Both entrants and two one-winner tiers: both win, one tier each.
    expect(mine!.won).toBe(true);
    expect(new Set(reveals.map((r) => r.tierId))).toEqual(new Set(["grand", "lucky"]));
    expect(reveals).toHaveLength(2); // each tier once
    expect(results).toHaveLength(1);

    // The victim's view equals the witness's and the server's own snapshot for the victim.
    const fresh = await h.player(survivor.url, "victim");
    const server = (await fresh.subscribe(campaignId)).draw;
    expect(server?.phase).toBe("done");
    expect(victim.draw(campaignId)).toEqual(server);
    const { myIntentId, myResult, myTierId, ...shared } = witness.draw(campaignId)!;
    const { myIntentId: a, myResult: b, myTierId: c, ...victimShared } = victim.draw(campaignId)!;
    expect(victimShared).toEqual(shared);
    expect(myIntentId).toBe(witnessEntry.intentId);
    expect([myResult, b]).toEqual(["won", "won"]);
    expect(new Set([myTierId, c])).toEqual(new Set(["grand", "lucky"]));
    expect(a).toBe(entry.intentId);
  });

  it("resolves a spin retried with the same key once, from either node", async () => {
    const campaignId = uniqueId("sdk-spin");
    const created = await http<PublishedRules>(`${survivor.url}/v1/campaigns`, { token: await h.hostToken(), body: liveCampaign(campaignId) });
    expect(created.status).toBe(201);
    const one = await h.player(survivor.url, "spinner");
    const first = await one.spin(campaignId, { idempotencyKey: "same-key-0001" });
    const again = await one.spin(campaignId, { idempotencyKey: "same-key-0001" });
    const elsewhere = await h.player(survivor.url, "spinner");
    const third = await elsewhere.spin(campaignId, { idempotencyKey: "same-key-0001" });
    expect(again).toEqual(first);
    expect(third).toEqual(first);
    const history = await one.spinHistory(campaignId, 100);
    expect(history.filter((r) => r.idempotencyKey === "same-key-0001")).toHaveLength(1);
    expect(history).toHaveLength(1);
    // The token the SDK was given is for this player only: a different player's same key is a different spin.
    const other = await h.player(survivor.url, "someone-else");
    expect((await other.spin(campaignId, { idempotencyKey: "same-key-0001" })).intentId).not.toBe(first.intentId);
  });

  it("refuses a handshake with an unsupported protocol version with E_PROTOCOL_VERSION", async () => {
    // The official client, so the refusal is seen exactly as any Socket.IO client would see it.
    const token = await tokens.sign({ sub: "old-client", role: "player" }, 60);
    const socket = rawIo(survivor.url, { transports: ["websocket"], reconnection: false, auth: { token, protocol: 99 } });
    h.defer(() => socket.close());
    const refused = collect<Error & { data?: { code: string; message: string } }>("connect_error", 1, 10_000);
    socket.on("connect_error", (err) => refused.add(err));
    socket.on("connect", () => refused.add(Object.assign(new Error("connected"), { data: { code: "connected", message: "" } })));
    const [err] = await refused.done;
    expect(err!.data?.code).toBe("E_PROTOCOL_VERSION");
    expect(err!.data?.message).toContain("protocol 99");
  });
});
