import { JOB_CLOSE_DRAW, closeJobId } from "../core/jobs.js";
import type { DrawSnapshot } from "../core/protocol.js";
import { AppError } from "../core/errors.js";
import type { NodeContext } from "./context.js";

/**
 * A host closes a draw's entries before its deadline: the stored deadline moves to now (Lua), then
 * the draw's delayed close job is promoted to run at once. If it cannot be promoted (it is already
 * running, retrying, or gone), an immediate job is added under a second id; the close job is
 * idempotent (every step a compare-and-set), so whichever runs second finds the draw closed.
 */
export async function closeEarly(ctx: NodeContext, campaignId: string, drawId: string): Promise<{ snapshot: DrawSnapshot; previousDeadline: number }> {
  const { previousDeadline } = await ctx.store.closeEarly(campaignId, drawId);
  const job = await ctx.queue.getJob(closeJobId(campaignId, drawId));
  let promoted = false;
  if (job) {
    try {
      await job.promote(); // throws unless the job is delayed
      promoted = true;
    } catch {
      promoted = false;
    }
  }
  if (!promoted) {
    await ctx.queue.add(
      JOB_CLOSE_DRAW,
      { kind: "close", campaignId, drawId },
      { jobId: `${closeJobId(campaignId, drawId)}.early`, attempts: 20, backoff: { type: "exponential", delay: 200 }, removeOnComplete: { count: 10_000 }, removeOnFail: { count: 10_000 } },
    );
  }
  const snapshot = await ctx.store.snapshot(campaignId, drawId, null);
  if (!snapshot) throw new AppError("E_DRAW_NOT_FOUND");
  ctx.log.info({ campaignId, drawId, previousDeadline, deadline: snapshot.deadline, promoted }, "draw closed early");
  return { snapshot, previousDeadline };
}
