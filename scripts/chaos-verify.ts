/**
 * The chaos run's verdict, computed from Redis (what is stored) against what the clients were told
 * (what was acknowledged): lost, duplicated, oversold; and per client, whether its final state
 * equals the server's.
 */
import { isDeepStrictEqual } from "node:util";
import type { Redis } from "ioredis";
import type { DrawSnapshot, SpinResult } from "@livedraw/protocol";
import { campaignKeys, drawKeys } from "../core/redis-keys.js";
import type { Player } from "./chaos-players.js";

const SAMPLES = 10;

export interface DrawTruth {
  drawId: string;
  phase: string | null;
  /** TTL set: the draw was finished (results sent, retention started). */
  finished: boolean;
  tiers: string[];
  /** playerId → intentId */
  entrants: Map<string, string>;
  /** intentId → playerId, from the intents stream, with how often each player appears there. */
  streamPlayers: Map<string, number>;
  streamIds: Set<string>;
  /** tierId → winning intent ids */
  winners: Map<string, string[]>;
  revealed: string[];
}

export async function readDraw(redis: Redis, campaignId: string, drawId: string): Promise<DrawTruth> {
  const k = drawKeys(campaignId, drawId);
  const [state, entrants, stream, pttl] = await Promise.all([redis.hgetall(k.state), redis.hgetall(k.entrants), redis.xrange(k.intents, "-", "+"), redis.pttl(k.state)]);
  const streamPlayers = new Map<string, number>();
  const streamIds = new Set<string>();
  for (const [id, fields] of stream) {
    streamIds.add(id);
    const player = fieldOf(fields, "player");
    if (player) streamPlayers.set(player, (streamPlayers.get(player) ?? 0) + 1);
  }
  const winners = new Map<string, string[]>();
  for (const t of parse<{ tierId: string; winners: { intentId: string }[] }[]>(state.winners) ?? []) winners.set(t.tierId, t.winners.map((w) => w.intentId));
  const options = parse<{ tiers?: { tierId: string }[] }>(state.options);
  return {
    drawId,
    phase: state.phase ?? null,
    finished: pttl > 0,
    tiers: options?.tiers?.map((t) => t.tierId) ?? [...winners.keys()],
    entrants: new Map(Object.entries(entrants)),
    streamPlayers,
    streamIds,
    winners,
    revealed: parse<string[]>(state.revealed) ?? [],
  };
}

