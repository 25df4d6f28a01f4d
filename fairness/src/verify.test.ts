import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { appendAuditRecord, type AuditRecord } from "./audit.js";
import type { BeaconProof, ProofBundle } from "./bundle.js";
import { runVerifyCli } from "./cli.js";
import {
  campaignCreatedData,
  drawClosedData,
  drawDrawnClearData,
  drawDrawnData,
  drawOpenedData,
  drawTierRevealedData,
  drawRedrawnData,
  drawRevealedData,
  DRAW_AUDIT_TYPES,
} from "./draw-audit.js";
import { DRAND_QUICKNET } from "./drand.js";
import { fromHex } from "./bytes.js";
import { buildProofBundle, computeDraw } from "./prove.js";
import { applyRedraws } from "./redraw.js";
import { commitToSeed, pseudonymousEntryId } from "./seed.js";
import { ALGORITHM_VERSION } from "./constants.js";
import { checkEntry, verifyBundle } from "./verify.js";
import { tierCommitments, tierWinnersHash } from "./tier-commitment.js";

// Real quicknet round 1000, from Bas3d-Labs/drand-quicknet-evm, contracts/test/fixtures/quicknet-kat.json
// (see drand.test.ts). It was published at 1692803367 + 999 × 3 s = 2023-08-23T15:59:24Z.
const QUICKNET_1000: BeaconProof = {
  chainHash: DRAND_QUICKNET.hash!,
  round: 1000,
  signature: "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39",
  randomness: "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd",
};

const ENTRY_KEY = fromHex("42".repeat(32));

interface Options {
  weighted?: boolean;
  beacon?: BeaconProof | null;
  redraws?: number;
  players?: number;
  closedAt?: string;
  /** Write the drawn record in the clear format of earlier servers (winners listed, no tier records' lists). */
  clearDrawn?: boolean;
}

/** Runs a whole draw the way the server will: log at open, close, draw, redraws, reveal; then bundle. */
function makeBundle(options: Options = {}): ProofBundle {
  const weighted = options.weighted ?? false;
  const beacon = options.beacon === undefined ? null : options.beacon;
  const campaignId = "spring-gala";
  const drawId = "draw-1";
  const serverSeed = "5e".repeat(32);
  const tiers = [
    { tierId: "grand", count: 1 },
    { tierId: "second", count: 3 },
  ];
  const entries = Array.from({ length: options.players ?? 25 }, (_, i) => ({
    id: pseudonymousEntryId(ENTRY_KEY, drawId, `player-${i}`),
    tickets: weighted ? (i % 5) + 1 : 1,
  }));
  const log: AuditRecord[] = [];
  const add = (type: string, at: string, data: Parameters<typeof appendAuditRecord>[3]): void => {
    log.push(appendAuditRecord(log.at(-1) ?? null, type, at, data));
  };
  add(DRAW_AUDIT_TYPES.campaignCreated, "2023-08-23T15:00:00.000Z", campaignCreatedData(campaignId));
  add(DRAW_AUDIT_TYPES.opened, "2023-08-23T15:20:00.000Z", drawOpenedData({ drawId, version: ALGORITHM_VERSION, commitment: commitToSeed(serverSeed), weighted, tiers, beacon }));
  add("campaign.updated", "2023-08-23T15:30:00.000Z", { campaignId, note: "other events interleave" });
  const outcome = computeDraw({ drawId, serverSeed, weighted, entries, tiers, beaconRandomness: beacon?.randomness ?? null });
  add(DRAW_AUDIT_TYPES.closed, options.closedAt ?? "2023-08-23T15:50:00.000Z", drawClosedData({ drawId, ...outcome }));
  const commitments = tierCommitments(serverSeed, drawId, outcome.winners);
  if (options.clearDrawn) add(DRAW_AUDIT_TYPES.drawn, "2023-08-23T16:40:00.000Z", drawDrawnClearData({ drawId, winners: outcome.winners }));
  else add(DRAW_AUDIT_TYPES.drawn, "2023-08-23T16:40:00.000Z", drawDrawnData(drawId, commitments));
  for (const c of commitments) {
    add(DRAW_AUDIT_TYPES.tierRevealed, "2023-08-23T16:45:00.000Z", options.clearDrawn ? { drawId, tierId: c.tierId } : drawTierRevealedData(drawId, c));
  }
  const requests = Array.from({ length: options.redraws ?? 0 }, (_, i) => ({ tierId: "second", replaces: outcome.winners[1]!.entryIds[i]! }));
  const { redraws } = applyRedraws(fromHex(outcome.drawSeed), outcome.entries, outcome.winners, requests);
  for (const r of redraws) add(DRAW_AUDIT_TYPES.redrawn, "2023-08-30T00:00:00.000Z", drawRedrawnData(drawId, r));
  add(DRAW_AUDIT_TYPES.revealed, "2023-08-30T00:00:01.000Z", drawRevealedData({ drawId, serverSeed }));
  return buildProofBundle({ campaignId, drawId, serverSeed, weighted, entries, tiers, beacon, redraws: requests, audit: log });
}

