/** Writing a benchmark's results (bench/results/<name>.json and .md) and the helpers their reports share. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../core/assets.js";
import { stopAll } from "./lifecycle.js";
import { say } from "./log.js";

/** Adds every count of `from` into `into`. */
export const add = (into: Record<string, number>, from: Record<string, number>): void => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

/** A Markdown "met" cell. */
export const yes = (b: boolean | undefined): string => (b ? "yes" : "**no**");

/** Writes bench/results/<name>.json and <name>.md, logs the verdict, stops everything and exits 0. */
export async function writeResultsAndExit(name: string, result: { all_targets_met: boolean }, markdown: string): Promise<never> {
  const outDir = path.join(projectRoot(), "bench", "results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(outDir, `${name}.md`), markdown);
  say(`all targets met: ${result.all_targets_met ? "yes" : "NO"}; wrote bench/results/${name}.json and .md`);
  await stopAll();
  process.exit(0);
}
