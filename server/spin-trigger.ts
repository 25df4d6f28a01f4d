/**
 * Wakes the workers for a campaign's new spin intents: at most one BullMQ `spins.resolve` job per
 * campaign per `windowMs` (LIVEDRAW_SPIN_TRIGGER_WINDOW_MS) across all nodes (the job id names the
 * window), each draining batches, added *after* the intents of that window were stored, so every stored
 * intent is followed by a job that starts after it. Workers also sweep every campaign periodically,
 * which covers a node that died between an ack and its job.
 */
import type { Queue } from "bullmq";
import { JOB_RESOLVE_SPINS, type WorkerJob } from "../core/jobs.js";
import type { Logger } from "../core/logger.js";
import type { SpinStore } from "../core/spin-store.js";

export class SpinTrigger {
  private readonly scheduled = new Set<string>();
  private readonly registered = new Set<string>();

  constructor(
    private readonly queue: Queue<WorkerJob>,
    private readonly store: SpinStore,
    private readonly log: Logger,
    private readonly windowMs = 5,
  ) {}

  /** Call after an intent of `campaignId` has been stored. */
  stored(campaignId: string): void {
    if (!this.registered.has(campaignId)) {
      this.registered.add(campaignId);
      this.store.register(campaignId).catch((err: unknown) => {
        this.registered.delete(campaignId);
        this.log.warn({ err, campaignId }, "could not register campaign for the sweep");
      });
    }
    if (this.scheduled.has(campaignId)) return;
    this.scheduled.add(campaignId);
    setTimeout(() => {
      this.scheduled.delete(campaignId);
      // One job per campaign and window across all nodes: the same job id from another node in the
      // same window is a no-op in BullMQ (the first one drains every intent stored before it runs).
      const jobId = `resolve-${campaignId}-${Math.floor(Date.now() / this.windowMs)}`;
      this.queue
        .add(JOB_RESOLVE_SPINS, { kind: "resolve", campaignId }, { jobId, removeOnComplete: true, removeOnFail: 1000, attempts: 5, backoff: { type: "exponential", delay: 50 } })
        .catch((err: unknown) => this.log.warn({ err, campaignId }, "could not queue spin resolution; the sweep will pick it up"));
    }, this.windowMs);
  }
}