function fieldOf(fields: string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function parse<T>(s: string | undefined): T | null {
  if (!s) return null;
  try {
    return JSON.parse(s) as T;
  } catch {
    return null;
  }
}

export interface Verdict {
  acked_spins: number;
  acked_entries: number;
  lost_spins: number;
  lost_entries: number;
  duplicated_spins: number;
  duplicated_entries: number;
  oversold_tiers: number;
  spin_pending: number;
  spins_resolved_in_redis: number;
  /** Spins the SDK answered with a result that differs from the stored one. */
  spin_result_mismatches: number;
  /** Keys that never got an acknowledgement, and how many of them Redis nevertheless stored. */
  unacked_spin_keys: number;
  unacked_spin_keys_stored: number;
  inventory: { tierId: string; stocked: number; issued: number; remaining: number; ledger_wins: number; ok: boolean }[];
  draws: { drawId: string; phase: string | null; finished: boolean; entrants_in_redis: number; acked_entries: number; refused_entries: Record<string, number>; winners: number; lost: number; duplicated: number }[];
  samples: Record<string, string[]>;
}

/** Everything that can be checked from Redis alone plus the clients' acknowledgements. */
export async function verifyRedis(redis: Redis, campaignId: string, players: Player[], drawIds: string[]): Promise<{ verdict: Verdict; draws: Map<string, DrawTruth>; results: Map<string, SpinResult> }> {
  const k = campaignKeys(campaignId);
  const samples: Record<string, string[]> = {};
  const note = (what: string, s: string) => {
    const list = (samples[what] ??= []);
    if (list.length < SAMPLES) list.push(s);
  };
  const [resultsRaw, ledger, idem, pending, inventory, issued, stocked] = await Promise.all([
    redis.hgetall(k.results),
    redis.xrange(k.ledger, "-", "+"),
    redis.hgetall(k.idempotency),
    redis.xlen(k.spins),
    redis.hgetall(k.inventory),
    redis.hgetall(k.issued),
    redis.hgetall(k.stocked),
  ]);
  const results = new Map<string, SpinResult>();
  for (const [id, json] of Object.entries(resultsRaw)) {
    const r = parse<SpinResult>(json);
    if (r) results.set(id, r);
  }
  // The ledger: one "spin" entry per resolution.
  const ledgerCount = new Map<string, number>();
  const ledgerPlayer = new Map<string, string>();
  const ledgerWins = new Map<string, number>();
  for (const [, fields] of ledger) {
    if (fieldOf(fields, "type") !== "spin") continue;
    const intent = fieldOf(fields, "intent")!;
    ledgerCount.set(intent, (ledgerCount.get(intent) ?? 0) + 1);
    ledgerPlayer.set(intent, fieldOf(fields, "player")!);
    if (fieldOf(fields, "outcome") === "won") {
      const tier = fieldOf(fields, "tier")!;
      ledgerWins.set(tier, (ledgerWins.get(tier) ?? 0) + 1);
    }
  }

  // Spins: every acknowledged intent resolved exactly once, one intent per (player, key).
  let ackedSpins = 0;
  let lostSpins = 0;
  let mismatches = 0;
  let unacked = 0;
  let unackedStored = 0;
  const duplicatedIntents = new Set<string>();
  for (const p of players) {
    for (const s of p.spins) {
      if (s.intentIds.length === 0) {
        unacked++;
        if (idem[`${p.playerId}:${s.key}`]) {
          unackedStored++;
          note("unacked key stored anyway (fine: the answer was lost)", `${p.playerId} ${s.key} errors=${s.errors.join(",")}`);
        }
        continue;
      }
      if (s.intentIds.length > 1) {
        for (const id of s.intentIds) duplicatedIntents.add(id);
        note("duplicated spin (two intents for one key, seen by the client)", `${p.playerId} ${s.key}: ${s.intentIds.join(", ")}`);
      }
      for (const id of s.intentIds) {
        ackedSpins++;
        const stored = results.get(id);
        const times = ledgerCount.get(id) ?? 0;
        if (!stored || times === 0) {
          lostSpins++;
          note("lost spin", `${p.playerId} key=${s.key} intent=${id} result=${stored ? "yes" : "no"} ledger=${times}`);
          continue;
        }
        if (stored.idempotencyKey !== s.key || ledgerPlayer.get(id) !== p.playerId) {
          mismatches++;
          note("spin stored under another key/player", `${p.playerId} ${s.key} → ${id}: stored key ${stored.idempotencyKey}, player ${ledgerPlayer.get(id)}`);
        }
        if (s.result && !isDeepStrictEqual(s.result, stored)) {
          mismatches++;
          note("spin result differs from the stored one", `${id}: client ${JSON.stringify(s.result)} stored ${JSON.stringify(stored)}`);
        }
        const mapped = idem[`${p.playerId}:${s.key}`];
        if (mapped !== id) {
          duplicatedIntents.add(id);
          note("idempotency hash names another intent", `${p.playerId}:${s.key} → ${mapped} (client got ${id})`);
        }
      }
    }
  }
  // From Redis alone: an intent resolved twice, or two intents for one player + key.
  for (const [id, n] of ledgerCount) {
    if (n > 1) {
      duplicatedIntents.add(id);
      note("intent resolved twice in the ledger", `${id} ×${n}`);
    }
  }
  const perKey = new Map<string, Set<string>>();
  for (const [id, r] of results) {
    const who = `${ledgerPlayer.get(id) ?? "?"}:${r.idempotencyKey}`;
    let set = perKey.get(who);
    if (!set) perKey.set(who, (set = new Set()));
    set.add(id);
  }
  for (const [who, ids] of perKey) {
    if (ids.size > 1) {
      for (const id of ids) duplicatedIntents.add(id);
      note("two intents for one player + key", `${who}: ${[...ids].join(", ")}`);
    }
  }

  // Stock: never more issued than stocked, and the books balance (hashes and ledger).
  const tiers = new Set([...Object.keys(stocked), ...Object.keys(issued), ...Object.keys(inventory)]);
  const inv = [...tiers].sort().map((tierId) => {
    const st = Number(stocked[tierId] ?? 0);
    const is = Number(issued[tierId] ?? 0);
    const rem = Number(inventory[tierId] ?? 0);
    const lw = ledgerWins.get(tierId) ?? 0;
    const ok = is <= st && st === is + rem && rem >= 0 && lw === is;
    if (!ok) note("oversold / unbalanced tier", `${tierId}: stocked ${st}, issued ${is}, remaining ${rem}, ledger wins ${lw}`);
    return { tierId, stocked: st, issued: is, remaining: rem, ledger_wins: lw, ok };
  });

  // Entries: every acknowledged entry is in the draw's entrants hash and stream, once.
  const draws = new Map<string, DrawTruth>();
  const drawRows: Verdict["draws"] = [];
  let ackedEntries = 0;
  let lostEntries = 0;
  let dupEntries = 0;
  for (const drawId of drawIds) {
    const d = await readDraw(redis, campaignId, drawId);
    draws.set(drawId, d);
    let acked = 0;
    let lost = 0;
    let dup = 0;
    const refused: Record<string, number> = {};
    for (const p of players) {
      const e = p.entries.get(drawId);
      if (!e) {
        refused["(never answered)"] = (refused["(never answered)"] ?? 0) + 1;
        continue;
      }
      if (!e.intentId) {
        refused[e.error ?? "?"] = (refused[e.error ?? "?"] ?? 0) + 1;
        continue;
      }
      acked++;
      if (d.entrants.get(p.playerId) !== e.intentId || !d.streamIds.has(e.intentId)) {
        lost++;
        note("lost entry", `${drawId} ${p.playerId} intent=${e.intentId} entrants=${d.entrants.get(p.playerId) ?? "none"} inStream=${d.streamIds.has(e.intentId)}`);
      }
    }
    for (const [player, n] of d.streamPlayers) {
      if (n > 1) {
        dup++;
        note("duplicated entry (one player twice in the intents stream)", `${drawId} ${player} ×${n}`);
      }
    }
    if (d.streamIds.size !== d.entrants.size) note("entrants hash and intents stream disagree", `${drawId}: hash ${d.entrants.size}, stream ${d.streamIds.size}`);
    ackedEntries += acked;
    lostEntries += lost;
    dupEntries += dup;
    drawRows.push({ drawId, phase: d.phase, finished: d.finished, entrants_in_redis: d.entrants.size, acked_entries: acked, refused_entries: refused, winners: [...d.winners.values()].reduce((n, w) => n + w.length, 0), lost, duplicated: dup });
  }

  return {
    verdict: {
      acked_spins: ackedSpins,
      acked_entries: ackedEntries,
      lost_spins: lostSpins,
      lost_entries: lostEntries,
      duplicated_spins: duplicatedIntents.size,
      duplicated_entries: dupEntries,
      oversold_tiers: inv.filter((t) => !t.ok).length,
      spin_pending: pending,
      spins_resolved_in_redis: results.size,
      spin_result_mismatches: mismatches,
      unacked_spin_keys: unacked,
      unacked_spin_keys_stored: unackedStored,
      inventory: inv,
      draws: drawRows,
      samples,
    },
    draws,
    results,
  };
}

export interface ClientVerdict {
  playerId: string;
  consistent: boolean;
  problems: string[];
}

/**
 * A client is consistent when: it is connected; its `draw(campaignId)` deep-equals the snapshot a
 * fresh subscribe returns for the same player; for every draw it entered it got each tier's reveal
 * exactly once and exactly one own `draw:result`, naming its intent and agreeing with the winners
 * stored in Redis.
 */
export function verifyClient(p: Player, campaignId: string, fresh: DrawSnapshot | null | "error", draws: Map<string, DrawTruth>): ClientVerdict {
  const problems: string[] = [];
  if (p.client.state !== "connected") problems.push(`not connected at the end (${p.client.state})`);
  if (fresh === "error") problems.push("fresh subscribe failed");
  else if (!isDeepStrictEqual(p.client.draw(campaignId), fresh)) problems.push(`draw(campaignId) differs from a fresh subscribe: client ${brief(p.client.draw(campaignId))} server ${brief(fresh)}`);
  for (const e of p.ackedEntries()) {
    const d = draws.get(e.drawId);
    if (!d) continue;
    const reveals = p.reveals.get(e.drawId) ?? [];
    for (const tierId of d.tiers) {
      const n = reveals.filter((r) => r.tierId === tierId).length;
      if (n !== 1) problems.push(`${e.drawId}: reveal of tier ${tierId} delivered ${n}×`);
    }
    const results = p.results.get(e.drawId) ?? [];
    if (results.length !== 1) problems.push(`${e.drawId}: own draw:result delivered ${results.length}×`);
    const r = results.at(-1);
    if (r) {
      const wonTier = [...d.winners].find(([, ids]) => ids.includes(e.intentId!))?.[0] ?? null;
      if (r.intentId !== e.intentId) problems.push(`${e.drawId}: result names intent ${r.intentId}, entry was ${e.intentId}`);
      if (r.won !== (wonTier !== null) || (r.tierId ?? null) !== wonTier) problems.push(`${e.drawId}: result says won=${r.won} tier=${r.tierId}, Redis says ${wonTier ?? "lost"}`);
    }
  }
  return { playerId: p.playerId, consistent: problems.length === 0, problems };
}

function brief(d: DrawSnapshot | null | "error" | undefined): string {
  if (!d || d === "error") return String(d);
  return JSON.stringify({ drawId: d.drawId, phase: d.phase, entrants: d.entrants, revealed: d.revealed.map((t) => t.tierId), myIntentId: d.myIntentId, myResult: d.myResult, resultSeq: d.resultSeq });
}

/**
 * CHAOS_SELF_TEST=1: damages Redis on purpose before the verdict — one acknowledged spin's result
 * and one acknowledged entry removed, one resolution written twice to the ledger, one prize issued
 * beyond the books — so the run proves its counters see each kind of fault. Returns what the
 * verdict must then count.
 */
export async function tamper(redis: Redis, campaignId: string, players: Player[], drawIds: string[]): Promise<{ lost: number; duplicated: number; oversold: number; done: string[] }> {
  const k = campaignKeys(campaignId);
  const acked = players.flatMap((p) => p.spins.filter((s) => s.intentIds.length === 1).map((s) => ({ p, id: s.intentIds[0]! })));
  const done: string[] = [];
  let lost = 0;
  let duplicated = 0;
  let oversold = 0;
  if (acked.length >= 2) {
    const [a, b] = [acked[0]!, acked[acked.length - 1]!];
    await redis.hdel(k.results, a.id);
    lost++;
    done.push(`HDEL results ${a.id}`);
    await redis.xadd(k.ledger, "*", "type", "spin", "intent", b.id, "player", b.p.playerId, "outcome", "lost", "tier", "");
    duplicated++;
    done.push(`XADD ledger spin ${b.id} again`);
  }
  await redis.hincrby(k.issued, "silver", 1);
  oversold++;
  done.push("HINCRBY issued silver 1");
  const drawId = drawIds[0];
  const entered = drawId ? players.find((p) => p.entries.get(drawId)?.intentId) : undefined;
  if (drawId && entered) {
    await redis.hdel(drawKeys(campaignId, drawId).entrants, entered.playerId);
    lost++;
    done.push(`HDEL ${drawId} entrants ${entered.playerId}`);
  }
  return { lost, duplicated, oversold, done };
}
