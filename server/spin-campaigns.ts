/**
 * Makes sure a campaign with stored spins is known to the workers: its id joins `ld:spin-campaigns`
 * (once per node and campaign; campaigns also join when they are saved), which the workers'
 * resolver loops (worker/spin-resolver.ts) take leases from and their sweep drains. Nodes do not
 * wake workers: a stored intent wakes the loop that holds the campaign through its blocking XREAD.
 */
import type { Logger } from "../core/logger.js";
import type { SpinStore } from "../core/spin-store.js";

export class SpinCampaigns {
  private readonly registered = new Set<string>();

  constructor(
    private readonly store: SpinStore,
    private readonly log: Logger,
  ) {}

  /** Call after an intent of `campaignId` has been stored. */
  stored(campaignId: string): void {
    if (this.registered.has(campaignId)) return;
    this.registered.add(campaignId);
    this.store.register(campaignId).catch((err: unknown) => {
      this.registered.delete(campaignId);
      this.log.warn({ err, campaignId }, "could not register campaign for the resolver loops");
    });
  }
}
