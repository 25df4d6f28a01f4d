/**
 * The stage: what the hall's big screens show for one campaign, set by a host from the console and
 * kept on the server, so every screen and console (a backup laptop too) shows the same thing and a
 * screen that reconnects comes back to it. Screens follow the staged draw by id and ignore every
 * other draw's events.
 */
import type { DrawSnapshot } from "./events.js";

/**
 * What the screen shows of the staged draw:
 *   - `waiting`: the draw's title and the QR code, no countdown (before the host starts);
 *   - `countdown`: the entry countdown, entrant count and sign-in wall, then "winners coming up";
 *   - `reveal`: each tier's winners as the host reveals them;
 *   - `summary`: every revealed tier at once, in tier order (grand prize first).
 */
export type StagePhase = "waiting" | "countdown" | "reveal" | "summary";

export const STAGE_PHASES: readonly StagePhase[] = ["waiting", "countdown", "reveal", "summary"];

/** Why a host redrew a prize: the winner was absent, was not eligible, declined, or did not claim in time. */
export type RedrawReason = "absent" | "ineligible" | "declined" | "unclaimed";

/** The last redraw of the staged draw, for the screens' notice ("re-drawn: absent"). */
export interface StageRedraw {
  drawId: string;
  tierId: string;
  /** The intent id of the winner who lost the slot. */
  replaced: string;
  /** The intent id of the new winner; null when nobody was left to draw. */
  winner: string | null;
  reason: RedrawReason | null;
  hostId: string;
  at: number;
}

export interface Stage {
  campaignId: string;
  /** The draw on screen; null before a host stages one. */
  drawId: string | null;
  phase: StagePhase;
  /** Bumped by every change: a client keeps the stage with the highest version it has seen. */
  version: number;
  /** Server time of the last change (ms); 0 before the first. */
  updatedAt: number;
  /** The host who made the last change; null before the first. */
  updatedBy: string | null;
  /** The last redraw of any draw of the campaign (screens show it when it is the staged draw's); null if none. */
  redraw: StageRedraw | null;
}

export interface StageGetPayload {
  campaignId: string;
}

export interface StageSetPayload {
  campaignId: string;
  /** A draw of this campaign, or null to clear the screen. */
  drawId: string | null;
  phase: StagePhase;
}

/** The stage with the staged draw as a viewer sees it (winners of revealed tiers only). */
export interface StageView {
  stage: Stage;
  draw: DrawSnapshot | null;
  /** The campaign's broadcast sequence number read before the draw: events numbered above it may be newer than `draw`. */
  eventSeq: number;
  serverTime: number;
}
