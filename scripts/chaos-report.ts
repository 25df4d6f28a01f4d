/** bench/results/chaos.md: the chaos run's headline figures, its faults and anything that went wrong. */
import type { PrivacyVerdict } from "./chaos-privacy.js";

interface FaultRow {
  kind: string;
  target: string;
  killed_at_ms: number;
  back_at_ms: number | null;
  down_ms: number | null;
  clients_disconnected: number;
  clients_never_reconnected: number;
  recovery_ms: number;
  max_first_success_after_back_ms?: number;
  error?: string;
}

export interface ChaosReportView {
  ok: boolean;
  acked: number;
  lost: number;
  duplicated: number;
  oversold: number;
  clients: number;
  clients_consistent: number;
  max_recovery_ms: number;
  unexpected_exits: number;
  settled: boolean;
  settle_ms: number;
  still_waiting_for: string[];
  privacy: PrivacyVerdict;
  detail: Record<string, unknown> & { acked_spins: number; acked_entries: number };
  inventory: { tierId: string; stocked: number; issued: number; remaining: number; ledger_wins: number; ok: boolean }[];
  draws: { drawId: string; phase: string | null; entrants_in_redis: number; acked_entries: number; refused_entries: Record<string, number>; winners: number }[];
  faults: FaultRow[];
  inconsistent_clients: { playerId: string; problems: string[] }[];
  samples: Record<string, string[]>;
  unexpected_exit_list: { label: string; code: number | null; signal: string | null; at: number }[];
  log_problems: Record<string, number>;
  params: { seconds: number; players: number; nodes: number; workers: number };
  machine: { cpu: string; cores: number; loadavg: number[] };
  date: string;
  commit: string;
  worktree_dirty: boolean;
}

const s = (ms: number | null) => (ms === null ? "—" : `${(ms / 1000).toFixed(1)} s`);

