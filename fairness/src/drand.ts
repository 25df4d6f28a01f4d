/**
 * drand beacon verification (docs/fairness.md, "Public randomness beacon"), pure JS with
 * `@noble/curves`. Supported schemes:
 * - `bls-unchained-g1-rfc9380` (quicknet): signature on G1 (48 bytes), public key on G2 (96 bytes),
 *   message SHA-256(be64(round)), DST "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_".
 * - `pedersen-bls-chained` (the "default" mainnet chain): signature on G2 (96 bytes), public key on
 *   G1 (48 bytes), message SHA-256(previous_signature || be64(round)),
 *   DST "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_".
 * - `pedersen-bls-unchained`: as the chained scheme with message SHA-256(be64(round)).
 * In every scheme the beacon's randomness is SHA-256(signature).
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { be64, bytesToHex, concatBytes, fromHex, isHex, sha256Bytes } from "./bytes.js";

export const DRAND_SCHEMES = ["bls-unchained-g1-rfc9380", "pedersen-bls-chained", "pedersen-bls-unchained"] as const;
export type DrandScheme = (typeof DRAND_SCHEMES)[number];

const DST_G1 = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";
const DST_G2 = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_";

/** A chain's parameters, normalised from drand's `/info` (v1 or v2 field names). */
export interface DrandChain {
  readonly scheme: DrandScheme;
  /** Hex compressed public key. */
  readonly publicKey: string;
  /** Hex chain hash, when known. */
  readonly hash?: string;
  /** Seconds between rounds, when known. */
  readonly period?: number;
  /** Unix seconds of round 1, when known. */
  readonly genesisTime?: number;
  /** The chain's beacon id ("quicknet", "default"), when known. */
  readonly beaconId?: string;
}

/** drand's League of Entropy "quicknet" chain (3 s, unchained, G1 signatures). */
export const DRAND_QUICKNET: DrandChain = Object.freeze({
  scheme: "bls-unchained-g1-rfc9380",
  publicKey:
    "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
  hash: "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
  period: 3,
  genesisTime: 1692803367,
  beaconId: "quicknet",
});

/** drand's League of Entropy "default" mainnet chain (30 s, chained, G2 signatures). */
export const DRAND_MAINNET_DEFAULT: DrandChain = Object.freeze({
  scheme: "pedersen-bls-chained",
  publicKey: "868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31",
  hash: "8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce",
  period: 30,
  genesisTime: 1595431050,
  beaconId: "default",
});

/** Chains the verifier knows by hash, so a bundle naming one needs no `--chain-info`. */
export const KNOWN_DRAND_CHAINS: Readonly<Record<string, DrandChain>> = Object.freeze({
  [DRAND_QUICKNET.hash!]: DRAND_QUICKNET,
  [DRAND_MAINNET_DEFAULT.hash!]: DRAND_MAINNET_DEFAULT,
});

function isScheme(value: unknown): value is DrandScheme {
  return typeof value === "string" && (DRAND_SCHEMES as readonly string[]).includes(value);
}

function field(record: Record<string, unknown>, ...names: string[]): unknown {
  for (const name of names) if (record[name] !== undefined) return record[name];
  return undefined;
}

/**
 * Reads drand chain info as served by `/info` (v1: `public_key`, `schemeID`, `hash`, `period`,
 * `genesis_time`; v2: `scheme`, `chain_hash`) or as a {@link DrandChain}. Returns a reason string
 * when it cannot be used.
 */
