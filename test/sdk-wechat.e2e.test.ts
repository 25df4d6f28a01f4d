/**
 * The WeChat path end to end: the SDK's mini-program build (client-sdk/dist/livedraw-sdk.mp.js) runs
 * in a sandbox whose only globals are `wx`, timers and the language built-ins, with
 * `wx.connectSocket` backed by a real WebSocket to a real node. It plays a live draw and a spin;
 * then the app goes to the background (WeChat cuts the socket, `onHide` → `pause()`) while tiers are
 * revealed and a new draw opens, comes back (`onShow` → `resume()`), and ends in the same state as a
 * player who never left — every reveal, its own result, and the new countdown.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DrawCountdown, DrawDone, DrawResult, DrawReveal, DrawSnapshot, LiveDrawClient, PublishedRules, SpinResult } from "@livedraw/client-sdk";
import { liveCampaign } from "./fixtures.js";
import { Harness, collect, http, tokens, uniqueId, type NodeProcess } from "./harness.js";
import { FakeWx, loadMiniProgramSdk } from "./wx-sandbox.js";

type ClientCtor = new (options: { url: string; token: string; minReconnectDelayMs?: number; maxReconnectDelayMs?: number }) => LiveDrawClient;
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T; // sandbox objects come from another realm

describe("the mini-program build inside a WeChat-like sandbox", () => {
  const h = new Harness();
  let node: NodeProcess;
  let host: string;
  beforeAll(async () => {
    await h.startRedis();
    node = await h.startNode();
    await h.startWorker();
    host = await h.hostToken();
  });
  afterAll(() => h.cleanup());

  async function wxClient(wx: FakeWx, playerId: string, name: string): Promise<LiveDrawClient> {
    const { sdk } = loadMiniProgramSdk(wx);
    const Client = sdk.LiveDrawClient as ClientCtor;
    const client = new Client({ url: node.url, token: await tokens.sign({ sub: playerId, role: "player", name }, 3600), minReconnectDelayMs: 50, maxReconnectDelayMs: 300 });
    h.defer(() => client.close());
    return client;
  }

  const openDraw = (campaignId: string, body: Record<string, unknown>) =>
    http<DrawCountdown>(`${node.url}/v1/campaigns/${campaignId}/draws`, { token: host, body }).then((r) => {
      expect(r.status).toBe(201);
      return r.body;
    });

  it("loads with only wx, timers and built-ins, and does nothing at load time", () => {
    const wx = new FakeWx();
    const { sdk, globals } = loadMiniProgramSdk(wx);
    for (const absent of ["WebSocket", "process", "require", "console", "URL", "TextEncoder", "window", "document"]) expect(globals).not.toContain(absent);
    expect(globals).toContain("wx");
    expect(typeof sdk.LiveDrawClient).toBe("function");
    expect(typeof sdk.wxTransport).toBe("function");
    expect(wx.calls).toHaveLength(0);
  });

  it("plays a whole live draw and a spin through wx.connectSocket", async () => {
    const wx = new FakeWx();
    const client = await wxClient(wx, "wx-player", "微信用户");
    await client.connect();
    expect(wx.calls).toHaveLength(1);
    expect(wx.calls[0]!.url).toBe(`${node.url.replace("http://", "ws://")}/socket.io/?EIO=4&transport=websocket`);

    const campaignId = uniqueId("wx-live");
    await client.subscribe(campaignId);
    const countdown = collect<DrawCountdown>("countdown", 1, 10_000);
    const reveal = collect<DrawReveal>("reveal", 1, 20_000);
    const done = collect<DrawDone>("done", 1, 20_000);
    const result = collect<DrawResult>("result", 1, 20_000);
    client.on("draw:countdown", (p) => countdown.add(plain(p)));
    client.on("draw:reveal", (p) => reveal.add(plain(p)));
    client.on("draw:done", (p) => done.add(plain(p)));
    client.on("draw:result", (p) => result.add(plain(p)));
    const opened = await openDraw(campaignId, { durationMs: 1500, winners: 1, title: "WeChat draw" });
    expect((await countdown.done)[0]!.deadline).toBe(opened.deadline);
    const entry = await client.enter(campaignId, opened.drawId);
    const [r] = await result.done;
    expect((await reveal.done)[0]!.winners.map((w) => w.intentId)).toEqual([entry.intentId]); // the only entrant wins
    expect((await done.done)[0]!.drawId).toBe(opened.drawId);
    expect(r).toMatchObject({ drawId: opened.drawId, intentId: entry.intentId, won: true });

    const spinCampaign = uniqueId("wx-spin");
    expect((await http<PublishedRules>(`${node.url}/v1/campaigns`, { token: host, body: liveCampaign(spinCampaign) })).status).toBe(201);
    const spin = plain<SpinResult>(await client.spin(spinCampaign));
    expect(spin.campaignId).toBe(spinCampaign);
    expect(["won", "lost"]).toContain(spin.outcome);
    expect(wx.calls).toHaveLength(1); // one socket for everything
  });

  it("onHide while tiers are revealed and a new draw opens, onShow after: same state as a player who never left", async () => {
    const campaignId = uniqueId("wx-hide");
    const wx = new FakeWx();
    const leaver = await wxClient(wx, "leaver", "赵六");
    const stayer = await h.player(node.url, "stayer", "钱七");
    await leaver.connect();
    await Promise.all([leaver.subscribe(campaignId), stayer.subscribe(campaignId)]);
    const seen = { reveals: [] as DrawReveal[], results: [] as DrawResult[], countdowns: [] as DrawCountdown[] };
    leaver.on("draw:reveal", (p) => seen.reveals.push(plain(p)));
    leaver.on("draw:result", (p) => seen.results.push(plain(p)));
    leaver.on("draw:countdown", (p) => seen.countdowns.push(plain(p)));

    const closed = collect("stayer sees entries close", 1, 20_000);
    stayer.on("draw:closed", () => closed.add(1));
    const tiers = [{ tierId: "grand", name: "一等奖", count: 1 }, { tierId: "lucky", name: "幸运奖", count: 1 }];
    const first = await openDraw(campaignId, { durationMs: 1500, tiers, autoReveal: false, title: "Staged" });
    await Promise.all([leaver.enter(campaignId, first.drawId), stayer.enter(campaignId, first.drawId)]);
    await closed.done;
    // The worker draws right after closing; reveals need the host (staged), so wait for "drawn".
    for (let phase = ""; phase !== "drawn"; ) phase = (await http<DrawSnapshot>(`${node.url}/v1/campaigns/${campaignId}/draws/${first.drawId}`)).body.phase;

    // Background: WeChat cuts the socket, then the app's onHide pauses the client.
    wx.cutSockets();
    leaver.pause();
    const stayerReveals = collect<DrawReveal>("stayer reveals", 2, 20_000);
    const stayerResult = collect<DrawResult>("stayer result", 1, 20_000);
    stayer.on("draw:reveal", (p) => stayerReveals.add(p));
    stayer.on("draw:result", (p) => stayerResult.add(p));
    for (const tier of tiers) {
      const r = await http(`${node.url}/v1/campaigns/${campaignId}/draws/${first.drawId}/reveal`, { token: host, body: { tierId: tier.tierId } });
      expect(r.status).toBe(200);
    }
    await stayerReveals.done;
    await stayerResult.done;

    // Back in the foreground: everything missed arrives, once.
    const leaverResult = collect<DrawResult>("leaver result", 1, 20_000);
    leaver.on("draw:result", (p) => leaverResult.add(plain(p)));
    const callsBefore = wx.calls.length;
    await leaver.resume();
    expect(wx.calls.length).toBe(callsBefore + 1);
    await leaverResult.done;
    expect(seen.reveals.map((r) => r.tierId)).toEqual(["grand", "lucky"]);
    expect(seen.reveals.at(-1)!.final).toBe(true);
    expect(seen.results).toHaveLength(1);
    expect(seen.results[0]!.won).toBe(true); // two entrants, two one-winner tiers
    const fresh = await h.player(node.url, "leaver");
    expect(plain(leaver.draw(campaignId))).toEqual((await fresh.subscribe(campaignId)).draw);
    const strip = ({ myIntentId, myResult, myTierId, ...rest }: DrawSnapshot) => rest;
    expect(strip(plain(leaver.draw(campaignId))!)).toEqual(strip(stayer.draw(campaignId)!));

    // Away again while the next draw opens: on return the countdown shows, to the same deadline.
    wx.cutSockets();
    leaver.pause();
    const second = await openDraw(campaignId, { durationMs: 20_000, winners: 1, title: "Next" });
    await leaver.resume();
    await new Promise<void>((resolve) => {
      if (seen.countdowns.some((c) => c.drawId === second.drawId)) resolve();
      else leaver.on("draw:countdown", (p) => p.drawId === second.drawId && resolve());
    });
    const missed = seen.countdowns.find((c) => c.drawId === second.drawId)!;
    expect(missed.deadline).toBe(second.deadline);
    expect(missed.commitment).toBe(second.commitment);
    expect(Math.abs(leaver.remainingMs(second.deadline) - stayer.remainingMs(second.deadline))).toBeLessThan(100);
    expect(plain(leaver.draw(campaignId))).toMatchObject({ drawId: second.drawId, phase: "open", deadline: second.deadline });
  });
});
