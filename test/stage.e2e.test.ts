/**
 * The stage over real sockets (two nodes, one Redis): who may set it, what a bad request gets, and
 * that a change reaches every screen and console on every node with a growing version, survives a
 * new connection, and is audited with the host id.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveDrawClient } from "@livedraw/client-sdk";
import type { DrawCountdown, Stage } from "@livedraw/protocol";
import { Harness, http, tokens, uniqueId, type NodeProcess } from "./harness.js";
import { nodeTransport } from "./sdk-transport.js";

describe("stage:get / stage:set / stage:update", () => {
  const h = new Harness();
  let a: NodeProcess;
  let b: NodeProcess;
  const campaignId = uniqueId("stage");

  beforeAll(async () => {
    await h.startRedis();
    [a, b] = await Promise.all([h.startNode(), h.startNode()]);
  });
  afterAll(() => h.cleanup());

  const client = async (url: string, options: { token?: string; viewer?: boolean }) => {
    const c = new LiveDrawClient({ url, transport: nodeTransport, maxRetries: 0, ...options });
    h.defer(() => c.close());
    await c.connect();
    return c;
  };
  const code = (p: Promise<unknown>) => p.then(() => "ok", (e: { code?: string }) => e.code ?? "?");

  it("hosts set it, everyone sees it on every node; others are refused and nothing changes", async () => {
    const hostToken = await h.hostToken("host-one");
    const opened = await http<DrawCountdown>(`${a.url}/v1/campaigns/${campaignId}/draws`, { token: hostToken, body: { title: "舞台", durationMs: 60_000, winners: 1 } });
    expect(opened.status).toBe(201);
    const drawId = opened.body.drawId;

    const host = await client(a.url, { token: hostToken });
    const screen = await client(b.url, { viewer: true });
    const player = await client(b.url, { token: await tokens.sign({ sub: "p-1", role: "player" }, 600) });
    const scoped = await client(a.url, { token: await tokens.sign({ sub: "host-scoped", role: "host", campaigns: ["elsewhere"] }, 600) });
    await screen.subscribe(campaignId);
    await host.subscribe(campaignId);

    // Before any host: version 0, no draw (the pages follow the latest draw).
    const before = await screen.stage(campaignId);
    expect(before.stage).toMatchObject({ drawId: null, phase: "waiting", version: 0, redraw: null });
    expect(before.draw).toBeNull();

    // Refused: a viewer, a player, a host token scoped to other campaigns, a bad phase, an unknown draw.
    expect(await code(screen.setStage(campaignId, drawId, "countdown"))).toBe("E_FORBIDDEN");
    expect(await code(player.setStage(campaignId, drawId, "countdown"))).toBe("E_FORBIDDEN");
    expect(await code(scoped.setStage(campaignId, drawId, "countdown"))).toBe("E_FORBIDDEN");
    expect(await code(host.setStage(campaignId, drawId, "intermission" as never))).toBe("E_BAD_REQUEST");
    expect(await code(host.setStage(campaignId, "no-such-draw", "countdown"))).toBe("E_DRAW_NOT_FOUND");
    expect((await screen.stage(campaignId)).stage.version).toBe(0);

    // A host sets it: the screen on the other node is told, with the draw's snapshot on request.
    const pushed = new Promise<Stage>((resolve) => screen.on("stage:update", resolve));
    const set = await host.setStage(campaignId, drawId, "countdown");
    expect(set).toMatchObject({ campaignId, drawId, phase: "countdown", version: 1, updatedBy: "host-one" });
    expect(await pushed).toEqual(set);
    const view = await screen.stage(campaignId);
    expect(view.stage).toEqual(set);
    expect(view.draw).toMatchObject({ drawId, title: "舞台", phase: "open", myIntentId: null });

    // Versions only grow; a fresh connection (a reloaded screen) reads the same stage.
    const second = await host.setStage(campaignId, drawId, "summary");
    expect(second.version).toBe(2);
    const reloaded = await client(a.url, { viewer: true });
    expect((await reloaded.stage(campaignId)).stage).toEqual(second);

    // Audited with the host id, in order.
    const audit = await http<{ records: { type: string; data: Record<string, unknown> }[] }>(`${a.url}/v1/campaigns/${campaignId}/audit`);
    const stages = audit.body.records.filter((r) => r.type === "host.action" && r.data.action === "set-stage").map((r) => r.data);
    expect(stages).toEqual([
      expect.objectContaining({ hostId: "host-one", via: "token", drawId, phase: "countdown", version: 1 }),
      expect.objectContaining({ hostId: "host-one", via: "token", drawId, phase: "summary", version: 2 }),
    ]);
  });
});
