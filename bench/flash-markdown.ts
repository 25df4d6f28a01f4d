/** The Markdown report of bench:flash (bench/results/<name>.md). */
import { fmt } from "./log.js";
import { yes } from "./report.js";
import type { stats } from "./stats.js";

type S = ReturnType<typeof stats>;
type CpuPart = { by_role: Record<string, number>; seconds: number };
export function flashMarkdown(r: {
  clients: number; connected: number; subscribed: number; entries_sent: number; entries_acked: number; entries_counted: number;
  join_p50_ms: number; join_p95_ms: number; join_p99_ms: number; join_max_ms: number;
  reveal_p50_ms: number | null; reveal_p99_ms: number | null; reveal_max_ms: number | null; reveal_missing: number;
  countdown_skew_ms: number | null; countdown_offset_spread_ms: number | null; bundle_verified: boolean;
  met: Record<string, boolean>; all_targets_met: boolean;
  entries: { acked_not_in_bundle: number; in_bundle_not_acked: number; enter_sent_after_open_ms: S; enter_acked_after_open_ms: S; acked_after_deadline: number };
  countdown: { delivery_ms: S; offset_ms: S & { spread: number | null; spread_p1_p99: number | null } };
  close: { drawn_seen_after_deadline_ms: number; closed_event_after_deadline_ms: S; closed_missing: number };
  reveal: {
    by_tier: (S & { tierId: string; winners: number; http_ms: number | null; missing: number | undefined; by: Record<string, { p50: number | null; p99: number | null; min: number | null }> })[];
    first_tier_ms: S; done_after_last_reveal_call_ms: S; personal_result_after_last_reveal_call_ms: S; results_delay_ms: number; personal_result_missing: number;
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
  const roles = (x: CpuPart) => Object.entries(x.by_role).map(([k, v]) => `${k} ${fmt(v)}`).join(", ");
  const lines = [
    `# bench:flash — ${String(c.started_at)}`,
    "",
    `${fmt(r.clients)} clients (${String(c.load_processes)} load processes, ${String(c.client ?? "socket.io-client")} client, websocket) over ${String(c.nodes)} socket nodes (${String(c.engine)}) and ${String(c.workers)} worker(s); ` +
      `one draw \`${String(c.draw_id)}\` (window ${String(c.draw_ms)} ms, autoReveal false, tiers 1/10/100); every client enters at a random moment in the first ${String(c.enter_window_ms)} ms. ` +
      `Redis ${String(c.redis_version)}; Node ${String(c.node_version)}; ${String(c.cpu_count)} CPUs (${String(c.cpu_model)}), shared by everything.`,
    "",
    "| figure | value | target | met |",
    "|---|---|---|---|",
    `| entries acked / counted by the draw | ${fmt(r.entries_acked)} / ${fmt(r.entries_counted)} | equal (and = proof bundle) | ${yes(r.met.entries_acked_eq_counted)} |`,
    `| join latency p50 / p95 / p99 / max (enter sent → ack) | ${r.join_p50_ms} / ${r.join_p95_ms} / ${r.join_p99_ms} / ${r.join_max_ms} ms | | |`,
    `| reveal latency p50 / p99 / max (host call → client, all tiers) | ${r.reveal_p50_ms} / ${r.reveal_p99_ms} / ${r.reveal_max_ms} ms | p99 ≤ 250 ms | ${yes(r.met.reveal_p99_ms)} |`,
    `| reveal missing (clients) | ${r.reveal_missing} | 0 | ${yes(r.met.reveal_missing)} |`,
    `| countdown skew (spread of deadline values seen, both nodes) | ${r.countdown_skew_ms} ms | ≤ 20 ms | ${yes(r.met.countdown_skew_ms)} |`,
    `| spread of clients' serverTime offsets (clock-corrected countdowns; p1–p99) | ${r.countdown_offset_spread_ms} ms (${r.countdown.offset_ms.spread_p1_p99} ms) | | |`,
    `| proof bundle verified (verifyBundle) | ${r.bundle_verified ? "yes" : "no"} | yes | ${yes(r.met.bundle_verified)} |`,
    "",
    `All targets met: ${r.all_targets_met ? "yes" : "**no**"}.`,
    "",
    `- Connect: ${fmt(r.connected)} connected, ${fmt(r.subscribed)} subscribed in ${r.connect.connect_time_s} s (${fmt(r.connect.connections_per_s)} connections/s).`,
    `- Entries: ${fmt(r.entries_sent)} sent; last sent ${r.entries.enter_sent_after_open_ms.max} ms and last acked ${r.entries.enter_acked_after_open_ms.max} ms after the draw opened (server time); acked after the deadline: ${r.entries.acked_after_deadline}; acked but not in the bundle: ${r.entries.acked_not_in_bundle}; in the bundle but not acked: ${r.entries.in_bundle_not_acked}.`,
    `- Countdown delivery (draw:countdown received − serverTime): p50 ${r.countdown.delivery_ms.p50} ms, p99 ${r.countdown.delivery_ms.p99} ms, max ${r.countdown.delivery_ms.max} ms.`,
    `- Close: the draw was seen \`drawn\` ${r.close.drawn_seen_after_deadline_ms} ms after its deadline; draw:closed reached clients p50 ${r.close.closed_event_after_deadline_ms.p50} / max ${r.close.closed_event_after_deadline_ms.max} ms after it (missing ${r.close.closed_missing}).`,
    `- Reveals by tier: ${r.reveal.by_tier.map((x) => `${x.tierId} (${x.winners} winners; HTTP ${x.http_ms} ms) p50 ${x.p50} / p99 ${x.p99} / max ${x.max} ms, missing ${x.missing}`).join("; ")}.`,
    `- After the final reveal call (the server pauses ${r.reveal.results_delay_ms} ms first, LIVEDRAW_DRAW_RESULTS_DELAY_MS): draw:done p50 ${r.reveal.done_after_last_reveal_call_ms.p50} / p99 ${r.reveal.done_after_last_reveal_call_ms.p99} ms; personal draw:result p50 ${r.reveal.personal_result_after_last_reveal_call_ms.p50} / p99 ${r.reveal.personal_result_after_last_reveal_call_ms.p99} / max ${r.reveal.personal_result_after_last_reveal_call_ms.max} ms (missing ${r.reveal.personal_result_missing}).`,
    `- Reveal latency p50 / p99 by where the client was: ${r.reveal.by_tier.map((x) => `${x.tierId}: ${Object.entries(x.by).map(([k, v]) => `${k} ${v.p50} / ${v.p99}`).join(", ")}`).join("; ")} ms.`,
    `- CPU (% of one core; machine ${String(Number(c.cpu_count) * 100)} %): connect (${r.cpu.connect.seconds} s) ${roles(r.cpu.connect)}; entry window (${r.cpu.entry_window.seconds} s) ${roles(r.cpu.entry_window)}; reveals (${r.cpu.reveals.seconds} s) ${roles(r.cpu.reveals)}.`,
    `- Memory RSS after entries (MB): ${Object.entries(r.memory_rss_mb.after_entries).map(([k, v]) => `${k} ${v ?? "?"}`).join(", ")}.`,
    `- Load-process event-loop delay p99 / max: ${r.load_event_loop_ms.map((x) => `${x.p99} / ${x.max} ms`).join("; ")} (above the 10 ms sampling interval; part of every client-side latency).`,
  ];
  if (Object.keys(r.errors_by_code).length) lines.push(`- Errors by code: ${Object.entries(r.errors_by_code).map(([k, v]) => `${k} ${fmt(v)}`).join(", ")}.`);
  if (r.bundle.problems.length) lines.push(`- Bundle problems: ${r.bundle.problems.join("; ")}.`);
  return `${lines.join("\n")}\n`;
}
