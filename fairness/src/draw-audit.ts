/**
 * The audit records a live draw writes (docs/fairness.md, "Audit records of a draw"), their data
 * builders for the server, and the check that a bundle's audit trail matches the bundle.
 */
import type { AuditRecord } from "./audit.js";
import { canonicalJson, type JsonValue } from "./canonical-json.js";
import type { ProofBundle } from "./bundle.js";
import { isHex } from "./bytes.js";
import { tierCommitments, tierSalt, tierWinnersHash, type TierCommitment } from "./tier-commitment.js";

export const DRAW_AUDIT_TYPES = {
  campaignCreated: "campaign.created",
  opened: "draw.opened",
  closed: "draw.closed",
  drawn: "draw.drawn",
  tierRevealed: "draw.tier-revealed",
  redrawn: "draw.redrawn",
  revealed: "draw.revealed",
} as const;

type Data = { [key: string]: JsonValue };

/** Data of the log's first record (seq 0): binds the log to its campaign. */
export function campaignCreatedData(campaignId: string): Data {
  return { campaignId };
}

/** At open: the commitment, the algorithm version, the tiers and the beacon round named in advance. */
export function drawOpenedData(b: Pick<ProofBundle, "drawId" | "version" | "commitment" | "weighted" | "tiers"> & {
  beacon: { chainHash: string; round: number } | null;
}): Data {
  return {
    drawId: b.drawId,
    version: b.version,
    commitment: b.commitment,
    weighted: b.weighted,
    tiers: b.tiers.map((t) => ({ tierId: t.tierId, count: t.count })),
    beacon: b.beacon ? { chainHash: b.beacon.chainHash, round: b.beacon.round } : null,
  };
}

/** At close: the entrant count and the Merkle root of the sorted entries. */
export function drawClosedData(b: Pick<ProofBundle, "drawId" | "entrantCount" | "merkleRoot">): Data {
  return { drawId: b.drawId, entrantCount: b.entrantCount, merkleRoot: b.merkleRoot };
}

/**
 * At the draw: a commitment to each tier's winners (tier order), not the winners themselves — a
 * tier's winners are published only by its `draw.tier-revealed` record.
 */
export function drawDrawnData(drawId: string, commitments: readonly Pick<TierCommitment, "tierId" | "winnersHash">[]): Data {
  return { drawId, tiers: commitments.map((c) => ({ tierId: c.tierId, winnersHash: c.winnersHash })) };
}

/** The `draw.drawn` data written before tier commitments: every tier's winners in clear. Verified, with a warning. */
export function drawDrawnClearData(b: Pick<ProofBundle, "drawId" | "winners">): Data {
  return { drawId: b.drawId, winners: b.winners.map((w) => ({ tierId: w.tierId, entryIds: [...w.entryIds] })) };
}

/** At a tier's reveal: its winners (as drawn, before any redraw) and the salt of their commitment. */
export function drawTierRevealedData(drawId: string, c: Pick<TierCommitment, "tierId" | "salt" | "entryIds">): Data {
  return { drawId, tierId: c.tierId, salt: c.salt, entryIds: [...c.entryIds] };
}

/** At each redraw. */
export function drawRedrawnData(drawId: string, r: ProofBundle["redraws"][number]): Data {
  return { drawId, index: r.index, tierId: r.tierId, replaces: r.replaces, entryId: r.entryId };
}

/** At the reveal: the server seed. */
export function drawRevealedData(b: Pick<ProofBundle, "drawId" | "serverSeed">): Data {
  return { drawId: b.drawId, serverSeed: b.serverSeed };
}

function dataOf(record: AuditRecord): Data | null {
  const d = record.data;
  return typeof d === "object" && d !== null && !Array.isArray(d) ? d : null;
}

/** True when every key of `expected` has the same canonical value in `actual` (extra keys allowed). */
function matches(actual: Data, expected: Data): boolean {
  return Object.keys(expected).every((k) => k in actual && canonicalJson(actual[k]) === canonicalJson(expected[k]));
}

