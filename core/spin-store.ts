/**
 * Instant-win campaigns in Redis: configuration, stock, spin intents and their resolution. Each
 * write is one Lua script (atomic); replies are validated here so nothing untyped leaks upward.
 */
import { randomInt } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { PLATFORMS, PPM, checkWebhookAddresses, parseCampaign, prizeSchema, publishRules, type CompliancePolicy, type StoredCampaign } from "./campaign.js";
import { AppError } from "./errors.js";
import type { PublishedRules, SpinAck, SpinResult } from "./protocol.js";
import { AdmitStatus, NO_ADMISSION, admissionArgs, admitReplySchema, type AdmitIntent, type SourceAdmission } from "./admission.js";
import { campaignKeys, historyKey, intentLimitPrefix, sourceKeys, spinCampaignsKey } from "./redis-keys.js";
import { scriptReply } from "./script-reply.js";
import { queueIndexWork } from "./work-index.js";

const storedCampaignSchema = z.object({
  v: z.literal(1),
  campaignId: z.string(),
  title: z.string(),
  rules: z.string(),
  schedule: z.object({ warmupAt: z.number(), liveAt: z.number(), longTailAt: z.number(), closedAt: z.number() }),
  tiers: z.array(z.object({ tierId: z.string(), name: z.string(), ppm: z.number().int(), value: z.number().nullable(), prize: prizeSchema })),
  limits: z.object({ spinsPerDay: z.number(), spinsPerCampaign: z.number(), winsPerCampaign: z.number() }),
  freeSpins: z.number(),
  dayOffsetMinutes: z.number(),
  platform: z.enum(PLATFORMS),
  claim: z.object({ windowHours: z.number(), conditions: z.string(), issueWithinSeconds: z.number() }).nullable(),
  tasks: z.object({
    checkin: z.object({ tickets: z.number(), streakBonus: z.object({ everyDays: z.number(), tickets: z.number() }).nullable() }),
    share: z.object({ tickets: z.number(), points: z.number(), perDay: z.number() }),
    invite: z.object({ tickets: z.number() }),
  }),
  variants: z.array(z.object({ variantId: z.string(), weight: z.number(), freeSpins: z.number().nullable(), presentation: z.string().nullable() })),
}) satisfies z.ZodType<StoredCampaign>;

export const spinResultSchema = z.object({
  campaignId: z.string(),
  intentId: z.string(),
  idempotencyKey: z.string(),
  outcome: z.enum(["won", "lost", "rejected"]),
  tierId: z.string().nullable(),
  tierName: z.string().nullable(),
  reason: z.enum(["sold_out", "win_cap", "E_NO_SPINS_LEFT", "E_DAILY_LIMIT", "E_CAMPAIGN_LIMIT", "E_CAMPAIGN_NOT_LIVE"]).nullable(),
  spinsLeft: z.number().int(),
  resolvedAt: z.number(),
}) satisfies z.ZodType<SpinResult>;

/** What E_BUSY tells a client to wait before retrying a spin. */
export const BUSY_RETRY_AFTER_MS = 500;


/** The first command's reply of a MULTI (its error thrown as is, so callers see what they would without the MULTI). */
function firstReply(replies: [Error | null, unknown][] | null): unknown {
  const first = replies?.[0];
  if (!first) throw new Error("Redis answered a MULTI with no replies");
  if (first[0]) throw first[0];
  return first[1];
}

const arrayReply = z.array(z.union([z.number(), z.string(), z.null()]));

export interface CampaignStats {
  campaignId: string;
  tiers: { tierId: string; stocked: number; issued: number; remaining: number }[];
  pending: number;
  resolved: number;
}

export class SpinStore {
  private readonly cache = new Map<string, { at: number; campaign: StoredCampaign | null }>();
  private readonly loading = new Map<string, Promise<StoredCampaign | null>>();

  constructor(private readonly redis: Redis) {}

  async save(mode: "create" | "replace", raw: unknown, policy: CompliancePolicy): Promise<StoredCampaign> {
    const { stored, inventory } = parseCampaign(raw, policy);
    await checkWebhookAddresses(stored, policy); // rule webhook-address: the hosts' DNS answers
    const k = campaignKeys(stored.campaignId);
    const pairs = Object.entries(inventory).flat();
    scriptReply(await this.redis.ld1_saveCampaign(k.config, k.inventory, k.stocked, k.ledger, mode, JSON.stringify(stored), ...pairs));
    this.cache.delete(stored.campaignId);
    // Known to the workers' sweep from the start, so even a campaign's very first spins are covered.
    await this.register(stored.campaignId);
    return stored;
  }

