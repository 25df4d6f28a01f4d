/**
 * bench:spin's figures for one ladder step: the load processes' client-side view (every offered
 * intent: answered, refused by code, unanswered) joined with the truth from Redis (spin-verify.ts),
 * the CPU of every process over the measured window and Redis's own cost per spin.
 */
import { type CpuMark, cpuBetween } from "./cpu.js";
import { Histogram } from "./histogram.js";
import { round } from "./log.js";
import { redisCostPerSpin } from "./redis-stats.js";
import { add } from "./report.js";
import type { StepReport } from "./spin-load.js";
import type { verifyStep } from "./spin-verify.js";

/** Client p99 at or under this, nothing refused and nothing unanswered: the step is held. */
export const P99_LIMIT_MS = 100;

export interface StepWindowMarks {
  cpuStart: CpuMark;
  cpuEnd: CpuMark;
  cmdStart: Map<string, { calls: number; usec: number }> | null;
  cmdEnd: Map<string, { calls: number; usec: number }> | null;
  redisCpuStart: number | null;
  redisCpuEnd: number | null;
  /** Redis forks in the window (AOF rewrites): each stops Redis for `latest_fork_ms` or so. */
  forks: { forks: number; aof_rewrites: number; latest_fork_ms: number } | null;
}

/**
 * The p-th percentile of every offered intent's time to answer, the unanswered ones counted as
 * infinitely late: null when the rank falls among them.
 */
export function percentileWithMissing(h: Histogram, missing: number, p: number): number | null {
  const total = h.count + missing;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  if (rank > h.count) return null;
  return round(h.percentile((rank / h.count) * 100 - 1e-9));
}

const pcts = (h: Histogram) => ({
  p50: round(h.percentile(50)), p90: round(h.percentile(90)), p99: round(h.percentile(99)), p999: round(h.percentile(99.9)), max: round(h.max), count: h.count,
});

