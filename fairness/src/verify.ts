/**
 * The bundle verifier (docs/fairness.md, "Verifying a draw"): recomputes everything in a proof
 * bundle — commitment, entrant list and Merkle root, beacon signature, draw seed, winners, redraws
 * and the audit trail — and lists every problem found. Pure JS; no network, no node:crypto.
 */
import { verifyAuditChain } from "./audit.js";
import { bytesToHex, fromHex, sha256Hex } from "./bytes.js";
import { parseProofBundle, type ProofBundle } from "./bundle.js";
import { canonicalJson } from "./canonical-json.js";
import { drawTrailProblems } from "./draw-audit.js";
import { drandRoundTime, KNOWN_DRAND_CHAINS, parseDrandChainInfo, verifyDrandBeacon, type DrandChain } from "./drand.js";
import { entryListProblem } from "./entries.js";
import { inclusionProof, merkleRoot, verifyInclusionProof, type InclusionProof } from "./merkle.js";
import { applyRedraws } from "./redraw.js";
import { commitToSeed, deriveDrawSeed } from "./seed.js";
import { drawWinners, tierListProblem, type TierWinners } from "./select.js";

export interface VerifyOptions {
  /**
   * drand chain info (`/info` JSON or a DrandChain) to check the beacon against. Defaults to the
   * built-in chain with the bundle's chain hash (quicknet, default mainnet).
   */
  readonly chainInfo?: unknown;
  /** Fail bundles without a beacon. @default false */
  readonly requireBeacon?: boolean;
}

export interface Recomputed {
  readonly drawSeed: string;
  /** The original draw's winners, per tier. */
  readonly winners: readonly TierWinners[];
  /** Winners after the redraws, per tier. */
  readonly finalWinners: readonly TierWinners[];
}

export type VerifyResult =
  | { ok: true; warnings: string[]; recomputed: Recomputed }
  | { ok: false; problems: string[]; warnings: string[]; recomputed?: Recomputed };

export function verifyBundle(input: unknown, options: VerifyOptions = {}): VerifyResult {
  const parsed = parseProofBundle(input);
  if (!parsed.ok) return { ok: false, problems: parsed.problems, warnings: [] };
  const bundle = parsed.bundle;
  const problems: string[] = [];
  const warnings: string[] = [];

  if (commitToSeed(bundle.serverSeed) !== bundle.commitment) {
    problems.push("commitment: SHA-256 of the revealed server seed is not the commitment published at open");
  }

  const entryProblem = entryListProblem(bundle.entries, bundle.weighted);
  if (entryProblem) problems.push(`entries: ${entryProblem}`);
  if (bundle.entrantCount !== bundle.entries.length) {
    problems.push(`entries: entrantCount is ${bundle.entrantCount} but ${bundle.entries.length} entries are listed`);
  }
  if (!entryProblem && merkleRoot(bundle.entries, bundle.weighted) !== bundle.merkleRoot) {
    problems.push("merkle: the root of the listed entries is not the published merkleRoot");
  }

  const trail = checkAudit(bundle, problems, warnings);
  const closedAt = trail.closedAt;
  checkBeacon(bundle, options, closedAt, problems, warnings);

  const tierProblem = tierListProblem(bundle.tiers);
  if (tierProblem) problems.push(`tiers: ${tierProblem}`);
  if (entryProblem || tierProblem) return { ok: false, problems, warnings };

  const seed = deriveDrawSeed({
    serverSeed: bundle.serverSeed,
    drawId: bundle.drawId,
    merkleRoot: bundle.merkleRoot,
    beaconRandomness: bundle.beacon?.randomness ?? null,
    version: bundle.version,
  });
  const drawSeed = bytesToHex(seed);
  if (drawSeed !== bundle.drawSeed) problems.push("seed: the draw seed derived from the server seed, Merkle root and beacon differs from drawSeed");

  const winners = drawWinners(seed, bundle.entries, bundle.tiers, bundle.weighted);
  if (canonicalJson(tiersJson(winners)) !== canonicalJson(tiersJson(bundle.winners))) {
    for (const [i, tier] of winners.entries()) {
      const claimed = bundle.winners[i];
      if (!claimed || claimed.tierId !== tier.tierId || claimed.entryIds.join(",") !== tier.entryIds.join(",")) {
        problems.push(`winners: tier ${tier.tierId} recomputes to [${tier.entryIds.join(", ")}], the bundle says [${claimed?.entryIds.join(", ") ?? "nothing"}]`);
      }
    }
    if (bundle.winners.length !== winners.length) problems.push(`winners: ${bundle.winners.length} tiers listed, ${winners.length} configured`);
  }

  // Each tier's reveal record published its winners: they must be the recomputed ones.
  for (const tier of winners) {
    const published = trail.revealedLists.get(tier.tierId);
    if (published && published.join(",") !== tier.entryIds.join(",")) {
      problems.push(`audit: the reveal of tier ${tier.tierId} published [${published.join(", ")}], the tier recomputes to [${tier.entryIds.join(", ")}]`);
    }
  }

  let finalWinners: TierWinners[] = winners;
  try {
    const applied = applyRedraws(seed, bundle.entries, winners, bundle.redraws);
    finalWinners = applied.finalWinners;
    applied.redraws.forEach((r, i) => {
      const claimed = bundle.redraws[i]!;
      if (claimed.index !== i) problems.push(`redraws: redraw ${i} is numbered ${claimed.index}`);
      if (claimed.entryId !== r.entryId) problems.push(`redraws: redraw ${i} (tier ${r.tierId}) recomputes to ${r.entryId ?? "nobody"}, the bundle says ${claimed.entryId ?? "nobody"}`);
    });
  } catch (error) {
    problems.push(`redraws: ${(error as Error).message}`);
  }

  const recomputed: Recomputed = { drawSeed, winners, finalWinners };
  return problems.length > 0 ? { ok: false, problems, warnings, recomputed } : { ok: true, warnings, recomputed };
}

