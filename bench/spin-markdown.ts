/** The Markdown report of bench:spin (bench/results/<name>.md). */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../core/assets.js";
import { fmt } from "./log.js";
import { yes } from "./report.js";

export function spinMarkdown(r: {
  [k: string]: unknown;
  resolved_per_s: number; p50_ms: number; p95_ms: number; p99_ms: number; errors: number; lost: number; duplicated: number; oversold: number;
  redis_lua_ceiling_per_s: number | null; met: Record<string, boolean>; all_targets_met: boolean; context: Record<string, unknown>;
  sent: number; acked: number; errors_by_code: Record<string, number>; cpu: { by_role: Record<string, number>; by_process: { label: string; pct: number }[]; machine_total_pct: number };
  redis_ceiling: Record<string, unknown> | null; verification: { stock: { tierId: string; stocked: number; issued: number; remaining: number; ledger_wins: number; ok: boolean }[]; first_sold_out_result_at_s: number | null };
  latency_from_schedule_ms: { p50: number; p95: number; p99: number }; send_lag_max_ms: number;
}, name: string): string {
  const c = r.context;
  const lines = [
    `# bench:spin — ${String(c.started_at)}`,
    "",
    `Target ${fmt(Number(c.target_rate_per_s))} spins/s for ${String(c.duration_s)} s (+${String(c.warmup_s)} s warm-up, not measured); ` +
      `${String(c.clients)} clients (${String(c.client ?? "socket.io-client")} client) in ${String(c.load_processes)} load processes; ${String(c.nodes)} socket nodes (${String(c.engine)}); ${String(c.workers)} workers; ` +
      `Redis ${String(c.redis_version)} (AOF everysec); Node ${String(c.node_version)}; ${String(c.cpu_count)} CPUs (${String(c.cpu_model)}), shared by everything.`,
    "",
    "| figure | value | target | met |",
    "|---|---|---|---|",
    `| resolved spins/s (results received in the window ÷ duration) | ${fmt(r.resolved_per_s)} | ≥ 20,000 | ${yes(r.met.resolved_per_s)} |`,
    `| p50 latency (intent sent → result received) | ${r.p50_ms} ms | | |`,
    `| p95 latency | ${r.p95_ms} ms | ≤ 50 ms | ${yes(r.met.p95_ms)} |`,
    `| p99 latency | ${r.p99_ms} ms | ≤ 100 ms | ${yes(r.met.p99_ms)} |`,
    `| errors | ${r.errors} | 0 | ${yes(r.met.errors)} |`,
    `| lost (acked, no result in Redis) | ${r.lost} | 0 | ${yes(r.met.lost)} |`,
    `| duplicated | ${r.duplicated} | 0 | ${yes(r.met.duplicated)} |`,
    `| oversold tiers | ${r.oversold} | 0 | ${yes(r.met.oversold)} |`,
    `| Redis Lua ceiling (redis-benchmark, single-intent resolve) | ${r.redis_lua_ceiling_per_s === null ? "n/a" : fmt(r.redis_lua_ceiling_per_s)}/s | | |`,
    "",
    `All targets met: ${r.all_targets_met ? "yes" : "**no**"}. Sent ${fmt(r.sent)}, acked ${fmt(r.acked)}. ` +
      `Latency from each intent's *scheduled* send time (includes load-generator lag): p50 ${r.latency_from_schedule_ms.p50} ms, p95 ${r.latency_from_schedule_ms.p95} ms, p99 ${r.latency_from_schedule_ms.p99} ms; max send lag ${r.send_lag_max_ms} ms.`,
    "",
  ];
  if (Object.keys(r.errors_by_code).length) lines.push(`Errors by code: ${Object.entries(r.errors_by_code).map(([k, v]) => `${k} ${fmt(v)}`).join(", ")}.`, "");
  lines.push(
    "Stock (from Redis): " +
      r.verification.stock.map((s) => `${s.tierId} stocked ${fmt(s.stocked)} / issued ${fmt(s.issued)} / remaining ${fmt(s.remaining)} / ledger wins ${fmt(s.ledger_wins)}${s.ok ? "" : " **MISMATCH**"}`).join("; ") +
      (r.verification.first_sold_out_result_at_s === null ? "." : `; first sold-out result ${r.verification.first_sold_out_result_at_s} s into the window.`),
    "",
  );
  if (r.redis_ceiling) {
    const rc = r.redis_ceiling;
    lines.push(
      `Redis alone (same instance, after the run): single-intent resolve ${fmt(Number(rc.resolveOne))}/s; appendSpin ${fmt(Number(rc.appendSpin_per_s))}/s; ` +
        `real resolveSpins-8 (batch ${String(rc.real_resolver_batch)}) ${fmt(Number(rc.real_resolver_per_s))} intents/s; append + real resolve on one core ≈ ${fmt(Number(rc.combined_append_plus_real_resolver_per_s))} spins/s.`,
      "",
    );
  }
  lines.push(
    `CPU during the window (% of one core; the machine has ${String(Number(c.cpu_count) * 100)} %): ` +
      Object.entries(r.cpu.by_role).map(([k, v]) => `${k} ${fmt(v)}`).join(", ") +
      ` (total ${fmt(r.cpu.machine_total_pct)}). Per process: ${r.cpu.by_process.map((p) => `${p.label} ${fmt(p.pct)}`).join(", ")}.`,
    "",
  );
  const findings = path.join(projectRoot(), "bench", "results", "spin-findings.md");
  if (name === "spin" && existsSync(findings)) lines.push(readFileSync(findings, "utf8").trim(), "");
  return `${lines.join("\n")}\n`;
}
