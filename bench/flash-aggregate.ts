/** bench:flash's aggregation of the load processes' per-client reports: entries, countdown accuracy, close, reveals. */
import { Histogram } from "./histogram.js";
import type { FlashReport, Ts } from "./flash-load.js";
import { round } from "./log.js";
import { add } from "./report.js";

/**
 * Percentiles over every expected sample: `values` that arrived plus `missing` that never did
 * (ranked after every arrived one, as +∞). A percentile whose rank falls among the missing is null:
 * it is larger than anything measured (the run's timeout), never silently left out.
 */
export function statsAll(values: number[], missing: number) {
  const v = [...values].sort((a, b) => a - b);
  const total = v.length + Math.max(0, missing);
  const q = (p: number): number | null => {
    if (total === 0) return null;
    const rank = Math.min(total, Math.max(1, Math.ceil((p / 100) * total)));
    return rank <= v.length ? round(v[rank - 1]!) : null;
  };
  return {
    expected: total, received: v.length, missing: Math.max(0, missing),
    min: v.length ? round(v[0]!) : null, p50: q(50), p90: q(90), p95: q(95), p99: q(99), p999: q(99.9),
    max: missing > 0 || v.length === 0 ? null : round(v[v.length - 1]!),
    max_received: v.length ? round(v[v.length - 1]!) : null,
    mean_received: v.length ? round(v.reduce((a, b) => a + b, 0) / v.length) : null,
  };
}

/** Percentile points of a distribution chart (x axis: percentile). */
export const PCT_POINTS = [0, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 97, 98, 99, 99.5, 99.9, 100];

/** y per PCT_POINTS (null where the rank falls among the missing). */
export function pctLine(values: number[], missing: number): (number | null)[] {
  const v = [...values].sort((a, b) => a - b);
  const total = v.length + Math.max(0, missing);
  return PCT_POINTS.map((p) => {
    if (total === 0) return null;
    const rank = Math.min(total, Math.max(1, Math.ceil((p / 100) * total)));
    return rank <= v.length ? round(v[rank - 1]!) : null;
  });
}

export interface AggregateInput {
  reports: FlashReport[];
  /** Clients offered (BENCH_CLIENTS): the denominator of every "missing", connected or not. */
  offered: number;
  tiers: { tierId: string }[];
  /** The authoritative opening and deadline (server ms, Redis time), from the open call's answer. */
  countdown: { openedAt: number; deadline: number };
  entriesCounted: number;
  /** When each tier's reveal call was sent (shared clock). */
  reveals: { tierId: string; sentAt: number }[];
  bundleEntries: string[];
  /** Redis TIME − shared clock (ms), measured by the bench process: ≈ 0 on one machine. */
  redisOffsetMs: number;
}