function tiersJson(tiers: readonly TierWinners[]): { tierId: string; entryIds: string[] }[] {
  return tiers.map((t) => ({ tierId: t.tierId, entryIds: [...t.entryIds] }));
}

/** Checks the audit chain and the draw's trail; returns the close time (ms) when known and each tier's published winners. */
function checkAudit(bundle: ProofBundle, problems: string[], warnings: string[]): { closedAt: number | null; revealedLists: Map<string, string[]> } {
  const chain = verifyAuditChain(bundle.audit);
  if (!chain.ok) {
    problems.push(`audit: the chain breaks at seq ${chain.brokenSeq}: ${chain.reason}`);
    return { closedAt: null, revealedLists: new Map() };
  }
  const trail = drawTrailProblems(bundle, bundle.audit);
  problems.push(...trail.problems);
  warnings.push(...trail.warnings);
  return { closedAt: trail.closed ? Date.parse(trail.closed.at) : null, revealedLists: trail.revealedLists };
}

function checkBeacon(bundle: ProofBundle, options: VerifyOptions, closedAt: number | null, problems: string[], warnings: string[]): void {
  const beacon = bundle.beacon;
  if (!beacon) {
    if (options.requireBeacon) problems.push("beacon: this draw used no public randomness beacon");
    return;
  }
  if (sha256Hex(fromHex(beacon.signature)) !== beacon.randomness) problems.push("beacon: randomness is not SHA-256 of the signature");
  let chain: DrandChain | undefined;
  if (options.chainInfo !== undefined) {
    const parsed = parseDrandChainInfo(options.chainInfo);
    if (typeof parsed === "string") {
      problems.push(`beacon: chain info: ${parsed}`);
      return;
    }
    chain = parsed;
  } else {
    chain = KNOWN_DRAND_CHAINS[beacon.chainHash];
  }
  if (!chain) {
    warnings.push(`beacon: chain ${beacon.chainHash} is not built in; pass its chain info to check the signature`);
    return;
  }
  if (chain.hash !== undefined && chain.hash !== beacon.chainHash) {
    problems.push(`beacon: the bundle names chain ${beacon.chainHash}, the chain info is for ${chain.hash}`);
    return;
  }
  const verdict = verifyDrandBeacon(chain, beacon.round, beacon.signature, beacon.previousSignature);
  if (!verdict.ok) problems.push(`beacon: round ${beacon.round}: ${verdict.reason}`);
  const roundTime = drandRoundTime(chain, beacon.round);
  if (roundTime !== null && closedAt !== null && !(roundTime * 1000 > closedAt)) {
    problems.push(`beacon: round ${beacon.round} was published at ${new Date(roundTime * 1000).toISOString()}, not after the draw closed`);
  }
}

/** "Was my entry in the draw?": the entry's inclusion proof against the bundle's Merkle root. */
export function checkEntry(
  bundle: ProofBundle,
  entryId: string,
): { included: false } | { included: true; proof: InclusionProof; proofVerifies: boolean; won: string[] } {
  const proof = inclusionProof(bundle.entries, bundle.weighted, entryId);
  if (!proof) return { included: false };
  const forfeited = (tierId: string): string => {
    const r = bundle.redraws.find((x) => x.tierId === tierId && x.replaces === entryId);
    return r ? ` (forfeited; redraw ${r.index})` : "";
  };
  const won = bundle.winners.filter((t) => t.entryIds.includes(entryId)).map((t) => `${t.tierId}${forfeited(t.tierId)}`);
  for (const r of bundle.redraws) if (r.entryId === entryId) won.push(`${r.tierId} (redraw ${r.index})${forfeited(r.tierId)}`);
  return { included: true, proof, proofVerifies: verifyInclusionProof(proof, bundle.merkleRoot), won };
}
