/**
 * Staged reveals that do not leak (issue 17, item 8). A three-tier draw revealed by the host one
 * tier at a time: at every stage, nothing public — the audit log, the public snapshot, each player's
 * own snapshot, the proof endpoint and every entry's inclusion proof — names a winner of a tier not
 * revealed yet. After the last reveal the bundle verifies with `verifyBundle` and the
 * `livedraw-verify` command, and the tier commitments recompute from docs/fairness.md ("Tier
 * commitments") with node:crypto alone, without the library.
 */
import { execFile } from "node:child_process";
import { createHash, createHmac } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveDrawClient } from "@livedraw/client-sdk";
import { verifyBundle, type AuditRecord, type ProofBundle } from "@livedraw/fairness";
import type { DrawCountdown, DrawSnapshot } from "@livedraw/protocol";
import { projectRoot } from "../core/assets.js";
import { Harness, http, uniqueId, type NodeProcess } from "./harness.js";

const TIERS = [
  { tierId: "gold", name: "Gold", count: 1 },
  { tierId: "silver", name: "Silver", count: 2 },
  { tierId: "bronze", name: "Bronze", count: 2 },
];
const PLAYERS = 12;

/** docs/fairness.md, "Encodings": lp(x) = be32(len(x)) ‖ x. */
const lp = (b: Buffer): Buffer => Buffer.concat([Buffer.from([(b.length >>> 24) & 255, (b.length >>> 16) & 255, (b.length >>> 8) & 255, b.length & 255]), b]);
const utf8 = (s: string): Buffer => Buffer.from(s, "utf8");

/** docs/fairness.md, "Tier commitments", written from the document with node:crypto. */
function documentedCommitment(serverSeed: string, drawId: string, tierId: string, entryIds: readonly string[]): { salt: string; winnersHash: string } {
  const salt = createHmac("sha256", Buffer.from(serverSeed, "hex"))
    .update(Buffer.concat([lp(utf8("livedraw/tier-salt/v1")), lp(utf8(drawId)), lp(utf8(tierId))]))
    .digest();
  const count = Buffer.alloc(4);
  count.writeUInt32BE(entryIds.length);
  const winnersHash = createHash("sha256")
    .update(Buffer.concat([lp(utf8("livedraw/tier-winners/v1")), lp(salt), lp(utf8(drawId)), lp(utf8(tierId)), count, ...entryIds.map((id) => lp(utf8(id)))]))
    .digest("hex");
  return { salt: salt.toString("hex"), winnersHash };
}

