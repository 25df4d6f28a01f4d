/** Verifiable live draws: the algorithm, the verifier and the server-side helpers (docs/fairness.md). */
export { ALGORITHM_VERSION, DOMAIN, GENESIS_HASH, ENTRY_ID_PATTERN, ID_PATTERN, MAX_TICKETS, type AlgorithmVersion } from "./constants.js";
export { canonicalJson, isJsonValue, type JsonValue } from "./canonical-json.js";
export { compareIds, sortEntries, entryListProblem, isEntryId, type Entry } from "./entries.js";
export { leafHash, merkleRoot, inclusionProof, verifyInclusionProof, type InclusionProof } from "./merkle.js";
export { generateServerSeed, commitToSeed, deriveDrawSeed, pseudonymousEntryId, type DrawSeedInput } from "./seed.js";
export { DrawRng } from "./rng.js";
export { drawWinners, pickWeighted, tierListProblem, type TierSpec, type TierWinners } from "./select.js";
export { applyRedraws, redrawSeed, type RedrawRequest, type RedrawResult } from "./redraw.js";
export {
  verifyDrandBeacon,
  parseDrandChainInfo,
  drandRoundTime,
  DRAND_QUICKNET,
  DRAND_MAINNET_DEFAULT,
  KNOWN_DRAND_CHAINS,
  DRAND_SCHEMES,
  type DrandChain,
  type DrandScheme,
  type DrandVerification,
} from "./drand.js";
export { appendAuditRecord, verifyAuditChain, auditRecordHash, type AuditRecord, type AuditChainVerification } from "./audit.js";
export {
  DRAW_AUDIT_TYPES,
  campaignCreatedData,
  drawOpenedData,
  drawClosedData,
  drawDrawnData,
  drawDrawnClearData,
  drawTierRevealedData,
  drawRedrawnData,
  drawRevealedData,
} from "./draw-audit.js";
export { tierSalt, tierWinnersHash, tierCommitments, type TierCommitment } from "./tier-commitment.js";
export { parseProofBundle, type ProofBundle, type BeaconProof, type RedrawRecord, type BundleParse } from "./bundle.js";
export { closeEntries, computeDraw, buildProofBundle, type DrawInput, type DrawOutcome, type BundleInput } from "./prove.js";
export { verifyBundle, checkEntry, type VerifyOptions, type VerifyResult, type Recomputed } from "./verify.js";
export { fromHex, bytesToHex } from "./bytes.js";
