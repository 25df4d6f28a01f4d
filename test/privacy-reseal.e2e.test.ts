/**
 * Key-ring rotation with per-player keys (`npm run privacy:reseal`, run as the real script against a
 * real Redis): player keys wrapped by the old ring key are re-wrapped by the new one while the values
 * sealed under them stay byte for byte; values sealed by the ring itself before per-player keys
 * (profile fields, a claim form inside a win record) move under their player's key; a profile
 * without an expiry gets one. Afterwards the new key alone opens everything, and the old key opens
 * nothing that is left — so once it is retired, copies of an erased player's wrapped key in old
 * AOF/RDB files and backups (wrapped by it) stop opening.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataVault, ProfileStore, sealedWith, profileAad, type DataKey } from "../core/privacy.js";
import { campaignKeys, playerKeyKey, playerSealedKey, profileKey } from "../core/redis-keys.js";
import { claimAad } from "../server/prize-views.js";
import { Harness, TEST_PSEUDONYM_KEY, TEST_SECRET, pseudonym, uniqueId } from "./harness.js";

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const oldKey: DataKey = { id: "old", key: Buffer.alloc(32, 1) };
const newKey: DataKey = { id: "new", key: Buffer.alloc(32, 2) };
const ringText = (keys: DataKey[]) => keys.map((k) => `${k.id}:${k.key.toString("base64")}`).join(",");

describe("privacy:reseal with per-player keys", () => {
  const h = new Harness();
  let redis: Redis;
  beforeAll(async () => {
    await h.startRedis();
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
  });
  afterAll(() => h.cleanup());

  it("re-wraps player keys, moves ring-sealed values under player keys, gives profiles their expiry", async () => {
    const before = new ProfileStore(redis, new DataVault([oldKey]));
    const [a, b, legacy] = ["reseal-a", "reseal-b", "reseal-legacy"].map(pseudonym) as [string, string, string];
    await before.save(a, { name: "欧阳娜娜", phone: "+8613912345001" });
    await before.save(b, { name: "Cassandra Whitfield" });
    const aFieldsBefore = await redis.hgetall(profileKey(a));
    // A profile and a claim form from before per-player keys: sealed by the ring itself, no expiry.
    const oldRing = new DataVault([oldKey]);
    await redis.hset(profileKey(legacy), "name", oldRing.seal("李四", profileAad(legacy, "name")), "phone", oldRing.seal("+8613700001111", profileAad(legacy, "phone")));
    const campaignId = uniqueId("reseal");
    const winId = "1700000000000-0";
    const form = JSON.stringify({ name: "李四", phone: "13700001111", address: "北京市朝阳区建国路88号" });
    const record = { winId, campaignId, playerId: legacy, tierId: "kettle", tierName: "Kettle", prizeKind: "physical", status: "pending", wonAt: 1_700_000_000_000, claim: oldRing.seal(form, claimAad(campaignId, winId)), claimedAt: 1_700_000_000_001 };
    await redis.hset(campaignKeys(campaignId).wins, winId, JSON.stringify(record));
    expect(await redis.ttl(profileKey(legacy))).toBe(-1);

    const { stdout } = await run(process.execPath, ["dist/scripts/privacy-reseal.js"], {
      cwd: root,
      env: { ...process.env, REDIS_URL: h.redis.url, LIVEDRAW_JWT_SECRET: TEST_SECRET, LIVEDRAW_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY, LIVEDRAW_DATA_KEYS: ringText([newKey, oldKey]) },
    });
    expect(stdout).toContain('players: 3; player keys re-wrapped with key "new": 2; profile fields moved under player keys: 2; claim forms moved under player keys: 1; values no key opens: 0');

    // Player keys now wrapped by "new"; the values sealed under them did not change.
    for (const p of [a, b, legacy]) expect((await redis.get(playerKeyKey(p)))!.split(".")[2]).toBe("new");
    expect(await redis.hgetall(profileKey(a))).toEqual(aFieldsBefore);
    // The legacy values are under the player's key now, and the profile expires.
    const legacyFields = await redis.hgetall(profileKey(legacy));
    expect(Object.values(legacyFields).map((v) => sealedWith(v)?.kind)).toEqual(["player", "player"]);
    expect(await redis.ttl(profileKey(legacy))).toBeGreaterThan(179 * 86_400);
    const moved = JSON.parse((await redis.hget(campaignKeys(campaignId).wins, winId))!) as typeof record;
    expect(sealedWith(moved.claim)?.kind).toBe("player");
    expect({ ...moved, claim: "" }).toEqual({ ...record, claim: "" });
    expect(await redis.hgetall(playerSealedKey(legacy))).toEqual({ [`${campaignId}/${winId}`]: "claim" });

    // The new key alone opens everything; the old one alone opens nothing left (and says so: unreadable, not erased).
    const after = new ProfileStore(redis, new DataVault([newKey]));
    expect((await after.read(a)).profile).toEqual({ name: "欧阳娜娜", phone: "+8613912345001" });
    expect((await after.read(legacy)).profile).toEqual({ name: "李四", phone: "+8613700001111" });
    const opener = await after.opener([legacy]);
    expect(opener.open(legacy, moved.claim, claimAad(campaignId, winId))).toEqual({ state: "open", text: form });
    const retired = new ProfileStore(redis, new DataVault([oldKey]));
    expect(await retired.read(a)).toEqual({ profile: {}, unreadable: ["name", "phone"], erased: [] });
    expect((await retired.opener([legacy])).open(legacy, moved.claim, claimAad(campaignId, winId))).toEqual({ state: "unreadable" });

    // A second run has nothing to do.
    const again = await run(process.execPath, ["dist/scripts/privacy-reseal.js"], {
      cwd: root,
      env: { ...process.env, REDIS_URL: h.redis.url, LIVEDRAW_JWT_SECRET: TEST_SECRET, LIVEDRAW_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY, LIVEDRAW_DATA_KEYS: ringText([newKey, oldKey]) },
    });
    expect(again.stdout).toContain("player keys re-wrapped with key \"new\": 0; profile fields moved under player keys: 0; claim forms moved under player keys: 0");
  });
});
