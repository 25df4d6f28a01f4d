/**
 * The stage of a campaign (`@livedraw/protocol` `Stage`): which draw the hall's screens show and in
 * which phase. One Redis hash under the campaign's hash tag (`ld:{campaign:<id>}:stage`), changed in
 * one MULTI (the version is bumped with the fields it describes), so two consoles driving the same
 * night converge on the same stage, and every screen and console keeps the highest version it sees.
 * The hash expires `STAGE_TTL_SECONDS` after its last change.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { STAGE_PHASES, rooms, type Stage, type StageGetPayload, type StagePhase, type StageRedraw, type StageSetPayload } from "../core/protocol.js";
import type { NodeContext } from "./context.js";
import { campaignKeys } from "../core/redis-keys.js";
import { idSchema } from "../core/schemas.js";

/** A stage untouched for a week is forgotten (a show lasts a night). */
export const STAGE_TTL_SECONDS = 7 * 24 * 3600;

export const stageGetSchema = z.strictObject({ campaignId: idSchema });
export const stageSetSchema = z.strictObject({
  campaignId: idSchema,
  drawId: idSchema.nullable(),
  phase: z.enum(STAGE_PHASES as [StagePhase, ...StagePhase[]]),
});

const isPhase = (v: string | undefined): v is StagePhase => v !== undefined && (STAGE_PHASES as readonly string[]).includes(v);

export class StageStore {
  constructor(private readonly redis: Redis) {}

  async get(campaignId: string): Promise<Stage> {
    return toStage(campaignId, await this.redis.hgetall(campaignKeys(campaignId).stage));
  }

  /** Sets the stage and returns it with its new version. */
  set(campaignId: string, drawId: string | null, phase: StagePhase, hostId: string, now: number): Promise<Stage> {
    return this.change(campaignId, { drawId: drawId ?? "", phase, updatedAt: String(now), updatedBy: hostId });
  }

  /** Records a redraw for the screens' notice (the draw on screen and its phase stay as they are). */
  noteRedraw(campaignId: string, redraw: StageRedraw): Promise<Stage> {
    return this.change(campaignId, { redraw: JSON.stringify(redraw), updatedAt: String(redraw.at), updatedBy: redraw.hostId });
  }

  private async change(campaignId: string, fields: Record<string, string>): Promise<Stage> {
    const key = campaignKeys(campaignId).stage;
    const results = await this.redis
      .multi()
      .hincrby(key, "version", 1)
      .hset(key, fields)
      .expire(key, STAGE_TTL_SECONDS)
      .hgetall(key)
      .exec();
    const last = results?.[results.length - 1];
    if (!last || last[0]) throw new Error("stage not written", { cause: last?.[0] ?? undefined });
    return toStage(campaignId, last[1] as Record<string, string>);
  }
}

function toStage(campaignId: string, h: Record<string, string>): Stage {
  return {
    campaignId,
    drawId: h.drawId ? h.drawId : null,
    phase: isPhase(h.phase) ? h.phase : "waiting",
    version: Number(h.version ?? 0),
    updatedAt: Number(h.updatedAt ?? 0),
    updatedBy: h.updatedBy ? h.updatedBy : null,
    redraw: h.redraw ? (JSON.parse(h.redraw) as StageRedraw) : null,
  };
}

/**
 * After a host's redraw (server/routes-draws.ts): the stage notes it and every screen and console
 * is told (`stage:update`), so the hall sees "re-drawn: absent". A failure here is logged, not
 * answered: the redraw itself stands.
 */
export async function announceRedraw(ctx: NodeContext, campaignId: string, redraw: StageRedraw): Promise<void> {
  try {
    const stage = await new StageStore(ctx.redis).noteRedraw(campaignId, redraw);
    ctx.io.to(rooms.campaign(campaignId)).emit("stage:update", stage);
  } catch (err) {
    ctx.log.warn({ err, campaignId, drawId: redraw.drawId }, "redraw done but not announced to the screens");
  }
}

// ---- drift checks: these lines fail to compile if a schema and its protocol type disagree.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T | undefined => undefined;
assertType<Equals<z.infer<typeof stageGetSchema>, StageGetPayload>>();
assertType<Equals<z.infer<typeof stageSetSchema>, StageSetPayload>>();
