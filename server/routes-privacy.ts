/**
 * Personal-data routes (docs/http-api.md, "Erase a player's personal data"):
 *   POST /v1/privacy/erasure     host (unscoped): crypto-shred a player's personal data, answer a receipt
 *
 * Erasure deletes the player's data key (and profile) in one transaction, so everything sealed under
 * it — profile fields, claim forms in win records, every copy in replicas, the AOF, RDB files and
 * backups — stops opening (core/privacy.ts). It then revokes the player's tokens (their claims carry
 * the name and phone, which a reconnect would store again) and asks Redis to rewrite its AOF (and
 * snapshot, when snapshots are configured), so this server's own files stop holding the wrapped key.
 * What stays is pseudonymous (the HMAC pseudonym) and masked (`张*`): entries, results, audit records
 * and proofs never held the raw id, so the audit chain and every proof bundle still verify. Each
 * erasure is logged (pseudonym shortened by logId) and appended to the `privacy:erasures` stream,
 * which holds only the pseudonym, the host, the time and the counts.
 */
import type { Redis } from "ioredis";
import type { Logger } from "../core/logger.js";
import { logId } from "../core/mask.js";
import type { ErasureCounts } from "../core/privacy.js";
import { rooms } from "../core/protocol.js";
import { ERASURE_LOG_KEY, ERASURE_LOG_MAXLEN } from "../core/redis-keys.js";
import { erasureSchema } from "../core/schemas.js";
import type { NodeContext } from "./context.js";
import { json } from "./http-types.js";
import { route, type Route } from "./route-table.js";

/** What Redis was asked to do with its files: `started`/`scheduled` (after one running), `off` (not configured), `failed`. */
export type CompactionState = "started" | "scheduled" | "off" | "failed";

/** The erasure receipt: what was erased, never the personal data itself. */
export interface ErasureReceipt extends ErasureCounts {
  playerId: string;
  /** Whether there was anything to erase (a data key or a profile). */
  profileErased: boolean;
  /** Time of the erasure (ms). */
  at: number;
  /** Player tokens issued before this second were revoked (ms). */
  tokensRevokedBefore: number;
  /** The Redis files holding the deleted key, rewritten in the background. */
  persistence: { aofRewrite: CompactionState; rdbSave: CompactionState };
}

/**
 * Asks Redis to rewrite its AOF (BGREWRITEAOF, when AOF is on) and write a new RDB snapshot (BGSAVE
 * SCHEDULE, when `save` rules are configured), so its files no longer hold deleted keys. Redis runs
 * one rewrite at a time and queues at most one more, so a burst of erasures costs about two.
 * Never throws: a managed Redis that forbids these commands answers `failed`, logged.
 */
export async function compactPersistence(redis: Redis, log: Logger): Promise<{ aofRewrite: CompactionState; rdbSave: CompactionState }> {
  const out: { aofRewrite: CompactionState; rdbSave: CompactionState } = { aofRewrite: "off", rdbSave: "off" };
  try {
    const info = await redis.info("persistence");
    if (/^aof_enabled:1\r?$/m.test(info)) {
      const reply = String(await redis.bgrewriteaof());
      out.aofRewrite = /scheduled/i.test(reply) ? "scheduled" : "started";
    }
  } catch (err) {
    out.aofRewrite = "failed";
    log.warn({ err }, "AOF rewrite after an erasure not started: the AOF holds the erased player's wrapped key until the next rewrite");
  }
  try {
    const save = (await redis.config("GET", "save")) as string[];
    if ((save[1] ?? "").trim() !== "") {
      const reply = String(await redis.call("BGSAVE", "SCHEDULE"));
      out.rdbSave = /scheduled/i.test(reply) ? "scheduled" : "started";
    }
  } catch (err) {
    out.rdbSave = "failed";
    log.warn({ err }, "RDB snapshot after an erasure not started: dump.rdb holds the erased player's wrapped key until the next snapshot");
  }
  return out;
}

/** Erases one player (by pseudonym) and answers the receipt. The route table's handler calls this. */
export async function erasePlayer(ctx: NodeContext, playerId: string, hostId: string): Promise<ErasureReceipt> {
  // Tokens first: a connection signing in meanwhile must not store the profile again after the erase.
  const at = ctx.clock.now();
  await ctx.revocations.revokePlayer(playerId, at);
  const counts = await ctx.profiles.erase(playerId);
  ctx.io.in(rooms.player(playerId)).disconnectSockets(true);
  const persistence = await compactPersistence(ctx.redis, ctx.log);
  const receipt: ErasureReceipt = {
    playerId,
    profileErased: counts.keyId !== null || counts.profileFields > 0,
    ...counts,
    at,
    tokensRevokedBefore: Math.ceil(at / 1000) * 1000,
    persistence,
  };
  await ctx.redis.xadd(
    ERASURE_LOG_KEY, "MAXLEN", "~", String(ERASURE_LOG_MAXLEN), "*",
    "player", playerId, "host", hostId, "at", String(at), "profile", receipt.profileErased ? "1" : "0",
    "key", counts.keyId ?? "", "fields", String(counts.profileFields), "claims", String(counts.claimForms), "wins", String(counts.winsAffected),
  );
  ctx.log.info({ player: logId(playerId), host: hostId, key: counts.keyId, fields: counts.profileFields, claims: counts.claimForms, wins: counts.winsAffected, persistence }, "personal data erased");
  return receipt;
}

export const privacyRoutes: readonly Route[] = [
  route({
    method: "POST", path: "/v1/privacy/erasure", allow: ["host"], scope: "all-campaigns", body: erasureSchema, cost: "write",
    summary: "erase a player's personal data",
    handler: async (ctx, { caller: { who }, body }) => {
      return json(200, await erasePlayer(ctx, ctx.pseudonyms.player(body.playerId), who.hostId), { "cache-control": "no-store" });
    },
  }),
];