/**
 * Problems with the draw's trail in an intact audit chain: the first record creates this campaign;
 * exactly one opened, closed and drawn record for the draw, in that order, each matching the
 * bundle; one tier-revealed record per tier after the draw, whose winners and salt match the
 * bundle and the hash the drawn record committed to; one redrawn record per redraw, in order,
 * after the draw and its tier's reveal; at most one revealed record, after the draw and every
 * tier's reveal, with the same seed. Returns the problems, warnings, the closed record (for the
 * beacon timing check) and the winners each tier's reveal published (checked against the
 * recomputed winners by `verifyBundle`).
 */
export function drawTrailProblems(
  bundle: ProofBundle,
  records: readonly AuditRecord[],
): { problems: string[]; warnings: string[]; closed: AuditRecord | null; revealedLists: Map<string, string[]> } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const revealedLists = new Map<string, string[]>();
  const first = records[0];
  const firstData = first ? dataOf(first) : null;
  if (!first || first.type !== DRAW_AUDIT_TYPES.campaignCreated || !firstData || firstData.campaignId !== bundle.campaignId) {
    problems.push(`audit: the first record must be "${DRAW_AUDIT_TYPES.campaignCreated}" for campaign ${bundle.campaignId}`);
  }
  const mine = records.filter((r) => r.type.startsWith("draw.") && dataOf(r)?.drawId === bundle.drawId);
  const ofType = (type: string): AuditRecord[] => mine.filter((r) => r.type === type);

  const single = (type: string, expected: Data, label: string): AuditRecord | null => {
    const found = ofType(type);
    if (found.length !== 1) {
      problems.push(`audit: expected exactly one "${type}" record for draw ${bundle.drawId}, found ${found.length}`);
      return null;
    }
    const record = found[0]!;
    if (!matches(dataOf(record)!, expected)) problems.push(`audit: the "${type}" record (seq ${record.seq}) does not match the bundle's ${label}`);
    return record;
  };

  const opened = single(DRAW_AUDIT_TYPES.opened, drawOpenedData(bundle), "commitment, version, tiers, weighting or beacon round");
  const closed = single(DRAW_AUDIT_TYPES.closed, drawClosedData(bundle), "entrant count or Merkle root");
  // Written before tier commitments existed, a drawn record named every tier's winners in clear.
  const drawnData = ofType(DRAW_AUDIT_TYPES.drawn).map(dataOf);
  const onlyDrawn = drawnData.length === 1 ? drawnData[0] : null;
  const clear = !!onlyDrawn && "winners" in onlyDrawn && !("tiers" in onlyDrawn);
  const commitments = tierCommitments(bundle.serverSeed, bundle.drawId, bundle.winners);
  const drawn = clear
    ? single(DRAW_AUDIT_TYPES.drawn, drawDrawnClearData(bundle), "winners")
    : single(DRAW_AUDIT_TYPES.drawn, drawDrawnData(bundle.drawId, commitments), "tier commitments (each tier's winners hash)");
  if (clear) warnings.push(`audit: the "${DRAW_AUDIT_TYPES.drawn}" record lists every tier's winners in clear (written before tier commitments); checked against the bundle`);
  if (opened && closed && !(opened.seq < closed.seq)) problems.push("audit: the draw was closed before it was opened");
  if (closed && drawn && !(closed.seq < drawn.seq)) problems.push("audit: the draw was drawn before it was closed");

  const revealed = ofType(DRAW_AUDIT_TYPES.revealed);
  const seedSeq = revealed[0]?.seq;
  const tierRevealSeq = new Map<string, number>();
  const reveals = ofType(DRAW_AUDIT_TYPES.tierRevealed);
  // What the drawn record committed to, by tier (as logged, not as recomputed).
  const committed = new Map<string, unknown>();
  const loggedTiers = drawn ? dataOf(drawn)?.tiers : undefined;
  if (Array.isArray(loggedTiers)) for (const t of loggedTiers) if (t && typeof t === "object" && !Array.isArray(t)) committed.set(String(t.tierId), t.winnersHash);
  for (const tier of bundle.tiers) {
    const found = reveals.filter((r) => dataOf(r)?.tierId === tier.tierId);
    const label = `"${DRAW_AUDIT_TYPES.tierRevealed}" record of tier ${tier.tierId}`;
    if (found.length !== 1) {
      // Bundles of the clear format were checked without these records (they carried only the tier id).
      if (!clear) problems.push(`audit: expected exactly one "${DRAW_AUDIT_TYPES.tierRevealed}" record for tier ${tier.tierId} of draw ${bundle.drawId}, found ${found.length}`);
      continue;
    }
    const record = found[0]!;
    tierRevealSeq.set(tier.tierId, record.seq);
    if (drawn && record.seq < drawn.seq) problems.push(`audit: tier ${tier.tierId} is revealed before the draw`);
    if (seedSeq !== undefined && seedSeq < record.seq) problems.push(`audit: the seed was revealed before tier ${tier.tierId}`);
    if (clear) continue;
    const data = dataOf(record)!;
    const entryIds = data.entryIds;
    if (!isHex(data.salt, 32) || !Array.isArray(entryIds) || !entryIds.every((id) => typeof id === "string")) {
      problems.push(`audit: the ${label} (seq ${record.seq}) must carry { salt: 32 bytes of hex, entryIds: string[] }`);
      continue;
    }
    const ids = entryIds as string[];
    revealedLists.set(tier.tierId, ids);
    if (data.salt !== tierSalt(bundle.serverSeed, bundle.drawId, tier.tierId)) problems.push(`audit: the ${label} (seq ${record.seq}) has a salt not derived from the server seed`);
    if (tierWinnersHash(data.salt, bundle.drawId, tier.tierId, ids) !== committed.get(tier.tierId)) {
      problems.push(`audit: the winners in the ${label} (seq ${record.seq}) do not hash to what "${DRAW_AUDIT_TYPES.drawn}" committed to`);
    }
    const mineInBundle = bundle.winners.find((w) => w.tierId === tier.tierId)?.entryIds ?? [];
    if (canonicalJson(ids) !== canonicalJson([...mineInBundle])) problems.push(`audit: the ${label} (seq ${record.seq}) names other winners than the bundle`);
  }

  const redrawn = ofType(DRAW_AUDIT_TYPES.redrawn);
  if (redrawn.length !== bundle.redraws.length) {
    problems.push(`audit: ${redrawn.length} "${DRAW_AUDIT_TYPES.redrawn}" record(s) for ${bundle.redraws.length} redraw(s) in the bundle`);
  } else {
    redrawn.forEach((record, i) => {
      const redraw = bundle.redraws[i]!;
      if (!matches(dataOf(record)!, drawRedrawnData(bundle.drawId, redraw))) {
        problems.push(`audit: the "${DRAW_AUDIT_TYPES.redrawn}" record (seq ${record.seq}) does not match redraw ${i}`);
      }
      if (drawn && record.seq < drawn.seq) problems.push(`audit: redraw ${i} is logged before the draw`);
      const tierSeq = tierRevealSeq.get(redraw.tierId);
      if (tierSeq !== undefined && record.seq < tierSeq) problems.push(`audit: redraw ${i} is logged before tier ${redraw.tierId} was revealed`);
    });
  }

  if (revealed.length > 1) problems.push(`audit: ${revealed.length} "${DRAW_AUDIT_TYPES.revealed}" records for one draw`);
  for (const record of revealed) {
    if (!matches(dataOf(record)!, drawRevealedData(bundle))) problems.push(`audit: the "${DRAW_AUDIT_TYPES.revealed}" record (seq ${record.seq}) names another seed`);
    if (drawn && record.seq < drawn.seq) problems.push("audit: the seed was revealed before the draw");
  }
  return { problems, warnings, closed, revealedLists };
}
