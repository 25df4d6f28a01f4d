/**
 * CSV exports of a campaign (docs/http-api.md §13): its winners and its ticket ledger. Masked by
 * default (names `王**`, phones `138****5678`, addresses cut, coupon and redemption codes hidden but
 * for their last characters); unmasked only for operators, and each unmasked export is audited by
 * the route. UTF-8 with a BOM and CRLF (csv-stringify), so a spreadsheet opens Chinese text
 * correctly; text cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR)
 * get a leading `'`.
 */
import { stringify } from "csv-stringify/sync";
import { maskCode, maskName } from "../core/mask.js";
import { campaignKeys } from "../core/redis-keys.js";
import type { NodeContext } from "./context.js";
import { claimOpener, openClaim } from "./prize-views.js";

type Cell = string | number | null;

/** A text cell a spreadsheet would evaluate is made inert (OWASP "CSV injection"). */
export function inert(value: Cell): Cell {
  return typeof value === "string" && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

const iso = (ms: number | null | undefined): string => (ms == null ? "" : new Date(ms).toISOString());

function toCsv(header: string[], rows: Cell[][]): string {
  return "\uFEFF" + stringify([header, ...rows.map((r) => r.map(inert))], { record_delimiter: "windows" });
}

export const WINNER_COLUMNS = [
  "win_id", "won_at", "tier_id", "tier_name", "prize_kind", "value_yuan", "status", "issued_at", "redeemed_at", "expires_at",
  "player", "player_name", "player_phone", "coupon", "redemption_code", "claim_name", "claim_phone", "claim_address", "carrier", "tracking_number",
];

export const LEDGER_COLUMNS = ["entry_id", "at", "player", "player_name", "reason", "delta", "balance", "ref"];

/** Display names of players: masked from the leaderboard names, or unmasked from their sealed profiles. */
async function playerNames(ctx: NodeContext, campaignId: string, players: string[], masked: boolean): Promise<Map<string, { name: string; phone: string }>> {
  const out = new Map<string, { name: string; phone: string }>();
  const unique = [...new Set(players)];
  if (unique.length === 0) return out;
  if (masked) {
    const names = await ctx.redis.hmget(campaignKeys(campaignId).names, ...unique);
    unique.forEach((p, i) => out.set(p, { name: names[i] ?? "", phone: "" }));
    for (const p of unique) {
      const { profile } = await ctx.profiles.read(p);
      out.set(p, { name: out.get(p)!.name || (profile.name ? maskName(profile.name) : ""), phone: profile.phone ? maskName(profile.phone) : "" });
    }
    return out;
  }
  for (const p of unique) {
    const { profile } = await ctx.profiles.read(p);
    out.set(p, { name: profile.name ?? "", phone: profile.phone ?? "" });
  }
  return out;
}

export async function winnersCsv(ctx: NodeContext, campaignId: string, masked: boolean): Promise<{ csv: string; rows: number }> {
  const now = ctx.clock.now();
  const records = [];
  for await (const page of ctx.wins.all(campaignId)) records.push(...page);
  records.sort((a, b) => a.wonAt - b.wonAt || (a.winId < b.winId ? -1 : 1));
  const people = await playerNames(ctx, campaignId, records.map((r) => r.playerId), masked);
  const opener = await claimOpener(ctx.profiles, records);
  const rows = records.map((r): Cell[] => {
    const v = ctx.wins.view(r, now);
    const claim = openClaim(opener, r, masked);
    const who = people.get(r.playerId);
    return [
      v.winId, iso(v.wonAt), v.tierId, v.tierName, v.prizeKind, v.value, v.status, iso(v.issuedAt), iso(v.redeemedAt), iso(v.expiresAt),
      r.playerId, who?.name ?? "", who?.phone ?? "",
      masked ? maskCode(v.coupon) : (v.coupon ?? ""), masked ? maskCode(v.redemptionCode, 4) : (v.redemptionCode ?? ""),
      claim?.name ?? "", claim?.phone ?? "", claim?.address ?? "", v.shipment?.carrier ?? "", v.shipment?.trackingNumber ?? "",
    ];
  });
  return { csv: toCsv(WINNER_COLUMNS, rows), rows: rows.length };
}

export async function ticketLedgerCsv(ctx: NodeContext, campaignId: string, masked: boolean): Promise<{ csv: string; rows: number }> {
  const entries = [];
  for (let after = "0-0"; ; ) {
    const page = await ctx.tickets.entries(campaignId, after, 5000);
    entries.push(...page);
    if (page.length < 5000) break;
    after = page[page.length - 1]!.id;
  }
  const people = await playerNames(ctx, campaignId, entries.map((e) => e.player), masked);
  const rows = entries.map((e): Cell[] => [e.id, iso(e.at), e.player, people.get(e.player)?.name ?? "", e.reason, e.delta, e.balance, e.ref]);
  return { csv: toCsv(LEDGER_COLUMNS, rows), rows: rows.length };
}
