import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { appendAuditRecord, verifyAuditChain, type AuditRecord } from "./audit.js";
import { canonicalJson } from "./canonical-json.js";

function chain(n: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (let i = 0; i < n; i++) {
    const at = new Date(Date.UTC(2025, 0, 1, 12, 0, i)).toISOString();
    records.push(appendAuditRecord(records.at(-1) ?? null, i === 0 ? "campaign.created" : "campaign.updated", at, { campaignId: "c1", step: i }));
  }
  return records;
}

describe("canonical JSON", () => {
  it("sorts keys, drops whitespace and escapes like JSON.stringify (RFC 8785)", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], c: { z: -0, y: 1.5e-7 } })).toBe('{"a":[true,null,"x"],"b":1,"c":{"y":1.5e-7,"z":0}}');
    expect(canonicalJson({ "é": "\u2028\"\\", A: "张*" })).toBe('{"A":"张*","é":"\u2028\\"\\\\"}');
  });

  it("refuses what has no single JSON form", () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, undefined, 1n, new Date(0), { a: undefined }, "\ud800"]) {
      expect(() => canonicalJson(bad)).toThrow(TypeError);
    }
  });
});

describe("audit chain", () => {
  it("starts at seq 0 from 64 zeros and hashes the canonical JSON of the record without its hash", () => {
    const [first, second] = chain(2);
    expect(first!.seq).toBe(0);
    expect(first!.prevHash).toBe("0".repeat(64));
    const body = canonicalJson({ seq: 0, type: first!.type, at: first!.at, data: first!.data, prevHash: first!.prevHash });
    expect(first!.hash).toBe(createHash("sha256").update(body, "utf8").digest("hex"));
    expect(second!.seq).toBe(1);
    expect(second!.prevHash).toBe(first!.hash);
  });

  it("verifies an intact chain and returns its head", () => {
    const records = chain(6);
    expect(verifyAuditChain(records)).toEqual({ ok: true, count: 6, head: records[5]!.hash });
    expect(verifyAuditChain([])).toEqual({ ok: true, count: 0, head: "0".repeat(64) });
  });

  it("reports the first broken seq when data, a hash, the order or a link is altered", () => {
    const records = chain(6);
    const withData = records.map((r, i) => (i === 3 ? { ...r, data: { campaignId: "c1", step: 99 } } : r));
    expect(verifyAuditChain(withData)).toMatchObject({ ok: false, brokenSeq: 3 });

    // re-hashing the altered record does not help: the next record's link breaks
    const rehashed = withData.map((r, i) => (i === 3 ? appendAuditRecord(records[2]!, r.type, r.at, r.data) : r));
    expect(verifyAuditChain(rehashed)).toMatchObject({ ok: false, brokenSeq: 4 });

    const dropped = [...records.slice(0, 2), ...records.slice(3)];
    expect(verifyAuditChain(dropped)).toMatchObject({ ok: false, brokenSeq: 2 });

    const swapped = [records[0]!, records[2]!, records[1]!, ...records.slice(3)];
    expect(verifyAuditChain(swapped)).toMatchObject({ ok: false, brokenSeq: 1 });

    const extra = records.map((r, i) => (i === 5 ? { ...r, note: "x" } : r));
    expect(verifyAuditChain(extra)).toMatchObject({ ok: false, brokenSeq: 5 });
  });

  it("refuses bad types, bad times and time going backwards", () => {
    const [first] = chain(1);
    expect(() => appendAuditRecord(first!, "Bad Type", "2025-01-01T13:00:00.000Z", null)).toThrow(/type/);
    expect(() => appendAuditRecord(first!, "x", "2025-01-01 13:00", null)).toThrow(/time/);
    expect(() => appendAuditRecord(first!, "x", "2024-01-01T00:00:00.000Z", null)).toThrow(/earlier/);
  });
});
