/**
 * A client that stops reading: instead of letting uWebSockets.js drop frames silently once its
 * buffer is full (the client would never know it missed a reveal), the node closes the socket when
 * LIVEDRAW_MAX_SOCKET_BUFFER_BYTES are waiting; the SDK then reconnects and resyncs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { liveCampaign } from "./fixtures.js";
import { Harness, http, metricsText, tokens, uniqueId, type NodeProcess } from "./harness.js";

async function metric(url: string, pattern: RegExp): Promise<number> {
  const m = pattern.exec(await metricsText(url));
  return m ? Number(m[1]) : 0;
}

describe("slow consumers", () => {
  const h = new Harness();
  let node: NodeProcess;
  beforeAll(async () => {
    await h.startRedis();
    node = await h.startNode({ LIVEDRAW_MAX_SOCKET_BUFFER_BYTES: "262144", LIVEDRAW_SOCKET_MESSAGES_PER_SECOND: "10000" });
  });
  afterAll(() => h.cleanup());

  it("closes a socket that stops reading once its buffer passes the bound", async () => {
    // Big answers: published rules with 20 long-named tiers and 5,000 characters of rules text.
    const campaignId = uniqueId("slow");
    const tiers = Array.from({ length: 20 }, (_, i) => ({ tierId: `t${i}`, name: `Prize number ${i} `.padEnd(60, "x"), probability: 0.01, inventory: 10, value: 5 }));
    expect((await http(`${node.url}/v1/campaigns`, { token: await h.hostToken(), body: liveCampaign(campaignId, { tiers, rules: "r".repeat(5000) }) })).status).toBe(201);

    // Sign first: engine.io speaks as soon as the socket opens, and a listener attached after an
    // await would miss its open packet.
    const token = await tokens.sign({ sub: "sloth", role: "player" }, 600);
    const ws = new WebSocket(`${node.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`);
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      setTimeout(() => reject(new Error("handshake did not complete in 10 s")), 10_000);
      ws.on("message", (data) => {
        const frame = String(data);
        if (frame.startsWith("0")) ws.send(`40${JSON.stringify({ token, protocol: 1 })}`);
        else if (frame.startsWith("40")) resolve();
      });
    });
    const before = await metric(node.url, /livedraw_forced_disconnects_total\{[^}]*reason="slow consumer"[^}]*\} (\d+)/);
    // Stop reading (the kernel's buffers fill, then the node's), and keep asking for big answers.
    (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const payload = JSON.stringify({ campaignId });
    for (let i = 0; i < 3000; i++) ws.send(`42${i}["campaign:rules",${payload}]`);
    let after = before;
    const until = Date.now() + 20_000;
    while (after === before && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
      after = await metric(node.url, /livedraw_forced_disconnects_total\{[^}]*reason="slow consumer"[^}]*\} (\d+)/);
    }
    expect(after).toBe(before + 1);
    (ws as unknown as { _socket: { resume(): void } })._socket.resume();
    // The client learns its socket is gone (and would reconnect and resync) once it reads again.
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error("socket not closed 20 s after reading resumed")), 20_000))]);
    const t = Date.now();
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    expect(Date.now() - t).toBeLessThan(500);
  });
});