describe("staged reveals publish nothing ahead of time", () => {
  const h = new Harness();
  let node: NodeProcess;
  let players: LiveDrawClient[];
  const dir = mkdtempSync(path.join(tmpdir(), "staged-reveal-"));

  beforeAll(async () => {
    await h.startRedis();
    node = await h.startNode();
    await h.startWorker();
  });
  afterAll(async () => {
    await h.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("names each tier's winners only from its reveal on, and verifies after the last", async () => {
    const campaignId = uniqueId("staged");
    const host = await h.hostToken();
    const base = `${node.url}/v1/campaigns/${campaignId}`;
    players = await Promise.all(Array.from({ length: PLAYERS }, (_, i) => h.player(node.url, `${campaignId}-p${i}`, `玩家${i}`)));
    await Promise.all(players.map((p) => p.subscribe(campaignId)));

    const opened = await http<DrawCountdown>(`${base}/draws`, { token: host, body: { title: "Staged", durationMs: 1500, tiers: TIERS, autoReveal: false } });
    expect(opened.status).toBe(201);
    const drawId = opened.body.drawId;
    const closed = new Promise<void>((resolve) => players[0]!.on("draw:closed", (c) => c.drawId === drawId && resolve()));
    const entryIds = (await Promise.all(players.map((p) => p.enter(campaignId, drawId)))).map((a) => a.intentId);
    await closed;

    /** Everything public at this moment, as text, with what each player's own snapshot says. */
    const publicNow = async (): Promise<{ text: string; snapshot: DrawSnapshot; mine: DrawSnapshot[] }> => {
      const audit = await http<{ records: AuditRecord[] }>(`${base}/audit`);
      expect(audit.status).toBe(200);
      const snapshot = await http<DrawSnapshot>(`${base}/draws/${drawId}`);
      expect(snapshot.status).toBe(200);
      const proof = await http<unknown>(`${base}/draws/${drawId}/proof`);
      expect(proof.status).toBe(409); // only once the draw is done
      const inclusions = await Promise.all(entryIds.map((id) => http<Record<string, unknown>>(`${base}/draws/${drawId}/inclusion?entryId=${encodeURIComponent(id)}`)));
      for (const [i, inc] of inclusions.entries()) {
        expect(inc.status).toBe(200);
        // An inclusion proof is about membership only: the documented fields, no result.
        expect(Object.keys(inc.body).sort()).toEqual(["count", "entryId", "index", "path"]);
        expect(inc.body.entryId).toBe(entryIds[i]);
      }
      const mine = await Promise.all(players.map(async (p) => (await p.subscribe(campaignId)).draw!));
      return { text: JSON.stringify([audit.body, snapshot.body, proof.body, inclusions.map((x) => x.body)]), snapshot: snapshot.body, mine };
    };

    // The secret winners, as the stages unfold, are learned only from the reveals themselves.
    const stages: { revealed: string[]; seen: Awaited<ReturnType<typeof publicNow>> }[] = [];
    stages.push({ revealed: [], seen: await publicNow() });
    expect(stages[0]!.seen.snapshot).toMatchObject({ phase: "drawn", revealed: [] });
    for (const tier of TIERS) {
      const res = await http(`${base}/draws/${drawId}/reveal`, { token: host, body: { tierId: tier.tierId } });
      expect(res.status).toBe(200);
      if (tier !== TIERS.at(-1)) stages.push({ revealed: [...stages.at(-1)!.revealed, tier.tierId], seen: await publicNow() });
    }

    // Done: the bundle names every tier's winners (its original draw, no redraws here).
    let bundle: ProofBundle | null = null;
    for (let i = 0; i < 100 && bundle === null; i++) {
      const res = await http<ProofBundle>(`${base}/draws/${drawId}/proof`);
      if (res.status === 200) bundle = res.body;
      else await new Promise((r) => setTimeout(r, 100)); // finishing (draw:done, records) follows the reveal's answer
    }
    expect(bundle).not.toBeNull();
    const winnersOf = new Map(bundle!.winners.map((t) => [t.tierId, [...t.entryIds]]));
    expect([...winnersOf.values()].flat()).toHaveLength(5);

    for (const { revealed, seen } of stages) {
      for (const tier of TIERS) {
        const ids = winnersOf.get(tier.tierId)!;
        const shown = revealed.includes(tier.tierId);
        // The audit log, the public snapshot, the proof answer and the inclusion proofs: an
        // unrevealed tier's winners appear nowhere but in their own inclusion proof (as its subject).
        for (const id of ids) {
          const elsewhere = seen.text.split(JSON.stringify(id)).length - 1;
          const asSubject = 1; // `"entryId": id` in that entry's own inclusion proof
          if (!shown) expect(elsewhere, `${tier.tierId} winner ${id} before its reveal (stage ${revealed.join(",") || "drawn"})`).toBe(asSubject);
        }
        expect(seen.snapshot.revealed.map((t) => t.tierId)).toEqual(revealed);
        // Each player's own snapshot: a winner of an unrevealed tier is told nothing yet.
        for (const [i, snap] of seen.mine.entries()) {
          if (ids.includes(entryIds[i]!)) expect(snap.myResult).toBe(shown ? "won" : null);
        }
      }
    }

    // After the last reveal: the library verifier, the command, and the documented commitments.
    const verdict = verifyBundle(bundle);
    expect(verdict).toMatchObject({ ok: true, warnings: [] });
    const file = path.join(dir, "bundle.json");
    writeFileSync(file, JSON.stringify(bundle));
    const cli = await promisify(execFile)(process.execPath, [path.join(projectRoot(), "fairness", "bin", "livedraw-verify.js"), file]);
    expect(cli.stdout).toContain("Verdict: OK");
    expect(cli.stdout).not.toContain("warning");

    const mineRecords = bundle!.audit.filter((r) => (r.data as { drawId?: string }).drawId === drawId);
    const drawn = mineRecords.find((r) => r.type === "draw.drawn")!.data as { tiers: { tierId: string; winnersHash: string }[] };
    const reveals = mineRecords.filter((r) => r.type === "draw.tier-revealed").map((r) => r.data as { tierId: string; salt: string; entryIds: string[] });
    expect(reveals.map((r) => r.tierId)).toEqual(TIERS.map((t) => t.tierId));
    for (const tier of TIERS) {
      const documented = documentedCommitment(bundle!.serverSeed, drawId, tier.tierId, winnersOf.get(tier.tierId)!);
      expect(drawn.tiers.find((t) => t.tierId === tier.tierId)?.winnersHash).toBe(documented.winnersHash);
      expect(reveals.find((r) => r.tierId === tier.tierId)).toEqual({ drawId, tierId: tier.tierId, salt: documented.salt, entryIds: winnersOf.get(tier.tierId) });
    }
    // Each tier's reveal record comes after the draw and before the seed.
    const seqOf = (type: string) => mineRecords.filter((r) => r.type === type).map((r) => r.seq);
    const [drawnSeq] = seqOf("draw.drawn");
    const [seedSeq] = seqOf("draw.revealed");
    for (const s of seqOf("draw.tier-revealed")) expect(drawnSeq! < s && s < seedSeq!).toBe(true);
  });
});
