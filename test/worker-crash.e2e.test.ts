/**
 * A worker SIGKILLed in the middle of closing a draw: another worker takes the job over within
 * seconds (short BullMQ locks, LIVEDRAW_WORKER_LOCK_MS), not after BullMQ's default ~60 s, and the
 * draw completes with its reveal and results. The close is held mid-job by a drand relay that does
 * not answer until the test lets it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DRAND_QUICKNET } from "@livedraw/fairness";
import type { DrawCountdown, DrawDone, DrawResult } from "@livedraw/protocol";
import { Harness, collect, http, uniqueId, type NodeProcess } from "./harness.js";

// Real quicknet round 1000 (as in test/beacon.e2e.test.ts).
const ROUND = 1000;
const SIGNATURE = "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39";
const RANDOMNESS = "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd";

describe("worker killed mid-close", () => {
  const h = new Harness();
  let node: NodeProcess;
  let env: Record<string, string>;
  /** Requests the relay holds until released. */
  const held: ServerResponse[] = [];
  let answer = false;
  let requested: () => void = () => undefined;

  beforeAll(async () => {
    const relay = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (!new RegExp(`^/${DRAND_QUICKNET.hash}/public/${ROUND}$`).test(req.url ?? "")) return void res.writeHead(404).end();
      const reply = () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ round: ROUND, randomness: RANDOMNESS, signature: SIGNATURE }));
      if (answer) reply();
      else {
        held.push(res);
        requested();
      }
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", () => resolve()));
    h.defer(() => {
      for (const r of held) r.destroy();
      return new Promise((resolve) => relay.close(resolve));
    });
    await h.startRedis();
    env = { LIVEDRAW_DRAND_URL: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`, LIVEDRAW_DRAND_ALLOW_PAST_ROUNDS: "1", LIVEDRAW_WORKER_LOCK_MS: "2000" };
    node = await h.startNode(env);
  });
  afterAll(() => h.cleanup());

  it("is taken over by another worker within seconds", async () => {
    const campaignId = uniqueId("crash");
    const first = await h.startWorker(env);
    const player = await h.player(node.url, "survivor-1", "郑一");
    await player.subscribe(campaignId);
    const done = collect<DrawDone>("draw:done", 1, 30_000);
    const result = collect<DrawResult>("draw:result", 1, 30_000);
    player.on("draw:done", (d) => done.add(d));
    player.on("draw:result", (r) => result.add(r));
    const atRelay = new Promise<void>((resolve) => (requested = resolve));
    const opened = await http<DrawCountdown>(`${node.url}/v1/campaigns/${campaignId}/draws`, {
      token: await h.hostToken(),
      body: { title: "Crash draw", durationMs: 1000, winners: 1, beaconRound: ROUND },
    });
    expect(opened.status).toBe(201);
    const entry = await player.enter(campaignId, opened.body.drawId);

    // The close job is running (it is waiting for the beacon): kill its worker, start another.
    await atRelay;
    await first.stop("SIGKILL");
    const killedAt = Date.now();
    answer = true;
    await h.startWorker(env);
    const [d] = await done.done;
    const tookMs = Date.now() - killedAt;
    console.log(`close job taken over and finished ${tookMs} ms after the worker was killed`);
    expect(d!.drawId).toBe(opened.body.drawId);
    expect(tookMs).toBeLessThan(15_000); // BullMQ's defaults: ~60 s
    expect((await result.done)[0]).toMatchObject({ intentId: entry.intentId, won: true });
  });
});
