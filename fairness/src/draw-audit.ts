/**
 * The audit records a live draw writes (docs/fairness.md, "Audit records of a draw"), their data
 * builders for the server, and the check that a bundle's audit trail matches the bundle.
 */
import type { AuditRecord } from "./audit.js";
import { canonicalJson, type JsonValue } from "./canonical-json.js";
import type { ProofBundle } from "./bundle.js";

export const DRAW_AUDIT_TYPES = {
  campaignCreated: "campaign.created",
  opened: "draw.opened",
  closed: "draw.closed",
  drawn: "draw.drawn",
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

/** At the draw: the winners per tier, in draw order. */
export function drawDrawnData(b: Pick<ProofBundle, "drawId" | "winners">): Data {
  return { drawId: b.drawId, winners: b.winners.map((w) => ({ tierId: w.tierId, entryIds: [...w.entryIds] })) };
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
 * bundle; one redrawn record per redraw, in order, after the draw; at most one revealed record,
 * after the draw, with the same seed. Returns the problems and the closed record (for the beacon
 * timing check).
 */
export function drawTrailProblems(bundle: ProofBundle, records: readonly AuditRecord[]): { problems: string[]; closed: AuditRecord | null } {
  const problems: string[] = [];
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
  const drawn = single(DRAW_AUDIT_TYPES.drawn, drawDrawnData(bundle), "winners");
  if (opened && closed && !(opened.seq < closed.seq)) problems.push("audit: the draw was closed before it was opened");
  if (closed && drawn && !(closed.seq < drawn.seq)) problems.push("audit: the draw was drawn before it was closed");

  const redrawn = ofType(DRAW_AUDIT_TYPES.redrawn);
  if (redrawn.length !== bundle.redraws.length) {
    problems.push(`audit: ${redrawn.length} "${DRAW_AUDIT_TYPES.redrawn}" record(s) for ${bundle.redraws.length} redraw(s) in the bundle`);
  } else {
    redrawn.forEach((record, i) => {
      if (!matches(dataOf(record)!, drawRedrawnData(bundle.drawId, bundle.redraws[i]!))) {
        problems.push(`audit: the "${DRAW_AUDIT_TYPES.redrawn}" record (seq ${record.seq}) does not match redraw ${i}`);
      }
      if (drawn && record.seq < drawn.seq) problems.push(`audit: redraw ${i} is logged before the draw`);
    });
  }

  const revealed = ofType(DRAW_AUDIT_TYPES.revealed);
  if (revealed.length > 1) problems.push(`audit: ${revealed.length} "${DRAW_AUDIT_TYPES.revealed}" records for one draw`);
  for (const record of revealed) {
    if (!matches(dataOf(record)!, drawRevealedData(bundle))) problems.push(`audit: the "${DRAW_AUDIT_TYPES.revealed}" record (seq ${record.seq}) names another seed`);
    if (drawn && record.seq < drawn.seq) problems.push("audit: the seed was revealed before the draw");
  }
  return { problems, closed };
}
