import type { Redis } from "ioredis";
import { AppError } from "../core/errors.js";
import { campaignKeys } from "../core/redis-keys.js";

/**
 * Whether a campaign exists (an instant-win configuration, or at least one live draw), cached per
 * node: known campaigns for a minute, unknown ones for two seconds. Writes that players can make for
 * any campaign id (names, assists, teams) check it, so nobody can fill Redis with made-up campaigns.
 */
export class CampaignExistence {
  private readonly cache = new Map<string, { exists: boolean; until: number }>();

  constructor(private readonly redis: Redis) {}

  async exists(campaignId: string): Promise<boolean> {
    const now = Date.now();
    const hit = this.cache.get(campaignId);
    if (hit && hit.until > now) return hit.exists;
    const k = campaignKeys(campaignId);
    const exists = (await this.redis.exists(k.config, k.draws)) > 0;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(campaignId, { exists, until: now + (exists ? 60_000 : 2_000) });
    return exists;
  }

  /** E_CAMPAIGN_NOT_FOUND unless the campaign exists; `fresh` reads Redis past the cache (a campaign created a moment ago on another node). */
  async require(campaignId: string, options: { fresh?: boolean } = {}): Promise<void> {
    if (options.fresh) this.cache.delete(campaignId);
    if (!(await this.exists(campaignId))) throw new AppError("E_CAMPAIGN_NOT_FOUND");
  }
}
