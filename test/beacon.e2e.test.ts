/**
 * drand beacons in live draws, with recorded REAL quicknet rounds served by a local HTTP server
 * (source of the vectors: fairness/src/drand.test.ts). The worker verifies the round's BLS
 * signature before mixing it into the seed: a forged beacon leaves the draw closed (the close job
 * retries), an authentic one is used and published in the bundle.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveDrawClient } from "@livedraw/client-sdk";
import { DRAND_QUICKNET, verifyBundle, type ProofBundle } from "@livedraw/fairness";
import type { DrawCountdown, DrawDone, DrawSnapshot } from "@livedraw/protocol";
import { Harness, collect, http, uniqueId, type NodeProcess, type RoleProcess } from "./harness.js";

// Real quicknet round 1000 (Bas3d-Labs/drand-quicknet-evm, contracts/test/fixtures/quicknet-kat.json).
const ROUND = 1000;
const SIGNATURE = "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39";
const RANDOMNESS = "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd";
// Round 1001 served with round 1000's signature: a forgery the worker must refuse.
const FORGED_ROUND = 1001;

describe("drand beacon in a live draw (recorded real rounds)", () => {
  const h = new Harness();
  let relay: Server;
  let node: NodeProcess;
  let strictNode: NodeProcess;
  let worker: RoleProcess;
  let players: LiveDrawClient[];
  let hostToken: string;
  const campaignId = uniqueId("beacon");

  beforeAll(async () => {
    relay = createServer((req, res) => {
      const m = /^\/([0-9a-f]{64})\/public\/(\d+)$/.exec(req.url ?? "");
      if (!m || m[1] !== DRAND_QUICKNET.hash || ![ROUND, FORGED_ROUND].includes(Number(m[2]))) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ round: Number(m[2]), randomness: RANDOMNESS, signature: SIGNATURE }));
    });
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", () => resolve()));
    h.defer(() => new Promise((resolve) => relay.close(resolve)));
    const drandUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;

    await h.startRedis();
    const env = { LIVEDRAW_DRAND_URL: drandUrl, LIVEDRAW_DRAND_ALLOW_PAST_ROUNDS: "1" };
    [node, strictNode] = await Promise.all([h.startNode(env), h.startNode({ LIVEDRAW_DRAND_URL: drandUrl })]);
    worker = await h.startWorker(env);
    players = await Promise.all(Array.from({ length: 20 }, (_, i) => h.player(node.url, `bp${i}`)));
    await Promise.all(players.map((p) => p.subscribe(campaignId)));
    hostToken = await h.hostToken();
  });
  afterAll(() => h.cleanup());

  const open = (target: NodeProcess, beaconRound: number) =>
    http<DrawCountdown & { error?: { code: string; message: string } }>(`${target.url}/v1/campaigns/${campaignId}/draws`, {
      token: hostToken,
      body: { title: "Beacon draw", durationMs: 1000, winners: 3, beaconRound },
    });

  it("refuses a round that is published before the deadline (without the test-only flag)", async () => {
    const res = await open(strictNode, ROUND);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "E_BAD_REQUEST" });
    expect(res.body.error?.message).toMatch(/beaconRound: round 1000 is published before the deadline \+ 10000 ms; name round \d+ or later/);
  });

  it("mixes an authentic beacon into the seed and publishes it in the bundle", async () => {
    const dones = collect<DrawDone>("draw:done", 1, 20_000);
    players[0]!.on("draw:done", (d) => dones.add(d));
    const opened = await open(node, ROUND);
    expect(opened.status).toBe(201);
    expect(opened.body.beacon).toEqual({ chainHash: DRAND_QUICKNET.hash, round: ROUND });
    await Promise.all(players.map((p) => p.enter(campaignId, opened.body.drawId)));
    await dones.done;

    const bundle = (await http<ProofBundle>(`${node.url}/v1/campaigns/${campaignId}/draws/${opened.body.drawId}/proof`)).body;
    expect(bundle.beacon).toMatchObject({ chainHash: DRAND_QUICKNET.hash, round: ROUND, signature: SIGNATURE, randomness: RANDOMNESS });
    const verdict = verifyBundle(bundle);
    // Everything recomputes (signature, seed with the beacon, winners, audit); the only objection is
    // the one that must stand: this recorded round was published long before the draw closed.
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.problems).toEqual([expect.stringMatching(/^beacon: round 1000 was published at .* not after the draw closed$/)]);
    // Without the beacon the same seed and entries give another draw seed: the beacon was really used.
    const withoutBeacon = verifyBundle({ ...bundle, beacon: null });
    expect(withoutBeacon.ok).toBe(false);
    if (!withoutBeacon.ok) expect(withoutBeacon.problems.some((p) => p.startsWith("seed:"))).toBe(true);
  });

  it("refuses a forged beacon: the draw stays closed and the close job retries", async () => {
    const opened = await open(node, FORGED_ROUND);
    expect(opened.status).toBe(201);
    await players[1]!.enter(campaignId, opened.body.drawId);
    const failure = await worker.waitForLog((l) => l.msg === "job failed" && String(l.err).includes(`drand round ${FORGED_ROUND}`), 20_000);
    expect(String(failure.err)).toContain("is not authentic");
    const snap = await http<DrawSnapshot>(`${node.url}/v1/campaigns/${campaignId}/draws/${opened.body.drawId}`);
    expect(snap.body.phase).toBe("closed");
    expect(snap.body.revealed).toEqual([]);
  });
});
