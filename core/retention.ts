/**
 * Retention of campaign data: a periodic sweep (a worker's `retention.sweep` job) gives every key of
 * a closed campaign an absolute expiry, `closedAt + LIVEDRAW_CAMPAIGN_RETENTION_DAYS`, and its audit
 * log (with the audit dedupe index and the set of draw ids) `closedAt + LIVEDRAW_AUDIT_RETENTION_DAYS`.
 * A campaign that is still live is never given one.
 *
 * - **Closed**: an instant-win campaign whose schedule's `closedAt` has passed, and no live draw
 *   (`open`, `closed`, `drawn`, `revealing`) in the campaign. A campaign with live draws only is
 *   closed once none is live; its `closedAt` is the first sweep that sees it so (at most one sweep
 *   interval after its last draw ended), or the instant-win `closedAt` if that is later.
 * - **Idempotent**: the close time the sweep settles on is stored (`…:retention`), so every later
 *   sweep sets the same absolute expiry, and keys written after the first sweep (a late proof, a
 *   history list) get it too. A key whose own expiry is sooner (a done draw's keys, a cached proof,
 *   a rate-limit window) keeps it: expiries are only ever shortened to the campaign's, never extended.
 * - **Live again**: a host may open a draw in a campaign that was closed. The sweep then removes the
 *   expiries it set (those equal to the stored ones), and the clock starts again when it closes.
 *
 * Keys are found with one SCAN over the keyspace (`ld:{campaign:*`), so every key of a campaign,
 * whoever added it, is covered; on Redis Cluster it sees one node's keys (not supported yet).
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { CAMPAIGN_KEY_PATTERN, campaignKeys, drawKeys, parseCampaignKey, spinCampaignsKey } from "./redis-keys.js";
import { forgetCampaign } from "./work-index.js";

/** The worker job that runs the sweep (a BullMQ job scheduler, every LIVEDRAW_RETENTION_SWEEP_MS). */
export const JOB_RETENTION_SWEEP = "retention.sweep";

const DAY_MS = 86_400_000;

export interface RetentionPolicy {
  campaignRetentionMs: number;
  auditRetentionMs: number;
}

export function retentionPolicy(config: { campaignRetentionDays: number; auditRetentionDays: number }): RetentionPolicy {
  return { campaignRetentionMs: config.campaignRetentionDays * DAY_MS, auditRetentionMs: config.auditRetentionDays * DAY_MS };
}

/** Key suffixes (after `ld:{campaign:<id>}:`) kept for the audit retention: the log, its dedupe index, the draw ids it names, the marker. */
const AUDIT_GROUP = new Set(["audit", "audit-index", "draws", "retention"]);

export interface RetentionSweepResult {
  /** Campaigns with at least one key. */
  campaigns: number;
  closed: number;
  live: number;
  /** Keys given the campaign's expiry (or the audit's) by this sweep. */
  keysExpired: number;
  /** Keys of campaigns live again whose expiry this sweep removed. */
  keysRestored: number;
  /** Ids removed from the workers' spin-sweep set and work index (campaigns whose configuration is gone). */
  spinCampaignsForgotten: number;
}

type Decision = { live: true; restoreAt: { campaign: number; audit: number } | null } | { live: false; expireAt: { campaign: number; audit: number } };

const LIVE_PHASES = new Set(["open", "closed", "drawn", "revealing"]);
const scheduleSchema = z.object({ schedule: z.object({ closedAt: z.number() }) });
const markerSchema = z.object({ closedAt: z.number() });

/** Two absolute expiries within this many ms count as the same (PTTL is read a little after TIME). */
const SAME_EXPIRY_MS = 1000;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function redisNow(redis: Redis): Promise<number> {
  const [sec, usec] = await redis.time();
  return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
}

/** Whether the campaign is live at `now`, else the absolute expiries of its keys (storing its close time on first sight). */
async function decide(redis: Redis, campaignId: string, policy: RetentionPolicy, now: number): Promise<Decision> {
  const k = campaignKeys(campaignId);
  const [config, drawIds, markerRaw] = await Promise.all([redis.get(k.config), redis.zrange(k.draws, 0, -1), redis.get(k.retention)]);
  const marker = markerRaw === null ? null : markerSchema.safeParse(parseJson(markerRaw));
  const stored = marker?.success ? marker.data.closedAt : null;
  const expiries = (closedAt: number) => ({ campaign: closedAt + policy.campaignRetentionMs, audit: closedAt + policy.auditRetentionMs });
  const parsed = config === null ? null : scheduleSchema.safeParse(parseJson(config));
  // A configuration the sweep cannot read is treated as live: never expire what is not understood.
  if (parsed && !parsed.success) return { live: true, restoreAt: null };
  const configClosedAt = parsed?.success ? parsed.data.schedule.closedAt : null;
  let drawLive = false;
  if (drawIds.length > 0) {
    const pipeline = redis.pipeline();
    for (const d of drawIds) pipeline.hget(drawKeys(campaignId, d).state, "phase");
    for (const [, phase] of (await pipeline.exec()) ?? []) if (typeof phase === "string" && LIVE_PHASES.has(phase)) drawLive = true;
  }
  if (drawLive) return { live: true, restoreAt: stored === null ? null : expiries(stored) };
  // Settled once: a schedule cannot change after going live, so only a new draw makes it live again.
  if (stored !== null) return { live: false, expireAt: expiries(stored) };
  if (configClosedAt !== null && configClosedAt > now) return { live: true, restoreAt: null };
  // First sight of it closed: an instant-win-only campaign closed at its schedule's closedAt; one with
  // draws (or nothing readable) now, or at closedAt if that is later.
  const closedAt = configClosedAt !== null && drawIds.length === 0 ? configClosedAt : Math.max(now, configClosedAt ?? 0);
  const expireAt = expiries(closedAt);
  await redis.set(k.retention, JSON.stringify({ closedAt }), "PXAT", expireAt.audit);
  return { live: false, expireAt };
}