  /** Adds stock; with a request key, repeating the request applies it once. */
  async addInventory(campaignId: string, tierId: string, add: number, requestKey = ""): Promise<number> {
    const k = campaignKeys(campaignId);
    const { rest } = scriptReply(await this.redis.ld1_addInventory(k.config, k.inventory, k.stocked, k.ledger, k.requests, tierId, add, requestKey && `inventory:${requestKey}`));
    return Number(rest[0]);
  }

  async campaign(campaignId: string): Promise<StoredCampaign | null> {
    const raw = await this.redis.get(campaignKeys(campaignId).config);
    return raw === null ? null : storedCampaignSchema.parse(JSON.parse(raw));
  }

  /**
   * The campaign config for the phase check on every spin: cached for `maxAgeMs`, refreshed by one
   * read at a time per campaign (concurrent callers share it), and served stale while it refreshes,
   * so a slow Redis never turns a burst of spins into a burst of config reads.
   */
  async campaignCached(campaignId: string, maxAgeMs = 1000): Promise<StoredCampaign | null> {
    const hit = this.cache.get(campaignId);
    const fresh = hit !== undefined && Date.now() - hit.at < maxAgeMs;
    if (fresh) return hit.campaign;
    let load = this.loading.get(campaignId);
    if (!load) {
      load = this.campaign(campaignId)
        .then((campaign) => {
          this.cache.set(campaignId, { at: Date.now(), campaign });
          return campaign;
        })
        .finally(() => this.loading.delete(campaignId));
      // A caller served the stale copy does not await the refresh: its failure (Redis away) must
      // not become an unhandled rejection. Callers that await `load` still see it.
      load.catch(() => undefined);
      this.loading.set(campaignId, load);
    }
    return hit ? hit.campaign : load;
  }

  async rules(campaignId: string, now: number): Promise<PublishedRules> {
    const [campaign, remaining] = await Promise.all([this.campaign(campaignId), this.redis.hgetall(campaignKeys(campaignId).inventory)]);
    if (!campaign) throw new AppError("E_CAMPAIGN_NOT_FOUND");
    return publishRules(campaign, Object.fromEntries(Object.entries(remaining).map(([t, n]) => [t, Number(n)])), now);
  }

  /**
   * Stores one spin intent (idempotent per player and key) with no admission checks; resolves only
   * once it is in the stream. Sockets' spins go through server/intent-batcher.ts (the same script,
   * many intents per call, with the rate limits, blocklist and source counts).
   */
  async append(campaignId: string, playerId: string, idempotencyKey: string, maxPending: number): Promise<SpinAck> {
    const raw = await this.admitSpins(campaignId, maxPending, NO_ADMISSION, [[playerId, idempotencyKey, "", "", "", "", ""]]);
    const [status, intentId] = admitReplySchema.parse(raw);
    // Shed load with a hint: a batch of resolutions takes a few milliseconds.
    if (status === -6) throw new AppError("E_BUSY", undefined, BUSY_RETRY_AFTER_MS);
    if (status !== AdmitStatus.STORED && status !== AdmitStatus.DUPLICATE) throw new AppError("E_INTERNAL", `admitSpins answered status ${status}`);
    return { intentId: String(intentId), duplicate: status === AdmitStatus.DUPLICATE };
  }

  /**
   * core/lua/admitSpins-3.lua for these intents of one campaign (the raw reply: 3 elements per
   * intent), in one MULTI with the work index's update (core/work-index.ts): a stored spin is in
   * the workers' index in the same step, and a campaign that just became active wakes them.
   */
  async admitSpins(campaignId: string, maxPending: number, admission: SourceAdmission, intents: readonly AdmitIntent[], redis: Redis = this.redis): Promise<unknown> {
    const k = campaignKeys(campaignId);
    const multi = redis.multi().ld1_admitSpins(k.idempotency, k.spins, sourceKeys(campaignId).blocklist, maxPending, ...admissionArgs(intentLimitPrefix(campaignId, "spin"), admission, intents));
    return firstReply(await queueIndexWork(multi, campaignId, "s").exec());
  }

