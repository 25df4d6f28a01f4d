/**
 * Events lost on a live socket (a proxy drops frames, a full buffer sheds them): every broadcast
 * carries the campaign's sequence number, so the SDK notices the gap — on the next broadcast or
 * tick — and resyncs; a personal result that never comes after `draw:done` is fetched. The client
 * ends with every reveal and its own result, once each, and the server's state.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveDrawClient, type DrawCountdown, type DrawResult, type DrawReveal, type CampaignSnapshot } from "@livedraw/client-sdk";
import { Harness, collect, http, tokens, uniqueId, type NodeProcess } from "./harness.js";
import { TestNetwork } from "./sdk-transport.js";

describe("SDK notices lost events", () => {
  const h = new Harness();
  let node: NodeProcess;
  beforeAll(async () => {
    await h.startRedis();
    node = await h.startNode();
    await h.startWorker();
  });
  afterAll(() => h.cleanup());

  it("recovers a dropped reveal (sequence gap) and a dropped personal result (result grace)", async () => {
    const campaignId = uniqueId("gaps");
    const host = await h.hostToken();
    const network = new TestNetwork();
    let drop: "draw:reveal" | "draw:result" | null = null;
    network.dropIncoming = (frame) => {
      if (drop && frame.startsWith(`42["${drop}"`)) {
        drop = null; // one frame only
        return true;
      }
      return false;
    };
    const client = new LiveDrawClient({ url: node.url, token: await tokens.sign({ sub: "lossy", role: "player", name: "周九" }, 600), transport: network.transport, resultGraceMs: 1500 });
    h.defer(() => client.close());
    const other = await h.player(node.url, "steady", "吴十");
    await client.connect();
    await Promise.all([client.subscribe(campaignId), other.subscribe(campaignId)]);
    const reveals: DrawReveal[] = [];
    const results: DrawResult[] = [];
    const resyncs: CampaignSnapshot[] = [];
    client.on("draw:reveal", (r) => reveals.push(r));
    client.on("draw:result", (r) => results.push(r));
    client.on("resync", (s) => resyncs.push(s));
    const open = async (body: Record<string, unknown>) => {
      const opened = await http<DrawCountdown>(`${node.url}/v1/campaigns/${campaignId}/draws`, { token: host, body });
      expect(opened.status).toBe(201);
      expect(opened.body.eventSeq).toBeGreaterThan(0);
      const entry = await client.enter(campaignId, opened.body.drawId);
      await other.enter(campaignId, opened.body.drawId);
      return { drawId: opened.body.drawId, entry };
    };
    const closed = (drawId: string) => new Promise<void>((resolve) => other.on("draw:closed", (p) => p.drawId === drawId && resolve()));

    // 1. Staged draw: the first tier's reveal is lost; the second's number shows the gap.
    const first = await open({ durationMs: 1200, title: "Lossy 1", autoReveal: false, tiers: [{ tierId: "a", name: "A", count: 1 }, { tierId: "b", name: "B", count: 1 }] });
    await closed(first.drawId);
    drop = "draw:reveal";
    const bothTiers = collect<DrawReveal>("both reveals", 2, 15_000);
    client.on("draw:reveal", (r) => r.drawId === first.drawId && bothTiers.add(r));
    const resynced = collect<CampaignSnapshot>("gap resync", 1, 15_000);
    client.on("resync", (s) => resynced.add(s));
    for (const tierId of ["a", "b"]) expect((await http(`${node.url}/v1/campaigns/${campaignId}/draws/${first.drawId}/reveal`, { token: host, body: { tierId } })).status).toBe(200);
    expect((await bothTiers.done).map((r) => r.tierId).sort()).toEqual(["a", "b"]);
    await resynced.done;
    expect(network.dropped.filter((f) => f.startsWith('42["draw:reveal"'))).toHaveLength(1);

    // 2. The personal result is lost: after draw:done the SDK waits resultGraceMs, then fetches it.
    await new Promise<void>((resolve) => {
      if (results.some((r) => r.drawId === first.drawId)) resolve();
      else client.on("draw:result", (r) => r.drawId === first.drawId && resolve());
    });
    drop = "draw:result";
    const second = await open({ durationMs: 1200, title: "Lossy 2", winners: 2 });
    const mine = collect<DrawResult>("second result", 1, 20_000);
    client.on("draw:result", (r) => r.drawId === second.drawId && mine.add(r));
    const [result] = await mine.done;
    expect(network.dropped.filter((f) => f.startsWith('42["draw:result"'))).toHaveLength(1);
    expect(result).toMatchObject({ intentId: second.entry.intentId, won: true });

    // Every reveal and result once; the view equals the server's.
    expect(results.map((r) => r.drawId).sort()).toEqual([first.drawId, second.drawId].sort());
    expect(reveals.filter((r) => r.drawId === first.drawId)).toHaveLength(2);
    expect(reveals.filter((r) => r.drawId === second.drawId)).toHaveLength(1);
    const fresh = await h.player(node.url, "lossy");
    expect(client.draw(campaignId)).toEqual((await fresh.subscribe(campaignId)).draw);
  });
});
