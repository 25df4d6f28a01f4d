/**
 * The proof bundle published after a draw's reveal (docs/fairness.md, "Proof bundle"), and a
 * hand-written shape check for bundles read from JSON. Shape only: whether the numbers add up is
 * `verifyBundle`'s job.
 */
import { isHex } from "./bytes.js";
import type { AuditRecord } from "./audit.js";
import { ALGORITHM_VERSION, ID_PATTERN, type AlgorithmVersion } from "./constants.js";
import type { Entry } from "./entries.js";
import type { TierSpec, TierWinners } from "./select.js";

export interface BeaconProof {
  /** Hex hash of the drand chain. */
  readonly chainHash: string;
  /** The round named when the draw opened. */
  readonly round: number;
  /** Hex BLS signature of the round. */
  readonly signature: string;
  /** Hex previous signature; chained schemes only. */
  readonly previousSignature?: string;
  /** Hex SHA-256 of the signature. */
  readonly randomness: string;
}

export interface RedrawRecord {
  readonly index: number;
  readonly tierId: string;
  readonly replaces: string;
  readonly entryId: string | null;
}

export interface ProofBundle {
  readonly version: AlgorithmVersion;
  readonly campaignId: string;
  readonly drawId: string;
  /** hex(SHA-256(serverSeed)), published at open. */
  readonly commitment: string;
  /** Hex 32-byte server seed, revealed after the draw. */
  readonly serverSeed: string;
  readonly beacon: BeaconProof | null;
  readonly weighted: boolean;
  readonly entrantCount: number;
  /** Sorted by id; tickets are 1 in unweighted draws. */
  readonly entries: readonly Entry[];
  readonly merkleRoot: string;
  /** Hex draw seed (recomputable; included so a reader can check each step). */
  readonly drawSeed: string;
  readonly tiers: readonly TierSpec[];
  /** The original draw's winners, tier by tier, in draw order. */
  readonly winners: readonly TierWinners[];
  readonly redraws: readonly RedrawRecord[];
  /** The campaign's audit log from seq 0 through this draw's records. */
  readonly audit: readonly AuditRecord[];
}

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNat(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

export function isId(value: unknown): value is string {
  return typeof value === "string" && ID_PATTERN.test(value);
}

export type BundleParse = { ok: true; bundle: ProofBundle } | { ok: false; problems: string[] };

/** Checks that `raw` has the shape of a {@link ProofBundle}; lists every field that does not. */
export function parseProofBundle(raw: unknown): BundleParse {
  const problems: string[] = [];
  const bad = (message: string): void => void problems.push(message);
  if (!isObj(raw)) return { ok: false, problems: ["the bundle must be a JSON object"] };

  if (raw.version !== ALGORITHM_VERSION) bad(`version must be "${ALGORITHM_VERSION}" (got ${JSON.stringify(raw.version)})`);
  if (!isId(raw.campaignId)) bad("campaignId must be an id (letters, digits, _ . : -)");
  if (!isId(raw.drawId)) bad("drawId must be an id (letters, digits, _ . : -)");
  if (!isHex(raw.commitment, 32)) bad("commitment must be 32 bytes of lower-case hex");
  if (!isHex(raw.serverSeed, 32)) bad("serverSeed must be 32 bytes of lower-case hex");
  if (typeof raw.weighted !== "boolean") bad("weighted must be true or false");
  if (!isNat(raw.entrantCount)) bad("entrantCount must be a non-negative integer");
  if (!isHex(raw.merkleRoot, 32)) bad("merkleRoot must be 32 bytes of lower-case hex");
  if (!isHex(raw.drawSeed, 32)) bad("drawSeed must be 32 bytes of lower-case hex");

  if (raw.beacon !== null) {
    const b = raw.beacon;
    if (!isObj(b)) bad("beacon must be an object or null");
    else {
      if (!isHex(b.chainHash, 32)) bad("beacon.chainHash must be 32 bytes of lower-case hex");
      if (!(isNat(b.round) && b.round >= 1)) bad("beacon.round must be a positive integer");
      if (typeof b.signature !== "string" || !/^(?:[0-9a-f]{2})+$/.test(b.signature)) bad("beacon.signature must be lower-case hex");
      if (b.previousSignature !== undefined && (typeof b.previousSignature !== "string" || !/^(?:[0-9a-f]{2})+$/.test(b.previousSignature))) {
        bad("beacon.previousSignature must be lower-case hex when present");
      }
      if (!isHex(b.randomness, 32)) bad("beacon.randomness must be 32 bytes of lower-case hex");
    }
  }

  if (!Array.isArray(raw.entries)) bad("entries must be an array");
  else
    raw.entries.forEach((e: unknown, i) => {
      if (!isObj(e) || typeof e.id !== "string" || typeof e.tickets !== "number") bad(`entries[${i}] must be { id: string, tickets: number }`);
    });

  if (!Array.isArray(raw.tiers)) bad("tiers must be an array");
  else
    raw.tiers.forEach((t: unknown, i) => {
      if (!isObj(t) || !isId(t.tierId) || !(isNat(t.count) && t.count >= 1)) bad(`tiers[${i}] must be { tierId: id, count: positive integer }`);
    });

  if (!Array.isArray(raw.winners)) bad("winners must be an array");
  else
    raw.winners.forEach((w: unknown, i) => {
      if (!isObj(w) || !isId(w.tierId) || !Array.isArray(w.entryIds) || !w.entryIds.every((id) => typeof id === "string")) {
        bad(`winners[${i}] must be { tierId: id, entryIds: string[] }`);
      }
    });

  if (!Array.isArray(raw.redraws)) bad("redraws must be an array");
  else
    raw.redraws.forEach((r: unknown, i) => {
      if (!isObj(r) || !isNat(r.index) || !isId(r.tierId) || typeof r.replaces !== "string" || !(r.entryId === null || typeof r.entryId === "string")) {
        bad(`redraws[${i}] must be { index, tierId, replaces, entryId: string | null }`);
      }
    });

  if (!Array.isArray(raw.audit)) bad("audit must be an array of audit records");

  return problems.length > 0 ? { ok: false, problems } : { ok: true, bundle: raw as unknown as ProofBundle };
}
