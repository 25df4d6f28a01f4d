/**
 * Redraws of unclaimed prizes (docs/fairness.md, "Redraws"). Redraw number r (0, 1, 2, … within the
 * draw) uses its own generator, seeded with HMAC-SHA256(drawSeed, lp("livedraw/redraw/v1") || be64(r)),
 * and picks one entry, proportional to tickets (uniformly when unweighted), among the entrants never
 * drawn before in this draw — every original winner and every earlier redraw's winner is excluded.
 * The pick does not depend on which slot is being replaced.
 */
import { be64, concatBytes, hmacSha256, lp, utf8ToBytes } from "./bytes.js";
import { DOMAIN } from "./constants.js";
import type { Entry } from "./entries.js";
import { DrawRng } from "./rng.js";
import { pickWeighted, type TierWinners } from "./select.js";

export interface RedrawRequest {
  readonly tierId: string;
  /** The current winner of that tier whose slot is forfeited. */
  readonly replaces: string;
}

export interface RedrawResult extends RedrawRequest {
  /** 0-based position of this redraw in the draw. */
  readonly index: number;
  /** The new winner, or null when no entrant is left to draw. */
  readonly entryId: string | null;
}

export function redrawSeed(drawSeed: Uint8Array, index: number): Uint8Array {
  return hmacSha256(drawSeed, concatBytes(lp(utf8ToBytes(DOMAIN.redraw)), be64(index)));
}

/**
 * Applies redraw requests in order to the original winners. Returns each redraw's result and the
 * final winners per tier (a replaced winner's slot takes the new winner; with no one left the slot
 * is dropped). Throws if a request names an unknown tier or someone not currently winning in it.
 */
export function applyRedraws(
  drawSeed: Uint8Array,
  entries: readonly Entry[],
  winners: readonly TierWinners[],
  requests: readonly RedrawRequest[],
): { redraws: RedrawResult[]; finalWinners: TierWinners[] } {
  const current = new Map<string, string[]>(winners.map((t) => [t.tierId, [...t.entryIds]]));
  const everDrawn = new Set<string>(winners.flatMap((t) => t.entryIds));
  const redraws: RedrawResult[] = requests.map((request, index) => {
    const slots = current.get(request.tierId);
    if (!slots) throw new Error(`redraw ${index}: no tier ${request.tierId}`);
    const slot = slots.indexOf(request.replaces);
    if (slot < 0) throw new Error(`redraw ${index}: ${request.replaces} is not a current winner of tier ${request.tierId}`);
    const entryId = pickWeighted(new DrawRng(redrawSeed(drawSeed, index)), entries, everDrawn);
    if (entryId === null) slots.splice(slot, 1);
    else {
      slots[slot] = entryId;
      everDrawn.add(entryId);
    }
    return { index, tierId: request.tierId, replaces: request.replaces, entryId };
  });
  const finalWinners = winners.map((t) => ({ tierId: t.tierId, entryIds: current.get(t.tierId) ?? [] }));
  return { redraws, finalWinners };
}