export function aggregateStep(o: {
  step: number;
  offeredPerS: number;
  durationS: number;
  reports: StepReport[];
  verify: Awaited<ReturnType<typeof verifyStep>>;
  marks: StepWindowMarks;
  redisLimit: number | null;
  campaignId: string;
  tiers: { tierId: string; probability: number; inventory: number }[];
}) {
  const { reports, verify: v, durationS: D } = o;
  // The per-second maps and the histogram go into the charts and the percentiles, not the JSON.
  const { serverLatency: _h, serverLatencyPerSecond: _s, resolvedPerSecond: _r, ...verifyFigures } = v;
  const latency = new Histogram();
  const latencyFromSend = new Histogram();
  const ackLatency = new Histogram();
  const answer = new Histogram();
  const refused: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  for (const r of reports) {
    latency.merge(r.latency);
    latencyFromSend.merge(r.latencyFromSend);
    ackLatency.merge(r.ackLatency);
    answer.merge(r.answer);
    add(refused, r.refused);
    add(outcomes, r.outcomes);
  }
  const sum = (f: (r: StepReport) => number) => reports.reduce((a, r) => a + f(r), 0);
  const offered = sum((r) => r.offered);
  const answered = sum((r) => r.answered);
  const refusedTotal = Object.values(refused).reduce((a, b) => a + b, 0);
  const noAck = sum((r) => r.noAck);
  const noResult = sum((r) => r.noResult);
  const unanswered = noAck + noResult;
  const p99 = latency.count ? latency.percentile(99) : Number.POSITIVE_INFINITY;

  // CPU over the measured window.
  const cpu = cpuBetween(o.marks.cpuStart, o.marks.cpuEnd);
  const cpuSeconds = (role: string) => ((cpu.by_role[role] ?? 0) / 100) * cpu.seconds;
  const resolved = v.resolved_in_window;
  const usPerSpin = (s: number) => (resolved > 0 ? round((s * 1e6) / resolved, 1) : null);
  const serverCpuS = cpuSeconds("node") + cpuSeconds("worker") + cpuSeconds("redis");
  const redisCpuS = o.marks.redisCpuStart !== null && o.marks.redisCpuEnd !== null ? o.marks.redisCpuEnd - o.marks.redisCpuStart : null;
  const redisCost = redisCostPerSpin(o.marks.cmdStart, o.marks.cmdEnd, resolved);

  const resolvedPerS = resolved / D;
  const goodputPerS = answered / D;
  const frac = (x: number) => (o.redisLimit ? round(x / o.redisLimit, 3) : null);
  const firstSoldOut = v.stock.filter((s) => s.sold_out_at_s !== null).sort((a, b) => a.sold_out_at_s! - b.sold_out_at_s!)[0];
  const soldOutReached = v.stock.some((s) => s.sold_out_in_window);
  const duplicated = v.ledger_duplicate_intents + sum((r) => r.resultDuplicates) + sum((r) => r.ackDuplicates) + v.acked_id_duplicates;
  const failed: string[] = [];
  if (!(p99 <= P99_LIMIT_MS)) failed.push(`client p99 ${latency.count ? round(p99) : "n/a"} ms > ${P99_LIMIT_MS} ms`);
  if (refusedTotal > 0) failed.push(`${refusedTotal} refused`);
  if (unanswered > 0) failed.push(`${unanswered} unanswered`);

  return {
    step: o.step,
    offered_per_s: o.offeredPerS,
    held: failed.length === 0,
    failed_because: failed,
    /** Intents scheduled in the window ÷ duration (the open-loop schedule, sent late or not). */
    offered_in_window: offered,
    /** Window intents that got their `spin:result` ÷ duration. */
    goodput_per_s: round(goodputPerS, 1),
    /** Ledger entries (spins resolved) with a Redis time inside the window ÷ duration. */
    resolved_per_s_from_redis: round(resolvedPerS, 1),
    /** Intents appended (stream id time) inside the window that have a result ÷ duration. */
    appended_per_s_from_redis: round(v.appended_in_window / D, 1),
    fraction_of_redis_limit: { offered: frac(o.offeredPerS), goodput: frac(goodputPerS), resolved: frac(resolvedPerS) },
    /** Client side, scheduled time → `spin:result` received, over every window intent that got one. */
    p50_ms: latency.count ? round(latency.percentile(50)) : null,
    p99_ms: latency.count ? round(p99) : null,
    latency_ms: pcts(latency),
    latency_from_send_ms: pcts(latencyFromSend),
    ack_latency_ms: pcts(ackLatency),
    /** Scheduled time → first answer (result or refusal) over EVERY offered intent; null where the rank falls among the unanswered. */
    time_to_answer_ms: {
      p50: percentileWithMissing(answer, unanswered, 50),
      p99: percentileWithMissing(answer, unanswered, 99),
      p999: percentileWithMissing(answer, unanswered, 99.9),
      max: unanswered > 0 ? null : round(answer.max),
    },
    /** Server side, from Redis: intent id time (append) → the result's resolvedAt, intents appended in the window. */
    server_latency_ms: pcts(v.serverLatency),
    answered,
    refused,
    refused_total: refusedTotal,
    refusal_rate: offered ? round(refusedTotal / offered, 5) : 0,
    unanswered,
    unanswered_detail: { no_ack: noAck, acked_no_result: noResult },
    send_lag_max_ms: round(Math.max(0, ...reports.map((r) => r.sendLagMaxMs))),
    server_cpu_us_per_spin: usPerSpin(serverCpuS),
    load_generator_cpu_us_per_spin: usPerSpin(cpuSeconds("load")),
    bench_process_cpu_us_per_spin: usPerSpin(cpuSeconds("bench")),
    cpu_pct_by_role: cpu.by_role,
    cpu_pct_by_process: cpu.by_process,
    cpu_window_s: cpu.seconds,
    redis_commands_per_spin: redisCost?.commands_per_spin ?? null,
    redis_us_per_spin: redisCpuS !== null ? usPerSpin(redisCpuS) : null,
    redis_cost: redisCost,
    redis_forks: o.marks.forks,
    outcomes,
    lost: v.lost,
    duplicated,
    oversold: v.oversold,
    sold_out_reached: soldOutReached,
    /** The first tier to sell out: its last unit's ledger time, s after the window start (negative = during the warm-up). */
    sold_out_at_s: firstSoldOut?.sold_out_at_s ?? null,
    sold_out_tier: firstSoldOut?.tierId ?? null,
    verification: {
      campaign_id: o.campaignId,
      tiers: o.tiers,
      ...verifyFigures,
      refused_then_resolved: sum((r) => r.refusedThenResolved),
      pushed_result_duplicates: sum((r) => r.resultDuplicates),
      ack_duplicates: sum((r) => r.ackDuplicates),
      intent_mismatches: sum((r) => r.mismatched),
      unknown_results: sum((r) => r.unknownResults),
      late_results_of_earlier_steps: sum((r) => r.otherStepResults),
      disconnects: sum((r) => r.disconnects),
      connected_at_end: sum((r) => r.connected),
      drain_ms: Math.round(Math.max(0, ...reports.map((r) => r.drainMs))),
    },
  };
}

export type StepResult = ReturnType<typeof aggregateStep>;
