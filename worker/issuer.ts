/**
 * Prize issuance in a worker (docs/lifecycle.md §2.9). A loop takes, every LIVEDRAW_ISSUE_INTERVAL_MS,
 * each campaign's pending wins: onsite, coupon and points prizes are issued in one Lua step per batch
 * (core/lua/issueWins); webhook prizes become BullMQ jobs of the `issuance` queue (job id = the win,
 * so a win is queued once), delivered with an HMAC-SHA256 signature over timestamp and body, retried
 * with exponential backoff, and dead-lettered (status `failed`) after LIVEDRAW_WEBHOOK_ATTEMPTS
 * (worker/webhook-delivery.ts, which also checks where a URL may reach and limits each partner).
 * Wins still pending past the campaign's `claim.issueWithinSeconds` get their delay notice. Every
 * change is pushed to the winner as `win:status`. Several workers may run the loop at once: each
 * step checks the record's status, so a win is issued exactly once whoever gets there first.
 */
import type { Emitter } from "@socket.io/redis-emitter";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Config } from "../config/options.js";
import type { RedisClock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import { rooms, type ServerToClientEvents } from "../core/protocol.js";
import { BULL_PREFIX, ISSUANCE_QUEUE } from "../core/redis-keys.js";
import type { SpinStore } from "../core/spin-store.js";
import type { WinRecord, WinStore } from "../core/wins.js";
import { indexWork, issueDueCampaigns } from "../core/work-index.js";
import { WebhookDeliveries, type WebhookJob } from "./webhook-delivery.js";

export interface IssuerDeps {
  config: Config;
  log: Logger;
  redis: Redis;
  emitter: Emitter<ServerToClientEvents>;
  clock: RedisClock;
  spins: SpinStore;
  wins: WinStore;
}

const BATCH = 500;

export class Issuer {
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly queue: Queue<WebhookJob>;
  private readonly deliveries: WebhookDeliveries;
  /** Coupon tiers this worker has warned about (`<campaign>/<tier>`), until their pool is refilled. */
  private readonly lowStockWarned = new Set<string>();

  constructor(
    private readonly deps: IssuerDeps,
    bullConnection: Redis,
  ) {
    const { config, log } = deps;
    this.queue = new Queue<WebhookJob>(ISSUANCE_QUEUE, { connection: deps.redis, prefix: BULL_PREFIX });
    this.queue.on("error", (err) => log.warn({ err }, "issuance queue error"));
    // Webhook prizes: delivery, address checks, per-partner limits (worker/webhook-delivery.ts).
    this.deliveries = new WebhookDeliveries({ config, log, clock: deps.clock, wins: deps.wins, push: (rec) => this.push(rec) }, bullConnection);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await this.deliveries.close();
    await this.queue.close();
  }

  private push(rec: WinRecord): void {
    this.deps.emitter.to(rooms.player(rec.playerId)).emit("win:status", this.deps.wins.view(rec, this.deps.clock.now()));
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.round();
      } catch (err) {
        this.deps.log.warn({ err }, "issuance round failed; retrying next round");
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.deps.config.issueIntervalMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /**
   * One pass over the campaigns the work index says are due (core/work-index.ts): a win waiting for
   * issuance, a delay notice or a claim deadline due now. After each visit the campaign's entry is
   * re-derived from its keys (next due time, or removed). Public for tests and the benchmarks.
   */
  async round(): Promise<number> {
    let moved = 0;
    for (const campaignId of await issueDueCampaigns(this.deps.redis, this.deps.clock.now())) {
      if (this.stopping) break;
      moved += await this.issueCampaign(campaignId);
      for (const rec of await this.deps.wins.expireDue(campaignId)) {
        this.deps.log.info({ campaign: campaignId, win: rec.winId, kind: rec.prizeKind }, "prize expired: claim deadline passed");
        this.push(rec);
      }
      for (const rec of await this.deps.wins.noticeDelays(campaignId)) {
        this.deps.log.info({ campaign: campaignId, win: rec.winId, kind: rec.prizeKind }, "win not issued in time: delay notice sent");
        this.push(rec);
      }
      await indexWork(this.deps.redis, campaignId, "i");
    }
    return moved;
  }

  private async issueCampaign(campaignId: string): Promise<number> {
    const { wins } = this.deps;
    let moved = 0;
    let offset = 0; // wins that stay pending (coupons waiting for codes) are stepped over, not re-read
    const emptyPools = new Set<string>();
    for (;;) {
      const pending = await wins.pending(campaignId, BATCH, offset);
      if (pending.length === 0) return moved;
      const hooks = pending.filter((r) => r.prizeKind === "webhook");
      // A coupon tier found empty in this round is not asked again until the next one.
      const direct = pending.filter((r) => r.prizeKind !== "webhook" && !(r.prizeKind === "coupon" && emptyPools.has(r.tierId)));
      let progress = hooks.length > 0 ? await this.queueWebhooks(campaignId, hooks) : 0;
      if (direct.length > 0) {
        const { results, couponsLeft } = await wins.issue(campaignId, direct.map((r) => r.winId));
        for (const r of results) {
          if (r.record && (r.status === "issued" || r.status === "expired")) {
            progress++;
            this.push(r.record);
          }
        }
        const starved = results.filter((r) => r.status === "no-code").length;
        for (const [tierId, left] of Object.entries(couponsLeft)) {
          if (left === 0) emptyPools.add(tierId);
          this.watchStock(campaignId, tierId, left, starved);
        }
      }
      moved += progress;
      offset += pending.length - progress;
    }
  }

  private watchStock(campaignId: string, tierId: string, left: number, waiting: number): void {
    const key = `${campaignId}/${tierId}`;
    if (left <= this.deps.config.couponLowStock) {
      if (!this.lowStockWarned.has(key)) {
        this.lowStockWarned.add(key);
        this.deps.log.warn({ campaign: campaignId, tier: tierId, couponsLeft: left, winsWaiting: waiting }, "coupon pool low: load more codes (POST /v1/campaigns/:campaignId/coupons)");
      }
    } else {
      this.lowStockWarned.delete(key);
    }
  }

  private async queueWebhooks(campaignId: string, recs: WinRecord[]): Promise<number> {
    const campaign = await this.deps.spins.campaign(campaignId);
    const urls = new Map(campaign?.tiers.flatMap((t) => (t.prize.kind === "webhook" ? [[t.tierId, t.prize.url] as const] : [])) ?? []);
    const { config } = this.deps;
    const jobs = recs.flatMap((r) => {
      const url = urls.get(r.tierId);
      return url === undefined
        ? []
        : [{
            name: "webhook",
            data: { campaignId, winId: r.winId, url },
            opts: {
              // One job per win across workers and rounds (BullMQ ignores an add whose id exists).
              jobId: `${campaignId}.${r.winId}`,
              attempts: config.webhookAttempts,
              backoff: { type: "capped" },
              removeOnComplete: 1000,
              removeOnFail: 1000,
            },
          }];
    });
    if (jobs.length > 0) await this.queue.addBulk(jobs);
    // Out of the issuance queue only once its job is stored: a crash in between queues it again (same id).
    for (const j of jobs) await this.deps.wins.settle(campaignId, "queued", j.data.winId);
    return jobs.length;
  }
}
