/**
 * Erasure by crypto-shredding (issue 17): two players sign in with a name and phone in their tokens,
 * win a physical prize and send its claim form (name, phone, home address), and enter a live draw.
 * One of them is erased. Afterwards nothing holds the erased player's name, phone or address — not in
 * the clear, and not decryptable with the live key ring: every sealed value and wrapped key found in
 * any Redis key, in the AOF as it is after the erasure, in a fresh RDB (SAVE), in the unmasked
 * winners export and in operator reads is tried against the ring (wrapped player keys unwrapped for
 * every player, values opened with every key and every AAD the server uses). Before the erasure the
 * same search opens all three (the search is not blind), and afterwards it still opens the other
 * player's (erasure is targeted). Reads of the erased claim form answer 200 with an `(erased)` marker;
 * the receipt names what was erased; the audit chain and the draw's proof still verify.
 *
 * Redis runs with `rdbcompression no`, so LZF cannot hide a value from the search in the RDB or the
 * AOF's RDB preamble (compression hides nothing from an attacker, who can decompress).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveDrawClient, type DrawCountdown, type DrawDone } from "@livedraw/client-sdk";
import { verifyAuditChain, verifyBundle, type ProofBundle } from "@livedraw/fairness";
import type { Win } from "@livedraw/protocol";
import { DataVault, PROFILE_FIELDS, openForPlayer, parseDataKeys, profileAad, type PlayerKey } from "../core/privacy.js";
import { campaignKeys, playerKeyKey, profileKey } from "../core/redis-keys.js";
import { scanRedis, type Needle } from "../scripts/privacy-scan.js";
import { claimAad } from "../server/prize-views.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, TEST_DATA_KEYS, collect, http, pseudonym, tokens, uniqueId, type NodeProcess } from "./harness.js";
import { nodeTransport } from "./sdk-transport.js";

interface Person {
  sub: string;
  name: string;
  phone: string;
  address: string;
}

const erased: Person = { sub: "13912345001", name: "欧阳娜娜", phone: "+8613912345001", address: "上海市浦东新区世纪大道100号欧阳宅" };
const kept: Person = { sub: "oWx9QmKeep07KpZt7Lr4Ab", name: "Cassandra Whitfield", phone: "+8613700001111", address: "北京市朝阳区建国路88号Whitfield寓" };
/** What must not be found of a person: each value in the form stored (and the phone without +86). */
const needlesOf = (p: Person, who: string): Needle[] => [
  { label: `name of ${who}`, value: p.name },
  { label: `phone of ${who}`, value: p.phone.replace(/^\+86/, "") },
  { label: `address of ${who}`, value: p.address },
];

const vault = new DataVault(parseDataKeys(TEST_DATA_KEYS) as Exclude<ReturnType<typeof parseDataKeys>, string>);

/** Every sealed value (`s1.`/`s2.`) and wrapped player key (`k1.`) in some bytes, with a few trailing characters trimmed (an RDB may put a length byte after one). */
function sealedTokens(data: Buffer | string, into: Set<string>): void {
  const text = typeof data === "string" ? data : data.toString("latin1");
  const b64 = "[A-Za-z0-9_-]";
  const re = new RegExp(`k1\\.${b64}{11}\\.${b64}{1,16}\\.${b64}{16}\\.${b64}{20,}|s[12]\\.${b64}{1,16}\\.${b64}{16}\\.${b64}{20,}`, "g");
  for (const m of text.matchAll(re)) for (let trim = 0; trim <= 3; trim++) into.add(m[0].slice(0, m[0].length - trim));
}

