/**
 * Personal-data routes (docs/http-api.md, "Erase a player's personal data"):
 *   POST /v1/privacy/erasure     host (unscoped): delete a player's sealed profile (name, phone, address)
 *
 * What stays after an erasure is pseudonymous (the HMAC pseudonym) and masked (`张*`): entries,
 * results, audit records and proofs never held the raw id, so the audit chain and every proof bundle
 * still verify. Each erasure is logged (pseudonym shortened by logId) and appended to the
 * `privacy:erasures` stream, which holds only the pseudonym, the host and the time.
 */
import { logId } from "../core/mask.js";
import { ERASURE_LOG_KEY, ERASURE_LOG_MAXLEN } from "../core/redis-keys.js";
import { erasureSchema } from "../core/schemas.js";
import { json } from "./http-types.js";
import { route, type Route } from "./route-table.js";

export const privacyRoutes: readonly Route[] = [
  route({
    method: "POST", path: "/v1/privacy/erasure", allow: ["host"], scope: "all-campaigns", body: erasureSchema, cost: "write",
    summary: "erase a player's personal data",
    handler: async (ctx, { caller: { who }, body }) => {
      const playerId = ctx.pseudonyms.player(body.playerId);
      const erased = await ctx.profiles.erase(playerId);
      const at = ctx.clock.now();
      await ctx.redis.xadd(ERASURE_LOG_KEY, "MAXLEN", "~", String(ERASURE_LOG_MAXLEN), "*", "player", playerId, "host", who.hostId, "at", String(at), "profile", erased ? "1" : "0");
      ctx.log.info({ player: logId(playerId), host: who.hostId, profile: erased }, "personal data erased");
      return json(200, { playerId, profileErased: erased, at });
    },
  }),
];
