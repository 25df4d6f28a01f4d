import { describe, expect, it } from "vitest";
import { lineChart, niceTicks } from "../bench/svg-chart.js";
import { buildSummary, reportMarkdown } from "../bench/summary.js";

describe("benchmark report", () => {
  it("draws each line as a path, breaking it at nulls, with round ticks", () => {
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80, 100]);
    const svg = lineChart({ id: "x", title: "p99 <ms>", unit: "ms", x_label: "s", x: [0, 1, 2, 3], lines: [{ name: "a", y: [1, 2, null, 4] }, { name: "b", y: [5, 5, 5, 5] }] });
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("p99 &lt;ms&gt;");
    const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]!);
    expect(paths).toHaveLength(2);
    expect(paths[0]!.match(/M/g)).toHaveLength(2); // the null split line a in two
  });

  it("copies figures, computes ratios (> 1 = ours better) and verdicts, and says what did not run", () => {
    const data = {
      spin: { sustained_per_s: 12_000, server_cpu_us_per_spin: 60, redis_limit_spins_per_s: 40_000, lost: 0, duplicated: 0, oversold: 0, sold_out_reached: true, charts: [] },
      baseline: { sustained_per_s: 3_000, server_cpu_us_per_spin: 240, fanout_msgs_per_s_per_core: 100_000, rss_per_idle_client_kb: 30, reveal_p99_ms: 90, reveal_clients: 5_000 },
      flash: { reveal_p99_ms: 180, reveal_clients: 10_000, countdown_spread_ms: 12, lost: 0, duplicated: 1, oversold: 0 },
      fanout: null,
    };
    const s = buildSummary(data, [{ name: "spin", file: "spin.json", ok: true, exit: 0, signal: null, fresh: true, seconds: 60 }], { quick: true, startedAt: new Date(0).toISOString(), seconds: 70, loadStart: [1, 1, 1], loadEnd: [2, 2, 2] });
    expect(s).toMatchObject({ spin_sustained_per_s: 12_000, baseline_spin_sustained_per_s: 3_000, lost: 0, duplicated: 1, sold_out_reached: true, fraction_of_redis_limit: 0.3, fanout_msgs_per_s: null });
    const row = (what: string) => s.targets.find((t) => t.what.startsWith(what))!;
    expect(row("Sustained")).toMatchObject({ ratio: 4, met: false }); // 4× the baseline, but below 20,000
    expect(row("Server CPU")).toMatchObject({ ratio: 4, met: false });
    expect(row("Reveal p99")).toMatchObject({ met: true, ratio: null }); // 10,000 clients against 5,000: no ratio
    expect(row("Reveal p99").what).toContain("not comparable");
    expect(row("Fan-out per core")).toMatchObject({ ratio: null, met: null });
    const md = reportMarkdown(s, data, { spin: [] });
    expect(md).toContain("| Sustained spins/s at p99 ≤ 100 ms, 0 refused | 12,000 | 3,000 | 4× |");
    expect(md).toContain("## baseline (not run this time");
    expect(md).toContain("## fanout (not run this time: the figures are from its last result file)\n\nNo result file.");
  });
});
