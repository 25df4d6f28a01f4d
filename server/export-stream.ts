/**
 * `GET /v1/campaigns/:c/export?what=winners|tickets[&unmasked=1]` (docs/http-api.md §13): the CSV is
 * made by the node's heavy-reads thread (server/reads-worker.ts) in chunks of EXPORT_PAGE rows and
 * streamed with back-pressure (StreamBody): the thread makes the next chunk only when the socket has
 * taken the last, so a node holds about one page per export whatever the campaign's size, and its
 * event loop only relays bytes.
 *
 * At most one export per campaign runs at a time, on all nodes together: the export holds the
 * campaign's export lease (`ld:{campaign:C}:export:lease`, taken, renewed and released with the
 * generic lease script core/lua/resolverLease-1.lua). Another export of the campaign meanwhile is
 * refused with E_BUSY and `retryAfterMs`. A lease whose holder died (or whose client stopped reading
 * for longer than EXPORT_LEASE_MS) expires; an export that finds its lease taken over stops, cutting
 * its body.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { AppError } from "../core/errors.js";
import { campaignKeys } from "../core/redis-keys.js";
import { describeIssues } from "../core/schemas.js";
import type { NodeContext } from "./context.js";
import { recordHostAction } from "./host-audit.js";
import type { HostIdentity } from "./host-session.js";
import type { HttpResponse } from "./http-types.js";
import { readsWorker } from "./reads-worker.js";

/** How long an export's lease lives without being renewed. */
export const EXPORT_LEASE_MS = 60_000;
/** Renewed after this long of progress. */
const RENEW_EVERY_MS = 5_000;
/** What a refused export is told to wait. */
export const EXPORT_RETRY_AFTER_MS = 5_000;

const exportQuerySchema = z.object({
  what: z.enum(["winners", "tickets"], { message: "must be winners or tickets" }),
  unmasked: z.enum(["0", "1"]).optional(),
});

/** Takes ('take') or renews the lease; false when another export holds it. */
async function lease(ctx: NodeContext, campaignId: string, owner: string, action: "take" | "release"): Promise<boolean> {
  return Number(await ctx.redis.ld1_resolverLease(campaignKeys(campaignId).exportLease, owner, action, EXPORT_LEASE_MS)) === 1;
}

/**
 * The export route's work, after the caller checked the host's token and scope: validates the
 * query, checks `unmasked=1` is an operator's, takes the campaign's export lease, writes the
 * `export-unmasked` audit record (before any row leaves), and answers with the streamed CSV.
 */
export async function exportCsv(ctx: NodeContext, campaignId: string, who: HostIdentity, query: URLSearchParams, isOperator: boolean): Promise<HttpResponse> {
  const parsed = exportQuerySchema.safeParse({ what: query.get("what") ?? undefined, unmasked: query.get("unmasked") ?? undefined });
  if (!parsed.success) throw new AppError("E_BAD_REQUEST", describeIssues(parsed.error));
  const { what } = parsed.data;
  const unmasked = parsed.data.unmasked === "1";
  if (unmasked && !isOperator) throw new AppError("E_FORBIDDEN", "Unmasked exports are for operators only (LIVEDRAW_OPERATOR_HOSTS).");
  await ctx.campaigns.require(campaignId);

  const owner = `${ctx.config.nodeId}:${randomUUID()}`;
  if (!(await lease(ctx, campaignId, owner, "take"))) {
    throw new AppError("E_BUSY", "An export of this campaign is already running (one at a time per campaign); retry after `retryAfterMs`.", EXPORT_RETRY_AFTER_MS);
  }
  let rows = 0;
  try {
    if (unmasked) {
      // Written before the file leaves: an unmasked export that cannot be audited is not sent. Rows
      // as counted now (the file is read as it streams; wins added meanwhile are in it too).
      const k = campaignKeys(campaignId);
      const expected = what === "winners" ? (await ctx.wins.ensureOrder(campaignId), await ctx.wins.count(campaignId)) : await ctx.redis.xlen(k.ticketLedger);
      await recordHostAction(ctx, campaignId, who, "export-unmasked", { what, rows: expected });
    }
  } catch (err) {
    await lease(ctx, campaignId, owner, "release").catch(() => undefined);
    throw err;
  }
  const started = Date.now();
  // Made by the node's heavy-reads thread (server/reads-thread.ts), a chunk at a time as the socket takes them.
  const chunks = readsWorker(ctx).exportChunks(campaignId, what, !unmasked, (n) => (rows = n));
  async function* guarded(): AsyncGenerator<Buffer> {
    let renewedAt = Date.now();
    let complete = false;
    try {
      for await (const chunk of chunks) {
        if (Date.now() - renewedAt >= RENEW_EVERY_MS) {
          if (!(await lease(ctx, campaignId, owner, "take"))) throw new Error(`the export lease of ${campaignId} was taken over (the client read too slowly): export cut`);
          renewedAt = Date.now();
        }
        yield chunk;
      }
      complete = true;
    } finally {
      await lease(ctx, campaignId, owner, "release").catch(() => undefined);
      ctx.log.info({ campaign: campaignId, host: who.hostId, what, rows, unmasked, complete, ms: Date.now() - started }, "campaign export");
    }
  }
  return {
    status: 200,
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${campaignId}-${what}${unmasked ? "-unmasked" : ""}.csv"`,
      "cache-control": "no-store",
    },
    body: { stream: guarded() },
  };
}
