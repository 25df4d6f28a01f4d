/** The Markdown report of bench:spin (bench/results/<name>.md): the ladder, the ceilings and the checks. */
import { fmt } from "./log.js";
import { yes } from "./report.js";
import type { StepResult } from "./spin-step.js";

interface Phase {
  per_s: number;
  redis_cpu_pct: number | null;
  per_redis_cpu_second: number | null;
  saturated: boolean;
}

export interface SpinResultForMarkdown {
  sustained_per_s: number;
  sustained_criterion: string;
  server_cpu_us_per_spin: number | null;
  load_generator_cpu_us_per_spin: number | null;
  redis_commands_per_spin: number | null;
  redis_us_per_spin: number | null;
  redis_limit_spins_per_s: number | null;
  fraction_of_redis_limit: number | null;
  ceilings: { xadd_per_s: number; append_per_s: number; resolve_per_s: number; limit_per_redis_cpu_second: number | null; phases: { xadd: Phase; append: Phase; resolve: Phase } } | null;
  lost: number;
  duplicated: number;
  oversold: number;
  sold_out_reached: boolean;
  ladder: StepResult[];
  ladder_skipped: { offered_per_s: number; reason: string }[];
  met: Record<string, boolean>;
  all_targets_met: boolean;
  machine: { cpu_model: string; cores: number; load_avg_start: number[]; load_avg_end: number[]; node: string };
  date: string;
  commit: string;
  quick: boolean;
  context: Record<string, unknown>;
}

const n = (x: number | null | undefined, d = 0) => (x === null || x === undefined ? "n/a" : fmt(x, d));
const ms = (x: number | null | undefined) => (x === null || x === undefined ? "n/a" : `${x} ms`);

