/**
 * Tier commitments (docs/fairness.md, "Tier commitments"): at the draw the public log commits to
 * each tier's winners by a salted hash, so nobody learns an unrevealed tier's winners from it; each
 * tier's reveal record publishes the list and its salt, and anyone checks it against the hash.
 *
 *   salt = HMAC-SHA256(key = serverSeed, msg = lp("livedraw/tier-salt/v1") ‖ lp(drawId) ‖ lp(tierId))
 *   hash = hex(SHA-256(lp("livedraw/tier-winners/v1") ‖ lp(salt) ‖ lp(drawId) ‖ lp(tierId)
 *                      ‖ be32(k) ‖ lp(entryId_1) ‖ … ‖ lp(entryId_k)))
 *
 * The salt keeps the hash from being matched by trying entry ids (a one-winner tier among n
 * entrants has only n candidate lists); it is derived from the secret server seed, so the server
 * need not store it and a verifier can check it once the seed is revealed.
 */
import { be32, bytesToHex, concatBytes, fromHex, hmacSha256, lp, sha256Hex, utf8ToBytes } from "./bytes.js";
import { DOMAIN } from "./constants.js";
import type { TierWinners } from "./select.js";

/** The tier's salt, hex: HMAC-SHA256(serverSeed, lp("livedraw/tier-salt/v1") ‖ lp(drawId) ‖ lp(tierId)). */
export function tierSalt(serverSeedHex: string, drawId: string, tierId: string): string {
  const message = concatBytes(lp(utf8ToBytes(DOMAIN.tierSalt)), lp(utf8ToBytes(drawId)), lp(utf8ToBytes(tierId)));
  return bytesToHex(hmacSha256(fromHex(serverSeedHex, 32), message));
}

/** The hash a draw commits to for one tier's winner list (in draw order), hex. */
export function tierWinnersHash(saltHex: string, drawId: string, tierId: string, entryIds: readonly string[]): string {
  return sha256Hex(
    concatBytes(
      lp(utf8ToBytes(DOMAIN.tierWinners)),
      lp(fromHex(saltHex, 32)),
      lp(utf8ToBytes(drawId)),
      lp(utf8ToBytes(tierId)),
      be32(entryIds.length),
      ...entryIds.map((id) => lp(utf8ToBytes(id))),
    ),
  );
}

/** One tier's commitment and what its reveal publishes. Secret until the tier is revealed. */
export interface TierCommitment {
  readonly tierId: string;
  readonly salt: string;
  readonly entryIds: readonly string[];
  readonly winnersHash: string;
}

/** The commitments of a draw's original winners, tier by tier, in draw order. */
export function tierCommitments(serverSeedHex: string, drawId: string, winners: readonly TierWinners[]): TierCommitment[] {
  return winners.map((t) => {
    const salt = tierSalt(serverSeedHex, drawId, t.tierId);
    return { tierId: t.tierId, salt, entryIds: [...t.entryIds], winnersHash: tierWinnersHash(salt, drawId, t.tierId, t.entryIds) };
  });
}