export function chaosMarkdown(r: ChaosReportView): string {
  const lines: string[] = [];
  lines.push(`# Chaos run — ${r.ok ? "OK" : "FAILED"}`);
  lines.push("");
  lines.push(`\`npm run chaos\` on ${r.date.slice(0, 19).replace("T", " ")} UTC, commit \`${r.commit}\`${r.worktree_dirty ? " (with uncommitted changes)" : ""}; ${r.machine.cpu}, ${r.machine.cores} cores, load average ${r.machine.loadavg.join(" / ")}.`);
  lines.push(`${r.params.seconds} s of load: ${r.params.players} SDK players over ${r.params.nodes} socket nodes (each client knows every node), ${r.params.workers} workers, spins with idempotency keys and a live draw every 10 s; counts computed from Redis after the run settled${r.settled ? ` (${s(r.settle_ms)})` : ` — **it did not settle**: ${r.still_waiting_for.join("; ")}`}.`);
  lines.push("");
  lines.push("| acked | lost | duplicated | oversold | clients consistent | max recovery | unexpected exits |");
  lines.push("|---:|---:|---:|---:|---:|---:|---:|");
  lines.push(`| ${r.acked} (${r.detail.acked_spins} spins + ${r.detail.acked_entries} entries) | ${r.lost} | ${r.duplicated} | ${r.oversold} | ${r.clients_consistent} / ${r.clients} | ${r.max_recovery_ms} ms | ${r.unexpected_exits} |`);
  lines.push("");
  lines.push("## Faults");
  lines.push("");
  lines.push("| at | fault | down | clients cut | never back | recovery (max) | first success after back (max) |");
  lines.push("|---:|---|---:|---:|---:|---:|---:|");
  for (const f of r.faults) {
    const what = f.kind === "worker" ? `SIGKILL ${f.target}, replacement started` : f.kind === "node" ? `SIGKILL ${f.target}, restarted on its port` : `SIGKILL ${f.target}, restarted (same port, AOF)`;
    lines.push(`| ${s(f.killed_at_ms)} | ${what}${f.error ? ` — **${f.error}**` : ""} | ${s(f.down_ms)} | ${f.clients_disconnected} | ${f.clients_never_reconnected} | ${f.kind === "worker" ? "—" : `${f.recovery_ms} ms`} | ${f.max_first_success_after_back_ms === undefined ? "—" : `${f.max_first_success_after_back_ms} ms`} |`);
  }
  lines.push("");
  lines.push("Recovery: for each client whose connection the fault cut, the time from the service being reachable again (a killed node: at once, since the other nodes are up; Redis: its restart) to the client's `state` being `connected` again. First success: the longest any client waited, after the node or Redis was back, for its next acknowledged spin or entry.");
  lines.push("");
  const pv = r.privacy;
  lines.push("## Personal data");
  lines.push("");
  lines.push(`Searched for ${pv.needles} values (each player's raw id, phone and name): ${pv.searched.redis_keys} Redis keys (${Math.round(pv.searched.redis_bytes / 1024)} KiB), ${pv.searched.files.length} Redis files (${pv.searched.files.join(", ")}; ${Math.round(pv.searched.file_bytes / 1024)} KiB, RDB written uncompressed), ${Math.round(pv.searched.log_and_frame_bytes / 1024)} KiB of logs and received frames: **${pv.findings.length} found**${pv.findings.length ? ` (${pv.findings.slice(0, 5).map((f) => `${f.label} in ${f.where}`).join("; ")})` : ""}.`);
  lines.push(`Erasure: ${pv.erased} players erased, sealed profiles ${pv.profiles_before_erasure} → ${pv.profiles_after_erasure}; audit chain ${pv.audit_chain_ok ? "verifies" : "**broken**"}; proof bundles verified ${pv.bundles_verified}${pv.bundles_failed.length ? `, failed: ${pv.bundles_failed.join(", ")}` : ""}.`);
  lines.push("");
  lines.push("## Stock and draws");
  lines.push("");
  lines.push("| tier | stocked | issued | remaining | wins in ledger | balanced |");
  lines.push("|---|---:|---:|---:|---:|---|");
  for (const t of r.inventory) lines.push(`| ${t.tierId} | ${t.stocked} | ${t.issued} | ${t.remaining} | ${t.ledger_wins} | ${t.ok ? "yes" : "**no**"} |`);
  lines.push("");
  lines.push("| draw | phase | entries acked | entrants in Redis | winners | entries refused |");
  lines.push("|---|---|---:|---:|---:|---|");
  for (const d of r.draws) lines.push(`| ${d.drawId} | ${d.phase} | ${d.acked_entries} | ${d.entrants_in_redis} | ${d.winners} | ${Object.entries(d.refused_entries).map(([k, v]) => `${k} ×${v}`).join(", ") || "—"} |`);
  const problems = Object.entries(r.samples);
  if (problems.length || r.inconsistent_clients.length || r.unexpected_exit_list.length) {
    lines.push("");
    lines.push("## What went wrong");
    lines.push("");
    for (const e of r.unexpected_exit_list) lines.push(`- unexpected exit: ${e.label} (code ${e.code}, signal ${e.signal}) at ${s(e.at)}`);
    for (const [what, list] of problems) lines.push(`- ${what}: ${list.slice(0, 3).map((x) => `\`${x}\``).join("; ")}${list.length > 3 ? " …" : ""}`);
    for (const c of r.inconsistent_clients.slice(0, 10)) lines.push(`- client ${c.playerId}: ${c.problems.slice(0, 3).join("; ")}`);
  }
  const logged = Object.entries(r.log_problems);
  if (logged.length) {
    lines.push("");
    lines.push("## Warnings and errors logged by the processes (count)");
    lines.push("");
    for (const [msg, n] of logged.slice(0, 15)) lines.push(`- ${msg} — ${n}`);
  }
  lines.push("");
  lines.push("Full figures: `chaos.json`. Process logs of the run: `.data/chaos-logs/`.");
  lines.push("");
  return lines.join("\n");
}
