/**
 * The worked example of docs/fairness.md ("Proof bundle") as a reader finds it: the JSON block taken
 * from the document verifies with `verifyBundle` (no warnings: its log uses tier commitments), and
 * the tier commitments quoted under "Tier commitments" are the ones in its log.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { verifyBundle, type ProofBundle } from "@livedraw/fairness";
import { projectRoot } from "../core/assets.js";

const doc = readFileSync(path.join(projectRoot(), "docs", "fairness.md"), "utf8");

describe("docs/fairness.md worked example", () => {
  const start = doc.indexOf("```json\n{\n  \"version\": \"livedraw-draw-v1\"");
  const bundle = JSON.parse(doc.slice(start + "```json\n".length, doc.indexOf("```", start + 7))) as ProofBundle;

  it("verifies as printed, with each tier's winners only in its reveal record", () => {
    expect(verifyBundle(bundle)).toMatchObject({ ok: true, warnings: [] });
    const drawn = bundle.audit.find((r) => r.type === "draw.drawn")!;
    for (const id of bundle.winners.flatMap((t) => t.entryIds)) expect(JSON.stringify(drawn)).not.toContain(id);
  });

  it("quotes the commitments its log holds", () => {
    const section = doc.slice(doc.indexOf("## Tier commitments"), doc.indexOf("## Canonical JSON"));
    const drawn = bundle.audit.find((r) => r.type === "draw.drawn")!.data as { tiers: { tierId: string; winnersHash: string }[] };
    const reveals = bundle.audit.filter((r) => r.type === "draw.tier-revealed").map((r) => r.data as { tierId: string; salt: string });
    const short = (hex: string) => `${hex.slice(0, 8)}…${hex.slice(-6)}`;
    for (const t of drawn.tiers) expect(section).toContain(short(t.winnersHash));
    for (const r of reveals) expect(section).toContain(short(r.salt));
  });
});