/**
 * One sweep over every campaign key. `now` (Redis time, ms) decides which campaigns are closed;
 * expiries are absolute, so the result does not depend on when the sweep runs.
 */
export async function sweepRetention(redis: Redis, policy: RetentionPolicy, now: number, scanCount = 1000): Promise<RetentionSweepResult> {
  const decisions = new Map<string, Decision>();
  const out: RetentionSweepResult = { campaigns: 0, closed: 0, live: 0, keysExpired: 0, keysRestored: 0, spinCampaignsForgotten: 0 };
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", CAMPAIGN_KEY_PATTERN, "COUNT", scanCount);
    cursor = next;
    const batch: { key: string; campaign: number; audit: number; restore: boolean }[] = [];
    for (const key of keys) {
      const parsed = parseCampaignKey(key);
      if (!parsed) continue;
      let d = decisions.get(parsed.campaignId);
      if (!d) {
        d = await decide(redis, parsed.campaignId, policy, now);
        decisions.set(parsed.campaignId, d);
        out.campaigns++;
        if (d.live) out.live++;
        else out.closed++;
      }
      const audit = AUDIT_GROUP.has(parsed.rest);
      if (!d.live) batch.push({ key, campaign: audit ? d.expireAt.audit : d.expireAt.campaign, audit: d.expireAt.audit, restore: false });
      else if (d.restoreAt && parsed.rest !== "retention") batch.push({ key, campaign: audit ? d.restoreAt.audit : d.restoreAt.campaign, audit: d.restoreAt.audit, restore: true });
    }
    if (batch.length === 0) continue;
    const at = await redisNow(redis);
    const ttls = await redis.pipeline(batch.map((b) => ["pttl", b.key])).exec();
    const writes = redis.pipeline();
    let writing = 0;
    batch.forEach((b, i) => {
      const pttl = Number(ttls?.[i]?.[1] ?? -2);
      if (pttl === -2) return; // gone meanwhile
      const expiresAt = pttl === -1 ? Infinity : at + pttl;
      if (!b.restore && expiresAt > b.campaign + SAME_EXPIRY_MS) {
        // Only ever shortened: a key with a sooner expiry of its own keeps it.
        writes.pexpireat(b.key, b.campaign);
        writing++;
        out.keysExpired++;
      } else if (b.restore && Math.abs(expiresAt - b.campaign) <= SAME_EXPIRY_MS) {
        writes.persist(b.key); // an expiry this sweep set, on a campaign that is live again
        writing++;
        out.keysRestored++;
      }
    });
    if (writing > 0) await writes.exec();
  } while (cursor !== "0");
  // The marker of a campaign live again goes last, so an interrupted sweep restores the rest next time.
  for (const [campaignId, d] of decisions) if (d.live && d.restoreAt) await redis.del(campaignKeys(campaignId).retention);
  out.spinCampaignsForgotten = await forgetExpiredSpinCampaigns(redis);
  return out;
}

/** Drops campaigns whose configuration has expired from the workers' spin-sweep set and work index. */
async function forgetExpiredSpinCampaigns(redis: Redis): Promise<number> {
  const ids = await redis.smembers(spinCampaignsKey);
  let forgotten = 0;
  // One pipelined EXISTS per campaign, not a round trip each: the set holds every campaign ever spun.
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const replies = (await redis.pipeline(chunk.map((c) => ["exists", campaignKeys(c).config])).exec()) ?? [];
    for (const [j, campaignId] of chunk.entries()) {
      if (Number(replies[j]?.[1] ?? 1) === 1) continue;
      await redis.srem(spinCampaignsKey, campaignId);
      // A campaign created again between the check and the removal joins the set again.
      if ((await redis.exists(campaignKeys(campaignId).config)) === 1) {
        await redis.sadd(spinCampaignsKey, campaignId);
        continue;
      }
      await forgetCampaign(redis, campaignId);
      forgotten++;
    }
  }
  return forgotten;
}
