/**
 * Clock sync: a device clock 5 s fast or slow, and every frame in both directions delayed by a
 * random 0–50 ms (order kept). After the SDK's sync on connect, its estimate of the server clock —
 * and so of any deadline — is within 20 ms of the server's own clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveDrawClient } from "@livedraw/client-sdk";
import { Harness, tokens, type NodeProcess } from "./harness.js";
import { TestNetwork, nodeTransport } from "./sdk-transport.js";

describe("SDK clock sync", () => {
  const h = new Harness();
  let node: NodeProcess;
  let referenceOffset: number;
  beforeAll(async () => {
    await h.startRedis();
    node = await h.startNode();
    // The server's clock relative to this process's: many clean round trips on loopback.
    const ref = new LiveDrawClient({ url: node.url, token: await tokens.sign({ sub: "ref", role: "player" }, 600), transport: nodeTransport });
    h.defer(() => ref.close());
    await ref.connect();
    referenceOffset = await ref.syncClock(30);
  });
  afterAll(() => h.cleanup());

  for (const skewMs of [5000, -5000]) {
    it(`estimates server time within 20 ms with the device clock ${skewMs > 0 ? "+" : ""}${skewMs} ms off and 50 ms jitter per frame`, async () => {
      const network = new TestNetwork(50);
      const client = new LiveDrawClient({
        url: node.url,
        token: await tokens.sign({ sub: `skew${skewMs}`, role: "player" }, 600),
        transport: network.transport,
        now: () => Date.now() + skewMs,
      });
      h.defer(() => client.close());
      await client.connect();
      await client.syncClock(); // the connect already started one; this waits for a full estimate
      const serverNow = Date.now() + referenceOffset;
      expect(Math.abs(client.serverNow() - serverNow)).toBeLessThanOrEqual(20);
      // A deadline 3 s ahead in server time: the device's countdown shows what the server's clock says.
      const deadline = serverNow + 3000;
      expect(Math.abs(client.remainingMs(deadline) - 3000)).toBeLessThanOrEqual(20);
    });
  }
});
