/** The client SDK against a real node: token provider, resync after a reconnect, spin error keys. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveDrawClient, LiveDrawError } from "@livedraw/client-sdk";
import type { CampaignSnapshot } from "@livedraw/protocol";
import { Harness, tokens, uniqueId, type NodeProcess } from "./harness.js";

describe("client SDK reconnects", () => {
  const h = new Harness();
  let node: NodeProcess;
  beforeAll(async () => {
    await h.startRedis();
    node = await h.startNode();
  });
  afterAll(() => h.cleanup());

  it("asks its token provider on every connection and resyncs subscriptions after a reconnect", async () => {
    let calls = 0;
    const client = new LiveDrawClient({
      url: node.url,
      token: async () => {
        calls++;
        return tokens.sign({ sub: "sdk-1", role: "player" }, 60);
      },
    });
    h.defer(() => client.close());
    await client.connect();
    const campaignId = uniqueId("sdk");
    await client.subscribe(campaignId);
    expect(calls).toBe(1);

    const resynced = new Promise<CampaignSnapshot>((resolve) => client.on("resync", resolve));
    client.socket.io.engine.close(); // the network drops; Socket.IO reconnects by itself
    const snapshot = await resynced;
    expect(snapshot.campaignId).toBe(campaignId);
    expect(calls).toBe(2);
  });

  it("gives a failed spin's idempotency key back, so the retry cannot spend a second spin", async () => {
    const client = await h.player(node.url, "sdk-2");
    const err = await client.spin("no-such-campaign", { idempotencyKey: "retry-me-please" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LiveDrawError);
    expect(err).toMatchObject({ code: "E_CAMPAIGN_NOT_FOUND", idempotencyKey: "retry-me-please" });
  });
});
