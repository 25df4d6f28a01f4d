/**
 * The stage of a campaign (`@livedraw/protocol` `Stage`): which draw the hall's screens show and in
 * which phase. One Redis hash under the campaign's hash tag (`ld:{campaign:<id>}:stage`), changed in
 * one MULTI (the version is bumped with the fields it describes), so two consoles driving the same
 * night converge on the same stage, and every screen and console keeps the highest version it sees.
 * The hash expires `STAGE_TTL_SECONDS` after its last change.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { STAGE_PHASES, type Stage, type StageGetPayload, type StagePhase, type StageSetPayload } from "../core/protocol.js";
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
  async set(campaignId: string, drawId: string | null, phase: StagePhase, hostId: string, now: number): Promise<Stage> {
    const key = campaignKeys(campaignId).stage;
    const results = await this.redis
      .multi()
      .hincrby(key, "version", 1)
      .hset(key, { drawId: drawId ?? "", phase, updatedAt: String(now), updatedBy: hostId })
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
  };
}

// ---- drift checks: these lines fail to compile if a schema and its protocol type disagree.
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T | undefined => undefined;
assertType<Equals<z.infer<typeof stageGetSchema>, StageGetPayload>>();
assertType<Equals<z.infer<typeof stageSetSchema>, StageSetPayload>>();