  /** The intent already stored for this player and key, if any (a retry of an acknowledged spin). */
  async existingIntent(campaignId: string, playerId: string, idempotencyKey: string): Promise<string | null> {
    return this.redis.hget(campaignKeys(campaignId).idempotency, `${playerId}:${idempotencyKey}`);
  }

  /**
   * Registers a campaign for the workers' minute safety-net sweep (worker/resolve-spins.ts), which
   * re-derives its work-index entries. The rounds themselves read the work index (core/work-index.ts).
   */
  async register(campaignId: string): Promise<void> {
    await this.redis.sadd(spinCampaignsKey, campaignId);
  }

  async spinCampaigns(): Promise<string[]> {
    return this.redis.smembers(spinCampaignsKey);
  }

  /**
   * Resolves up to `batchSize` pending intents in one Lua call. The random numbers are drawn here
   * with crypto.randomInt (uniform, no modulo bias) and passed in, one per intent.
   */
  async resolveBatch(
    campaignId: string,
    batchSize: number,
    historyLength: number,
    /** Source of uniform integers in [0, 1_000_000); tests pass their own to pin outcomes. */
    random: () => number = () => randomInt(0, PPM),
  ): Promise<{ read: number; results: { playerId: string; result: SpinResult }[] }> {
    const k = campaignKeys(campaignId);
    const pending = await this.redis.xlen(k.spins);
    if (pending === 0) return { read: 0, results: [] }; // the sweep's usual case: nothing to draw for
    const randoms = Array.from({ length: Math.min(batchSize, pending) }, random);
    // With the work index's update in the same MULTI: an emptied stream starts the campaign's
    // linger, a win puts it in the issuer's index (core/work-index.ts).
    const multi = this.redis.multi().ld1_resolveSpins(
      k.config, k.spins, k.cursor, k.inventory, k.issued, k.results, k.players, k.ledger, k.ticketLedger,
      k.wins, k.issuePending, k.issueDue, k.funnel, k.winsExpiry,
      randoms.length, k.historyPrefix, historyLength, k.winsPlayerPrefix, ...randoms,
    );
    const raw = firstReply(await queueIndexWork(multi, campaignId, "si").exec());
    const { rest } = scriptReply(raw);
    // codeOf consumed the first element (entries read) as the status code.
    const read = Number(arrayReply.parse(raw)[0]);
    const results: { playerId: string; result: SpinResult }[] = [];
    for (let i = 0; i + 1 < rest.length; i += 2) {
      results.push({ playerId: String(rest[i]), result: spinResultSchema.parse(JSON.parse(String(rest[i + 1]))) });
    }
    return { read, results };
  }

  /** The result of one of this player's intents; null while unresolved or if the intent is not theirs. */
  async resultFor(campaignId: string, playerId: string, intentId: string): Promise<SpinResult | null> {
    const k = campaignKeys(campaignId);
    const raw = await this.redis.hget(k.results, intentId);
    if (raw === null) return null;
    const result = spinResultSchema.parse(JSON.parse(raw));
    const owner = await this.redis.hget(k.idempotency, `${playerId}:${result.idempotencyKey}`);
    return owner === intentId ? result : null;
  }

  /** A player's recent results, most recent first. */
  async history(campaignId: string, playerId: string, limit: number): Promise<SpinResult[]> {
    const raw = await this.redis.lrange(historyKey(campaignId, playerId), -limit, -1);
    return raw.reverse().map((json) => spinResultSchema.parse(JSON.parse(json)));
  }

  async stats(campaignId: string): Promise<CampaignStats> {
    const k = campaignKeys(campaignId);
    const [campaign, stocked, issued, remaining, pending, resolved] = await Promise.all([
      this.campaign(campaignId),
      this.redis.hgetall(k.stocked),
      this.redis.hgetall(k.issued),
      this.redis.hgetall(k.inventory),
      this.redis.xlen(k.spins),
      this.redis.hlen(k.results),
    ]);
    if (!campaign) throw new AppError("E_CAMPAIGN_NOT_FOUND");
    return {
      campaignId,
      tiers: campaign.tiers.map((t) => ({
        tierId: t.tierId,
        stocked: Number(stocked[t.tierId] ?? 0),
        issued: Number(issued[t.tierId] ?? 0),
        remaining: Number(remaining[t.tierId] ?? 0),
      })),
      pending,
      resolved,
    };
  }
}
