/**
 * Prize routes (docs/http-api.md, "Prizes and redemption"):
 *   POST /v1/campaigns/:campaignId/coupons        host: load codes into a coupon tier's pool (never issued twice)
 *   GET  /v1/campaigns/:campaignId/wins           host: the campaign's wins (masked; `unmasked=1` for operators, audited);
 *                                        player: their own wins; `?winId=` for one
 *   POST /v1/campaigns/:campaignId/shipments      host: a physical prize shipped (carrier, tracking number): issued
 *   POST /v1/campaigns/:campaignId/redemptions    staff (or host): redeem an issued prize by its code or QR payload, once
 * Every change is a `host.action` audit record and is pushed to the winner as `win:status`.
 */
import { AppError } from "../core/errors.js";
import { rooms } from "../core/protocol.js";
import { loadCouponsSchema, redeemSchema, shipWinSchema } from "../core/schemas.js";
import type { WinRecord } from "../core/wins.js";
import type { NodeContext } from "./context.js";
import { recordHostAction } from "./host-audit.js";
import { json } from "./http-types.js";
import { route, type Route } from "./route-table.js";
import { claimOpener, operatorView } from "./prize-views.js";

const WIN_ID = /^\d{1,20}-\d{1,20}$/;
const noStore = { "cache-control": "no-store" };
const CAMPAIGN = "/v1/campaigns/:campaignId";

function winIdQuery(value: string | null, hint: string): string {
  if (value === null || !WIN_ID.test(value)) throw new AppError("E_BAD_REQUEST", `winId: ${hint}`);
  return value;
}

const push = (ctx: NodeContext, rec: WinRecord) => ctx.io.to(rooms.player(rec.playerId)).emit("win:status", ctx.wins.view(rec, ctx.clock.now()));

export const prizeRoutes: readonly Route[] = [
  route({
    method: "POST", path: `${CAMPAIGN}/coupons`, allow: ["host"], scope: "campaign", body: loadCouponsSchema, cost: "write",
    summary: "load codes into a coupon tier's pool (never issued twice)",
    handler: async (ctx, { params: { campaignId }, caller: { who }, body }) => {
      const loaded = await ctx.wins.loadCoupons(campaignId, body.tierId, body.codes);
      await recordHostAction(ctx, campaignId, who, "load-coupons", { tierId: body.tierId, added: loaded.added, duplicates: loaded.duplicates });
      ctx.log.info({ campaign: campaignId, tier: body.tierId, ...loaded }, "coupon codes loaded");
      return json(200, { campaignId, tierId: body.tierId, ...loaded });
    },
  }),
  route({
    method: "GET", path: `${CAMPAIGN}/wins`, allow: ["player", "host"], scope: "campaign", cost: "read",
    summary: "a player's own wins; for hosts the campaign's wins, codes masked (`unmasked=1`: operators, audited)",
    handler: async (ctx, { req, params: { campaignId }, caller }) => {
      const winId = req.query.get("winId") === null ? null : winIdQuery(req.query.get("winId"), "must be a win id (a stream entry id)");
      const now = ctx.clock.now();
      if (caller.kind === "player") {
        // Only the winner's own token ever sees a win's codes and QR payload.
        if (winId !== null) {
          const rec = await ctx.wins.get(campaignId, winId);
          if (!rec || rec.playerId !== caller.playerId) throw new AppError("E_WIN_NOT_FOUND");
          return json(200, ctx.wins.view(rec, now), noStore);
        }
        return json(200, { campaignId, wins: (await ctx.wins.ofPlayer(campaignId, caller.playerId)).map((r) => ctx.wins.view(r, now)) }, noStore);
      }
      const { who, operator } = caller;
      const unmasked = req.query.get("unmasked") === "1";
      if (unmasked && !operator) throw new AppError("E_FORBIDDEN", "Unmasked personal data is for operators only (LIVEDRAW_OPERATOR_HOSTS).");
      if (winId !== null) {
        const rec = await ctx.wins.get(campaignId, winId);
        if (!rec) throw new AppError("E_WIN_NOT_FOUND", "No such win in this campaign.");
        if (unmasked) await recordHostAction(ctx, campaignId, who, "view-unmasked", { what: "win", winId });
        return json(200, operatorView(ctx.wins, await claimOpener(ctx.profiles, [rec]), rec, now, !unmasked), noStore);
      }
      const status = req.query.get("status");
      const limit = Math.min(1000, Math.max(1, Number(req.query.get("limit") ?? 100) || 100));
      const out = [];
      let total = 0;
      for await (const page of ctx.wins.all(campaignId)) {
        const opener = await claimOpener(ctx.profiles, page);
        for (const rec of page) {
          const view = operatorView(ctx.wins, opener, rec, now, !unmasked);
          if (status !== null && view.status !== status) continue;
          total++;
          if (out.length < limit) out.push(view);
        }
      }
      out.sort((a, b) => a.wonAt - b.wonAt || (a.winId < b.winId ? -1 : 1));
      if (unmasked) await recordHostAction(ctx, campaignId, who, "view-unmasked", { what: "wins", count: out.length });
      return json(200, { campaignId, total, wins: out }, noStore);
    },
  }),
  route({
    method: "POST", path: `${CAMPAIGN}/shipments`, allow: ["host"], scope: "campaign", body: shipWinSchema, cost: "write",
    summary: "a physical prize shipped (carrier, tracking number): issued",
    handler: async (ctx, { req, params: { campaignId }, caller: { who }, body }) => {
      const winId = winIdQuery(req.query.get("winId"), "give the shipped win's id as ?winId=");
      const { record } = await ctx.wins.settle(campaignId, "shipped", winId, JSON.stringify({ carrier: body.carrier, trackingNumber: body.trackingNumber }));
      await recordHostAction(ctx, campaignId, who, "ship-prize", { winId, carrier: body.carrier });
      push(ctx, record);
      return json(200, operatorView(ctx.wins, await claimOpener(ctx.profiles, [record]), record, ctx.clock.now(), true));
    },
  }),
  route({
    method: "POST", path: `${CAMPAIGN}/redemptions`, allow: ["staff", "host"], scope: "campaign", body: redeemSchema, cost: "write",
    summary: "redeem an issued prize by its code or QR payload, once",
    handler: async (ctx, { params: { campaignId }, caller: { who }, body }) => {
      let code = body.code ?? "";
      let winId = "";
      if (body.qr !== undefined) {
        const qr = ctx.wins.qrSigner.verify(body.qr);
        if (qr.campaignId !== campaignId) throw new AppError("E_REDEMPTION_INVALID", "This QR code is for another campaign.");
        code = qr.code;
        winId = qr.winId;
      }
      const rec = await ctx.wins.redeem(campaignId, code, winId, who.hostId);
      await recordHostAction(ctx, campaignId, who, "redeem-prize", { winId: rec.winId, tierId: rec.tierId });
      ctx.log.info({ campaign: campaignId, win: rec.winId, staff: who.hostId }, "prize redeemed");
      push(ctx, rec);
      return json(200, operatorView(ctx.wins, await claimOpener(ctx.profiles, [rec]), rec, ctx.clock.now(), true));
    },
  }),
];