export function spinMarkdown(r: SpinResultForMarkdown): string {
  const c = r.context;
  const m = r.machine;
  const lines = [
    `# bench:spin — ${r.date}${r.quick ? " (quick)" : ""}`,
    "",
    `Commit ${r.commit}. Ladder ${(c.ladder_per_s as number[]).map((x) => fmt(x)).join(" → ")} spins/s, ${String(c.duration_s)} s measured per step after ${String(c.warmup_s)} s of warm-up, ` +
      `a fresh campaign per step; ${String(c.clients)} clients (${String(c.client)}) in ${String(c.load_processes)} load processes; ${String(c.nodes)} socket nodes (${String(c.engine)}); ${String(c.workers)} workers; ` +
      `Redis ${String(c.redis_version)} (AOF everysec). ${m.cores} CPUs (${m.cpu_model}) shared by everything, load average ${m.load_avg_start.join(" / ")} at the start, ${m.load_avg_end.join(" / ")} at the end; Node ${m.node}.`,
    "",
    "| figure | value | target | met |",
    "|---|---|---|---|",
    `| sustained spins/s (${r.sustained_criterion}) | ${fmt(r.sustained_per_s)} | ≥ 20,000 | ${yes(r.met.sustained_per_s)} |`,
    `| server CPU per resolved spin (nodes + workers + Redis, at the sustained step) | ${n(r.server_cpu_us_per_spin, 1)} µs | ≤ 50 µs | ${yes(r.met.server_cpu_us_per_spin)} |`,
    `| load generator CPU per resolved spin | ${n(r.load_generator_cpu_us_per_spin, 1)} µs | | |`,
    `| Redis CPU per spin / commands per spin (incl. those inside scripts) | ${n(r.redis_us_per_spin, 1)} µs / ${n(r.redis_commands_per_spin, 1)} | | |`,
    `| Redis limit for this work (1 / (1/append + 1/resolve), fresh Redis) | ${n(r.redis_limit_spins_per_s)}/s | | |`,
    `| sustained as a fraction of the Redis limit | ${n(r.fraction_of_redis_limit, 3)} | | |`,
    `| lost / duplicated / oversold | ${r.lost} / ${r.duplicated} / ${r.oversold} | 0 / 0 / 0 | ${yes(r.met.lost && r.met.duplicated && r.met.oversold)} |`,
    `| a tier sold out inside every step's window | ${r.sold_out_reached ? "yes" : "no"} | yes | ${yes(r.met.sold_out_reached)} |`,
    "",
    `All targets met: ${r.all_targets_met ? "yes" : "**no**"}.`,
    "",
    "## Ladder",
    "",
    "Client latencies run from each intent's *scheduled* time (the open-loop schedule; the load generator's own lag counts). " +
      "Time to answer covers every offered intent (a refusal is an answer; n/a = the percentile falls among the unanswered). Resolved/s is counted in Redis (ledger).",
    "",
    "| offered/s | held | goodput/s | resolved/s (Redis) | of Redis limit | client p50 | client p99 | time to answer p99 | server p99 | refused | unanswered | server CPU µs/spin | load CPU µs/spin | Redis cmds/spin | Redis µs/spin | first sell-out (s into the window) |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const s of r.ladder) {
    const refused = s.refused_total ? `${fmt(s.refused_total)} (${Object.entries(s.refused).map(([k, v]) => `${k} ${fmt(v)}`).join(", ")})` : "0";
    lines.push(
      `| ${fmt(s.offered_per_s)} | ${s.held ? "yes" : "**no**"} | ${fmt(s.goodput_per_s)} | ${fmt(s.resolved_per_s_from_redis)} | ${n(s.fraction_of_redis_limit.resolved, 3)} | ${ms(s.p50_ms)} | ${ms(s.p99_ms)} | ${ms(s.time_to_answer_ms.p99)} | ` +
        `${ms(s.server_latency_ms.p99)} | ${refused} | ${fmt(s.unanswered)} | ${n(s.server_cpu_us_per_spin, 1)} | ${n(s.load_generator_cpu_us_per_spin, 1)} | ${n(s.redis_commands_per_spin, 1)} | ${n(s.redis_us_per_spin, 1)} | ${s.sold_out_at_s === null ? "no" : `${s.sold_out_tier} at ${s.sold_out_at_s} s`} |`,
    );
  }
  lines.push("");
  for (const s of r.ladder) if (!s.held) lines.push(`Step ${s.step} (${fmt(s.offered_per_s)}/s) not held: ${s.failed_because.join("; ")}.`);
  for (const s of r.ladder_skipped) lines.push(`Not run: ${fmt(s.offered_per_s)}/s (${s.reason}).`);
  lines.push("", "CPU per role during each window (% of one core; 2 cores = 200 %):", "");
  for (const s of r.ladder) lines.push(`- ${fmt(s.offered_per_s)}/s: ${Object.entries(s.cpu_pct_by_role).map(([k, v]) => `${k} ${fmt(v)}`).join(", ")}`);
  lines.push("", "Stock per step (from Redis: stocked = issued + remaining, issued = ledger wins):", "");
  for (const s of r.ladder) {
    const stock = s.verification.stock as { tierId: string; stocked: number; issued: number; remaining: number; ledger_wins: number; accounting_ok: boolean; sold_out_at_s: number | null }[];
    lines.push(`- ${fmt(s.offered_per_s)}/s: ${stock.map((t) => `${t.tierId} ${fmt(t.stocked)} / issued ${fmt(t.issued)} / left ${fmt(t.remaining)} / ledger wins ${fmt(t.ledger_wins)}${t.accounting_ok ? "" : " **MISMATCH**"}${t.sold_out_at_s === null ? "" : ` (sold out at ${t.sold_out_at_s} s)`}`).join("; ")}`);
  }
  lines.push("");
  if (r.ceilings) {
    const p = r.ceilings.phases;
    const ph = (x: Phase) => `Redis CPU ${n(x.redis_cpu_pct, 1)} %${x.saturated ? "" : " — not saturated"}`;
    lines.push(
      "## Redis ceilings (fresh private Redis, same run)",
      "",
      "| work | per second | per fully busy Redis core-second |",
      "|---|---|---|",
      `| XADD alone | ${fmt(r.ceilings.xadd_per_s)} (${ph(p.xadd)}) | ${n(p.xadd.per_redis_cpu_second)} |`,
      `| admitSpins script (batches of 10) | ${fmt(r.ceilings.append_per_s)} (${ph(p.append)}) | ${n(p.append.per_redis_cpu_second)} |`,
      `| resolveSpins script (intents) | ${fmt(r.ceilings.resolve_per_s)} (${ph(p.resolve)}) | ${n(p.resolve.per_redis_cpu_second)} |`,
      `| append + resolve on one core | ${n(r.redis_limit_spins_per_s)} | ${n(r.ceilings.limit_per_redis_cpu_second)} |`,
      "",
    );
  }
  return `${lines.join("\n")}\n`;
}
