/**
 * The walking skeleton end to end: 2 socket nodes + 1 worker as separate processes, 100 real
 * Socket.IO clients spread over both nodes, one live draw from the host's HTTP call to every phone.
 */
import { Redis } from "ioredis";
import { io as rawIo } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveDrawClient } from "@livedraw/client-sdk";
import { LiveDrawError } from "@livedraw/client-sdk";
import type { Ack, DrawCountdown, DrawResult, DrawReveal, DrawSnapshot, DrawTick } from "@livedraw/protocol";
import { verifyBundle, type ProofBundle } from "@livedraw/fairness";
import { drawKeys } from "../core/redis-keys.js";
import { Harness, collect, http, tokens, uniqueId, type NodeProcess } from "./harness.js";

const CLIENTS = 100;
const WINNERS = 7;
const WINDOW_MS = 4000;

describe("live draw across 2 nodes and 1 worker with 100 clients", () => {
  const h = new Harness();
  let nodes: NodeProcess[];
  let redis: Redis;
  let clients: LiveDrawClient[];
  const campaignId = uniqueId("camp");

  beforeAll(async () => {
    await h.startRedis();
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
    nodes = await Promise.all([h.startNode(), h.startNode()]);
    await h.startWorker();
    clients = await Promise.all(
      Array.from({ length: CLIENTS }, (_, i) => h.player(nodes[i % 2]!.url, `p${i}`, i % 3 === 0 ? `张三${i}` : `1380013${String(i).padStart(4, "0")}`)),
    );
    await Promise.all(clients.map((c) => c.subscribe(campaignId)));
  });

  afterAll(() => h.cleanup());

  it("runs natively on uWebSockets.js on this machine and reports it", async () => {
    for (const node of nodes) {
      const { status, body } = await http<{ engine: string; uwsNative: boolean }>(`${node.url}/healthz`);
      expect(status).toBe(200);
      expect(body.engine).toBe("uws");
      expect(body.uwsNative).toBe(true);
      expect((await http(`${node.url}/readyz`)).status).toBe(200);
    }
  });

  it("opens, counts down on every node, takes entries, draws, reveals and tells each entrant", async () => {
    const countdowns = collect<[number, DrawCountdown]>("countdowns", CLIENTS, 10_000);
    const ticks = new Map<number, DrawTick>();
    const reveals = collect<[number, DrawReveal]>("reveals", CLIENTS, WINDOW_MS + 20_000);
    const entrantsWhoEnter = CLIENTS - 1; // the last client stays out, to try a late entry
    const results = collect<[number, DrawResult]>("personal results", entrantsWhoEnter, WINDOW_MS + 20_000);
    clients.forEach((c, i) => {
      c.on("draw:countdown", (p) => countdowns.add([i, p]));
      c.on("draw:tick", (p) => ticks.set(i, p));
      c.on("draw:reveal", (p) => reveals.add([i, p]));
      c.on("draw:result", (p) => results.add([i, p]));
    });

    // A player token cannot open a draw; a bad body is refused and names the field.
    const playerToken = await tokens.sign({ sub: "p0", role: "player" }, 60);
    const forbidden = await http<{ error: { code: string } }>(`${nodes[0]!.url}/v1/campaigns/${campaignId}/draws`, { token: playerToken, body: { durationMs: WINDOW_MS, winners: WINNERS } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe("E_FORBIDDEN");
    const hostToken = await h.hostToken();
    const bad = await http<{ error: { code: string; message: string } }>(`${nodes[0]!.url}/v1/campaigns/${campaignId}/draws`, { token: hostToken, body: { durationMs: "soon", winners: WINNERS } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "E_BAD_REQUEST" });
    expect(bad.body.error.message).toContain("durationMs");

    const opened = await http<DrawCountdown>(`${nodes[0]!.url}/v1/campaigns/${campaignId}/draws`, {
      token: hostToken,
      body: { durationMs: WINDOW_MS, winners: WINNERS, title: "Grand prize" },
    });
    expect(opened.status).toBe(201);
    const { drawId, deadline } = opened.body;

    // Every client on both nodes gets the countdown, with the same authoritative deadline.
    const got = await countdowns.done;
    expect(new Set(got.map(([i]) => i)).size).toBe(CLIENTS);
    expect(new Set(got.map(([, p]) => p.deadline))).toEqual(new Set([deadline]));

    // Everyone but the last client enters; half of them send their entry twice (a retry).
    const acks = await Promise.all(clients.slice(0, entrantsWhoEnter).map((c) => c.enter(campaignId, drawId)));
    const retries = await Promise.all(clients.slice(0, entrantsWhoEnter).filter((_, i) => i % 2 === 0).map((c) => c.enter(campaignId, drawId)));
    expect(acks.every((a) => !a.duplicate)).toBe(true);
    expect(retries.every((r) => r.duplicate)).toBe(true);
    expect(retries.map((r) => r.intentId)).toEqual(acks.filter((_, i) => i % 2 === 0).map((a) => a.intentId));
    const acked = new Set(acks.map((a) => a.intentId));
    expect(acked.size).toBe(entrantsWhoEnter);

    // Malformed payloads are refused with a typed error and change nothing.
    const before = await http<DrawSnapshot>(`${nodes[1]!.url}/v1/campaigns/${campaignId}/draws/${drawId}`);
    const raw = rawIo(nodes[1]!.url, { transports: ["websocket"], auth: { token: await tokens.sign({ sub: "raw-1", role: "player" }, 60) } });
    h.defer(() => raw.close());
    const send = (event: string, payload: unknown) => new Promise<Ack<unknown>>((resolve) => raw.emit(event, payload, resolve));
    for (const payload of [{ campaignId, drawId: 42 }, { campaignId, drawId, extra: true }, { campaignId: "bad id!", drawId }, "enter", null]) {
      const r = await send("draw:enter", payload);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe("E_BAD_REQUEST");
    }
    const unknown = await send("draw:steal", { campaignId, drawId });
    expect(unknown).toMatchObject({ ok: false, error: { code: "E_BAD_REQUEST" } });
    const after = await http<DrawSnapshot>(`${nodes[1]!.url}/v1/campaigns/${campaignId}/draws/${drawId}`);
    expect(after.body.entrants).toBe(before.body.entrants);
    expect(after.body.entrants).toBe(entrantsWhoEnter);

    // At the deadline the worker draws and everyone, on both nodes, sees the same reveal.
    const revealed = await reveals.done;
    expect(new Set(revealed.map(([i]) => i)).size).toBe(CLIENTS);
    const reveal = revealed[0]![1];
    for (const [, r] of revealed) expect(r).toEqual(reveal);
    expect(reveal).toMatchObject({ tierId: "prize", final: true });
    expect(reveal.entrants).toBe(entrantsWhoEnter);
    const winnerIds = reveal.winners.map((w) => w.intentId);
    expect(winnerIds).toHaveLength(WINNERS);
    expect(new Set(winnerIds).size).toBe(WINNERS); // no duplicate winners
    for (const id of winnerIds) expect(acked.has(id)).toBe(true); // winners ⊂ acknowledged entrants
    for (const w of reveal.winners) expect(w.name).toMatch(/\*/); // names are masked in broadcasts
    expect(reveal.serverTime).toBeGreaterThanOrEqual(deadline);

    // Every entrant got a personal result that matches the reveal.
    const personal = await results.done;
    expect(new Set(personal.map(([i]) => i)).size).toBe(entrantsWhoEnter);
    for (const [i, r] of personal) {
      expect(r.intentId).toBe(acks[i]!.intentId);
      expect(r.won).toBe(winnerIds.includes(r.intentId));
      expect(r.tierId).toBe(r.won ? "prize" : null);
    }
    expect(ticks.size).toBeGreaterThan(0); // countdown ticks reached clients

    // Every acknowledged entry is stored and counted: the stream holds exactly the acked intents.
    const keys = drawKeys(campaignId, drawId);
    const stream = await redis.xrange(keys.intents, "-", "+");
    expect(new Set(stream.map(([id]) => id))).toEqual(acked);
    expect(await redis.hlen(keys.entrants)).toBe(entrantsWhoEnter);

    // An entry after the deadline is refused with a typed error.
    const late = clients[CLIENTS - 1]!;
    await expect(late.enter(campaignId, drawId)).rejects.toMatchObject({ code: "E_DRAW_CLOSED" });
    await expect(late.enter(campaignId, "no-such-draw")).rejects.toBeInstanceOf(LiveDrawError);

    // A late joiner gets the outcome in its subscribe snapshot.
    const joiner = await h.player(nodes[1]!.url, "p0");
    const snap = await joiner.subscribe(campaignId);
    expect(snap.draw).toMatchObject({ drawId, entrants: entrantsWhoEnter, myIntentId: acks[0]!.intentId, phase: "done" });
    expect(snap.draw?.myResult).toBe(winnerIds.includes(acks[0]!.intentId) ? "won" : "lost");
    expect(snap.draw?.serverSeed).toMatch(/^[0-9a-f]{64}$/);

    // Anyone can check the draw: the published bundle verifies, and the commitment published at open matches.
    const proof = await http<ProofBundle>(`${nodes[1]!.url}/v1/campaigns/${campaignId}/draws/${drawId}/proof`);
    expect(proof.status).toBe(200);
    expect(proof.body.commitment).toBe(opened.body.commitment);
    expect(verifyBundle(proof.body)).toMatchObject({ ok: true });
    expect(proof.body.winners).toEqual([{ tierId: "prize", entryIds: winnerIds }]);
  });
});
