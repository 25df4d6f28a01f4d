/**
 * Personal data: players whose ids are phone numbers or openids, with real names and phone numbers in
 * their tokens, spin, enter and win a live draw, assist each other and get tickets from a host. Then
 * every Redis key and value, Redis's RDB and AOF files, every node and worker log line and every frame
 * the clients received are searched for each raw id, phone and name: none may appear. The sealed
 * profiles open to the right values with the key ring and carry their retention expiry; erasure
 * removes them and the players' data keys, and the campaign's audit chain and the draw's proof
 * bundle still verify (test/erasure.e2e.test.ts tries the key ring on everything left).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { LiveDrawClient, type DrawCountdown, type DrawDone, type DrawResult } from "@livedraw/client-sdk";
import { verifyAuditChain, verifyBundle, type ProofBundle } from "@livedraw/fairness";
import { DataVault, ProfileStore, parseDataKeys } from "../core/privacy.js";
import { PLAYER_KEY_PATTERN, playerKeyKey, profileKey, PROFILE_KEY_PATTERN } from "../core/redis-keys.js";
import { scanRedis, scanText, type Needle } from "../scripts/privacy-scan.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, TEST_DATA_KEYS, collect, http, pseudonym, tokens, uniqueId, type NodeProcess, type RoleProcess } from "./harness.js";
import { TestNetwork } from "./sdk-transport.js";

const PLAYERS = 12;

interface Person {
  sub: string;
  name: string;
  phone: string;
}

/** Half the players are known by their phone number, half by a WeChat-style openid with a phone claim. */
const people: Person[] = Array.from({ length: PLAYERS }, (_, i) => {
  const phone = `1391234${String(5000 + i)}`;
  return i % 2 === 0
    ? { sub: phone, name: `欧阳娜娜${i}`, phone }
    : { sub: `oWx9Qm${String(i).padStart(2, "0")}KpZt7Lr4Ab`, name: `Cassandra Whitfield ${i}`, phone: `+86${phone}` };
});

