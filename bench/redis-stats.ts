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

/** Redis's own CPU seconds (INFO cpu: used_cpu_sys + used_cpu_user, all its threads). */
export async function redisCpuSeconds(redis: Redis): Promise<number | null> {
  const text = await redis.info("cpu").catch(() => "");
  const sys = /used_cpu_sys:([\d.]+)/.exec(text)?.[1];
  const user = /used_cpu_user:([\d.]+)/.exec(text)?.[1];
  return sys !== undefined && user !== undefined ? Number(sys) + Number(user) : null;
}

const SCRIPT_COMMANDS = new Set(["eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"]);

/**
 * Redis work per resolved spin over a window, from two INFO commandstats snapshots. Redis counts a
 * command called from inside a Lua script both in its own row and (as time) inside the script's
 * row, so: `commands_per_spin` counts every command Redis executed (script-inner ones included),
 * `script_calls_per_spin` the EVAL/EVALSHA/FCALL calls alone (commands clients sent directly cannot be
 * told apart from script-inner ones in commandstats). The time Redis spends per spin is best read
 * from its CPU (redisCpuSeconds / /proc), which also covers parsing, replies and the AOF. `top` lists the heaviest rows per spin (µs of a script row include its inner commands' µs).
 */
export function redisCostPerSpin(a: Map<string, { calls: number; usec: number }> | null, b: Map<string, { calls: number; usec: number }> | null, spins: number) {
  if (!a || !b || spins <= 0) return null;
  let all = 0;
  let scripts = 0;
  let scriptUsec = 0;
  let otherUsec = 0;
  const rows: { cmd: string; calls_per_spin: number; usec_per_spin: number; usec_per_call: number }[] = [];
  for (const [cmd, v] of b) {
    if (cmd === "info" || cmd.startsWith("config")) continue; // the bench's own probes
    const calls = v.calls - (a.get(cmd)?.calls ?? 0);
    const usec = v.usec - (a.get(cmd)?.usec ?? 0);
    if (calls <= 0) continue;
    all += calls;
    if (SCRIPT_COMMANDS.has(cmd)) {
      scripts += calls;
      scriptUsec += usec;
    } else otherUsec += usec;
    rows.push({ cmd, calls_per_spin: calls / spins, usec_per_spin: usec / spins, usec_per_call: usec / calls });
  }
  rows.sort((x, y) => y.usec_per_spin - x.usec_per_spin);
  const r4 = (n: number) => Math.round(n * 10_000) / 10_000;
  return {
    commands_per_spin: r4(all / spins),
    script_calls_per_spin: r4(scripts / spins),
    /** µs inside EVAL/EVALSHA/FCALL per spin (their inner commands included). */
    script_usec_per_spin: r4(scriptUsec / spins),
    /** µs of every other row per spin: the commands clients sent plus those called inside scripts (already in script_usec). */
    other_rows_usec_per_spin: r4(otherUsec / spins),
    top: rows.slice(0, 15).map((r) => ({ cmd: r.cmd, calls_per_spin: r4(r.calls_per_spin), usec_per_spin: r4(r.usec_per_spin), usec_per_call: Math.round(r.usec_per_call * 100) / 100 })),
  };
}

/** Redis's forks (AOF rewrites; INFO stats and persistence): a fork stops Redis while it copies its page tables. */
export interface ForkStats {
  total_forks: number;
  aof_rewrites: number;
  latest_fork_usec: number;
}

export async function forkStats(redis: Redis): Promise<ForkStats | null> {
  const text = (await redis.info("stats").catch(() => "")) + (await redis.info("persistence").catch(() => ""));
  const n = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(text)?.[1] ?? Number.NaN);
  const out = { total_forks: n("total_forks"), aof_rewrites: n("aof_rewrites"), latest_fork_usec: n("latest_fork_usec") };
  return Object.values(out).every(Number.isFinite) ? out : null;
}

/** Forks during a window: how many, and the last one's pause (a spike in every latency of its second). */
export function forkDiff(a: ForkStats | null, b: ForkStats | null): { forks: number; aof_rewrites: number; latest_fork_ms: number } | null {
  if (!a || !b) return null;
  return { forks: b.total_forks - a.total_forks, aof_rewrites: b.aof_rewrites - a.aof_rewrites, latest_fork_ms: Math.round(b.latest_fork_usec / 100) / 10 };
}
