/**
 * The `draw.close` job: at the deadline, close the draw and compute its winners with the published
 * algorithm (core/live-draw.ts), announce the close, and — for auto-reveal draws — reveal every
 * tier and finish. Each step is a compare-and-set, so a retried or duplicated job never re-draws:
 * it continues from wherever the previous attempt stopped, and first re-sends any reveal the previous
 * attempt recorded but did not live to send.
 */
import type { Emitter } from "@socket.io/redis-emitter";
import { DelayedError, type Job } from "bullmq";
import { z } from "zod";
import type { Config } from "../config/options.js";
import type { BeaconService } from "../core/beacon.js";
import { DrawStore } from "../core/draw-store.js";
import type { CloseDrawJob } from "../core/jobs.js";
import { LiveDraws, sendInChunks, type Broadcaster } from "../core/live-draw.js";
import type { Logger } from "../core/logger.js";
import { rooms, type ServerToClientEvents } from "../core/protocol.js";
import { idSchema } from "../core/schemas.js";
import type { Redis } from "ioredis";
import type { RedisClock } from "../core/clock.js";
import { timedBroadcaster } from "../core/metrics.js";
import type { WorkerMetrics } from "./metrics.js";
import type { Failpoint } from "../core/failpoint.js";

const jobSchema = z.object({ campaignId: idSchema, drawId: idSchema });

export interface CloseDrawDeps {
  config: Config;
  log: Logger;
  redis: Redis;
  emitter: Emitter<ServerToClientEvents>;
  clock: RedisClock;
  beacons: BeaconService;
  /** Timing only (livedraw_reveal_emit_seconds). */
  metrics?: WorkerMetrics;
  /** Crash points for the crash tests (LIVEDRAW_FAILPOINT, core/failpoint.ts). */
  failpoint?: Failpoint;
}

export type CloseDrawResult = { status: "drawn"; entrants: number; autoRevealed: boolean } | { status: "skipped"; reason: string };

/** How a worker tells clients: the Socket.IO Redis emitter (it holds no sockets). */
export function emitterBroadcaster(emitter: Emitter<ServerToClientEvents>): Broadcaster {
  return {
    toCampaign: (campaignId, event, payload) => {
      (emitter.to(rooms.campaign(campaignId)).emit as (ev: string, p: unknown) => boolean)(event, payload);
    },
    personal: (results) => sendInChunks(results, (chunk) => emitter.serverSideEmit("draw:results", { results: chunk })),
  };
}

export async function closeDraw(deps: CloseDrawDeps, job: Job<CloseDrawJob>, token: string | undefined): Promise<CloseDrawResult> {
  const data = jobSchema.safeParse(job.data);
  if (!data.success) return { status: "skipped", reason: "malformed job data" };
  const { campaignId, drawId } = data.data;
  const log = deps.log.child({ job: job.id, campaignId, drawId });
  const broadcaster = emitterBroadcaster(deps.emitter);
  const now = () => deps.clock.now();
  const draws = new LiveDraws(new DrawStore(deps.redis), deps.metrics ? timedBroadcaster(broadcaster, now, deps.metrics.revealEmit) : broadcaster, now, { resultsDelayMs: deps.config.drawResultsDelayMs, failpoint: deps.failpoint });

  const outcome = await draws.closeAndDraw(campaignId, drawId, (ref) => deps.beacons.fetch(ref));
  if (outcome.status === "early") {
    // The job fired before the deadline by Redis time (clock drift between hosts): wait the rest.
    await job.moveToDelayed(Date.now() + outcome.remainingMs + 5, token);
    throw new DelayedError();
  }
  const state = outcome.state;
  if (!state) {
    log.warn("close job for a draw that does not exist (its open failed); nothing to do");
    return { status: "skipped", reason: "draw not found" };
  }
  // A retried job may find the draw drawn by its previous attempt: carry on with the reveal.
  const autoReveal = state.options.autoReveal && (state.phase === "drawn" || state.phase === "revealing");
  if (autoReveal) await draws.revealAll(campaignId, drawId, deps.config.drawRetentionSeconds);
  // A retry after a crash that left a done draw unfinished (results not sent, keys not expiring).
  if (state.phase === "done") await draws.ensureFinished(campaignId, drawId, deps.config.drawRetentionSeconds);
  if (outcome.status === "skipped" && !autoReveal) return { status: "skipped", reason: `draw is ${state.phase}` };
  log.info({ entrants: state.entrants, tiers: state.options.tiers.length, autoReveal }, "draw drawn");
  return { status: "drawn", entrants: state.entrants, autoRevealed: autoReveal };
}
