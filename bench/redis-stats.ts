/** Redis per-command time (INFO commandstats) and its difference over a measurement window. */
import type { Redis } from "ioredis";

export async function commandStats(redis: Redis): Promise<Map<string, { calls: number; usec: number }>> {
  const m = new Map<string, { calls: number; usec: number }>();
  const text = await redis.info("commandstats").catch(() => "");
  for (const line of text.split("\n")) {
    const r = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (r) m.set(r[1]!, { calls: Number(r[2]), usec: Number(r[3]) });
  }
  return m;
}

/** Redis time spent per command during the window (EVALSHA covers all Lua: the app's and BullMQ's). */
export function redisCommandDiff(a: Map<string, { calls: number; usec: number }> | null, b: Map<string, { calls: number; usec: number }> | null, seconds: number) {
  if (!a || !b || seconds <= 0) return null;
  const rows = [...b.entries()].map(([cmd, v]) => {
    const calls = v.calls - (a.get(cmd)?.calls ?? 0);
    const usec = v.usec - (a.get(cmd)?.usec ?? 0);
    return { cmd, calls_per_s: Math.round(calls / seconds), busy_pct_of_one_core: Math.round((usec / 1e6 / seconds) * 1000) / 10, usec_per_call: calls ? Math.round((usec / calls) * 10) / 10 : 0 };
  });
  return rows.filter((r) => r.calls_per_s > 0).sort((x, y) => y.busy_pct_of_one_core - x.busy_pct_of_one_core).slice(0, 12);
}