/** A deep copy to tamper with. */
const copy = (b: ProofBundle): { -readonly [K in keyof ProofBundle]: any } => JSON.parse(JSON.stringify(b));

function problemsOf(bundle: unknown): string[] {
  const result = verifyBundle(bundle);
  return result.ok ? [] : result.problems;
}

describe("verifyBundle accepts honest draws", () => {
  it.each([
    ["unweighted, no beacon", {}],
    ["weighted, no beacon", { weighted: true }],
    ["with a drand quicknet beacon and two redraws", { beacon: QUICKNET_1000, redraws: 2 }],
    ["weighted with a beacon", { weighted: true, beacon: QUICKNET_1000 }],
    ["with no entrants", { players: 0 }],
    ["with one entrant", { players: 1 }],
  ] as const)("%s", (_name, options) => {
    const bundle = makeBundle(options);
    const result = verifyBundle(JSON.parse(JSON.stringify(bundle)));
    expect(result).toMatchObject({ ok: true, warnings: [] });
    expect(result.recomputed?.winners).toEqual(bundle.winners);
  });

  it("publishes only pseudonymous ids (no player id appears anywhere)", () => {
    expect(JSON.stringify(makeBundle({ redraws: 1 }))).not.toMatch(/player-/);
  });
});

describe("verifyBundle rejects tampering", () => {
  const honest = makeBundle({ beacon: QUICKNET_1000, redraws: 1 });

  it("an entrant replaced, added or removed", () => {
    const replaced = copy(honest);
    replaced.entries[3].id = `${replaced.entries[3].id.slice(0, -1)}${replaced.entries[3].id.endsWith("0") ? "1" : "0"}`;
    expect(problemsOf(replaced).join("\n")).toMatch(/merkle|sorted/);

    const added = copy(honest);
    added.entries.push({ id: "f".repeat(64), tickets: 1 });
    expect(problemsOf(added).join("\n")).toMatch(/entrantCount/);

    const removed = copy(honest);
    removed.entries.splice(5, 1);
    removed.entrantCount -= 1;
    expect(problemsOf(removed).join("\n")).toMatch(/merkle/);
  });

  it("the seed changed (alone, or with a matching commitment)", () => {
    const seed = copy(honest);
    seed.serverSeed = `${"00"}${seed.serverSeed.slice(2)}`;
    expect(problemsOf(seed).join("\n")).toMatch(/commitment/);

    const both = copy(honest);
    both.serverSeed = "77".repeat(32);
    both.commitment = commitToSeed(both.serverSeed);
    const problems = problemsOf(both).join("\n");
    expect(problems).toMatch(/draw\.opened/);
    expect(problems).toMatch(/seed|winners/);
  });

  it("a winner changed", () => {
    const winner = copy(honest);
    const loser = honest.entries.find((e) => !honest.winners.some((t) => t.entryIds.includes(e.id)))!.id;
    winner.winners[1].entryIds[2] = loser;
    expect(problemsOf(winner).join("\n")).toMatch(/winners: tier second recomputes/);
  });

  it("a redraw changed", () => {
    const redraw = copy(honest);
    redraw.redraws[0].entryId = honest.entries[0]!.id === honest.redraws[0]!.entryId ? honest.entries[1]!.id : honest.entries[0]!.id;
    expect(problemsOf(redraw).join("\n")).toMatch(/redraw 0/);
  });

  it("one audit record changed, dropped, or re-chained with a different commitment", () => {
    const edited = copy(honest);
    edited.audit[3].data.entrantCount = 999;
    expect(problemsOf(edited).join("\n")).toMatch(/chain breaks at seq 3/);

    const dropped = copy(honest);
    dropped.audit.splice(2, 1);
    expect(problemsOf(dropped).join("\n")).toMatch(/chain breaks at seq 2/);

    // a rewritten log that is internally consistent still has to match the bundle
    const rewritten = copy(honest);
    const log: AuditRecord[] = [];
    for (const r of honest.audit) {
      const data = r.type === DRAW_AUDIT_TYPES.opened ? { ...(r.data as object), commitment: "ab".repeat(32) } : r.data;
      log.push(appendAuditRecord(log.at(-1) ?? null, r.type, r.at, data));
    }
    rewritten.audit = log;
    expect(problemsOf(rewritten).join("\n")).toMatch(/"draw\.opened" record .* does not match/);
  });

  it("a forged beacon, another round, or a round published before the close", () => {
    const forged = copy(honest);
    forged.beacon.signature = `a${forged.beacon.signature.slice(1)}`;
    expect(problemsOf(forged).join("\n")).toMatch(/beacon/);

    const otherRound = copy(honest);
    otherRound.beacon.round = 1001;
    const problems = problemsOf(otherRound).join("\n");
    expect(problems).toMatch(/beacon: round 1001/);
    expect(problems).toMatch(/draw\.opened/);

    // closing after round 1000 was already public lets the server grind entries: refused
    const late = makeBundle({ beacon: QUICKNET_1000, closedAt: "2023-08-23T15:59:30.000Z" });
    expect(problemsOf(late).join("\n")).toMatch(/not after the draw closed/);
  });

  it("a beacon checked against the wrong chain info, and an unknown chain without info", () => {
    const result = verifyBundle(honest, { chainInfo: { ...DRAND_QUICKNET, hash: "00".repeat(32) } });
    expect(result.ok).toBe(false);
    const unknown = copy(honest);
    unknown.beacon.chainHash = "00".repeat(32);
    const verdict = verifyBundle(unknown);
    expect(verdict.warnings.join("\n")).toMatch(/not built in/);
    expect(verdict.ok).toBe(false); // the opened record named the quicknet chain
  });

  it("malformed input", () => {
    expect(problemsOf(null)).toEqual(["the bundle must be a JSON object"]);
    expect(problemsOf({ ...copy(honest), version: "v0" }).join("\n")).toMatch(/version/);
    expect(problemsOf({ ...copy(honest), entries: [{ id: 1 }] }).join("\n")).toMatch(/entries\[0\]/);
    expect(verifyBundle(honest, { requireBeacon: true }).ok).toBe(true);
    expect(verifyBundle(makeBundle(), { requireBeacon: true }).ok).toBe(false);
  });
});

