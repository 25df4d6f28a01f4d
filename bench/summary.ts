/**
 * bench/results/summary.json and REPORT.md from the parts' result files (bench/run.ts). Every figure
 * here is copied from a part's JSON; nothing is computed that the part did not measure, except the
 * ratios between ours and the baseline's and the target verdicts.
 */
import { execFileSync } from "node:child_process";
import os from "node:os";
import { commitId } from "./meta.js";
import type { ChartSpec } from "./svg-chart.js";

export interface PartRun {
  name: string;
  file: string;
  ok: boolean;
  exit: number | null;
  signal: string | null;
  fresh: boolean;
  seconds: number;
}

type Data = Record<string, Record<string, unknown> | null>;

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
const r2 = (v: number | null): number | null => (v === null ? null : Math.round(v * 100) / 100);
const ratio = (a: number | null, b: number | null): number | null => (a === null || b === null || b === 0 ? null : r2(a / b));

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

interface Target {
  what: string;
  ours: number | null;
  baseline: number | null;
  ratio: number | null;
  unit: string;
  target: string;
  met: boolean | null;
}

export function buildSummary(data: Data, runs: PartRun[], run: { quick: boolean; startedAt: string; seconds: number; loadStart: number[]; loadEnd: number[] }) {
  const spin = data.spin ?? {};
  const base = data.baseline ?? {};
  const flash = data.flash ?? {};
  const fan = data.fanout ?? {};
  const sumOf = (k: string) => {
    const vs = [spin[k], flash[k]].map(num);
    return vs.every((v) => v === null) ? null : vs.reduce<number>((n, v) => n + (v ?? 0), 0);
  };
  const s = {
    spin_sustained_per_s: num(spin.sustained_per_s),
    baseline_spin_sustained_per_s: num(base.sustained_per_s),
    spin_server_cpu_us_per_spin: num(spin.server_cpu_us_per_spin),
    baseline_server_cpu_us_per_spin: num(base.server_cpu_us_per_spin),
    redis_limit_spins_per_s: num(spin.redis_limit_spins_per_s),
    reveal_p99_ms: num(flash.reveal_p99_ms),
    reveal_clients: num(flash.reveal_clients) ?? num(flash.clients),
    baseline_reveal_p99_ms: num(base.reveal_p99_ms),
    baseline_reveal_clients: num(base.reveal_clients),
    countdown_spread_ms: num(flash.countdown_spread_ms),
    fanout_msgs_per_s: num(fan.fanout_msgs_per_s),
    fanout_msgs_per_s_per_core: num(fan.fanout_msgs_per_s_per_core),
    baseline_fanout_msgs_per_s: num(base.fanout_msgs_per_s),
    baseline_fanout_msgs_per_s_per_core: num(base.fanout_msgs_per_s_per_core),
    rss_per_idle_client_kb: num(fan.rss_per_idle_client_kb),
    baseline_rss_per_idle_client_kb: num(base.rss_per_idle_client_kb),
    lost: sumOf("lost"),
    duplicated: sumOf("duplicated"),
    oversold: sumOf("oversold"),
    sold_out_reached: typeof spin.sold_out_reached === "boolean" ? spin.sold_out_reached : null,
  };
  const targets: Target[] = [
    t("Sustained spins/s at p99 ≤ 100 ms, 0 refused", s.spin_sustained_per_s, s.baseline_spin_sustained_per_s, "spins/s", "≥ 20,000 and ≥ 3× baseline", s.spin_sustained_per_s === null ? null : s.spin_sustained_per_s >= 20_000 && (ratio(s.spin_sustained_per_s, s.baseline_spin_sustained_per_s) ?? 0) >= 3),
    t("Server CPU per resolved spin (nodes + workers + Redis)", s.spin_server_cpu_us_per_spin, s.baseline_server_cpu_us_per_spin, "µs", "≤ 50", s.spin_server_cpu_us_per_spin === null ? null : s.spin_server_cpu_us_per_spin <= 50, true),
    revealRow(s),
    t("Countdown estimate spread", s.countdown_spread_ms, null, "ms", "≤ 20", s.countdown_spread_ms === null ? null : s.countdown_spread_ms <= 20),
    t("Fan-out per core", s.fanout_msgs_per_s_per_core, s.baseline_fanout_msgs_per_s_per_core, "msgs/s per core", "≥ 2× baseline", ratio(s.fanout_msgs_per_s_per_core, s.baseline_fanout_msgs_per_s_per_core) === null ? null : ratio(s.fanout_msgs_per_s_per_core, s.baseline_fanout_msgs_per_s_per_core)! >= 2),
    t("Fan-out (client-received)", s.fanout_msgs_per_s, s.baseline_fanout_msgs_per_s, "msgs/s", "—", null),
    t("RSS per idle client", s.rss_per_idle_client_kb, s.baseline_rss_per_idle_client_kb, "KB", "≤ 15", s.rss_per_idle_client_kb === null ? null : s.rss_per_idle_client_kb <= 15, true),
  ];
  return {
    ...s,
    cpu_model: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    load_avg: { start: run.loadStart.map((x) => r2(x)), end: run.loadEnd.map((x) => r2(x)) },
    fraction_of_redis_limit: ratio(s.spin_sustained_per_s, s.redis_limit_spins_per_s),
    targets,
    run: { quick: run.quick, date: run.startedAt, seconds: run.seconds, commit: commitId(), worktree_dirty: git(["status", "--porcelain"]) !== "", parts: runs },
  };
}

