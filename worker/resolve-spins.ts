/**
 * Draining a campaign's spin stream, for the resolver loop (worker/spin-resolver.ts) and the
 * minute `spins.sweep` job (the safety net behind the work index, core/work-index.ts): batches of one Lua call each (core/lua/resolveSpins-14.lua), each batch's
 * results pushed to their players through the Redis emitter. Resolution is exactly once by
 * construction (atomic batches, a cursor, a results hash keyed by intent id); pushes (one
 * inter-node message per batch) are best effort on top: results stay fetchable (`spin:fetch`,
 * `spin:history`), and the SDK fetches when a push does not come.
 */
import type { Emitter } from "@socket.io/redis-emitter";
import type { Redis } from "ioredis";
import type { Config } from "../config/options.js";
import type { Logger } from "../core/logger.js";
import type { ServerToClientEvents } from "../core/protocol.js";
import type { SpinStore } from "../core/spin-store.js";
import { reindex } from "../core/work-index.js";
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

/** How often the safety-net sweep runs (the `spins-sweep` job scheduler of worker/worker.ts). */
export const FULL_SWEEP_EVERY_MS = 60_000;

/**
 * The safety net behind the work index, every minute: re-derives the index entries of every
 * registered campaign from its own keys (one pipelined script call each, so 2,000 idle campaigns
 * cost ~2,000 cheap commands a minute) and drains every campaign found with unresolved spins. Work
 * whose index entry was lost — written by a node of an earlier version, or a key restored by hand —
 * is found here within a minute, logged, and done. Returns how many intents it resolved.
 */
export async function sweep(deps: ResolveDeps, redis: Redis): Promise<number> {
  const states = await reindex(redis, await deps.spins.spinCampaigns());
  let resolved = 0;
  let unindexed = 0;
  for (const [campaignId, state] of states) {
    if (!state.spins) continue;
    if (state.announced) unindexed++;
    try {
      resolved += await drainCampaign(deps, campaignId);
    } catch (err) {
      deps.log.warn({ err, campaignId }, "sweep could not drain a campaign");
    }
  }
  if (unindexed > 0) deps.log.warn({ campaigns: unindexed, resolved }, "sweep found spins of campaigns missing from the work index; indexed and drained them");
  return resolved;
}
