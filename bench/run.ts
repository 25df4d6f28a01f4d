/**
 * `npm run bench [-- --quick] [-- --only spin,baseline] [-- --report]`: every benchmark, one after the other (they
 * must not share the cores), then bench/results/summary.json, REPORT.md and charts/*.svg.
 *
 * Each part is its own program that boots (and stops) its own stack and writes its own
 * bench/results/<part>.json: spin (our spin path: ladder, ceilings, sell-out), baseline (what a team
 * would build without us), flash (10,000 clients enter one draw; reveal and countdown), fanout (idle
 * clients, broadcast soak, RSS), costs (per entry, tick and delivered message, for docs/capacity.md). `--quick` (BENCH_QUICK=1) shortens every part (about 3 minutes in
 * all; it skips costs). A part that fails or writes no fresh result is reported as such, and the run exits 1.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { projectRoot } from "../core/assets.js";
import { lineChart, type ChartSpec } from "./svg-chart.js";
import { buildSummary, reportMarkdown, type PartRun } from "./summary.js";

const PARTS = [
  { name: "spin", program: "dist/bench/spin.js", file: "spin.json", env: { BENCH_NAME: "spin" } },
  { name: "baseline", program: "dist/bench/baseline-bench.js", file: "baseline.json", env: {} },
  { name: "flash", program: "dist/bench/flash.js", file: "flash.json", env: { BENCH_NAME: "flash" } },
  { name: "fanout", program: "dist/bench/fanout.js", file: "fanout.json", env: {} },
  { name: "costs", program: "dist/bench/costs.js", file: "costs.json", env: {}, full: true },
] as const;

function parseArgs(argv: string[]): { quick: boolean; only: Set<string> | null } {
  let quick = false;
  // --report: run nothing, rewrite summary.json, REPORT.md and the charts from the result files.
  if (argv.includes("--report")) return { quick: false, only: new Set() };
  let only: Set<string> | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") quick = true;
    else if (a === "--only") only = new Set((argv[++i] ?? "").split(",").filter(Boolean));
    else if (a.startsWith("--only=")) only = new Set(a.slice(7).split(",").filter(Boolean));
    else {
      console.error(`unknown argument ${JSON.stringify(a)}; use --quick, --only ${PARTS.map((p) => p.name).join(",")}, or --report`);
      process.exit(2);
    }
  }
  for (const name of only ?? []) {
    if (!PARTS.some((p) => p.name === name)) {
      console.error(`--only: no part named ${JSON.stringify(name)} (parts: ${PARTS.map((p) => p.name).join(", ")})`);
      process.exit(2);
    }
  }
  return { quick, only };
}

function runPart(program: string, env: Record<string, string>): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(projectRoot(), program)], { stdio: "inherit", env: { ...process.env, ...env } });
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    child.once("exit", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve({ code, signal });
    });
  });
}

async function main(): Promise<void> {
  const { quick, only } = parseArgs(process.argv.slice(2));
  const root = projectRoot();
  const results = path.join(root, "bench", "results");
  mkdirSync(results, { recursive: true });
  const started = Date.now();
  const loadStart = os.loadavg();
  const runs: PartRun[] = [];
  for (const part of PARTS) {
    if (only && !only.has(part.name)) continue;
    // Per-operation costs feed docs/capacity.md: full runs only (they would push --quick past 3 minutes).
    if (quick && "full" in part && !only?.has(part.name)) continue;
    const file = path.join(results, part.file);
    const t0 = Date.now();
    console.log(`\n=== bench ${part.name}${quick ? " (quick)" : ""}: node ${part.program}`);
    const { code, signal } = await runPart(part.program, { ...part.env, ...(quick ? { BENCH_QUICK: "1" } : {}) });
    const fresh = existsSync(file) && statSync(file).mtimeMs >= t0;
    const seconds = Math.round((Date.now() - t0) / 100) / 10;
    runs.push({ name: part.name, file: part.file, ok: code === 0 && fresh, exit: code, signal, fresh, seconds });
    console.log(`=== ${part.name}: ${code === 0 && fresh ? "ok" : `FAILED (exit ${code ?? signal}${fresh ? "" : ", no fresh result"})`} in ${seconds} s`);
  }

  // Every part's result as last written (a part skipped with --only keeps its previous file, marked as such).
  const data: Record<string, Record<string, unknown> | null> = {};
  for (const part of PARTS) {
    const file = path.join(results, part.file);
    data[part.name] = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>) : null;
  }
  const summary = buildSummary(data, runs, { quick, startedAt: new Date(started).toISOString(), seconds: Math.round((Date.now() - started) / 1000), loadStart, loadEnd: os.loadavg() });
  writeFileSync(path.join(results, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);

  const charts = path.join(results, "charts");
  rmSync(charts, { recursive: true, force: true });
  mkdirSync(charts, { recursive: true });
  const rendered: Record<string, ChartSpec[]> = {};
  for (const [name, d] of Object.entries(data)) {
    const list = Array.isArray(d?.charts) ? (d.charts as ChartSpec[]) : [];
    rendered[name] = [];
    for (const c of list) {
      if (typeof c?.id !== "string" || !Array.isArray(c.x) || !Array.isArray(c.lines)) continue;
      const id = `${name}-${c.id}`.replace(/[^\w.-]/g, "_");
      writeFileSync(path.join(charts, `${id}.svg`), lineChart(c));
      rendered[name].push({ ...c, id });
    }
  }
  writeFileSync(path.join(results, "REPORT.md"), reportMarkdown(summary, data, rendered));
  console.log(`\nwrote bench/results/summary.json, REPORT.md and ${readdirSync(charts).length} charts in ${summary.run.seconds} s`);
  process.exit(runs.every((r) => r.ok) ? 0 : 1);
}

void main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exit(1);
});