describe("tier commitments (staged reveals that do not leak)", () => {
  const honest = makeBundle({ redraws: 1 });
  const drawnIndex = honest.audit.findIndex((r) => r.type === DRAW_AUDIT_TYPES.drawn);
  /** The bundle with its audit log rebuilt after `edit` changed some records' data (a consistent chain). */
  const rechained = (edit: (r: AuditRecord) => unknown): ProofBundle => {
    const log: AuditRecord[] = [];
    for (const r of honest.audit) log.push(appendAuditRecord(log.at(-1) ?? null, r.type, r.at, edit(r) as Parameters<typeof appendAuditRecord>[3]));
    return { ...copy(honest), audit: log };
  };

  it("the drawn record names no winner; each tier's reveal record names its own", () => {
    const drawn = JSON.stringify(honest.audit[drawnIndex]);
    for (const id of honest.winners.flatMap((t) => t.entryIds)) expect(drawn).not.toContain(id);
    // What was logged before the first reveal names no entry id at all beyond the Merkle root.
    const beforeReveals = JSON.stringify(honest.audit.slice(0, drawnIndex + 1));
    for (const e of honest.entries) expect(beforeReveals).not.toContain(e.id);
    const reveals = honest.audit.filter((r) => r.type === DRAW_AUDIT_TYPES.tierRevealed);
    expect(reveals.map((r) => (r.data as { entryIds: string[] }).entryIds)).toEqual(honest.winners.map((t) => t.entryIds));
  });

  it("a reveal record naming other winners (re-hashed and re-chained) is refused", () => {
    const loser = honest.entries.find((e) => !honest.winners.some((t) => t.entryIds.includes(e.id)))!.id;
    const swapped = rechained((r) => (r.type === DRAW_AUDIT_TYPES.tierRevealed && (r.data as { tierId: string }).tierId === "grand" ? { ...(r.data as object), entryIds: [loser] } : r.data));
    const problems = problemsOf(swapped).join("\n");
    expect(problems).toMatch(/tier grand .* do not hash to what "draw\.drawn" committed to/);
    expect(problems).toMatch(/reveal of tier grand published \[/);
  });

  it("a drawn record committing to other winners is refused", () => {
    const salt = tierCommitments(honest.serverSeed, honest.drawId, honest.winners)[0]!.salt;
    const other = honest.entries.find((e) => e.id !== honest.winners[0]!.entryIds[0])!.id;
    const forged = rechained((r) => {
      if (r.type !== DRAW_AUDIT_TYPES.drawn) return r.data;
      const d = r.data as { drawId: string; tiers: { tierId: string; winnersHash: string }[] };
      return { ...d, tiers: d.tiers.map((t, i) => (i === 0 ? { ...t, winnersHash: tierWinnersHash(salt, d.drawId, t.tierId, [other]) } : t)) };
    });
    const problems = problemsOf(forged).join("\n");
    expect(problems).toMatch(/"draw\.drawn" record .* does not match the bundle's tier commitments/);
    expect(problems).toMatch(/tier grand .* do not hash/);
  });

  it("a missing or late reveal record, or a salt not derived from the seed, is refused", () => {
    const missing = { ...copy(honest), audit: [] as AuditRecord[] };
    for (const r of honest.audit) if (!(r.type === DRAW_AUDIT_TYPES.tierRevealed && (r.data as { tierId: string }).tierId === "second")) missing.audit.push(appendAuditRecord(missing.audit.at(-1) ?? null, r.type, r.at, r.data));
    expect(problemsOf(missing).join("\n")).toMatch(/exactly one "draw\.tier-revealed" record for tier second/);

    const salted = rechained((r) => (r.type === DRAW_AUDIT_TYPES.tierRevealed ? { ...(r.data as object), salt: "ab".repeat(32) } : r.data));
    expect(problemsOf(salted).join("\n")).toMatch(/salt not derived from the server seed/);
  });

  it("a bundle whose drawn record lists the winners in clear (earlier servers) still verifies, with a warning", () => {
    const result = verifyBundle(JSON.parse(JSON.stringify(makeBundle({ redraws: 1, clearDrawn: true }))));
    expect(result.ok).toBe(true);
    expect(result.warnings.join("\n")).toMatch(/in clear/);
  });
});

describe("checkEntry", () => {
  it("proves an entrant's inclusion and reports wins", () => {
    const bundle = makeBundle({ redraws: 1 });
    const grand = bundle.winners[0]!.entryIds[0]!;
    expect(checkEntry(bundle, grand)).toMatchObject({ included: true, proofVerifies: true, won: ["grand"] });
    expect(checkEntry(bundle, pseudonymousEntryId(ENTRY_KEY, "draw-1", "player-999"))).toEqual({ included: false });
  });
});

describe("livedraw-verify CLI", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "livedraw-verify-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[]): { code: number; out: string; err: string } => {
    const out: string[] = [];
    const err: string[] = [];
    const code = runVerifyCli(args, { readFile: (p) => readFileSync(p, "utf8"), out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join("\n"), err: err.join("\n") };
  };
  const bundle = makeBundle({ beacon: QUICKNET_1000, redraws: 1 });
  const good = path.join(dir, "good.json");
  writeFileSync(good, JSON.stringify(bundle, null, 2));
  const badBundle = copy(bundle);
  badBundle.winners[0].entryIds[0] = bundle.winners[1]!.entryIds[1];
  const bad = path.join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify(badBundle));

  it("exits 0 and prints the recomputed winners for a valid bundle", () => {
    const { code, out } = run([good]);
    expect(code).toBe(0);
    expect(out).toContain("Verdict: OK");
    expect(out).toContain("drand quicknet round 1000");
    expect(out).toContain(bundle.winners[0]!.entryIds[0]!);
    expect(out).toContain("Winners after redraws");
  });

  it("checks an entry with --entry and accepts --chain-info", () => {
    const chain = path.join(dir, "chain.json");
    writeFileSync(chain, JSON.stringify({ public_key: DRAND_QUICKNET.publicKey, schemeID: DRAND_QUICKNET.scheme, hash: DRAND_QUICKNET.hash, period: 3, genesis_time: 1692803367 }));
    const entry = bundle.entries[4]!.id;
    const ok = run([good, "--chain-info", chain, "--entry", entry]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/inclusion proof verifies/);
    const missing = run([good, "--entry", "not-an-entrant"]);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/NOT in this draw/);
  });

  it("exits 1 with each problem for an invalid bundle", () => {
    const { code, out } = run([bad]);
    expect(code).toBe(1);
    expect(out).toContain("Verdict: FAILED");
    expect(out).toMatch(/- winners: tier grand recomputes/);
  });

  it("exits 2 on usage errors", () => {
    expect(run([]).code).toBe(2);
    expect(run([good, "--frobnicate"]).code).toBe(2);
    expect(run([good, "--entry"]).code).toBe(2);
    expect(run([path.join(dir, "missing.json")]).code).toBe(2);
    writeFileSync(path.join(dir, "junk.json"), "{not json");
    expect(run([path.join(dir, "junk.json")]).code).toBe(2);
    expect(run(["--help"]).code).toBe(0);
  });
});