/** Reveal p99: a ratio only when both sides were measured at the same number of clients. */
function revealRow(s: { reveal_p99_ms: number | null; reveal_clients: number | null; baseline_reveal_p99_ms: number | null; baseline_reveal_clients: number | null }): Target {
  const n = (v: number | null) => (v === null ? "?" : v.toLocaleString("en-US"));
  const same = s.reveal_clients !== null && s.reveal_clients === s.baseline_reveal_clients;
  const what = same ? `Reveal p99 at ${n(s.reveal_clients)} clients` : `Reveal p99 (ours at ${n(s.reveal_clients)} clients, baseline at ${n(s.baseline_reveal_clients)}: not comparable)`;
  const row = t(what, s.reveal_p99_ms, s.baseline_reveal_p99_ms, "ms", "≤ 250 at 10,000 clients", s.reveal_p99_ms === null ? null : s.reveal_p99_ms <= 250 && (s.reveal_clients ?? 0) >= 10_000, true);
  return same ? row : { ...row, ratio: null };
}

/** A headline row; `lowerIsBetter` flips the ratio so that > 1 always means "ours is better". */
function t(what: string, ours: number | null, baseline: number | null, unit: string, target: string, met: boolean | null, lowerIsBetter = false): Target {
  return { what, ours, baseline, ratio: lowerIsBetter ? ratio(baseline, ours) : ratio(ours, baseline), unit, target, met };
}

export type Summary = ReturnType<typeof buildSummary>;

const cell = (v: number | null): string => (v === null ? "—" : v.toLocaleString("en-US", { maximumFractionDigits: 2 }));
const metCell = (m: boolean | null): string => (m === null ? "—" : m ? "yes" : "**no**");

/** Scalars of a part's result, for its section (nested objects and series are in its JSON). */
function scalars(d: Record<string, unknown>): [string, string][] {
  const skip = new Set(["charts", "machine", "date", "commit", "quick"]);
  return Object.entries(d)
    .filter(([k, v]) => !skip.has(k) && (typeof v === "number" || typeof v === "boolean" || (typeof v === "string" && v.length < 80)))
    .map(([k, v]) => [k, typeof v === "number" ? cell(v) : String(v)]);
}

