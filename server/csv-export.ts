/**
 * CSV exports of a campaign (docs/http-api.md §13): its winners and its ticket ledger. Masked by
 * default (names `王**`, phones `138****5678`, addresses cut, coupon and redemption codes hidden but
 * for their last characters); unmasked only for operators, and each unmasked export is audited by
 * the route. UTF-8 with a BOM and CRLF (csv-stringify), so a spreadsheet opens Chinese text
 * correctly; text cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR)
 * get a leading `'`.
 *
 * Both files are produced as chunks of EXPORT_PAGE rows (async generators) that the route streams
 * with back-pressure (server/export-stream.ts, StreamBody in server/http-types.ts).
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

/** CSV lines (CRLF) of these rows, each text cell made inert. */
function csvLines(rows: Cell[][]): string {
  return stringify(rows.map((r) => r.map(inert)), { record_delimiter: "windows" });
}

/** The file's start: the UTF-8 BOM and the header line. */
const csvHead = (header: string[]): string => "\uFEFF" + stringify([header], { record_delimiter: "windows" });

export const WINNER_COLUMNS = [
  "win_id", "won_at", "tier_id", "tier_name", "prize_kind", "value_yuan", "status", "issued_at", "redeemed_at", "expires_at",
  "player", "player_name", "player_phone", "coupon", "redemption_code", "claim_name", "claim_phone", "claim_address", "carrier", "tracking_number",
];

export const LEDGER_COLUMNS = ["entry_id", "at", "player", "player_name", "reason", "delta", "balance", "ref"];

/** Rows per chunk of an export: one page of records read, turned into CSV and written before the next is read. */
export const EXPORT_PAGE = 500;

/** Players' names an export keeps while it runs (a player with many wins is read once), at most. */
const NAMES_KEPT = 20_000;

type Names = Map<string, { name: string; phone: string }>;

/** What an export reads with: a node's context, or the reads thread's own (server/reads-thread.ts). */
export type ExportDeps = Pick<NodeContext, "redis" | "wins" | "vault" | "profiles" | "tickets"> & { clock: { now(): number } };

/**
 * Display names of one page's players: masked from the leaderboard names, or unmasked from their
 * sealed profiles. `out` keeps the names read earlier in the same export (up to NAMES_KEPT): only
 * players not in it are read.
 */
async function playerNames(ctx: ExportDeps, campaignId: string, players: string[], masked: boolean, out: Names = new Map()): Promise<Names> {
  const unique = [...new Set(players)].filter((p) => !out.has(p));
  if (unique.length === 0) return out;
  if (out.size + unique.length > NAMES_KEPT) out.clear();
  const [names, profiles] = await Promise.all([
    masked ? ctx.redis.hmget(campaignKeys(campaignId).names, ...unique) : Promise.resolve([] as (string | null)[]),
    Promise.all(unique.map((p) => ctx.profiles.read(p))),
  ]);
  unique.forEach((p, i) => {
    const { profile } = profiles[i]!;
    if (masked) out.set(p, { name: names[i] || (profile.name ? maskName(profile.name) : ""), phone: profile.phone ? maskName(profile.phone) : "" });
    else out.set(p, { name: profile.name ?? "", phone: profile.phone ?? "" });
  });
  return out;
}

/**
 * The winners CSV, oldest win first, as chunks: the header, then one chunk per EXPORT_PAGE wins read
 * from the wins' time index (core/wins.ts `all`). Nothing is read before the consumer asks for the
 * next chunk, so a node holds one page per export however many wins the campaign has.
 * `onRows` is told how many rows each chunk held.
 */
export async function* winnersCsv(ctx: ExportDeps, campaignId: string, masked: boolean, onRows: (n: number) => void = () => {}): AsyncGenerator<string> {
  yield csvHead(WINNER_COLUMNS);
  const names: Names = new Map();
  for await (const records of ctx.wins.all(campaignId, EXPORT_PAGE)) {
    const now = ctx.clock.now();
    const people = await playerNames(ctx, campaignId, records.map((r) => r.playerId), masked, names);
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
    onRows(rows.length);
    yield csvLines(rows);
  }
}

/** The ticket ledger CSV in ledger order, as chunks of EXPORT_PAGE entries (as `winnersCsv`). */
export async function* ticketLedgerCsv(ctx: ExportDeps, campaignId: string, masked: boolean, onRows: (n: number) => void = () => {}): AsyncGenerator<string> {
  yield csvHead(LEDGER_COLUMNS);
  const names: Names = new Map();
  for (let after = "0-0"; ; ) {
    const entries = await ctx.tickets.entries(campaignId, after, EXPORT_PAGE);
    if (entries.length > 0) {
      const people = await playerNames(ctx, campaignId, entries.map((e) => e.player), masked, names);
      const rows = entries.map((e): Cell[] => [e.id, iso(e.at), e.player, people.get(e.player)?.name ?? "", e.reason, e.delta, e.balance, e.ref]);
      onRows(rows.length);
      yield csvLines(rows);
    }
    if (entries.length < EXPORT_PAGE) return;
    after = entries[entries.length - 1]!.id;
  }
}
