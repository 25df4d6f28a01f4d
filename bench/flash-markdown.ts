/** The Markdown report of bench:flash (bench/results/<name>.md). */
import { fmt } from "./log.js";
import { yes } from "./report.js";
import type { stats } from "./stats.js";
import type { statsAll } from "./flash-aggregate.js";

type S = ReturnType<typeof stats>;
type SA = ReturnType<typeof statsAll>;
type CpuPart = { by_role: Record<string, number>; seconds: number };
const v = (x: number | null): string => (x === null ? "— (among the missing)" : String(x));

export function flashMarkdown(r: {
  quick: boolean; machine: { cpu_model: string; cores: number; load_avg_start: number[]; load_avg_end: number[]; node: string };
  engine: { node: string; engine: string; uws_native: boolean }[];
  clients: number; connected: number; subscribed: number; entries_sent: number; entries_acked: number; entries_stored: number; entries_counted: number;
  join_p50_ms: number; join_p95_ms: number; join_p99_ms: number; join_max_ms: number;
  reveal_clients: number; reveal_p50_ms: number | null; reveal_p99_ms: number | null; reveal_max_ms: number | null; reveal_missing: number; reveal_missing_clients: number;
  countdown_spread_ms: number | null; countdown_error_p99_ms: number | null; countdown_clients: number; countdown_missing: number; bundle_verified: boolean;
  met: Record<string, boolean>; all_targets_met: boolean;
  entries: { redis: { entrants_hash_len: number; acked_not_stored: number; stored_not_acked: number }; acked_not_in_bundle: number; in_bundle_not_acked: number; enter_sent_after_open_ms: S; enter_acked_after_open_ms: S; acked_after_deadline: number };
  countdown: { delivery_ms: S; estimate_error_ms: SA; sync_rtt_ms: S; clock_samples: number; redis_clock_offset_ms: { offsetMs: number; rttMs: number }; sync_failed: number };
  close: { drawn_seen_after_deadline_ms: number; closed_event_after_deadline_ms: S; closed_missing: number };
  reveal: {
    from_decision_ms: SA;
    by_tier: (SA & { tierId: string; winners: number; http_ms: number | null; decided_after_call_ms: number | null; from_decision: SA; by: Record<string, { p50: number | null; p99: number | null; min: number | null }> })[];
    done_after_last_reveal_call_ms: S; personal_result_after_last_reveal_call_ms: S; results_delay_ms: number; personal_result_missing: number;
  };
  errors_by_code: Record<string, number>;
  connect: { connect_time_s: number; connections_per_s: number };
  bundle: { problems: string[] };
  cpu: { connect: CpuPart; entry_window: CpuPart; reveals: CpuPart };
  memory_rss_mb: { after_entries: Record<string, number | null> };
  load_event_loop_ms: { proc: number; p99: number; max: number }[];
  context: Record<string, unknown>;
}): string {
  const c = r.context;
  const m = r.machine;
  const roles = (x: CpuPart) => Object.entries(x.by_role).map(([k, val]) => `${k} ${fmt(val)}`).join(", ");
  const lines = [
    `# bench:flash — ${String(c.started_at)}${r.quick ? " (quick)" : ""}`,
    "",
    `${fmt(r.clients)} clients (${String(c.load_processes)} load processes, ${String(c.client ?? "raw")} client, websocket) over ${String(c.nodes)} socket nodes (${r.engine.map((e) => `${e.engine}${e.uws_native ? " native" : ""}`).join(", ")}) and ${String(c.workers)} worker(s); ` +
      `one draw \`${String(c.draw_id)}\` (window ${String(c.draw_ms)} ms, autoReveal false, tiers 1/10/100); every client enters at a random moment in the first ${String(c.enter_window_ms)} ms. ` +
      `Redis ${String(c.redis_version)}; Node ${m.node}; ${m.cores} CPUs (${m.cpu_model}), shared by everything; load average ${m.load_avg_start.join(" ")} at the start, ${m.load_avg_end.join(" ")} at the end.`,
    "",
    "| figure | value | target | met |",
    "|---|---|---|---|",
    `| entries acked / stored in Redis (stream) / counted (state) | ${fmt(r.entries_acked)} / ${fmt(r.entries_stored)} / ${fmt(r.entries_counted)} | equal (and = entrants hash = proof bundle) | ${yes(r.met.entries_acked_eq_stored)} |`,
    `| join latency p50 / p95 / p99 / max (enter sent → ack) | ${r.join_p50_ms} / ${r.join_p95_ms} / ${r.join_p99_ms} / ${r.join_max_ms} ms | | |`,
    `| reveal latency p50 / p99 / max at ${fmt(r.reveal_clients)} clients (host call → client, all tiers, missing = ∞) | ${v(r.reveal_p50_ms)} / ${v(r.reveal_p99_ms)} / ${v(r.reveal_max_ms)} ms | p99 ≤ 250 ms | ${yes(r.met.reveal_p99_ms)} |`,
    `| reveal missing (client × tier; clients) | ${fmt(r.reveal_missing)}; ${fmt(r.reveal_missing_clients)} | 0 | ${yes(r.met.reveal_missing)} |`,
    `| countdown spread: max − min of clients' estimated deadline (after SDK clock sync) | ${v(r.countdown_spread_ms)} ms over ${fmt(r.countdown_clients)} clients (${fmt(r.countdown_missing)} without an estimate) | ≤ 20 ms | ${yes(r.met.countdown_spread_ms)} |`,
    `| countdown error p99 of \\|estimate − authoritative\\| | ${v(r.countdown_error_p99_ms)} ms | | |`,
    `| proof bundle verified (verifyBundle) | ${r.bundle_verified ? "yes" : "no"} | yes | ${yes(r.met.bundle_verified)} |`,
    "",
    `All targets met: ${r.all_targets_met ? "yes" : "**no**"}.`,
    "",
    `- Connect: ${fmt(r.connected)} connected, ${fmt(r.subscribed)} subscribed and clock-synced in ${r.connect.connect_time_s} s (${fmt(r.connect.connections_per_s)} connections/s).`,
    `- Clock sync (${r.countdown.clock_samples} time:sync round trips per client, lowest RTT wins): winning RTT p50 ${r.countdown.sync_rtt_ms.p50} / p99 ${r.countdown.sync_rtt_ms.p99} ms; signed error min / p50 / p99 / max ${r.countdown.estimate_error_ms.min} / ${r.countdown.estimate_error_ms.p50} / ${r.countdown.estimate_error_ms.p99} / ${r.countdown.estimate_error_ms.max_received} ms; sync failed ${r.countdown.sync_failed}; Redis TIME − shared clock ${r.countdown.redis_clock_offset_ms.offsetMs} ms.`,
    `- Entries: ${fmt(r.entries_sent)} sent; entrants hash ${fmt(r.entries.redis.entrants_hash_len)}; acked but not stored ${r.entries.redis.acked_not_stored}, stored but not acked ${r.entries.redis.stored_not_acked}; last sent ${r.entries.enter_sent_after_open_ms.max} ms and last acked ${r.entries.enter_acked_after_open_ms.max} ms after the draw opened; acked after the deadline: ${r.entries.acked_after_deadline}; acked but not in the bundle: ${r.entries.acked_not_in_bundle}; in the bundle but not acked: ${r.entries.in_bundle_not_acked}.`,
    `- Countdown delivery (draw:countdown received − serverTime): p50 ${r.countdown.delivery_ms.p50} ms, p99 ${r.countdown.delivery_ms.p99} ms, max ${r.countdown.delivery_ms.max} ms.`,
    `- Close: the draw was seen \`drawn\` ${r.close.drawn_seen_after_deadline_ms} ms after its deadline; draw:closed reached clients p50 ${r.close.closed_event_after_deadline_ms.p50} / max ${r.close.closed_event_after_deadline_ms.max} ms after it (missing ${r.close.closed_missing}).`,
    `- Reveals by tier (host call → client): ${r.reveal.by_tier.map((x) => `${x.tierId} (${x.winners} winners; HTTP ${x.http_ms} ms; decided ${x.decided_after_call_ms} ms after the call) p50 ${v(x.p50)} / p99 ${v(x.p99)} / max ${v(x.max)} ms, missing ${x.missing}`).join("; ")}.`,
    `- Reveal from the server's decision (serverTime → client): p50 ${v(r.reveal.from_decision_ms.p50)} / p99 ${v(r.reveal.from_decision_ms.p99)} ms.`,
    `- After the final reveal call (the server pauses ${r.reveal.results_delay_ms} ms first, LIVEDRAW_DRAW_RESULTS_DELAY_MS): draw:done p50 ${r.reveal.done_after_last_reveal_call_ms.p50} / p99 ${r.reveal.done_after_last_reveal_call_ms.p99} ms; personal draw:result p50 ${r.reveal.personal_result_after_last_reveal_call_ms.p50} / p99 ${r.reveal.personal_result_after_last_reveal_call_ms.p99} / max ${r.reveal.personal_result_after_last_reveal_call_ms.max} ms (missing ${r.reveal.personal_result_missing}).`,
    `- Reveal latency p50 / p99 by where the client was: ${r.reveal.by_tier.map((x) => `${x.tierId}: ${Object.entries(x.by).map(([k, b]) => `${k} ${b.p50} / ${b.p99}`).join(", ")}`).join("; ")} ms.`,
    `- CPU (% of one core; machine ${m.cores * 100} %): connect (${r.cpu.connect.seconds} s) ${roles(r.cpu.connect)}; entry window (${r.cpu.entry_window.seconds} s) ${roles(r.cpu.entry_window)}; reveals (${r.cpu.reveals.seconds} s) ${roles(r.cpu.reveals)}.`,
    `- Memory RSS after entries (MB): ${Object.entries(r.memory_rss_mb.after_entries).map(([k, val]) => `${k} ${val ?? "?"}`).join(", ")}.`,
    `- Load-process event-loop delay p99 / max: ${r.load_event_loop_ms.map((x) => `${x.p99} / ${x.max} ms`).join("; ")} (above the 10 ms sampling interval; part of every client-side latency).`,
  ];
  if (Object.keys(r.errors_by_code).length) lines.push(`- Errors by code: ${Object.entries(r.errors_by_code).map(([k, val]) => `${k} ${fmt(val)}`).join(", ")}.`);
  if (r.bundle.problems.length) lines.push(`- Bundle problems: ${r.bundle.problems.join("; ")}.`);
  return `${lines.join("\n")}\n`;
}