export function parseDrandChainInfo(raw: unknown): DrandChain | string {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return "chain info must be a JSON object";
  const record = raw as Record<string, unknown>;
  const scheme = field(record, "scheme", "schemeID");
  const publicKey = field(record, "publicKey", "public_key");
  const hash = field(record, "hash", "chain_hash");
  const period = field(record, "period");
  const genesisTime = field(record, "genesisTime", "genesis_time");
  const metadata = record.metadata;
  const beaconId = field(record, "beaconId", "beacon_id") ?? (typeof metadata === "object" && metadata !== null ? (metadata as Record<string, unknown>).beaconID : undefined);
  if (!isScheme(scheme)) return `unsupported drand scheme ${JSON.stringify(scheme)} (supported: ${DRAND_SCHEMES.join(", ")})`;
  const keyBytes = scheme === "bls-unchained-g1-rfc9380" ? 96 : 48;
  if (!isHex(publicKey, keyBytes)) return `public key must be ${keyBytes} bytes of lower-case hex for ${scheme}`;
  if (hash !== undefined && !isHex(hash, 32)) return "chain hash must be 32 bytes of lower-case hex";
  if (period !== undefined && !(Number.isSafeInteger(period) && (period as number) > 0)) return "period must be a positive integer";
  if (genesisTime !== undefined && !(Number.isSafeInteger(genesisTime) && (genesisTime as number) > 0)) {
    return "genesis time must be a positive integer";
  }
  return {
    scheme,
    publicKey,
    ...(hash !== undefined ? { hash: hash as string } : {}),
    ...(period !== undefined ? { period: period as number } : {}),
    ...(genesisTime !== undefined ? { genesisTime: genesisTime as number } : {}),
    ...(typeof beaconId === "string" ? { beaconId } : {}),
  };
}

export type DrandVerification = { ok: true; randomness: string } | { ok: false; reason: string };

/**
 * Verifies a beacon's BLS signature against the chain's public key and returns its randomness
 * (hex SHA-256 of the signature). `previousSignatureHex` is required for chained schemes only.
 * A forged or altered signature, another round's signature, or another chain's key is rejected.
 */
export function verifyDrandBeacon(
  chainInfo: DrandChain | unknown,
  round: number,
  signatureHex: string,
  previousSignatureHex?: string | null,
): DrandVerification {
  const chain = parseDrandChainInfo(chainInfo);
  if (typeof chain === "string") return { ok: false, reason: chain };
  if (!Number.isSafeInteger(round) || round < 1) return { ok: false, reason: "round must be a positive integer" };
  const sigBytes = chain.scheme === "bls-unchained-g1-rfc9380" ? 48 : 96;
  if (!isHex(signatureHex, sigBytes)) return { ok: false, reason: `signature must be ${sigBytes} bytes of lower-case hex` };
  const signature = fromHex(signatureHex);
  const publicKey = fromHex(chain.publicKey);
  let valid: boolean;
  try {
    if (chain.scheme === "bls-unchained-g1-rfc9380") {
      const bls = bls12_381.shortSignatures;
      valid = bls.verify(signature, bls.hash(sha256Bytes(be64(round)), DST_G1), publicKey);
    } else {
      let message: Uint8Array;
      if (chain.scheme === "pedersen-bls-chained") {
        if (typeof previousSignatureHex !== "string" || !/^(?:[0-9a-f]{2})+$/.test(previousSignatureHex)) {
          return { ok: false, reason: "a chained beacon needs its previous signature (hex)" };
        }
        message = sha256Bytes(concatBytes(fromHex(previousSignatureHex), be64(round)));
      } else {
        message = sha256Bytes(be64(round));
      }
      const bls = bls12_381.longSignatures;
      valid = bls.verify(signature, bls.hash(message, DST_G2), publicKey);
    }
  } catch (error) {
    return { ok: false, reason: `malformed signature or public key: ${(error as Error).message}` };
  }
  if (!valid) return { ok: false, reason: "the BLS signature does not verify for this round and public key" };
  return { ok: true, randomness: bytesToHex(sha256Bytes(signature)) };
}

/** Unix seconds at which a round is published: genesis + (round − 1) × period; null if unknown. */
export function drandRoundTime(chain: DrandChain, round: number): number | null {
  if (chain.genesisTime === undefined || chain.period === undefined) return null;
  return chain.genesisTime + (round - 1) * chain.period;
}
