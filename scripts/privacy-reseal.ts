/**
 * After a rotation of LIVEDRAW_DATA_KEYS (docs/operations.md, "Personal data"):
 *
 *   LIVEDRAW_DATA_KEYS="new:<base64>,old:<base64>" REDIS_URL=… npm run privacy:reseal
 *
 * - re-wraps every player data key wrapped by an older ring key with the first (current) one — one
 *   small write per player; the values sealed under player keys (profiles, claim forms) do not change;
 * - moves values sealed by the ring itself (written before per-player keys, `s1.`) under their
 *   player's key: profile fields, and claim forms inside win records (only when the record still holds
 *   the same form: WATCH/MULTI), and gives profiles without an expiry theirs.
 *
 * Then the old ring key can be removed: copies of erased players' wrapped keys in old AOF/RDB files
 * and backups stop opening with it. Safe to run while nodes serve (an erasure meanwhile wins: nothing
 * is written back for an erased player) and to run again. Prints what it did; exits 1 when a value
 * could not be opened with any key of the ring, or a claim form was left for the next run (its
 * campaign's wins kept changing).
 */
import { Redis } from "ioredis";
import { loadConfig } from "../config/options.js";
import { ProfileStore, privacyFromConfig, sealedWith } from "../core/privacy.js";
import { CAMPAIGN_KEY_PATTERN, PLAYER_KEY_PATTERN, PROFILE_KEY_PATTERN, parseCampaignKey, parsePlayerTag } from "../core/redis-keys.js";
import { claimAad } from "../server/prize-views.js";

async function* scanKeys(redis: Redis, pattern: string): AsyncGenerator<string> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
    cursor = next;
    yield* keys;
  } while (cursor !== "0");
}

/** Moves one campaign's claim forms sealed by the ring under their winners' keys; counts moved and failed. */
async function resealClaims(redis: Redis, profiles: ProfileStore, campaignId: string, winsKey: string, vault: ReturnType<typeof privacyFromConfig>["vault"]): Promise<{ moved: number; failed: number; busy: number }> {
  let moved = 0;
  let failed = 0;
  let busy = 0;
  let cursor = "0";
  do {
    const [next, flat] = await redis.hscan(winsKey, cursor, "COUNT", 500);
    cursor = next;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const winId = flat[i]!;
      const rec = JSON.parse(flat[i + 1]!) as { playerId?: string; claim?: string };
      if (typeof rec.claim !== "string" || sealedWith(rec.claim)?.kind !== "ring" || typeof rec.playerId !== "string") continue;
      try {
        const plain = vault.open(rec.claim, claimAad(campaignId, winId));
        const sealed = await profiles.seal(rec.playerId, plain, claimAad(campaignId, winId));
        let done = false;
        for (let attempt = 0; attempt < 5 && !done; attempt++) {
          await redis.watch(winsKey);
          const now = await redis.hget(winsKey, winId);
          const current = now === null ? null : (JSON.parse(now) as Record<string, unknown>);
          if (current === null || current.claim !== rec.claim) {
            await redis.unwatch();
            done = true; // replaced or gone meanwhile: a new form is sealed under the player's key anyway
          } else if ((await redis.multi().hset(winsKey, winId, JSON.stringify({ ...current, claim: sealed })).exec()) !== null) {
            await profiles.noteSealed(rec.playerId, campaignId, winId, "claim");
            moved++;
            done = true;
          }
        }
        if (!done) busy++;
      } catch {
        await redis.unwatch();
        failed++;
      }
    }
  } while (cursor !== "0");
  return { moved, failed, busy };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const { vault, derived } = privacyFromConfig(config);
  if (derived.includes("LIVEDRAW_DATA_KEYS")) {
    console.error("LIVEDRAW_DATA_KEYS is not set: nothing to rotate (the derived key is the only key).");
    process.exit(2);
  }
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
  const profiles = new ProfileStore(redis, vault, { retentionDays: config.profileRetentionDays });
  const players = new Set<string>();
  for (const pattern of [PLAYER_KEY_PATTERN, PROFILE_KEY_PATTERN]) {
    for await (const key of scanKeys(redis, pattern)) {
      const p = parsePlayerTag(key);
      if (p !== null) players.add(p);
    }
  }
  let rewrapped = 0;
  let fieldsMoved = 0;
  let failed = 0;
  for (const p of players) {
    try {
      const r = await profiles.reseal(p);
      if (r.keyRewrapped) rewrapped++;
      fieldsMoved += r.fieldsMoved;
    } catch {
      failed++;
    }
  }
  let claimsMoved = 0;
  let claimsBusy = 0;
  for await (const key of scanKeys(redis, CAMPAIGN_KEY_PATTERN)) {
    const parsed = parseCampaignKey(key);
    if (parsed === null || parsed.rest !== "wins") continue;
    const r = await resealClaims(redis, profiles, parsed.campaignId, key, vault);
    claimsMoved += r.moved;
    claimsBusy += r.busy;
    failed += r.failed;
  }
  await redis.quit();
  console.log(`players: ${players.size}; player keys re-wrapped with key "${vault.currentKeyId}": ${rewrapped}; profile fields moved under player keys: ${fieldsMoved}; claim forms moved under player keys: ${claimsMoved}; values no key opens: ${failed}`);
  if (claimsBusy > 0) console.log(`claim forms left for the next run (their campaign's wins changed five times while this one tried): ${claimsBusy}`);
  process.exit(failed > 0 || claimsBusy > 0 ? 1 : 0);
}

void main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