export function reportMarkdown(s: Summary, data: Data, charts: Record<string, ChartSpec[]>): string {
  const L: string[] = [];
  L.push(`# Benchmark report${s.run.quick ? " (quick run)" : ""}`);
  L.push("");
  L.push(`\`npm run bench${s.run.quick ? " -- --quick" : ""}\` on ${s.run.date.slice(0, 19).replace("T", " ")} UTC, commit \`${s.run.commit}\`${s.run.worktree_dirty ? " (with uncommitted changes)" : ""}, ${s.run.seconds} s; ${s.cpu_model}, ${s.cores} cores; load average ${s.load_avg.start.join(" / ")} at the start, ${s.load_avg.end.join(" / ")} at the end. The load generators run on the same cores as the system they measure.`);
  if (s.run.quick) L.push("", "A quick run holds each step for a fraction of the full run's time: its figures are indicative; size clusters from a full run (`npm run bench`).");
  L.push("");
  L.push("| | ours | baseline | ours vs baseline | unit | target | met |");
  L.push("|---|---:|---:|---:|---|---|---|");
  for (const r of s.targets) L.push(`| ${r.what} | ${cell(r.ours)} | ${cell(r.baseline)} | ${r.ratio === null ? "—" : `${r.ratio}×`} | ${r.unit} | ${r.target} | ${metCell(r.met)} |`);
  L.push("");
  L.push(`Invariants (ours, counted in Redis): lost ${cell(s.lost)}, duplicated ${cell(s.duplicated)}, oversold ${cell(s.oversold)}; a tier sold out during the spin run: ${s.sold_out_reached === null ? "—" : s.sold_out_reached ? "yes" : "**no**"}. Redis limit for this exact spin work: ${cell(s.redis_limit_spins_per_s)} spins/s (sustained rate = ${s.fraction_of_redis_limit === null ? "—" : `${Math.round(s.fraction_of_redis_limit * 100)} %`} of it).`);
  L.push("");
  L.push("The baseline is what a team would build without us (bench/baseline/): Socket.IO's default `ws` engine, the classic Redis adapter, one Lua call per spin inline in the socket handler, one BullMQ job per spin for the result, socket.io-client load. \"ours vs baseline\" is > 1 when ours is better (for CPU, reveal latency and RSS: baseline ÷ ours).");
  L.push("");
  L.push("| part | ok | seconds | result |");
  L.push("|---|---|---:|---|");
  for (const p of s.run.parts) L.push(`| ${p.name} | ${p.ok ? "yes" : `**no** (exit ${p.exit ?? p.signal}${p.fresh ? "" : ", no fresh result"})`} | ${p.seconds} | [${p.file}](${p.file}) |`);
  const ran = new Set(s.run.parts.map((p) => p.name));
  for (const [name, d] of Object.entries(data)) {
    L.push("", `## ${name}${ran.has(name) ? "" : " (not run this time: the figures are from its last result file)"}`, "");
    if (!d) {
      L.push("No result file.");
      continue;
    }
    const m = d.machine as { cpu_model?: string; load_avg_start?: number[]; load_avg_end?: number[] } | undefined;
    L.push(`${String(d.date ?? "").slice(0, 19).replace("T", " ")} UTC, commit \`${String(d.commit ?? "?")}\`${d.quick ? ", quick" : ""}${m?.load_avg_start ? `; load average ${m.load_avg_start.map((x) => x.toFixed(2)).join(" / ")} → ${(m.load_avg_end ?? []).map((x) => x.toFixed(2)).join(" / ")}` : ""}.`);
    const rows = scalars(d);
    if (rows.length) {
      L.push("", "| figure | value |", "|---|---:|");
      for (const [k, v] of rows) L.push(`| \`${k}\` | ${v} |`);
    }
    for (const c of charts[name] ?? []) L.push("", `![${c.title}](charts/${c.id}.svg)`);
  }
  L.push("");
  return `${L.join("\n")}\n`;
}
