/**
 * Claim windows of live draws (docs/lifecycle.md, "Claiming a live-draw prize"): a draw opened with
 * `claimWindowSeconds` gives each winner that long from the reveal of their tier to claim
 * (`draw:claim`); the host may redraw a winner only once the window has ended unclaimed. Draws
 * without a window keep the earlier rule: a host may redraw any revealed winner at once.
 */
import type { Redis } from "ioredis";
import { AppError } from "./errors.js";
import type { DrawClaimResult } from "./protocol.js";
import { drawKeys } from "./redis-keys.js";
import { scriptReply } from "./script-reply.js";

/** What a claim answers: the `draw:claim` ack (`DrawClaimResult` of the protocol). */
export type DrawClaim = DrawClaimResult;

export class DrawClaims {
  constructor(private readonly redis: Redis) {}

  /** Sets the window when the draw opens (before any tier can be revealed). */
  async setWindow(campaignId: string, drawId: string, windowMs: number): Promise<void> {
    await this.redis.hset(drawKeys(campaignId, drawId).claims, "_window", windowMs);
  }

  async claim(campaignId: string, drawId: string, playerId: string): Promise<DrawClaim> {
    const k = drawKeys(campaignId, drawId);
    const { rest } = scriptReply(await this.redis.ld1_claimDrawPrize(k.state, k.entrants, k.claims, playerId));
    const deadline = Number(rest[3]);
    return { campaignId, drawId, intentId: String(rest[0]), tierId: String(rest[1]), claimedAt: Number(rest[2]), deadline: deadline > 0 ? deadline : null };
  }

  /** A redraw picked `intentId`: its winner's window starts now (not at the tier's reveal). */
  async redrawn(campaignId: string, drawId: string, intentId: string, now: number): Promise<void> {
    const k = drawKeys(campaignId, drawId);
    if (Number((await this.redis.hget(k.claims, "_window")) ?? 0) > 0) await this.redis.hset(k.claims, `start:${intentId}`, now);
  }

  /**
   * Refuses a redraw of `intentId` in `tierId` while its winner may still claim, or once they have.
   * Safe without a lock: after the window ends no claim is accepted, so the answer cannot change.
   */
  async assertRedrawable(campaignId: string, drawId: string, tierId: string, intentId: string, now: number): Promise<void> {
    const k = drawKeys(campaignId, drawId);
    const [[window, claimed, start], revealedAt] = await Promise.all([
      this.redis.hmget(k.claims, "_window", intentId, `start:${intentId}`),
      this.redis.hget(k.state, `revealedAt:${tierId}`),
    ]);
    const windowMs = Number(window ?? 0);
    if (windowMs <= 0) return;
    if (claimed !== null) throw new AppError("E_PRIZE_CLAIMED");
    const ends = Number(start ?? revealedAt ?? 0) + windowMs;
    if (now < ends) throw new AppError("E_CLAIM_WINDOW_OPEN", `This winner may claim until ${new Date(ends).toISOString()} (${Math.ceil((ends - now) / 1000)} s from now); redraw after that.`);
  }
}
