/**
 * The per-campaign append-only audit log (docs/fairness.md, "Audit log"). Each record is
 * { seq, type, at, data, prevHash, hash } with hash = hex(SHA-256(utf8(canonicalJson of the record
 * without `hash`))); the first record has seq 0 and prevHash = 64 zeros; each next record has
 * seq + 1, prevHash = the previous hash, and an `at` no earlier than the previous one.
 */
import { sha256Hex, utf8ToBytes, isHex } from "./bytes.js";
import { canonicalJson, isJsonValue, type JsonValue } from "./canonical-json.js";
import { GENESIS_HASH } from "./constants.js";

export interface AuditRecord {
  readonly seq: number;
  /** What happened, e.g. "draw.opened", "campaign.updated". */
  readonly type: string;
  /** UTC time as `Date.prototype.toISOString()` writes it: YYYY-MM-DDTHH:mm:ss.sssZ. */
  readonly at: string;
  readonly data: JsonValue;
  readonly prevHash: string;
  readonly hash: string;
}

export const AUDIT_TYPE_PATTERN = /^[a-z][a-z0-9_.-]{0,63}$/;
export const AUDIT_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** hex(SHA-256(utf8(canonicalJson({ at, data, prevHash, seq, type })))). */
export function auditRecordHash(record: Omit<AuditRecord, "hash">): string {
  const { seq, type, at, data, prevHash } = record;
  return sha256Hex(utf8ToBytes(canonicalJson({ seq, type, at, data, prevHash })));
}

/** Builds the record that follows `prev` (or the first record when `prev` is null). */
export function appendAuditRecord(prev: AuditRecord | null, type: string, at: Date | string, data: JsonValue): AuditRecord {
  const time = typeof at === "string" ? at : at.toISOString();
  if (!AUDIT_TYPE_PATTERN.test(type)) throw new Error(`audit type ${JSON.stringify(type)} must match ${AUDIT_TYPE_PATTERN}`);
  if (!AUDIT_TIME_PATTERN.test(time) || Number.isNaN(Date.parse(time))) throw new Error(`audit time ${time} is not YYYY-MM-DDTHH:mm:ss.sssZ`);
  if (prev && time < prev.at) throw new Error(`audit time ${time} is earlier than the previous record's ${prev.at}`);
  if (!isJsonValue(data)) throw new Error("audit data must be canonical-JSON-encodable");
  const unsigned = { seq: prev ? prev.seq + 1 : 0, type, at: time, data, prevHash: prev ? prev.hash : GENESIS_HASH };
  return { ...unsigned, hash: auditRecordHash(unsigned) };
}

export type AuditChainVerification =
  | { ok: true; count: number; head: string }
  | { ok: false; brokenSeq: number; reason: string };

/**
 * Checks a whole chain from seq 0. On failure, `brokenSeq` is the seq the first bad record has (or
 * should have had): every record before it is intact.
 */
export function verifyAuditChain(records: readonly unknown[]): AuditChainVerification {
  let prevHash = GENESIS_HASH;
  let prevAt = "";
  for (let i = 0; i < records.length; i++) {
    const problem = recordProblem(records[i], i, prevHash, prevAt);
    if (problem) return { ok: false, brokenSeq: i, reason: problem };
    const record = records[i] as AuditRecord;
    prevHash = record.hash;
    prevAt = record.at;
  }
  return { ok: true, count: records.length, head: prevHash };
}

function recordProblem(raw: unknown, expectedSeq: number, prevHash: string, prevAt: string): string | null {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return "not an object";
  const r = raw as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => !["seq", "type", "at", "data", "prevHash", "hash"].includes(k));
  if (extra.length > 0) return `unexpected field(s) ${extra.join(", ")}`;
  if (r.seq !== expectedSeq) return `seq is ${JSON.stringify(r.seq)}, expected ${expectedSeq}`;
  if (typeof r.type !== "string" || !AUDIT_TYPE_PATTERN.test(r.type)) return "bad type";
  if (typeof r.at !== "string" || !AUDIT_TIME_PATTERN.test(r.at) || Number.isNaN(Date.parse(r.at))) return "bad time";
  if (r.at < prevAt) return `time ${r.at} is earlier than the previous record's ${prevAt}`;
  if (!("data" in r) || !isJsonValue(r.data)) return "data is missing or not canonical JSON";
  if (r.prevHash !== prevHash) return "prevHash does not match the previous record's hash";
  if (!isHex(r.hash, 32)) return "hash is not 32 bytes of lower-case hex";
  const expected = auditRecordHash({ seq: expectedSeq, type: r.type, at: r.at, data: r.data, prevHash });
  if (r.hash !== expected) return "hash does not match the record's contents";
  return null;
}
