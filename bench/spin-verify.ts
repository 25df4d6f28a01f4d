/**
 * bench:spin's check in Redis after the load: waits (up to settleS) for the workers to drain the spin
 * stream, then counts lost (acked intents without a result in the results hash), duplicated (ledger
 * entries per intent) and oversold (per-tier stock accounting), and reads the stats endpoint.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { Redis } from "ioredis";
import type { campaignKeys } from "../core/redis-keys.js";
import { fmt, say } from "./log.js";

export interface VerifyOptions {
  redis: Redis;
  k: ReturnType<typeof campaignKeys>;
  /** Load processes: each wrote its acked intent ids to <workDir>/acked-<proc>.txt. */
  loadProcs: number;
  workDir: string;
  settleS: number;
  tiers: { tierId: string; probability: number }[];
  nodeUrl: string;
  campaignId: string;
  hostToken: string;
}

export async function verifySpins(o: VerifyOptions) {
  const { redis, k } = o;
  // Let the workers finish anything still pending (bounded by BENCH_SETTLE_S): an intent still in the
  // stream is late, not lost; only what is still unresolved after this counts as lost.
  const settleStart = performance.now();
  let lastPending = -1;
  // Quiescent = no pending intent and no new result for 2 s (nodes may still be appending intents
  // that were sent but never acked in time; the ledger and stock must be read after they stop).
  let lastLen = -1;
  let stableSince = performance.now();
  while (performance.now() - settleStart < o.settleS * 1000) {
    const [pending, len] = await Promise.all([redis.xlen(k.spins), redis.hlen(k.results)]);
    if (len !== lastLen || pending > 0) {
      lastLen = len;
      stableSince = performance.now();
    }
    if (pending === 0 && performance.now() - stableSince >= 2000) break;
    if (pending !== lastPending && Math.round(performance.now() - settleStart) % 5000 < 250) say(`  waiting for the workers: ${fmt(pending)} intents pending`);
    lastPending = pending;
    await new Promise((r) => setTimeout(r, 250));
  }
  const settleS = (performance.now() - settleStart) / 1000;
  const pendingAfter = await redis.xlen(k.spins);

  // lost: acked intents without a result in the campaign's results hash.
  let ackedIds = 0;
  let lost = 0;
  const lostSamples: string[] = [];
  const ackedSet = new Set<string>();
  let ackedIdDuplicates = 0;
  for (let p = 0; p < o.loadProcs; p++) {
    const file = path.join(o.workDir, `acked-${p}.txt`);
    const ids = existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
    for (const id of ids) {
      if (ackedSet.has(id)) ackedIdDuplicates++;
      ackedSet.add(id);
    }
    ackedIds += ids.length;
    for (let i = 0; i < ids.length; i += 5000) {
      const chunk = ids.slice(i, i + 5000);
      const pipe = redis.pipeline();
      for (const id of chunk) pipe.hexists(k.results, id);
      const res = (await pipe.exec()) ?? [];
      res.forEach(([err, v], j) => {
        if (err || Number(v) !== 1) {
          lost++;
          if (lostSamples.length < 10) lostSamples.push(chunk[j]!);
        }
      });
    }
  }

  // duplicated: intents with more than one ledger entry; ledger wins per tier must equal issued.
  const seen = new Set<string>();
  let ledgerSpinEntries = 0;
  let ledgerDuplicates = 0;
  const ledgerWins: Record<string, number> = {};
  let cursor = "-";
  for (let guard = 0; guard < 100_000; guard++) {
    const page = (await redis.xrange(k.ledger, cursor, "+", "COUNT", 20_000)) as [string, string[]][];
    for (const [, fields] of page) {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      if (f.type !== "spin") continue;
      ledgerSpinEntries++;
      if (seen.has(f.intent!)) ledgerDuplicates++;
      else seen.add(f.intent!);
      if (f.outcome === "won") ledgerWins[f.tier!] = (ledgerWins[f.tier!] ?? 0) + 1;
    }
    if (page.length < 20_000) break;
    cursor = `(${page[page.length - 1]![0]}`;
  }
  const resolvedNotAcked = [...seen].filter((id) => !ackedSet.has(id)).length;
  seen.clear();
  const resultsHashLen = await redis.hlen(k.results);

  // oversold: stock accounting per tier, straight from Redis and through the stats endpoint.
  const [stocked, issued, remaining] = await Promise.all([redis.hgetall(k.stocked), redis.hgetall(k.issued), redis.hgetall(k.inventory)]);
  const stock = o.tiers.map((x) => {
    const s = Number(stocked[x.tierId] ?? 0);
    const iss = Number(issued[x.tierId] ?? 0);
    const rem = Number(remaining[x.tierId] ?? 0);
    const ok = iss <= s && s === iss + rem && rem >= 0;
    const ledgerMatches = (ledgerWins[x.tierId] ?? 0) === iss;
    return { tierId: x.tierId, probability: x.probability, stocked: s, issued: iss, remaining: rem, ledger_wins: ledgerWins[x.tierId] ?? 0, ledger_matches_issued: ledgerMatches, sold_out: rem === 0, ok };
  });
  const oversold = stock.filter((s) => !s.ok).length;
  const statsRes = await fetch(`${o.nodeUrl}/v1/campaigns/${o.campaignId}/stats`, { headers: { authorization: `Bearer ${o.hostToken}` } });
  const apiStats = statsRes.ok ? ((await statsRes.json()) as unknown) : { error: `HTTP ${statsRes.status}` };
  return {
    settleS, pendingAfter, ackedIds, lost, lostSamples, ackedIdDuplicates, ledgerSpinEntries, ledgerDuplicates,
    resolvedNotAcked, resultsHashLen, stock, oversold, apiStats,
  };
}
