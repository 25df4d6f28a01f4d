import { AppError } from "../core/errors.js";
import { JOB_CLOSE_DRAW, closeJobId } from "../core/jobs.js";
import { newDrawId } from "../core/live-draw.js";
import type { DrawCountdown, DrawTier } from "../core/protocol.js";
import type { StartDrawBody } from "../core/schemas.js";
import type { NodeContext } from "./context.js";

/**
 * Opens a live draw and tells every player of the campaign on every node. The close job is queued
 * before the draw opens, so a draw that opened always has a job that will close it; a job whose draw
 * never opened finds nothing and ends (see worker/close-draw.ts).
 */
export async function startDraw(ctx: NodeContext, campaignId: string, body: StartDrawBody): Promise<DrawCountdown> {
  const { config } = ctx;
  if (body.durationMs < config.minDurationMs || body.durationMs > config.maxDurationMs) {
    throw new AppError("E_BAD_REQUEST", `durationMs: must be between ${config.minDurationMs} and ${config.maxDurationMs}`);
  }
  const tiers: DrawTier[] = body.tiers ?? [{ tierId: "prize", name: body.title, count: body.winners ?? 1 }];
  const total = tiers.reduce((n, t) => n + t.count, 0);
  if (total > config.maxWinners) throw new AppError("E_BAD_REQUEST", `winners: at most ${config.maxWinners} in all tiers together`);
  const beacon = body.beaconRound === undefined ? null : await ctx.beacons.nameRound(body.beaconRound, ctx.clock.now() + body.durationMs);
  const drawId = body.drawId ?? newDrawId();
  await ctx.queue.add(
    JOB_CLOSE_DRAW,
    { kind: "close", campaignId, drawId },
    {
      jobId: closeJobId(campaignId, drawId),
      delay: body.durationMs,
      attempts: 20,
      backoff: { type: "exponential", delay: 200 },
      removeOnComplete: { count: 10_000 },
      removeOnFail: { count: 10_000 },
    },
  );
  const countdown = await ctx.draws.open(campaignId, {
    drawId,
    title: body.title,
    durationMs: body.durationMs,
    tiers,
    weighted: body.weighted,
    excludePrevious: body.excludePreviousWinners,
    autoReveal: body.autoReveal,
    beacon,
  });
  if (body.claimWindowSeconds !== undefined) await ctx.drawClaims.setWindow(campaignId, drawId, body.claimWindowSeconds * 1000);
  ctx.metrics.drawsOpened.inc();
  ctx.log.info({ campaignId, drawId, deadline: countdown.deadline, tiers: tiers.length, winners: total }, "draw opened");
  return countdown;
}
