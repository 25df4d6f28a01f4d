/**
 * Leaderboards (Redis sorted sets), invites/assists (助力) and teams of a campaign. Every change bumps
 * the board's version so nodes push a board only when it changed (see server/leaderboard-pusher.ts).
 */
import type { Redis } from "ioredis";
import type { LeaderboardId, LeaderboardRank, LeaderboardTop } from "./protocol.js";
import { campaignKeys } from "./redis-keys.js";
import { scriptReply } from "./script-reply.js";

export class LeaderboardStore {
  constructor(private readonly redis: Redis) {}

  private board(campaignId: string, board: LeaderboardId): string {
    return `${campaignKeys(campaignId).leaderboardPrefix}${board}`;
  }

  /** Records that `friendId` helped `inviterId`; returns the inviter's assist count. */
  async assist(campaignId: string, friendId: string, inviterId: string, ticketsPerAssist: number, friendName: string): Promise<number> {
    const k = campaignKeys(campaignId);
    const { rest } = scriptReply(
      await this.redis.ld1_assist(k.assists, k.players, this.board(campaignId, "assists"), k.leaderboardVersions, k.ledger, k.names, k.ticketLedger, friendId, inviterId, ticketsPerAssist, friendName),
    );
    return Number(rest[0]);
  }

  /** Awards points; with a request key, repeating the request applies it once. */
  async awardPoints(campaignId: string, playerId: string, points: number, requestKey = ""): Promise<number> {
    const k = campaignKeys(campaignId);
    const { rest } = scriptReply(
      await this.redis.ld1_awardPoints(k.players, this.board(campaignId, "points"), this.board(campaignId, "teams"), k.leaderboardVersions, k.ledger, k.requests, playerId, points, requestKey && `points:${requestKey}`),
    );
    return Number(rest[0]);
  }

  async joinTeam(campaignId: string, playerId: string, teamId: string): Promise<void> {
    const k = campaignKeys(campaignId);
    scriptReply(await this.redis.ld1_joinTeam(k.players, this.board(campaignId, "teams"), k.leaderboardVersions, playerId, teamId));
  }

  /** Remembers the masked name shown for a player on leaderboards. */
  async setName(campaignId: string, playerId: string, maskedName: string): Promise<void> {
    await this.redis.hset(campaignKeys(campaignId).names, playerId, maskedName);
  }

  async version(campaignId: string, board: LeaderboardId): Promise<number> {
    return Number((await this.redis.hget(campaignKeys(campaignId).leaderboardVersions, board)) ?? 0);
  }

  async top(campaignId: string, board: LeaderboardId, size: number, serverTime: number): Promise<LeaderboardTop> {
    const [version, flat] = await Promise.all([
      this.version(campaignId, board),
      this.redis.zrevrange(this.board(campaignId, board), 0, size - 1, "WITHSCORES"),
    ]);
    const ids: string[] = [];
    const scores: number[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      ids.push(flat[i]!);
      scores.push(Number(flat[i + 1]));
    }
    // Player boards show masked names only; never a raw player id.
    const names = board === "teams" || ids.length === 0 ? ids : (await this.redis.hmget(campaignKeys(campaignId).names, ...ids)).map((n) => n ?? "***");
    return { campaignId, board, version, top: ids.map((_, i) => ({ rank: i + 1, name: names[i]!, score: scores[i]! })), serverTime };
  }

  /** The caller's rank (or their team's, on the teams board). */
  async rank(campaignId: string, board: LeaderboardId, playerId: string): Promise<LeaderboardRank> {
    const key = this.board(campaignId, board);
    const member = board === "teams" ? await this.redis.hget(campaignKeys(campaignId).players, `${playerId}:team`) : playerId;
    const total = await this.redis.zcard(key);
    if (member === null) return { campaignId, board, rank: null, score: null, total };
    const [rank, score] = await Promise.all([this.redis.zrevrank(key, member), this.redis.zscore(key, member)]);
    return { campaignId, board, rank: rank === null ? null : rank + 1, score: score === null ? null : Number(score), total };
  }
}
