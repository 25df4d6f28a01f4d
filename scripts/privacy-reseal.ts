/**
 * Re-seals every player profile sealed with an older key of LIVEDRAW_DATA_KEYS with the first (current)
 * key, after a rotation (docs/operations.md, "Personal data"):
 *
 *   LIVEDRAW_DATA_KEYS="new:<base64>,old:<base64>" REDIS_URL=… npm run privacy:reseal
 *
 * Safe to run while nodes serve (each profile is rewritten field by field; a node that writes a profile
 * meanwhile seals with the current key anyway) and to run again. Prints what it did; exits 1 when a
 * profile could not be opened with any key of the ring.
 */
import { Redis } from "ioredis";
import { loadConfig } from "../config/options.js";
import { ProfileStore, privacyFromConfig } from "../core/privacy.js";
import { PROFILE_KEY_PATTERN } from "../core/redis-keys.js";

async function main(): Promise<void> {
  const config = loadConfig();
  const { vault, derived } = privacyFromConfig(config);
  if (derived.includes("LIVEDRAW_DATA_KEYS")) {
    console.error("LIVEDRAW_DATA_KEYS is not set: nothing to rotate (the derived key is the only key).");
    process.exit(2);
  }
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
  const profiles = new ProfileStore(redis, vault);
  let scanned = 0;
  let resealed = 0;
  let failed = 0;
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", PROFILE_KEY_PATTERN, "COUNT", 500);
    cursor = next;
    for (const key of keys) {
      const playerId = /\{([^}]+)\}$/.exec(key)?.[1];
      if (playerId === undefined) continue;
      scanned++;
      try {
        resealed += await profiles.reseal(playerId);
      } catch {
        failed++;
      }
    }
  } while (cursor !== "0");
  await redis.quit();
  console.log(`profiles: ${scanned}; fields re-sealed with key "${vault.currentKeyId}": ${resealed}; profiles no key opens: ${failed}`);
  process.exit(failed > 0 ? 1 : 0);
}

void main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
