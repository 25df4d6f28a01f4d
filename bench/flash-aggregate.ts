/** bench:flash's aggregation of the load processes' per-client reports: entries, countdowns, close, reveals, skew. */
import { Histogram } from "./histogram.js";
import type { FlashReport, Ts } from "./flash-load.js";
import { add } from "./report.js";

export interface AggregateInput {
  reports: FlashReport[];
  tiers: { tierId: string }[];
  countdown: { openedAt: number; deadline: number };
  entriesCounted: number;
  /** When each tier's reveal call was sent (shared clock). */
  reveals: { tierId: string; sentAt: number }[];
  bundleEntries: string[];
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
  const offsets: number[] = [];
  const offsetsByNode = new Map<number, number[]>();
  const closedDelay: number[] = [];
  let closedMissing = 0;
  let closedMismatch = 0;
  const revealLat: Record<string, number[]> = Object.fromEntries(o.tiers.map((x) => [x.tierId, [] as number[]]));
  /** tier → "node-N" / "load-N" → latencies: tells server-side from client-side delay. */
  const revealBy: Record<string, Record<string, number[]>> = Object.fromEntries(o.tiers.map((x) => [x.tierId, {} as Record<string, number[]>]));
  const push = (m: Record<string, number[]>, k: string, v: number) => (m[k] ??= []).push(v);
  const revealMissingByTier: Record<string, number> = Object.fromEntries(o.tiers.map((x) => [x.tierId, 0]));
  const allReveal: number[] = [];
  const firstReveal: number[] = [];
  let revealMissingClients = 0;
  let doneMissing = 0;
  let resultMissing = 0;
  /** From the final tier's reveal call: draw:done and draw:result receipt (they follow LIVEDRAW_DRAW_RESULTS_DELAY_MS later). */
  const lastRevealSentAt = o.reveals.find((x) => x.tierId === o.tiers.at(-1)?.tierId)?.sentAt;
  const doneLat: number[] = [];
  const resultLat: number[] = [];
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
    } else if (inRoom) countdownMissing++;
    const off = val(r.minOffset, i);
    if (off !== null) {
      offsets.push(off);
      if (!offsetsByNode.has(node)) offsetsByNode.set(node, []);
      offsetsByNode.get(node)!.push(off);
    }
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
    } else if (inRoom) closedMissing++;
    let missedAny = false;
    let got = 0;
    for (const tier of o.tiers) {
      const rv = r.revealAt[tier.tierId] ? val(r.revealAt[tier.tierId]!, i) : null;
      const sentAt = o.reveals.find((x) => x.tierId === tier.tierId)?.sentAt;
      if (rv !== null && sentAt !== undefined) {
        const l = rv - sentAt;
        revealLat[tier.tierId]!.push(l);
        push(revealBy[tier.tierId]!, `node-${node + 1}`, l);
        push(revealBy[tier.tierId]!, `load-${r.proc + 1}`, l);
        allReveal.push(l);
        if (tier === o.tiers[0]) firstReveal.push(l);
        got++;
      } else if (inRoom) {
        revealMissingByTier[tier.tierId]!++;
        missedAny = true;
      }
    }
    if (inRoom && missedAny) revealMissingClients++;
    const dAt = val(r.doneAt, i);
    const rAt = val(r.resultAt, i);
    if (dAt !== null && lastRevealSentAt !== undefined) doneLat.push(dAt - lastRevealSentAt);
    if (rAt !== null && lastRevealSentAt !== undefined) resultLat.push(rAt - lastRevealSentAt);
    if (inRoom && dAt === null) doneMissing++;
    if (inRoom && id && rAt === null) resultMissing++;
    void got;
  });
  duplicateAcks += reports.reduce((x, r) => x + r.duplicateAcks, 0);
  const bundleSet = new Set(o.bundleEntries);
  const ackedNotInBundle = [...ackedIds].filter((id) => !bundleSet.has(id)).length;
  const bundleNotAcked = o.bundleEntries.filter((id) => !ackedIds.has(id)).length;

  let dMin = Number.POSITIVE_INFINITY;
  let dMax = Number.NEGATIVE_INFINITY;
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
      dMin = Math.min(dMin, d.min);
      dMax = Math.max(dMax, d.max);
    }
  }
  const countdownSkew = Number.isFinite(dMin) ? dMax - dMin : null;
  return {
    joinHist, errorsByCode, entriesAcked, duplicateAcks, entriesSent, sentAfterOpen, ackAfterOpen, ackedAfterDeadline,
    countdownMissing, countdownDelivery, countdownDeliveryByNode, offsets, offsetsByNode, closedDelay, closedMissing, closedMismatch,
    revealLat, revealBy, revealMissingByTier, allReveal, firstReveal, revealMissingClients, doneMissing, resultMissing,
    doneLat, resultLat, ackedNotInBundle, bundleNotAcked, deadlineByNode, countdownSkew,
  };
}
