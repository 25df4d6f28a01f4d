/**
 * The index of campaigns with work (docs/operations.md, "Idle campaigns"): the workers' rounds — the
 * spin resolver's lease rounds, the issuer's rounds — visit only the campaigns it names, so an idle
 * campaign costs them nothing. It is kept by one script, core/lua/indexWork-7.lua, which derives a
 * campaign's entries from the campaign's own keys; SpinStore runs it in the same MULTI as the
 * scripts that create or finish work (admitSpins, resolveSpins), the issuer after each visit, and
 * the workers' minute sweep over every registered campaign (the safety net: work whose index entry
 * was lost, e.g. written by a node of an earlier version, is found within a minute).
 *
 * Everything about where the index lives is here and in `workIndexKeys` / `workIndexShards`
 * (core/redis-keys.ts): splitting it per Redis Cluster slot (issue 18) stays local to them.
 */
import type { ChainableCommander, Redis, Result } from "ioredis";
import { z } from "zod";
import { campaignKeys, workIndexKeys, workIndexShards } from "./redis-keys.js";

declare module "ioredis" {
  interface RedisCommander<Context> {
    ld1_indexWork(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, k7: string, ...argv: (string | number)[]): Result<unknown, Context>;
  }
}

/** How long a campaign stays in the spins index after its stream empties (it stays held, its next spin resolved at once). */
export const SPIN_WORK_LINGER_MS = 10_000;
/** Approximate most entries kept in the wake stream (each is one campaign becoming active). */
const WAKE_STREAM_MAXLEN = 10_000;
/** Lingering members are kept this much longer than their time, for worker clocks behind Redis's. */
const CLOCK_GRACE_MS = 2000;

/** How far ahead of its clock the issuer looks for due campaigns. */
const CLOCK_LOOKAHEAD_MS = 1000;

/** Which of a campaign's work to index: spins, issuance, or both. */
export type WorkParts = "s" | "i" | "si";

const replySchema = z.tuple([z.number(), z.number()]);

/** What indexWork-7.lua found: the campaign has unresolved spins (`announced`: it just became active); when the issuer must next visit it (null: never). */
export interface WorkState {
  spins: boolean;
  announced: boolean;
  issueAt: number | null;
}

export function parseWorkState(raw: unknown): WorkState {
  const [spin, issueAt] = replySchema.parse(raw);
  return { spins: spin > 0, announced: spin === 2, issueAt: issueAt < 0 ? null : issueAt };
}

/** Queues indexWork-7.lua for one campaign on a MULTI or pipeline (after the script whose work it indexes). */
export function queueIndexWork(chain: ChainableCommander, campaignId: string, parts: WorkParts): ChainableCommander {
  const k = campaignKeys(campaignId);
  const w = workIndexKeys(campaignId);
  return chain.ld1_indexWork(k.spins, k.issuePending, k.issueDue, k.winsExpiry, w.spins, w.issue, w.wake, campaignId, parts, SPIN_WORK_LINGER_MS, WAKE_STREAM_MAXLEN);
}

/** Runs indexWork-7.lua for one campaign on its own. */
export async function indexWork(redis: Redis, campaignId: string, parts: WorkParts): Promise<WorkState> {
  const k = campaignKeys(campaignId);
  const w = workIndexKeys(campaignId);
  return parseWorkState(await redis.ld1_indexWork(k.spins, k.issuePending, k.issueDue, k.winsExpiry, w.spins, w.issue, w.wake, campaignId, parts, SPIN_WORK_LINGER_MS, WAKE_STREAM_MAXLEN));
}

/** Re-derives the index entries of many campaigns from their keys (the minute sweep), pipelined in chunks. */
export async function reindex(redis: Redis, campaignIds: readonly string[], chunk = 500): Promise<Map<string, WorkState>> {
  const out = new Map<string, WorkState>();
  for (let i = 0; i < campaignIds.length; i += chunk) {
    const ids = campaignIds.slice(i, i + chunk);
    const pipeline = redis.pipeline();
    for (const id of ids) queueIndexWork(pipeline, id, "si");
    const replies = (await pipeline.exec()) ?? [];
    ids.forEach((id, j) => {
      const [err, raw] = replies[j] ?? [new Error("no reply"), null];
      if (err) throw new Error(`indexWork for campaign ${id} failed`, { cause: err });
      out.set(id, parseWorkState(raw));
    });
  }
  return out;
}

/**
 * Campaigns with spin work, or lingering after it, at `now` (ms, Redis time as the caller knows
 * it); members whose linger is over are removed on the way (a finite score always means the
 * campaign's stream was empty when it was set, and any spin since would have set +inf again).
 */
export async function spinWorkCampaigns(redis: Redis, now: number): Promise<string[]> {
  const since = now - CLOCK_GRACE_MS;
  const out: string[] = [];
  for (const w of workIndexShards()) {
    const [, [err, members]] = (await redis.multi().zremrangebyscore(w.spins, "-inf", `(${since}`).zrangebyscore(w.spins, since, "+inf").exec()) as [unknown, [Error | null, string[]]];
    if (err) throw err;
    out.push(...members);
  }
  return out;
}

/**
 * Campaigns the issuer must visit at `now` (ms, Redis time as the caller knows it): a win to issue,
 * a delay notice or a claim deadline due. Those due within the next second are included, so a
 * worker's clock estimate a little behind Redis's never delays an issuance (a visit a moment early
 * finds nothing due yet and costs a few reads).
 */
export async function issueDueCampaigns(redis: Redis, now: number): Promise<string[]> {
  const out: string[] = [];
  for (const w of workIndexShards()) out.push(...(await redis.zrangebyscore(w.issue, "-inf", now + CLOCK_LOOKAHEAD_MS)));
  return out;
}

/** The wake streams a resolver loop's blocking read includes (one today). */
export function wakeStreams(): string[] {
  return workIndexShards().map((w) => w.wake);
}

/** The id of the newest entry of a wake stream ("0-0" when it is empty): a resolver loop reads after it. */
export async function lastWakeId(redis: Redis, stream: string): Promise<string> {
  const newest = await redis.xrevrange(stream, "+", "-", "COUNT", 1);
  return newest[0]?.[0] ?? "0-0";
}

/** Campaign ids named by wake-stream entries (an XREAD reply's entries of a wake stream). */
export function wokenCampaigns(entries: readonly [id: string, fields: string[]][]): string[] {
  const out: string[] = [];
  for (const [, fields] of entries) {
    for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === "c") out.push(fields[i + 1]!);
  }
  return out;
}

/** Drops a campaign from every index (its keys are gone: the retention sweep forgot it). */
export async function forgetCampaign(redis: Redis, campaignId: string): Promise<void> {
  const w = workIndexKeys(campaignId);
  await redis.multi().zrem(w.spins, campaignId).zrem(w.issue, campaignId).exec();
}

/** Members of the indexes (tests, metrics). */
export async function workIndexSize(redis: Redis): Promise<{ spins: number; issue: number }> {
  let spins = 0;
  let issue = 0;
  for (const w of workIndexShards()) {
    spins += await redis.zcard(w.spins);
    issue += await redis.zcard(w.issue);
  }
  return { spins, issue };
}
