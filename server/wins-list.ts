/**
 * `GET /v1/campaigns/:c/wins` for hosts (docs/http-api.md §12): the campaign's wins, oldest first,
 * a page at a time from the wins' time index (`ld:{campaign:C}:wins:order`, core/wins.ts), with a
 * cursor. Every request does bounded work whatever the campaign's size: at most `limit` records
 * without a filter, and at most SCAN_BUDGET index entries with `status=` (a page may then hold fewer
 * than `limit` wins, or none, and still carry a `nextCursor`).
 */
import { z } from "zod";
import { AppError } from "../core/errors.js";
import { describeIssues } from "../core/schemas.js";
import { campaignKeys } from "../core/redis-keys.js";
import type { NodeContext } from "./context.js";
import { recordHostAction } from "./host-audit.js";
import type { HostIdentity } from "./host-session.js";
import { json, type HttpResponse } from "./http-types.js";
import { claimOpener, operatorView, type OperatorWin } from "./prize-views.js";

/** Index entries one filtered request may read (records parsed and tested against `status`). */
export const SCAN_BUDGET = 2000;
/** Index entries read per step of a filtered page. */
const FILTER_STEP = 500;
export const WINS_PAGE_MAX = 1000;
const WIN_ID = /^\d{1,20}-\d{1,20}$/;

const listQuerySchema = z.object({
  limit: z
    .string()
    .regex(/^\d{1,4}$/, "must be an integer from 1 to 1000")
    .transform(Number)
    .pipe(z.number().int().min(1, "must be an integer from 1 to 1000").max(WINS_PAGE_MAX, "must be an integer from 1 to 1000"))
    .default(100),
  cursor: z.string().regex(WIN_ID, "must be the nextCursor of an earlier page").optional(),
  status: z.enum(["pending", "issued", "redeemed", "failed", "expired"]).optional(),
  unmasked: z.enum(["0", "1"]).optional(),
});
export type WinsListQuery = z.output<typeof listQuerySchema>;

export interface WinsPage {
  campaignId: string;
  /** Wins in the campaign (with `status=`: wins stored with that status). */
  total: number;
  wins: OperatorWin[];
  /** Pass as `?cursor=` for the next page; null once the index is read to its end. */
  nextCursor: string | null;
}

/** The query of a host's listing, validated (`winId` is the caller's: one win, not a page). */
export function parseWinsListQuery(query: URLSearchParams): WinsListQuery {
  const raw: Record<string, string> = {};
  for (const name of ["limit", "cursor", "status", "unmasked"]) {
    const value = query.get(name);
    if (value !== null) raw[name] = value;
  }
  const parsed = listQuerySchema.safeParse(raw);
  if (!parsed.success) throw new AppError("E_BAD_REQUEST", describeIssues(parsed.error));
  return parsed.data;
}

/** One page of a campaign's wins as hosts see them (masked unless `unmasked`, which the caller has authorised). */
export async function winsPage(ctx: NodeContext, campaignId: string, q: WinsListQuery, unmasked: boolean): Promise<WinsPage> {
  const now = ctx.clock.now();
  const k = campaignKeys(campaignId);
  // Wins older than the index join it on a first page (a no-op of two O(1) reads once they have).
  if (q.cursor === undefined) await ctx.wins.ensureOrder(campaignId);
  const totalRead = q.status === undefined ? ctx.wins.count(campaignId) : ctx.redis.hget(k.funnel, `wins:${q.status}`).then((n) => Math.max(0, Number(n ?? 0)));
  const wins: OperatorWin[] = [];
  let after: string | null = q.cursor ?? null;
  let scanned = 0;
  let exhausted = false;
  while (wins.length < q.limit && scanned < SCAN_BUDGET) {
    const want = q.status === undefined ? q.limit - wins.length : Math.min(FILTER_STEP, SCAN_BUDGET - scanned);
    const ids = await ctx.wins.idsAfter(campaignId, after, want);
    scanned += ids.length;
    const records = await ctx.wins.records(campaignId, ids);
    const opener = await claimOpener(ctx.profiles, records);
    const byId = new Map(records.map((r) => [r.winId, r]));
    for (const id of ids) {
      after = id;
      const rec = byId.get(id);
      if (rec === undefined) continue;
      const view = operatorView(ctx.wins, opener, rec, now, !unmasked);
      if (q.status !== undefined && view.status !== q.status) continue;
      wins.push(view);
      if (wins.length === q.limit) break;
    }
    if (ids.length < want) {
      exhausted = ids.length === 0 || after === ids[ids.length - 1];
      break;
    }
  }
  return { campaignId, total: await totalRead, wins, nextCursor: exhausted ? null : after };
}

/**
 * The host's listing (`GET …/wins` without `winId`): validates the query, checks that `unmasked=1`
 * comes from an operator, and writes the `view-unmasked` audit record before the page leaves.
 */
export async function listWins(ctx: NodeContext, campaignId: string, who: HostIdentity, query: URLSearchParams, isOperator: boolean): Promise<HttpResponse> {
  const q = parseWinsListQuery(query);
  const unmasked = q.unmasked === "1";
  if (unmasked && !isOperator) throw new AppError("E_FORBIDDEN", "Unmasked personal data is for operators only (LIVEDRAW_OPERATOR_HOSTS).");
  const page = await winsPage(ctx, campaignId, q, unmasked);
  if (unmasked) await recordHostAction(ctx, campaignId, who, "view-unmasked", { what: "wins", count: page.wins.length });
  return json(200, page, { "cache-control": "no-store" });
}