describe("personal data at rest, in logs and on the wire", () => {
  const h = new Harness();
  let nodes: NodeProcess[];
  let worker: RoleProcess;
  let redis: Redis;
  beforeAll(async () => {
    await h.startRedis();
    nodes = await Promise.all([h.startNode(), h.startNode()]);
    worker = await h.startWorker();
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
  });
  afterAll(() => h.cleanup());

  it("finds no raw id, phone or name anywhere; erasure removes the sealed copies and proofs still verify", async () => {
    const campaignId = uniqueId("privacy");
    const host = await h.hostToken();
    expect((await http(`${nodes[0]!.url}/v1/campaigns`, { token: host, body: liveCampaign(campaignId) })).status).toBe(201);

    const network = new TestNetwork();
    const frames: string[] = [];
    network.dropIncoming = (frame) => {
      frames.push(frame);
      return false;
    };
    const clients: LiveDrawClient[] = [];
    const results = collect<DrawResult>("results", PLAYERS, 30_000);
    const dones = collect<DrawDone>("done", PLAYERS, 30_000);
    const countdowns = collect<DrawCountdown>("countdowns", PLAYERS, 10_000);
    for (const [i, p] of people.entries()) {
      const client = new LiveDrawClient({
        url: nodes[i % 2]!.url,
        token: await tokens.sign({ sub: p.sub, role: "player", name: p.name, phone: p.phone }, 600),
        transport: network.transport,
      });
      h.defer(() => client.close());
      client.on("draw:result", (r) => results.add(r));
      client.on("draw:done", (d) => dones.add(d));
      client.on("draw:countdown", (c) => countdowns.add(c));
      await client.connect();
      clients.push(client);
    }
    const snapshots = await Promise.all(clients.map((c) => c.subscribe(campaignId)));
    // Each client learns its own pseudonym (for invite links), never its raw id.
    snapshots.forEach((s, i) => expect(s.playerId).toBe(pseudonym(people[i]!.sub)));
    await Promise.all(clients.map((c) => c.subscribeLeaderboard(campaignId, "assists")));

    // Spins, assists (by pseudonym) and a host grant (by the integrator's raw id).
    const spins = await Promise.all(clients.map((c, i) => c.spin(campaignId, { idempotencyKey: `privacy-spin-${i}-0001` })));
    expect(spins).toHaveLength(PLAYERS);
    await Promise.all(clients.slice(1).map((c) => c.assist(campaignId, snapshots[0]!.playerId)));
    const granted = await http<{ playerId: string; tickets: number }>(`${nodes[1]!.url}/v1/campaigns/${campaignId}/tickets`, { token: host, body: { playerId: people[3]!.sub, tickets: 2 } });
    expect(granted.status).toBe(200);
    expect(granted.body.playerId).toBe(pseudonym(people[3]!.sub));

    // A live draw everyone enters and a quarter wins.
    const opened = await http<DrawCountdown>(`${nodes[0]!.url}/v1/campaigns/${campaignId}/draws`, { token: host, body: { durationMs: 1500, winners: 3, title: "Privacy draw" } });
    expect(opened.status).toBe(201);
    const drawId = opened.body.drawId;
    await countdowns.done;
    await Promise.all(clients.map((c) => c.enter(campaignId, drawId)));
    await dones.done;
    const mine = await results.done;
    expect(mine.filter((r) => r.won)).toHaveLength(3);

    // The sealed profiles hold the real values (so the operator can reach a winner) …
    const profiles = new ProfileStore(redis, new DataVault(parseDataKeys(TEST_DATA_KEYS) as Exclude<ReturnType<typeof parseDataKeys>, string>));
    for (const p of people) {
      await expect.poll(() => redis.exists(profileKey(pseudonym(p.sub)))).toBe(1);
      expect(await profiles.read(pseudonym(p.sub))).toEqual({ profile: { name: p.name, phone: p.phone }, unreadable: [], erased: [] });
      // Profiles and player data keys expire (LIVEDRAW_PROFILE_RETENTION_DAYS, 180 by default) after the last write.
      for (const key of [profileKey(pseudonym(p.sub)), playerKeyKey(pseudonym(p.sub))]) {
        const ttl = await redis.ttl(key);
        expect(ttl).toBeGreaterThan(179 * 86_400);
        expect(ttl).toBeLessThanOrEqual(180 * 86_400);
      }
    }

    // … and nothing anywhere holds them in the clear.
    const needles: Needle[] = people.flatMap((p, i) => [
      { label: `raw id of player ${i}`, value: p.sub },
      { label: `phone of player ${i}`, value: p.phone.replace(/^\+86/, "") },
      { label: `name of player ${i}`, value: p.name },
    ]);
    const report = await scanRedis(redis, h.redis.dataDir, needles);
    for (const proc of [...nodes, worker]) scanText(report, `log of ${proc.role} ${proc.child.pid}`, proc.logs.map((l) => JSON.stringify(l)).join("\n"), needles);
    scanText(report, "frames received by the clients", frames.join("\n"), needles);
    expect(report.findings).toEqual([]);
    // The scan was not empty: it read the campaign's keys, Redis's files, logs and every broadcast.
    expect(report.searched.redisKeys).toBeGreaterThan(20);
    expect(report.searched.files).toContain("dump.rdb (rewritten uncompressed)");
    expect(report.searched.files.some((f) => f.includes(".incr.aof (as found)"))).toBe(true);
    expect(report.searched.files.some((f) => f.includes(".base.rdb (rewritten uncompressed)"))).toBe(true);
    expect(frames.some((f) => f.startsWith('42["draw:reveal"'))).toBe(true);
    // The positive control: the scanner finds a needle that is there.
    const control = await scanRedis(redis, null, [{ label: "the campaign id", value: campaignId }]);
    expect(control.findings.length).toBeGreaterThan(0);

    // Erasure: refused to a campaign-scoped host and for a bad body; then removes every profile.
    const scoped = await tokens.sign({ sub: "host-2", role: "host", campaigns: [campaignId] }, 600);
    const refused = await http<{ error: { code: string } }>(`${nodes[0]!.url}/v1/privacy/erasure`, { token: scoped, body: { playerId: people[0]!.sub } });
    expect(refused).toMatchObject({ status: 403, body: { error: { code: "E_FORBIDDEN" } } });
    const bad = await http<{ error: { code: string; message: string } }>(`${nodes[0]!.url}/v1/privacy/erasure`, { token: host, body: { player: people[0]!.sub } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("E_BAD_REQUEST");
    expect(await redis.exists(profileKey(pseudonym(people[0]!.sub)))).toBe(1);
    for (const [i, p] of people.entries()) {
      const erased = await http<{ playerId: string; profileErased: boolean }>(`${nodes[i % 2]!.url}/v1/privacy/erasure`, { token: host, body: { playerId: p.sub } });
      expect(erased).toMatchObject({ status: 200, body: { playerId: pseudonym(p.sub), profileErased: true } });
    }
    const again = await http<{ profileErased: boolean }>(`${nodes[0]!.url}/v1/privacy/erasure`, { token: host, body: { playerId: people[0]!.sub } });
    expect(again.body.profileErased).toBe(false);
    for (const pattern of [PROFILE_KEY_PATTERN, PLAYER_KEY_PATTERN]) {
      const [, left] = await redis.scan("0", "MATCH", pattern, "COUNT", 10_000);
      expect(left).toEqual([]);
    }

    // The audit chain and the draw's proof still verify: they never held personal data.
    const audit = await http<{ records: unknown[] }>(`${nodes[0]!.url}/v1/campaigns/${campaignId}/audit`);
    expect(audit.body.records.length).toBeGreaterThan(3); // campaign created, tickets granted, the draw's records
    expect(verifyAuditChain(audit.body.records)).toMatchObject({ ok: true, count: audit.body.records.length });
    const bundle = await http<ProofBundle>(`${nodes[1]!.url}/v1/campaigns/${campaignId}/draws/${drawId}/proof`);
    expect(bundle.status).toBe(200);
    expect(verifyBundle(bundle.body)).toMatchObject({ ok: true });
  });
});
