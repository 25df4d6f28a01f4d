/**
 * The ticket ledger of a campaign (docs/lifecycle.md §2.8): one balance per player (the players
 * hash's `<player>:tickets`) and one stream entry per change, with its reason. Tasks earn tickets
 * (check-in with streaks, shares, invites, host grants); spins spend them in the resolver script.
 * Every change is one Lua step that checks and moves the balance together, so it never goes below
 * zero and the ledger always adds up to it.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import type { CheckInResult, ShareResult, TicketBalance, TicketReason } from "./protocol.js";
import { campaignKeys } from "./redis-keys.js";
import { scriptReply } from "./script-reply.js";
import { variantOf, type Variant } from "./variants.js";

/** One entry of the ticket ledger. */
export interface TicketLedgerEntry {
  /** Stream id: `<ms>-<n>`, the Redis time of the change. */
  id: string;
  at: number;
  player: string;
  delta: number;
  reason: TicketReason;
  /** What it refers to: the spin intent, the friend who assisted, the granting host, the check-in day. */
  ref: string;
  /** The balance after this change (never negative). */
  balance: number;
}

const REASONS = ["checkin", "streak", "share", "invite", "grant", "spin"] as const satisfies readonly TicketReason[];
const entrySchema = z.object({
  player: z.string(),
  delta: z.coerce.number().int(),
  reason: z.enum(REASONS),
  ref: z.string(),
  balance: z.coerce.number().int().nonnegative(),
});

const DAY_MS = 86_400_000;

export class TicketLedger {
  constructor(private readonly redis: Redis) {}

  /** A host grants tickets; with a request key, repeating the request applies it once. Returns the balance. */
  async grant(campaignId: string, playerId: string, tickets: number, hostId: string, requestKey = ""): Promise<number> {
    const k = campaignKeys(campaignId);
    const { rest } = scriptReply(await this.redis.ld1_grantTickets(k.config, k.players, k.ticketLedger, k.requests, playerId, tickets, requestKey && `tickets:${requestKey}`, hostId));
    return Number(rest[0]);
  }

  async checkIn(campaignId: string, playerId: string): Promise<CheckInResult> {
    const k = campaignKeys(campaignId);
    const { rest } = scriptReply(await this.redis.ld1_checkIn(k.config, k.players, k.ticketLedger, playerId));
    const [day, streak, ticketsEarned, balance] = rest.map(Number) as [number, number, number, number];
    return { campaignId, day, streak, ticketsEarned, balance };
  }

  async share(campaignId: string, playerId: string): Promise<ShareResult> {
    const k = campaignKeys(campaignId);
    const lb = k.leaderboardPrefix;
    const { rest } = scriptReply(await this.redis.ld1_share(k.config, k.players, k.ticketLedger, `${lb}points`, `${lb}teams`, k.leaderboardVersions, playerId));
    const [tickets, points, balance, sharesToday, perDay] = rest.map(Number) as [number, number, number, number, number];
    return { campaignId, tickets, points, balance, sharesToday, perDay };
  }

  /** The player's balance and task state, for the campaign day of `now` (server time). */
  async balance(campaignId: string, playerId: string, campaign: { freeSpins: number; dayOffsetMinutes: number; variants: Variant[] }, now: number): Promise<TicketBalance> {
    const variant = variantOf(campaignId, playerId, campaign.variants);
    const freeSpins = variant?.freeSpins ?? campaign.freeSpins;
    const day = Math.floor((now + campaign.dayOffsetMinutes * 60_000) / DAY_MS);
    const [tickets, used, last, streak, shares] = await this.redis.hmget(
      campaignKeys(campaignId).players,
      `${playerId}:tickets`, `${playerId}:used`, `${playerId}:checkin`, `${playerId}:streak`, `${playerId}:share:${day}`,
    );
    const lastDay = last === null ? null : Number(last);
    return {
      campaignId,
      balance: Number(tickets ?? 0),
      freeSpinsLeft: Math.max(0, freeSpins - Number(used ?? 0)),
      // A streak is broken once a whole day passes without a check-in.
      streak: lastDay !== null && lastDay >= day - 1 ? Number(streak ?? 0) : 0,
      checkedInToday: lastDay === day,
      sharesToday: Number(shares ?? 0),
      variant: variant?.variantId ?? null,
      presentation: variant?.presentation ?? null,
    };
  }

  /** Ledger entries in order, `count` at a time after `after` (exclusive; `0-0` from the start). */
  async entries(campaignId: string, after = "0-0", count = 1000): Promise<TicketLedgerEntry[]> {
    const raw = await this.redis.xrange(campaignKeys(campaignId).ticketLedger, `(${after}`, "+", "COUNT", count);
    return raw.map(([id, flat]) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
      return { id, at: Number(id.split("-")[0]), ...entrySchema.parse(fields) };
    });
  }
}
