/**
 * Personal-data routes (docs/http-api.md, "Erase a player's personal data"):
 *   POST /v1/privacy/erasure     host (unscoped): delete a player's sealed profile (name, phone, address)
 *
 * What stays after an erasure is pseudonymous (the HMAC pseudonym) and masked (`张*`): entries,
 * results, audit records and proofs never held the raw id, so the audit chain and every proof bundle
 * still verify. Each erasure is logged (pseudonym shortened by logId) and appended to the
 * `privacy:erasures` stream, which holds only the pseudonym, the host and the time.
 */
import { AppError } from "../core/errors.js";
import { logId } from "../core/mask.js";
import { ERASURE_LOG_KEY, ERASURE_LOG_MAXLEN } from "../core/redis-keys.js";
import { erasureSchema } from "../core/schemas.js";
import type { NodeContext } from "./context.js";
import { parseBody } from "./http-body.js";
import { json, type HttpRequest, type HttpResponse } from "./http-types.js";

export async function privacyRoutes(ctx: NodeContext, req: HttpRequest): Promise<HttpResponse | null> {
  if (!(req.method === "POST" && req.path === "/v1/privacy/erasure")) return null;
  const who = await ctx.hostAuth.require(req, true);
  if (who.campaigns !== undefined) {
    throw new AppError("E_FORBIDDEN", "Erasure acts on a player across every campaign: it needs a host token without a campaigns claim, or a console session.");
  }
  const body = parseBody(erasureSchema, req);
  const playerId = ctx.pseudonyms.player(body.playerId);
  const erased = await ctx.profiles.erase(playerId);
  const at = ctx.clock.now();
  await ctx.redis.xadd(ERASURE_LOG_KEY, "MAXLEN", "~", String(ERASURE_LOG_MAXLEN), "*", "player", playerId, "host", who.hostId, "at", String(at), "profile", erased ? "1" : "0");
  ctx.log.info({ player: logId(playerId), host: who.hostId, profile: erased }, "personal data erased");
  return json(200, { playerId, profileErased: erased, at });
}
