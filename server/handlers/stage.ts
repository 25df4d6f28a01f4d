/**
 * The stage (server/stage.ts): `stage:get` for anyone watching the campaign (viewers included) and
 * `stage:set` for hosts. A change is broadcast as `stage:update` to the campaign's room, so every
 * screen and console follows it, and recorded as a `set-stage` host action in the audit log.
 */
import { AppError } from "../../core/errors.js";
import { rooms, type StageView } from "../../core/protocol.js";
import { assertCampaignScope, type HostIdentity } from "../host-session.js";
import { recordHostAction } from "../host-audit.js";
import { stageGetSchema, stageSetSchema, type StageStore } from "../stage.js";
import type { HandlerGroup } from "./types.js";

export function stageHandlers(stages: StageStore): HandlerGroup {
  return (ctx, socket, bind) => {
    bind("stage:get", stageGetSchema, async ({ campaignId }): Promise<StageView> => {
      const stage = await stages.get(campaignId);
      // The sequence number first, as for campaign:subscribe: anything broadcast after it is read is in the draw or numbered above it.
      const eventSeq = await ctx.store.eventSeq(campaignId);
      // A viewer's snapshot: winners of revealed tiers only, nobody's own entry.
      const draw = stage.drawId === null ? null : await ctx.store.snapshot(campaignId, stage.drawId, null);
      return { stage, draw, eventSeq, serverTime: ctx.clock.now() };
    });

    bind("stage:set", stageSetSchema, async ({ campaignId, drawId, phase }) => {
      if (socket.data.role !== "host") throw new AppError("E_FORBIDDEN", "Only a host changes what the hall's screens show.");
      if (ctx.draining) throw new AppError("E_SHUTTING_DOWN");
      const who: HostIdentity = {
        hostId: socket.data.hostId ?? socket.data.playerId,
        via: socket.data.hostSession ? "session" : "token",
        ...(socket.data.hostCampaigns ? { campaigns: socket.data.hostCampaigns } : {}),
      };
      assertCampaignScope(who, campaignId);
      if (drawId !== null && !(await ctx.store.snapshot(campaignId, drawId, null))) {
        throw new AppError("E_DRAW_NOT_FOUND", `No draw ${drawId} in campaign ${campaignId} to put on screen.`);
      }
      const stage = await stages.set(campaignId, drawId, phase, who.hostId, ctx.clock.now());
      ctx.io.to(rooms.campaign(campaignId)).emit("stage:update", stage);
      ctx.log.info({ host: who.hostId, campaignId, drawId, phase, version: stage.version }, "host set the stage");
      await recordHostAction(ctx, campaignId, who, "set-stage", { drawId, phase, version: stage.version });
      return stage;
    });
  };
}
