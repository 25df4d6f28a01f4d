/**
 * `host.action` audit records: every host request that changes a campaign is recorded in that
 * campaign's hash-chained audit log, with the host id, after it succeeded (docs/fairness.md, "Audit
 * records of a draw"). The fairness verifier reads only `draw.*` records of the bundle's draw, so
 * these ride along in the chain without affecting a bundle's verdict.
 */
import type { JsonValue } from "@livedraw/fairness";
import type { NodeContext } from "./context.js";
import type { HostIdentity } from "./host-session.js";

export const HOST_ACTION = "host.action";

/** What a host did (the `action` field of a `host.action` record). */
export type HostActionName =
  | "open-draw" | "reveal-tier" | "redraw" | "cancel-draw" | "close-draw" | "set-stage"
  | "create-campaign" | "update-campaign" | "add-inventory" | "grant-tickets" | "award-points"
  | "block" | "unblock"
  | "load-coupons" | "ship-prize" | "redeem-prize" | "view-unmasked" | "export-unmasked";

/**
 * Appends `{ hostId, via, action, ...details }`. With an `Idempotency-Key` (`idempotency`), a
 * repeated request is recorded once. An audit failure after the action succeeded is logged, not
 * answered: the action stands, and failing the reply would invite a retry of it.
 */
export async function recordHostAction(
  ctx: NodeContext,
  campaignId: string,
  who: HostIdentity,
  action: HostActionName,
  details: { [key: string]: JsonValue } = {},
  idempotency = "",
): Promise<void> {
  const data = { hostId: who.hostId, via: who.via, action, ...details };
  try {
    await ctx.store.appendAudit(campaignId, HOST_ACTION, ctx.clock.now(), data, idempotency === "" ? "" : `${HOST_ACTION}:${action}:${idempotency}`);
  } catch (err) {
    ctx.log.error({ err, campaignId, ...data }, "host action succeeded but its audit record was not written");
  }
}