export function aggregateFlash(o: AggregateInput) {
  const { reports } = o;
  const each = (f: (r: FlashReport, i: number) => void) => {
    for (const r of reports) for (let i = 0; i < r.clients; i++) f(r, i);
  };
  const val = (a: Ts, i: number) => a[i] ?? null;
  const joinHist = new Histogram();
  for (const r of reports) joinHist.merge(r.joinLatency);
  const errorsByCode: Record<string, number> = {};
  for (const r of reports) {
    add(errorsByCode, r.errors);
    add(errorsByCode, r.enterErrors);
    for (const [k, v] of Object.entries(r.disconnectReasons)) errorsByCode[`DISCONNECT:${k}`] = (errorsByCode[`DISCONNECT:${k}`] ?? 0) + v;
  }
  const reported = reports.reduce((a, r) => a + r.clients, 0);
  /** Offered clients no load process reported on (a load process that died): missing everywhere. */
  const unreported = Math.max(0, o.offered - reported);
  const ackedIds = new Set<string>();
  let entriesAcked = 0;
  let duplicateAcks = 0;
  let entriesSent = 0;
  const sentAfterOpen: number[] = [];
  const ackAfterOpen: number[] = [];
  let ackedAfterDeadline = 0;
  let audience = 0;
  let countdownMissing = 0;
  const countdownDelivery: number[] = [];
  const countdownDeliveryByNode = new Map<number, number[]>();
  /** Per client: the authoritative time at which its SDK-style countdown reaches zero, − the deadline. */
  const estimateError: number[] = [];
  const estimateErrorByNode = new Map<number, number[]>();
  const estimatedDeadline: number[] = [];
  const syncRtt: number[] = [];
  let estimateMissing = unreported;
  const closedDelay: number[] = [];
  let closedMissing = 0;
  let closedMismatch = 0;
  const revealLat: Record<string, number[]> = Object.fromEntries(o.tiers.map((x) => [x.tierId, [] as number[]]));
  /** From the reveal's serverTime (decided on the server, Redis time) → receipt. */
  const revealFromDecision: Record<string, number[]> = Object.fromEntries(o.tiers.map((x) => [x.tierId, [] as number[]]));
  /** tier → "node-N" / "load-N" → latencies: tells server-side from client-side delay. */
  const revealBy: Record<string, Record<string, number[]>> = Object.fromEntries(o.tiers.map((x) => [x.tierId, {} as Record<string, number[]>]));
  const push = (m: Record<string, number[]>, k: string, v: number) => (m[k] ??= []).push(v);
  const revealMissingByTier: Record<string, number> = Object.fromEntries(o.tiers.map((x) => [x.tierId, unreported]));
  const allReveal: number[] = [];
  const allFromDecision: number[] = [];
  let revealMissingClients = unreported;
  let doneMissing = 0;
  let resultMissing = 0;
  /** From the final tier's reveal call: draw:done and draw:result receipt (they follow LIVEDRAW_DRAW_RESULTS_DELAY_MS later). */
  const lastRevealSentAt = o.reveals.find((x) => x.tierId === o.tiers.at(-1)?.tierId)?.sentAt;
  const doneLat: number[] = [];
  const resultLat: number[] = [];
  const decidedAt: Record<string, number | null> = {};
  for (const tier of o.tiers) {
    const seen = reports.map((r) => r.revealServerTime[tier.tierId]).filter((x): x is number => Number.isFinite(x));
    decidedAt[tier.tierId] = seen.length ? Math.min(...seen) : null;
  }
  each((r, i) => {
    const node = r.node[i]!;
    const inRoom = r.subscribed[i] === 1;
    if (inRoom) audience++;
    const cAt = val(r.countdownAt, i);
    const cSt = val(r.countdownServerTime, i);
    if (cAt !== null && cSt !== null) {
      const d = cAt - cSt;
      countdownDelivery.push(d);
      if (!countdownDeliveryByNode.has(node)) countdownDeliveryByNode.set(node, []);
      countdownDeliveryByNode.get(node)!.push(d);
    } else countdownMissing++;
    // Countdown accuracy: the client shows 0 at local time (deadline − offset); the authoritative clock
    // (Redis) reads that instant as (deadline − offset) + redisOffset. Error = that − the real deadline.
    const dl = val(r.countdownDeadline, i);
    const off = val(r.syncOffset, i);
    if (dl !== null && off !== null) {
      const est = dl - off + o.redisOffsetMs;
      estimatedDeadline.push(est);
      estimateError.push(est - o.countdown.deadline);
      if (!estimateErrorByNode.has(node)) estimateErrorByNode.set(node, []);
      estimateErrorByNode.get(node)!.push(est - o.countdown.deadline);
    } else estimateMissing++;
    const rtt = val(r.syncRtt, i);
    if (rtt !== null) syncRtt.push(rtt);
    const s = val(r.enterSentAt, i);
    if (s !== null) {
      entriesSent++;
      sentAfterOpen.push(s - o.countdown.openedAt);
    }
    const a = val(r.enterAckAt, i);
    const id = r.intentIds[i];
    if (a !== null && id) {
      entriesAcked++;
      if (ackedIds.has(id)) duplicateAcks++;
      ackedIds.add(id);
      ackAfterOpen.push(a - o.countdown.openedAt);
      if (a > o.countdown.deadline) ackedAfterDeadline++;
    }
    const cl = val(r.closedAt, i);
    if (cl !== null) {
      closedDelay.push(cl - o.countdown.deadline);
      if (val(r.closedEntrants, i) !== o.entriesCounted) closedMismatch++;
    } else closedMissing++;
    let missedAny = false;
    for (const tier of o.tiers) {
      const rv = r.revealAt[tier.tierId] ? val(r.revealAt[tier.tierId]!, i) : null;
      const sentAt = o.reveals.find((x) => x.tierId === tier.tierId)?.sentAt;
      if (rv !== null && sentAt !== undefined) {
        const l = rv - sentAt;
        revealLat[tier.tierId]!.push(l);
        push(revealBy[tier.tierId]!, `node-${node + 1}`, l);
        push(revealBy[tier.tierId]!, `load-${r.proc + 1}`, l);
        allReveal.push(l);
        const dec = decidedAt[tier.tierId];
        if (dec != null) {
          revealFromDecision[tier.tierId]!.push(rv - (dec - o.redisOffsetMs));
          allFromDecision.push(rv - (dec - o.redisOffsetMs));
        }
      } else {
        // Every offered client counts: connected or not, subscribed or not.
        revealMissingByTier[tier.tierId]!++;
        missedAny = true;
      }
    }
    if (missedAny) revealMissingClients++;
    const dAt = val(r.doneAt, i);
    const rAt = val(r.resultAt, i);
    if (dAt !== null && lastRevealSentAt !== undefined) doneLat.push(dAt - lastRevealSentAt);
    if (rAt !== null && lastRevealSentAt !== undefined) resultLat.push(rAt - lastRevealSentAt);
    if (inRoom && dAt === null) doneMissing++;
    if (inRoom && id && rAt === null) resultMissing++;
  });
  duplicateAcks += reports.reduce((x, r) => x + r.duplicateAcks, 0);
  const bundleSet = new Set(o.bundleEntries);
  const ackedNotInBundle = [...ackedIds].filter((id) => !bundleSet.has(id)).length;
  const bundleNotAcked = o.bundleEntries.filter((id) => !ackedIds.has(id)).length;
  const revealMissingSamples = Object.values(revealMissingByTier).reduce((a, b) => a + b, 0);

  /** Consistency check only (every countdown copies one stored deadline): the deadline values seen, per node. */
  const deadlineByNode: Record<string, { min: number; max: number; countdowns: number; ticks: number }> = {};
  for (const r of reports) {
    for (const d of r.deadlineByNode) {
      const key = `node-${d.node + 1}`;
      const cur = deadlineByNode[key] ?? { min: d.min, max: d.max, countdowns: 0, ticks: 0 };
      cur.min = Math.min(cur.min, d.min);
      cur.max = Math.max(cur.max, d.max);
      cur.countdowns += d.countdowns;
      cur.ticks += d.ticks;
      deadlineByNode[key] = cur;
    }
  }
  const absError = estimateError.map(Math.abs);
  const countdownSpread = estimatedDeadline.length ? round(Math.max(...estimatedDeadline) - Math.min(...estimatedDeadline)) : null;
  return {
    joinHist, errorsByCode, audience, ackedIds, entriesAcked, duplicateAcks, entriesSent, sentAfterOpen, ackAfterOpen, ackedAfterDeadline,
    countdownMissing: countdownMissing + unreported, countdownDelivery, countdownDeliveryByNode, closedDelay, closedMissing: closedMissing + unreported, closedMismatch,
    estimateError, absError, estimateErrorByNode, estimateMissing, countdownSpread, syncRtt,
    revealLat, revealFromDecision, revealBy, revealMissingByTier, revealMissingSamples, allReveal, allFromDecision, decidedAt, revealMissingClients,
    doneMissing, resultMissing, doneLat, resultLat, ackedNotInBundle, bundleNotAcked, deadlineByNode,
  };
}
