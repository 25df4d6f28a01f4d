/**
 * The `livedraw-verify` command's logic, apart from process I/O so it can be tested:
 *   livedraw-verify bundle.json [--chain-info chain.json] [--entry <entryId>]
 * Exit codes: 0 the bundle verifies (and the entry, if asked, is in it); 1 it does not; 2 usage error.
 */
import { parseProofBundle } from "./bundle.js";
import { KNOWN_DRAND_CHAINS } from "./drand.js";
import type { TierWinners } from "./select.js";
import { checkEntry, verifyBundle } from "./verify.js";

export const USAGE = `usage: livedraw-verify <bundle.json> [--chain-info <chain.json>] [--entry <entryId>]

Recomputes a live draw from its published proof bundle and prints the verdict.
  --chain-info <file>  drand chain info (the JSON of <relay>/<chain hash>/info) to check the beacon
                       signature against; quicknet and the default mainnet chain are built in.
  --entry <entryId>    also check that this entry id was in the draw (Merkle inclusion proof).
Exit status: 0 valid, 1 not valid (or the entry is not in the draw), 2 usage error.`;

export interface CliIo {
  readFile(path: string): string;
  out(line: string): void;
  err(line: string): void;
}

interface Args {
  bundlePath: string;
  chainInfoPath?: string;
  entryId?: string;
}

function parseArgs(argv: readonly string[]): Args | string {
  let bundlePath: string | undefined;
  let chainInfoPath: string | undefined;
  let entryId: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--chain-info" || arg === "--entry") {
      const value = argv[++i];
      if (value === undefined || value.startsWith("--")) return `${arg} needs a value`;
      if (arg === "--chain-info") chainInfoPath = value;
      else entryId = value;
    } else if (arg.startsWith("--")) {
      return `unknown option ${arg}`;
    } else if (bundlePath === undefined) {
      bundlePath = arg;
    } else {
      return `unexpected argument ${arg}`;
    }
  }
  if (bundlePath === undefined) return "the bundle file is required";
  return { bundlePath, ...(chainInfoPath !== undefined ? { chainInfoPath } : {}), ...(entryId !== undefined ? { entryId } : {}) };
}

function readJson(io: CliIo, path: string, what: string): { value: unknown } | { error: string } {
  let text: string;
  try {
    text = io.readFile(path);
  } catch (error) {
    return { error: `cannot read the ${what} ${path}: ${(error as Error).message}` };
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: `the ${what} ${path} is not JSON: ${(error as Error).message}` };
  }
}

function printTiers(io: CliIo, tiers: readonly TierWinners[]): void {
  for (const tier of tiers) {
    io.out(`  ${tier.tierId}:${tier.entryIds.length === 0 ? " (no winners)" : ""}`);
    tier.entryIds.forEach((id, i) => io.out(`    ${i + 1}. ${id}`));
  }
}

export function runVerifyCli(argv: readonly string[], io: CliIo): number {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.out(USAGE);
    return 0;
  }
  const args = parseArgs(argv);
  if (typeof args === "string") {
    io.err(`livedraw-verify: ${args}\n\n${USAGE}`);
    return 2;
  }
  const bundleJson = readJson(io, args.bundlePath, "bundle");
  if ("error" in bundleJson) {
    io.err(`livedraw-verify: ${bundleJson.error}`);
    return 2;
  }
  let chainInfo: unknown;
  if (args.chainInfoPath !== undefined) {
    const chainJson = readJson(io, args.chainInfoPath, "chain info");
    if ("error" in chainJson) {
      io.err(`livedraw-verify: ${chainJson.error}`);
      return 2;
    }
    chainInfo = chainJson.value;
  }

  const result = verifyBundle(bundleJson.value, chainInfo === undefined ? {} : { chainInfo });
  const parsed = parseProofBundle(bundleJson.value);
  let entryFailed = false;
  if (parsed.ok) {
    const b = parsed.bundle;
    io.out(`Live draw ${b.drawId} of campaign ${b.campaignId} (${b.version})`);
    io.out(`Entrants: ${b.entrantCount}${b.weighted ? `, weighted by tickets (${b.entries.reduce((s, e) => s + e.tickets, 0)} in all)` : ""}`);
    io.out(`Merkle root: ${b.merkleRoot}`);
    io.out(`Commitment:  ${b.commitment}`);
    io.out(`Server seed: ${b.serverSeed}`);
    if (b.beacon) {
      const known = KNOWN_DRAND_CHAINS[b.beacon.chainHash];
      io.out(`Beacon: drand ${known?.beaconId ?? `chain ${b.beacon.chainHash}`} round ${b.beacon.round}, randomness ${b.beacon.randomness}`);
    } else {
      io.out("Beacon: none");
    }
    if (result.recomputed) {
      io.out(`Draw seed (recomputed): ${result.recomputed.drawSeed}`);
      io.out("Winners (recomputed):");
      printTiers(io, result.recomputed.winners);
      if (b.redraws.length > 0) {
        io.out("Redraws:");
        for (const r of b.redraws) io.out(`  #${r.index} tier ${r.tierId}: ${r.replaces} -> ${r.entryId ?? "(nobody left)"}`);
        io.out("Winners after redraws (recomputed):");
        printTiers(io, result.recomputed.finalWinners);
      }
    }
    if (args.entryId !== undefined) {
      const entry = checkEntry(b, args.entryId);
      if (!entry.included) {
        entryFailed = true;
        io.out(`Entry ${args.entryId}: NOT in this draw's entrant list`);
      } else {
        entryFailed = !entry.proofVerifies;
        io.out(`Entry ${args.entryId}: in the draw (position ${entry.proof.index + 1} of ${entry.proof.count}); inclusion proof ${entry.proofVerifies ? "verifies" : "DOES NOT verify"} against the Merkle root`);
        io.out(`  proof: ${JSON.stringify(entry.proof)}`);
        io.out(`  ${entry.won.length > 0 ? `won: ${entry.won.join(", ")}` : "did not win"}`);
      }
    }
  }
  for (const warning of result.warnings) io.out(`warning: ${warning}`);
  if (result.ok && !entryFailed) {
    io.out("Verdict: OK — every check passed");
    return 0;
  }
  io.out("Verdict: FAILED");
  if (!result.ok) for (const problem of result.problems) io.out(`  - ${problem}`);
  if (entryFailed) io.out(`  - entry ${args.entryId}: not proven to be in the draw`);
  return 1;
}