/** Everything the live key ring opens among `found`: player keys unwrapped for any player, then values opened with any key and AAD. */
function openAll(found: Iterable<string>, players: string[], aads: string[]): string[] {
  const all = [...found];
  const keys: PlayerKey[] = [];
  const texts: string[] = [];
  const attempt = (fn: () => string) => {
    try {
      texts.push(fn());
    } catch {
      /* not this key or AAD */
    }
  };
  for (const t of all.filter((t) => t.startsWith("k1."))) {
    for (const p of players) {
      try {
        keys.push(vault.unwrap(p, t));
      } catch {
        /* not this player's */
      }
    }
  }
  for (const t of all.filter((t) => t.startsWith("s1."))) for (const aad of aads) attempt(() => vault.open(t, aad));
  for (const t of all.filter((t) => t.startsWith("s2."))) {
    for (const key of keys.filter((k) => k.id === t.split(".")[1])) for (const aad of aads) attempt(() => openForPlayer(key, t, aad));
  }
  return texts;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe("erasure by crypto-shredding (2 nodes, a worker, Redis with AOF)", () => {
  const h = new Harness();
  let nodes: NodeProcess[];
  let redis: Redis;
  beforeAll(async () => {
    await h.startRedis();
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
    await redis.config("SET", "rdbcompression", "no");
    const env = { LIVEDRAW_TIER_MAX_PROBABILITY: "1", LIVEDRAW_OPERATOR_HOSTS: "ops-1" };
    nodes = await Promise.all([h.startNode(env), h.startNode(env)]);
    await h.startWorker(env);
  });
  afterAll(() => h.cleanup());

  /** Waits until Redis has no AOF rewrite running or queued and has finished more than `after`. */
  async function aofRewritten(after: number): Promise<void> {
    await expect
      .poll(async () => {
        const info = await redis.info("persistence");
        const done = Number(/aof_rewrites:(\d+)/.exec(info)?.[1] ?? 0);
        return /aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info) && done > after;
      }, { timeout: 60_000, interval: 50 })
      .toBe(true);
  }
  const aofRewrites = async () => Number(/aof_rewrites:(\d+)/.exec(await redis.info("persistence"))?.[1] ?? 0);

  /** Sealed tokens from every Redis key (read by type) and from every file of Redis's data directory, kept apart. */
  async function harvest(): Promise<{ keys: Set<string>; files: Set<string>; fileNames: string[] }> {
    const keys = new Set<string>();
    let cursor = "0";
    do {
      const [next, names] = await redis.scan(cursor, "COUNT", 500);
      cursor = next;
      for (const key of names) {
        const type = await redis.type(key);
        const values: (string | Buffer)[] =
          type === "string" ? [(await redis.getBuffer(key)) ?? ""]
          : type === "hash" ? Object.values(await redis.hgetallBuffer(key))
          : type === "list" ? await redis.lrangeBuffer(key, 0, -1)
          : type === "set" ? await redis.smembersBuffer(key)
          : type === "zset" ? await redis.zrangeBuffer(key, 0, -1)
          : type === "stream" ? (await redis.xrangeBuffer(key, "-", "+")).flatMap(([, f]) => f)
          : [];
        for (const v of values) sealedTokens(v, keys);
      }
    } while (cursor !== "0");
    const files = new Set<string>();
    const dir = h.redis.dataDir;
    if (dir === null) throw new Error("the test needs its own redis-server (its files are searched)");
    const fileNames = filesUnder(dir);
    for (const f of fileNames) sealedTokens(readFileSync(f), files);
    return { keys, files, fileNames: fileNames.map((f) => path.relative(dir, f)) };
  }

  it("after erasure no key, AOF, RDB, export or claim-form read yields the player's name, phone or address, in the clear or with the live key ring", async () => {
    const campaignId = uniqueId("erasure");
    const host = await h.hostToken();
    const ops = await h.hostToken("ops-1");
    expect((await http(`${nodes[0]!.url}/v1/campaigns`, { token: host, body: liveCampaign(campaignId, {
      tiers: [{ tierId: "kettle", name: "Electric kettle", probability: 1, inventory: 10, value: 199, prize: { kind: "physical" } }],
      limits: { spinsPerDay: 1, spinsPerCampaign: 1, winsPerCampaign: 1 },
      freeSpins: 1,
    }) })).status).toBe(201);

    // Both sign in with name and phone, win the kettle, send the claim form, and enter a live draw.
    const people = [erased, kept];
    const done = collect<DrawDone>("done", 2, 30_000);
    const countdowns = collect<DrawCountdown>("countdowns", 2, 10_000);
    const clients: LiveDrawClient[] = [];
    const wins: Win[] = [];
    for (const [i, p] of people.entries()) {
      const client = new LiveDrawClient({ url: nodes[i]!.url, token: await tokens.sign({ sub: p.sub, role: "player", name: p.name, phone: p.phone }, 600), transport: nodeTransport });
      h.defer(() => client.close());
      client.on("draw:done", (d) => done.add(d));
      client.on("draw:countdown", (c) => countdowns.add(c));
      await client.connect();
      await client.subscribe(campaignId);
      await client.spin(campaignId, { idempotencyKey: `erasure-spin-${i}-0001` });
      const [win] = await client.wins(campaignId);
      expect(win).toMatchObject({ prizeKind: "physical", claimed: false });
      expect((await client.claimPrize({ campaignId, winId: win!.winId, name: p.name, phone: p.phone, address: p.address })).claimed).toBe(true);
      wins.push(win!);
      clients.push(client);
    }
    const opened = await http<DrawCountdown>(`${nodes[0]!.url}/v1/campaigns/${campaignId}/draws`, { token: host, body: { durationMs: 1500, winners: 1, title: "Erasure draw" } });
    expect(opened.status).toBe(201);
    await countdowns.done;
    await Promise.all(clients.map((c) => c.enter(campaignId, opened.body.drawId)));
    await done.done;

    const players = people.map((p) => pseudonym(p.sub));
    await expect.poll(() => Promise.all(players.map((p) => redis.exists(profileKey(p))))).toEqual([1, 1]);
    const winIds = await redis.hkeys(campaignKeys(campaignId).wins);
    const aads = [...players.flatMap((p) => PROFILE_FIELDS.map((f) => profileAad(p, f))), ...winIds.map((w) => claimAad(campaignId, w))];
    const has = (texts: string[], p: Person) => ({ name: texts.some((t) => t.includes(p.name)), phone: texts.some((t) => t.includes(p.phone)), address: texts.some((t) => t.includes(p.address)) });
    const all = { name: true, phone: true, address: true };
    const none = { name: false, phone: false, address: false };

    // The positive control: before the erasure the search opens each player's name, phone and address,
    // from Redis's keys and from its files alone (AOF and a fresh RDB).
    await redis.call("SAVE");
    const before = await harvest();
    expect(has(openAll(before.keys, players, aads), erased)).toEqual(all);
    expect(has(openAll(before.files, players, aads), erased)).toEqual(all);
    expect(before.fileNames).toContain("dump.rdb");
    expect(before.fileNames.some((f) => f.endsWith(".incr.aof"))).toBe(true);
    const operatorRead = (winId: string) => http<{ claimForm: Record<string, unknown> | null }>(`${nodes[0]!.url}/v1/campaigns/${campaignId}/wins?winId=${winId}&unmasked=1`, { token: ops });
    expect((await operatorRead(wins[0]!.winId)).body.claimForm).toEqual({ name: erased.name, phone: erased.phone, address: erased.address });
    const wrappedId = (await redis.get(playerKeyKey(players[0]!)))!.split(".")[1];

    // The erasure, and its receipt.
    const rewritesBefore = await aofRewrites();
    const receipt = await http<Record<string, unknown>>(`${nodes[1]!.url}/v1/privacy/erasure`, { token: host, body: { playerId: erased.sub } });
    expect(receipt.status).toBe(200);
    expect(receipt.body).toMatchObject({
      playerId: players[0], profileErased: true, keyId: wrappedId, profileFields: 2, claimForms: 1, winsAffected: 1, campaigns: 1,
      persistence: { aofRewrite: expect.stringMatching(/^(started|scheduled)$/), rdbSave: "off" },
    });
    const receiptText = JSON.stringify(receipt.body);
    for (const n of needlesOf(erased, "the erased player")) expect(receiptText).not.toContain(n.value);
    await aofRewritten(rewritesBefore);
    await redis.call("SAVE");

    // Reads: the erased claim form answers 200 with the marker; the other player's still opens.
    const erasedRead = await operatorRead(wins[0]!.winId);
    expect(erasedRead).toMatchObject({ status: 200, body: { claimForm: { name: "(erased)", phone: "(erased)", address: "(erased)", erased: true } } });
    expect((await operatorRead(wins[1]!.winId)).body.claimForm).toEqual({ name: kept.name, phone: kept.phone, address: kept.address });
    const list = await http<{ wins: { claimForm: unknown }[] }>(`${nodes[1]!.url}/v1/campaigns/${campaignId}/wins?unmasked=1`, { token: ops });
    expect(list.status).toBe(200);
    const exported = await fetch(`${nodes[0]!.url}/v1/campaigns/${campaignId}/export?what=winners&unmasked=1`, { headers: { authorization: `Bearer ${ops}` } });
    expect(exported.status).toBe(200);
    const csv = await exported.text();
    expect(csv).toContain("(erased)");
    expect(csv).toContain(kept.address); // the export is the unmasked one
    const reads = [JSON.stringify(erasedRead.body), JSON.stringify(list.body), csv];

    // Nothing yields the erased player's data: in the clear …
    const scan = await scanRedis(redis, h.redis.dataDir, needlesOf(erased, "the erased player"));
    for (const [i, text] of reads.entries()) for (const n of needlesOf(erased, "the erased player")) if (text.includes(n.value)) scan.findings.push({ where: `read ${i}`, label: n.label });
    expect(scan.findings).toEqual([]);
    expect(scan.searched.files.some((f) => f.includes(".incr.aof (as found)"))).toBe(true);
    // … or opened with the live key ring, from anything found anywhere (combined, as an attacker would).
    const after = await harvest();
    const found = new Set([...after.keys, ...after.files]);
    for (const text of reads) sealedTokens(text, found);
    expect(after.fileNames).toContain("dump.rdb");
    const openable = openAll(found, players, aads);
    expect(has(openable, erased)).toEqual(none);
    // The search still works: it opens the player who was not erased.
    expect(has(openable, kept)).toEqual(all);

    // The audit chain and the draw's proof still verify.
    const audit = await http<{ records: unknown[] }>(`${nodes[0]!.url}/v1/campaigns/${campaignId}/audit`);
    expect(verifyAuditChain(audit.body.records)).toMatchObject({ ok: true, count: audit.body.records.length });
    const bundle = await http<ProofBundle>(`${nodes[1]!.url}/v1/campaigns/${campaignId}/draws/${opened.body.drawId}/proof`);
    expect(bundle.status).toBe(200);
    expect(verifyBundle(bundle.body)).toMatchObject({ ok: true });

    // A repeat is harmless and says there was nothing left; with RDB save rules, erasure snapshots too.
    const repeat = await http<Record<string, unknown>>(`${nodes[0]!.url}/v1/privacy/erasure`, { token: host, body: { playerId: erased.sub } });
    expect(repeat).toMatchObject({ status: 200, body: { profileErased: false, keyId: null, profileFields: 0, claimForms: 0, winsAffected: 0, campaigns: 0 } });
    await redis.config("SET", "save", "3600 1");
    const second = await http<Record<string, unknown>>(`${nodes[0]!.url}/v1/privacy/erasure`, { token: host, body: { playerId: kept.sub } });
    expect(second).toMatchObject({ status: 200, body: { profileErased: true, profileFields: 2, claimForms: 1, persistence: { rdbSave: expect.stringMatching(/^(started|scheduled)$/) } } });
    expect((await operatorRead(wins[1]!.winId)).body.claimForm).toMatchObject({ erased: true });
  });
});
