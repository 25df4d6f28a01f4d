/**
 * Server side: runs a draw and assembles its proof bundle with exactly the functions the verifier
 * uses, so what the server publishes is what anyone recomputes.
 */
import { bytesToHex, fromHex } from "./bytes.js";
import type { AuditRecord } from "./audit.js";
import type { BeaconProof, ProofBundle } from "./bundle.js";
import { ALGORITHM_VERSION, ID_PATTERN } from "./constants.js";
import { sortEntries, type Entry } from "./entries.js";
import { merkleRoot } from "./merkle.js";
import { applyRedraws, type RedrawRequest } from "./redraw.js";
import { commitToSeed, deriveDrawSeed } from "./seed.js";
import { drawWinners, tierListProblem, type TierSpec, type TierWinners } from "./select.js";

/** What the server publishes at close: the count and root over the sorted entries. */
export function closeEntries(entries: readonly Entry[], weighted: boolean): { entries: Entry[]; entrantCount: number; merkleRoot: string } {
  const sorted = sortEntries(entries);
  if (!weighted && sorted.some((e) => e.tickets !== 1)) throw new Error("tickets must be 1 in an unweighted draw");
  return { entries: sorted, entrantCount: sorted.length, merkleRoot: merkleRoot(sorted, weighted) };
}

export interface DrawInput {
  readonly drawId: string;
  readonly serverSeed: string;
  readonly weighted: boolean;
  /** In any order; they are sorted here. */
  readonly entries: readonly Entry[];
  readonly tiers: readonly TierSpec[];
  /** Randomness of the verified beacon round named at open, or null. */
  readonly beaconRandomness: string | null;
}

export interface DrawOutcome {
  readonly entries: Entry[];
  readonly entrantCount: number;
  readonly merkleRoot: string;
  readonly drawSeed: string;
  readonly winners: TierWinners[];
}

/** Picks the winners of a closed draw. */
export function computeDraw(input: DrawInput): DrawOutcome {
  if (!ID_PATTERN.test(input.drawId)) throw new Error(`drawId ${input.drawId} is not a valid id`);
  const tierProblem = tierListProblem(input.tiers);
  if (tierProblem) throw new Error(tierProblem);
  const closed = closeEntries(input.entries, input.weighted);
  const seed = deriveDrawSeed({
    serverSeed: input.serverSeed,
    drawId: input.drawId,
    merkleRoot: closed.merkleRoot,
    beaconRandomness: input.beaconRandomness,
  });
  return { ...closed, drawSeed: bytesToHex(seed), winners: drawWinners(seed, closed.entries, input.tiers, input.weighted) };
}

export interface BundleInput extends Omit<DrawInput, "beaconRandomness"> {
  readonly campaignId: string;
  readonly beacon: BeaconProof | null;
  /** Redraw requests in the order they happened. */
  readonly redraws?: readonly RedrawRequest[];
  /** The campaign's audit log from seq 0 through this draw's records. */
  readonly audit: readonly AuditRecord[];
}

/** Assembles the bundle published after the reveal. */
export function buildProofBundle(input: BundleInput): ProofBundle {
  const outcome = computeDraw({ ...input, beaconRandomness: input.beacon?.randomness ?? null });
  const { redraws } = applyRedraws(fromHex(outcome.drawSeed), outcome.entries, outcome.winners, input.redraws ?? []);
  return {
    version: ALGORITHM_VERSION,
    campaignId: input.campaignId,
    drawId: input.drawId,
    commitment: commitToSeed(input.serverSeed),
    serverSeed: input.serverSeed,
    beacon: input.beacon,
    weighted: input.weighted,
    entrantCount: outcome.entrantCount,
    entries: outcome.entries,
    merkleRoot: outcome.merkleRoot,
    drawSeed: outcome.drawSeed,
    tiers: input.tiers.map((t) => ({ tierId: t.tierId, count: t.count })),
    winners: outcome.winners,
    redraws,
    audit: [...input.audit],
  };
}
