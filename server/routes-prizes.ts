/**
 * Prize routes (docs/http-api.md, "Prizes and redemption"):
 *   POST /v1/campaigns/:c/coupons        host: load codes into a coupon tier's pool (never issued twice)
 *   GET  /v1/campaigns/:c/wins           host: the campaign's wins (masked; `unmasked=1` for operators, audited);
 *                                        player: their own wins; `?winId=` for one
 *   POST /v1/campaigns/:c/shipments      host: a physical prize shipped (carrier, tracking number): issued
 *   POST /v1/campaigns/:c/redemptions    staff (or host): redeem an issued prize by its code or QR payload, once
 * Every change is a `host.action` audit record and is pushed to the winner as `win:status`.
 */
import { AppError } from "../core/errors.js";
import { rooms } from "../core/protocol.js";
import { loadCouponsSchema, redeemSchema, shipWinSchema } from "../core/schemas.js";
import type { WinRecord } from "../core/wins.js";
import type { NodeContext } from "./context.js";
import { recordHostAction } from "./host-audit.js";
import { assertCampaignScope, type HostIdentity } from "./host-session.js";
import { parseBody, pathId } from "./http-body.js";
import { json, type HttpRequest, type HttpResponse } from "./http-types.js";
import { claimOpener, operatorView } from "./prize-views.js";

const ROUTES = new Set(["coupons", "wins", "shipments", "redemptions"]);
const WIN_ID = /^\d{1,20}-\d{1,20}$/;
const noStore = { "cache-control": "no-store" };

/** Whether a host may see personal data unmasked (LIVEDRAW_OPERATOR_HOSTS). */
export function isOperator(ctx: NodeContext, who: HostIdentity): boolean {
  return ctx.config.operatorHosts.includes(who.hostId);
}

function bearer(req: HttpRequest): string | null {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1] ?? null;
}

export async function prizeRoutes(ctx: NodeContext, req: HttpRequest, parts: string[]): Promise<HttpResponse | null> {
  if (parts[0] !== "v1" || parts[1] !== "campaigns" || parts.length !== 4 || !ROUTES.has(parts[3] ?? "")) return null;
  const { method } = req;
  const campaignId = pathId(parts[2], "campaignId");
  const push = (rec: WinRecord) => ctx.io.to(rooms.player(rec.playerId)).emit("win:status", ctx.wins.view(rec, ctx.clock.now()));

  if (method === "POST" && parts[3] === "coupons") {
    const who = await ctx.hostAuth.require(req, true, campaignId);
    const body = parseBody(loadCouponsSchema, req);
    const loaded = await ctx.wins.loadCoupons(campaignId, body.tierId, body.codes);
    await recordHostAction(ctx, campaignId, who, "load-coupons", { tierId: body.tierId, added: loaded.added, duplicates: loaded.duplicates });
    ctx.log.info({ campaign: campaignId, tier: body.tierId, ...loaded }, "coupon codes loaded");
    return json(200, { campaignId, tierId: body.tierId, ...loaded });
  }
  if (method === "GET" && parts[3] === "wins") {
    const winId = req.query.get("winId");
    if (winId !== null && !WIN_ID.test(winId)) throw new AppError("E_BAD_REQUEST", "winId: must be a win id (a stream entry id)");
    const token = bearer(req);
    const now = ctx.clock.now();
    // A player's own wins, by their token.
    if (token !== null) {
      const claims = await ctx.tokens.verify(token);
      if (claims.role === "player") {
        const playerId = ctx.pseudonyms.player(claims.sub);
        if (winId !== null) {
          const rec = await ctx.wins.get(campaignId, winId);
          if (!rec || rec.playerId !== playerId) throw new AppError("E_WIN_NOT_FOUND");
          return json(200, ctx.wins.view(rec, now), noStore);
        }
        return json(200, { campaignId, wins: (await ctx.wins.ofPlayer(campaignId, playerId)).map((r) => ctx.wins.view(r, now)) }, noStore);
      }
    }
    const who = await ctx.hostAuth.require(req, false, campaignId);
    const unmasked = req.query.get("unmasked") === "1";
    if (unmasked && !isOperator(ctx, who)) throw new AppError("E_FORBIDDEN", "Unmasked personal data is for operators only (LIVEDRAW_OPERATOR_HOSTS).");
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
  }
  if (method === "POST" && parts[3] === "shipments") {
    const who = await ctx.hostAuth.require(req, true, campaignId);
    const winId = req.query.get("winId") ?? "";
    if (!WIN_ID.test(winId)) throw new AppError("E_BAD_REQUEST", "winId: give the shipped win's id as ?winId=");
    const body = parseBody(shipWinSchema, req);
    const { record } = await ctx.wins.settle(campaignId, "shipped", winId, JSON.stringify({ carrier: body.carrier, trackingNumber: body.trackingNumber }));
    await recordHostAction(ctx, campaignId, who, "ship-prize", { winId, carrier: body.carrier });
    push(record);
    return json(200, operatorView(ctx.wins, await claimOpener(ctx.profiles, [record]), record, ctx.clock.now(), true));
  }
  if (method === "POST" && parts[3] === "redemptions") {
    // Staff tokens (role `staff`, optionally scoped by their `campaigns` claim) or a host.
    const token = bearer(req);
    let who: HostIdentity;
    if (token !== null) {
      const claims = await ctx.tokens.verify(token);
      if (claims.role !== "staff" && claims.role !== "host") throw new AppError("E_FORBIDDEN", "Redemption needs a staff (or host) token.");
      who = claims.campaigns === undefined ? { hostId: `${claims.role}:${claims.sub}`, via: "token" } : { hostId: `${claims.role}:${claims.sub}`, via: "token", campaigns: claims.campaigns };
      assertCampaignScope(who, campaignId);
    } else {
      who = await ctx.hostAuth.require(req, true, campaignId);
    }
    const body = parseBody(redeemSchema, req);
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
    push(rec);
    return json(200, operatorView(ctx.wins, await claimOpener(ctx.profiles, [rec]), rec, ctx.clock.now(), true));
  }
  return null;
}
