/**
 * Seeds (docs/fairness.md, "Commitment", "Draw seed", "Entry ids"): the server seed and its
 * commitment, the draw seed every winner is derived from, and the server-side pseudonymous entry id.
 */
import { randomBytes } from "@noble/hashes/utils.js";
import { bytesToHex, concatBytes, fromHex, hmacSha256, lp, sha256Hex, utf8ToBytes } from "./bytes.js";
import { ALGORITHM_VERSION, DOMAIN } from "./constants.js";

/** 32 fresh random bytes as hex, from the platform CSPRNG (`crypto.getRandomValues`). Server side. */
export function generateServerSeed(): string {
  return bytesToHex(randomBytes(32));
}

/** commitment = hex(SHA-256(serverSeed bytes)). Published when the draw opens. */
export function commitToSeed(serverSeedHex: string): string {
  return sha256Hex(fromHex(serverSeedHex, 32));
}

export interface DrawSeedInput {
  readonly serverSeed: string;
  readonly drawId: string;
  readonly merkleRoot: string;
  /** Hex randomness of the beacon round named at open, or null when the draw uses no beacon. */
  readonly beaconRandomness: string | null;
  readonly version?: string;
}

/**
 * drawSeed = HMAC-SHA256(key = serverSeed, msg = lp("livedraw/seed/v1") || lp(version) ||
 * lp(drawId) || lp(merkleRoot) || lp(beaconRandomness or empty)), lp(x) = be32(len(x)) || x.
 */
export function deriveDrawSeed(input: DrawSeedInput): Uint8Array {
  const message = concatBytes(
    lp(utf8ToBytes(DOMAIN.seed)),
    lp(utf8ToBytes(input.version ?? ALGORITHM_VERSION)),
    lp(utf8ToBytes(input.drawId)),
    lp(fromHex(input.merkleRoot, 32)),
    lp(input.beaconRandomness === null ? new Uint8Array(0) : fromHex(input.beaconRandomness, 32)),
  );
  return hmacSha256(fromHex(input.serverSeed, 32), message);
}

/**
 * Server side: the pseudonymous id of a player's entry in one draw,
 * hex(HMAC-SHA256(key = secretKey, msg = lp("livedraw/entry-id/v1") || lp(drawId) || lp(playerId))).
 * The key never leaves the server; the player is told their own entry id when the entry is
 * acknowledged, so they can find it in the published list and check its inclusion proof.
 */
export function pseudonymousEntryId(secretKey: Uint8Array, drawId: string, playerId: string): string {
  if (secretKey.length < 32) throw new Error("the entry-id key must be at least 32 bytes");
  return bytesToHex(
    hmacSha256(secretKey, concatBytes(lp(utf8ToBytes(DOMAIN.entryId)), lp(utf8ToBytes(drawId)), lp(utf8ToBytes(playerId)))),
  );
}
