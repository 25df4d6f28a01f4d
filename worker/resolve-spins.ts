/**
 * Draining a campaign's spin stream, for the resolver loop (worker/spin-resolver.ts) and the
 * `spins.sweep` job: batches of one Lua call each (core/lua/resolveSpins-15.lua), each batch's
 * results pushed to their players through the Redis emitter. Resolution is exactly once by
 * construction (atomic batches, a cursor, a results hash keyed by intent id); pushes (one
 * inter-node message per batch) are best effort on top: results stay fetchable (`spin:fetch`,
 * `spin:history`), and the SDK fetches when a push does not come.
 */
import type { Emitter } from "@socket.io/redis-emitter";
import type { Config } from "../config/options.js";
import type { Logger } from "../core/logger.js";
import type { ServerToClientEvents } from "../core/protocol.js";
import type { SpinStore } from "../core/spin-store.js";
import type { WorkerMetrics } from "./metrics.js";

export interface ResolveDeps {
  config: Config;
  log: Logger;
  spins: SpinStore;
  emitter: Emitter<ServerToClientEvents>;
  /** Timing only (livedraw_spin_resolution_seconds). */
  metrics?: WorkerMetrics;
}

/** Resolves one batch of a campaign's pending intents and pushes its results; `more` when the batch was full. */
export async function drainOnce(deps: ResolveDeps, campaignId: string): Promise<{ resolved: number; more: boolean }> {
  const { read, results } = await deps.spins.resolveBatch(campaignId, deps.config.spinBatchSize, deps.config.spinHistoryLength);
  // One message per batch to every node (not one PUBLISH per result): each node hands the results
  // to its own players' sockets (server/personal-results.ts).
  if (results.length > 0) deps.emitter.serverSideEmit("spin:results", { campaignId, results: results.map(({ playerId, result }) => [playerId, result]) });
  deps.metrics?.observeResolutions(results);
  return { resolved: results.length, more: read >= deps.config.spinBatchSize };
}

/** Resolves until the campaign's stream is empty; returns how many intents it resolved. */
export async function drainCampaign(deps: ResolveDeps, campaignId: string): Promise<number> {
  let resolved = 0;
  for (;;) {
    const batch = await drainOnce(deps, campaignId);
    resolved += batch.resolved;
    if (!batch.more) return resolved;
  }
}

/** Drains every campaign that has ever had spins (the safety net behind the nodes' triggers). */
export async function sweep(deps: ResolveDeps): Promise<number> {
  let resolved = 0;
  for (const campaignId of await deps.spins.spinCampaigns()) {
    try {
      resolved += await drainCampaign(deps, campaignId);
    } catch (err) {
      deps.log.warn({ err, campaignId }, "sweep could not drain a campaign");
    }
  }
  return resolved;
}
