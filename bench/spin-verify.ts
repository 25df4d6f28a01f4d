/**
 * bench:spin's truth from Redis for one ladder step (one campaign), after its load:
 *
 *   1. waits (up to `settleS`) for the workers to empty the campaign's spin stream;
 *   2. reads the whole ledger stream: resolved spins per second (ledger entry id = Redis time of the
 *      resolution), resolved in the measured window, duplicates (more than one ledger entry for an
 *      intent), wins per tier, and for a tier that sold out the ledger entry that took its last unit
 *      (when, which intent, how many spins had been resolved by then);
 *   3. scans the results hash: server-side latency = intent id's ms (Redis time of the append) →
 *      `resolvedAt` (Redis time of the resolution), for intents appended in the window, and the first
 *      `sold_out` result;
 *   4. lost = acked intent ids (each load process wrote its own) without a result although the cursor
 *      has passed them; acked ones beyond the cursor are reported as still pending, not lost;
 *   5. stock accounting per tier (stocked = issued + remaining, issued ≤ stocked, issued = ledger wins)
 *      and the stats endpoint's answer;
 *   6. deletes the campaign's keys (each step uses a fresh campaign; this keeps Redis memory and the
 *      AOF bounded over a ladder).
 */
import { existsSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import type { Redis } from "ioredis";
import { type campaignKeys, campaignTag, spinCampaignsKey } from "../core/redis-keys.js";
import { CoarseHistogram, Histogram } from "./histogram.js";
import { fmt, round, say } from "./log.js";

export interface VerifyOptions {
  redis: Redis;
  campaignId: string;
  k: ReturnType<typeof campaignKeys>;
  /** Files with acked intent ids, one per line (one per load process). */
  ackedFiles: string[];
  settleS: number;
  tiers: { tierId: string; probability: number }[];
  /** The measured window, epoch ms (Redis and this machine share the clock). */
  windowStartMs: number;
  windowEndMs: number;
  /** Second 0 of the per-second series (the run's start, epoch ms). */
  runStartMs: number;
  nodeUrl: string;
  hostToken: string;
}

/** A stream id "ms-seq" as [ms, seq]. */
const idParts = (id: string): [number, number] => {
  const dash = id.indexOf("-");
  return [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
};
const idAfter = (a: string, b: string): boolean => {
  const [am, as] = idParts(a);
  const [bm, bs] = idParts(b);
  return am > bm || (am === bm && as > bs);
};

export async function verifyStep(o: VerifyOptions) {
  const { redis, k } = o;
  // 1. Settle: no pending intent and no new result for 1 s (nodes may still append late intents).
  const settleStart = performance.now();
  let lastLen = -1;
  let stableSince = performance.now();
  let lastSaid = 0;
  while (performance.now() - settleStart < o.settleS * 1000) {
    const [pending, len] = await Promise.all([redis.xlen(k.spins), redis.hlen(k.results)]);
    if (len !== lastLen || pending > 0) {
      lastLen = len;
      stableSince = performance.now();
    }
    if (pending === 0 && performance.now() - stableSince >= 1000) break;
    if (pending > 0 && performance.now() - lastSaid > 5000) {
      say(`  waiting for the workers: ${fmt(pending)} intents pending`);
      lastSaid = performance.now();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const settleS = (performance.now() - settleStart) / 1000;
  const [pendingAfter, cursor] = await Promise.all([redis.xlen(k.spins), redis.get(k.cursor)]);

  // 2. The ledger.
  const [stockedRaw, issuedRaw, remainingRaw] = await Promise.all([redis.hgetall(k.stocked), redis.hgetall(k.issued), redis.hgetall(k.inventory)]);
  const stockedOf = (t: string) => Number(stockedRaw[t] ?? 0);
  const seen = new Set<string>();
  let ledgerSpinEntries = 0;
  let ledgerDuplicates = 0;
  let resolvedInWindow = 0;
  const resolvedPerSecond = new Map<number, number>();
  const ledgerWins: Record<string, number> = {};
  const soldOutAt: Record<string, { at_ms: number; intent: string; resolved_before: number }> = {};
  let lastLedgerMs = 0;
  let from = "-";
  for (let guard = 0; guard < 100_000; guard++) {
    const page = (await redis.xrange(k.ledger, from, "+", "COUNT", 20_000)) as [string, string[]][];
    for (const [id, fields] of page) {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      if (f.type !== "spin") continue;
      const ms = idParts(id)[0];
      lastLedgerMs = ms;
      ledgerSpinEntries++;
      if (seen.has(f.intent!)) ledgerDuplicates++;
      else seen.add(f.intent!);
      if (ms >= o.windowStartMs && ms < o.windowEndMs) resolvedInWindow++;
      const sec = Math.floor((ms - o.runStartMs) / 1000);
      resolvedPerSecond.set(sec, (resolvedPerSecond.get(sec) ?? 0) + 1);
      if (f.outcome === "won") {
        const t = f.tier!;
        const n = (ledgerWins[t] = (ledgerWins[t] ?? 0) + 1);
        if (n === stockedOf(t)) soldOutAt[t] = { at_ms: ms, intent: f.intent!, resolved_before: ledgerSpinEntries };
      }
    }
    if (page.length < 20_000) break;
    from = `(${page[page.length - 1]![0]}`;
  }

  // 3. The results hash: server-side latency and the first sold-out result.
  const serverLatency = new Histogram();
  /** Server-side latency by the second (since runStartMs) of the intent's append. */
  const serverLatencyPerSecond = new Map<number, CoarseHistogram>();
  const resultIds = new Set<string>();
  let appendedInWindow = 0;
  let firstSoldOutResultMs: number | null = null;
  let scan = "0";
  do {
    const [next, flat] = await redis.hscan(k.results, scan, "COUNT", 10_000);
    scan = next;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const id = flat[i]!;
      const json = flat[i + 1]!;
      resultIds.add(id);
      const at = Number(/"resolvedAt":(\d+)/.exec(json)?.[1] ?? NaN);
      if (json.includes('"reason":"sold_out"') && (firstSoldOutResultMs === null || at < firstSoldOutResultMs)) firstSoldOutResultMs = at;
      const appendedMs = idParts(id)[0];
      if (appendedMs >= o.windowStartMs && appendedMs < o.windowEndMs) {
        appendedInWindow++;
        if (Number.isFinite(at)) {
          serverLatency.record(at - appendedMs);
          const sec = Math.floor((appendedMs - o.runStartMs) / 1000);
          let h = serverLatencyPerSecond.get(sec);
          if (!h) serverLatencyPerSecond.set(sec, (h = new CoarseHistogram()));
          h.record(at - appendedMs);
        }
      }
    }
  } while (scan !== "0");

  // 4. Lost: acked, no result, and the resolver's cursor is past it.
  let ackedIds = 0;
  let lost = 0;
  let ackedPending = 0;
  const lostSamples: string[] = [];
  const acked = new Set<string>();
  let ackedIdDuplicates = 0;
  for (const file of o.ackedFiles) {
    const ids = existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
    for (const id of ids) {
      ackedIds++;
      if (acked.has(id)) ackedIdDuplicates++;
      acked.add(id);
      if (resultIds.has(id)) continue;
      if (cursor === null || idAfter(id, cursor)) ackedPending++;
      else {
        lost++;
        if (lostSamples.length < 10) lostSamples.push(id);
      }
    }
  }
  let resolvedNotAcked = 0;
  for (const id of seen) if (!acked.has(id)) resolvedNotAcked++;

  // 5. Stock accounting.
  const stock = o.tiers.map((x) => {
    const s = stockedOf(x.tierId);
    const iss = Number(issuedRaw[x.tierId] ?? 0);
    const rem = Number(remainingRaw[x.tierId] ?? 0);
    const wins = ledgerWins[x.tierId] ?? 0;
    const so = soldOutAt[x.tierId];
    return {
      tierId: x.tierId, probability: x.probability, stocked: s, issued: iss, remaining: rem, ledger_wins: wins,
      accounting_ok: iss <= s && s === iss + rem && rem >= 0 && wins === iss,
      sold_out: rem === 0,
      /** The ledger entry that took the last unit: Redis time (s after the window start), its intent, spins resolved by then. */
      sold_out_at_s: so ? round((so.at_ms - o.windowStartMs) / 1000, 3) : null,
      sold_out_intent: so?.intent ?? null,
      sold_out_after_resolved: so?.resolved_before ?? null,
      sold_out_in_window: so !== undefined && so.at_ms >= o.windowStartMs && so.at_ms < o.windowEndMs,
    };
  });
  const oversold = stock.filter((s) => s.issued > s.stocked || s.remaining < 0 || s.stocked !== s.issued + s.remaining).length;
  const statsRes = await fetch(`${o.nodeUrl}/v1/campaigns/${o.campaignId}/stats`, { headers: { authorization: `Bearer ${o.hostToken}` } }).catch(() => null);
  const apiStats = statsRes?.ok ? ((await statsRes.json()) as unknown) : { error: statsRes ? `HTTP ${statsRes.status}` : "unreachable" };

  // 6. Clean up this campaign's keys.
  let deleted = 0;
  let sc = "0";
  do {
    const [next, keys] = await redis.scan(sc, "MATCH", `${campaignTag(o.campaignId)}*`, "COUNT", 5000);
    sc = next;
    if (keys.length) deleted += await redis.unlink(...keys);
  } while (sc !== "0");
  await redis.srem(spinCampaignsKey, o.campaignId);

  return {
    settle_s: round(settleS, 1),
    pending_after_settle: pendingAfter,
    resolved_in_window: resolvedInWindow,
    appended_in_window: appendedInWindow,
    ledger_spin_entries: ledgerSpinEntries,
    ledger_duplicate_intents: ledgerDuplicates,
    last_resolution_after_window_s: lastLedgerMs ? round((lastLedgerMs - o.windowEndMs) / 1000, 2) : null,
    results_hash_len: resultIds.size,
    acked_intent_ids: ackedIds,
    acked_id_duplicates: ackedIdDuplicates,
    acked_still_pending: ackedPending,
    lost,
    lost_samples: lostSamples,
    resolved_not_acked: resolvedNotAcked,
    first_sold_out_result_at_s: firstSoldOutResultMs === null ? null : round((firstSoldOutResultMs - o.windowStartMs) / 1000, 3),
    stock,
    oversold,
    stats_endpoint: apiStats,
    keys_deleted: deleted,
    serverLatency,
    serverLatencyPerSecond,
    resolvedPerSecond,
  };
}
