/**
 * Prizes after the draw (docs/lifecycle.md §2.9): win records, their issuance by kind, the claim
 * form of physical prizes, redemption codes and the signed QR payload. Each change of a record is
 * one Lua step (core/lua/issueWins, settleWin, redeemWin, claimWin, noticeDelays, loadCoupons).
 */
import { createHmac, randomInt, timingSafeEqual } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { AppError } from "./errors.js";
import type { Win } from "./protocol.js";
import { campaignKeys } from "./redis-keys.js";
import { scriptReply } from "./script-reply.js";

/** What a win record holds in Redis: the public `Win` plus the winner and the sealed claim form. */
export const winRecordSchema = z.object({
  winId: z.string(),
  campaignId: z.string(),
  playerId: z.string(),
  tierId: z.string(),
  tierName: z.string(),
  prizeKind: z.enum(["onsite", "coupon", "points", "physical", "webhook"]),
  value: z.number().nullable().optional(),
  status: z.enum(["pending", "issued", "redeemed", "failed", "expired"]),
  wonAt: z.number(),
  issuedAt: z.number().optional(),
  redeemedAt: z.number().optional(),
  redeemedBy: z.string().optional(),
  endedAt: z.number().optional(),
  expiresAt: z.number().nullable().optional(),
  coupon: z.string().optional(),
  points: z.number().nullable().optional(),
  externalRef: z.string().optional(),
  shipment: z.object({ carrier: z.string(), trackingNumber: z.string() }).optional(),
  claim: z.string().optional(),
  claimedAt: z.number().optional(),
  redemptionCode: z.string().optional(),
  queuedAt: z.number().optional(),
  variant: z.string().nullable().optional(),
  delayed: z.boolean().optional(),
  failure: z.string().optional(),
});
export type WinRecord = z.infer<typeof winRecordSchema>;

const parseRecord = (json: unknown): WinRecord => winRecordSchema.parse(JSON.parse(String(json)));

/** Crockford base32 without I, L, O, U: a code staff can read out and type. */
const CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const REDEMPTION_CODE_LENGTH = 12;

/** A fresh one-time redemption code: 12 characters, 60 bits from crypto.randomInt. */
export function newRedemptionCode(): string {
  let out = "";
  for (let i = 0; i < REDEMPTION_CODE_LENGTH; i++) out += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return out;
}

/**
 * The QR payload of an issued prize: `ldq1.<base64url JSON {c, w, r, x}>.<base64url HMAC-SHA256>`,
 * signed with a key derived from the token secret. Staff scanners send it as is; the server checks
 * the signature before it looks anything up. (Hand-written rather than a JWS: docs/decisions.md.)
 */
export class QrSigner {
  constructor(private readonly key: Buffer) {}

  sign(campaignId: string, winId: string, code: string, expiresAt: number | null): string {
    const body = Buffer.from(JSON.stringify({ c: campaignId, w: winId, r: code, x: expiresAt })).toString("base64url");
    return `ldq1.${body}.${this.mac(body)}`;
  }

  /** The QR's contents when its signature is ours; E_REDEMPTION_INVALID otherwise. */
  verify(qr: string): { campaignId: string; winId: string; code: string; expiresAt: number | null } {
    const [version, body, mac, extra] = qr.split(".");
    if (version !== "ldq1" || !body || !mac || extra !== undefined) throw new AppError("E_REDEMPTION_INVALID", "Not a redemption QR code of this server.");
    const want = Buffer.from(this.mac(body));
    const got = Buffer.from(mac);
    if (want.length !== got.length || !timingSafeEqual(want, got)) throw new AppError("E_REDEMPTION_INVALID", "The QR code's signature is not valid: it was altered or forged.");
    const parsed = z.object({ c: z.string(), w: z.string(), r: z.string(), x: z.number().nullable() }).safeParse(JSON.parse(Buffer.from(body, "base64url").toString("utf8")));
    if (!parsed.success) throw new AppError("E_REDEMPTION_INVALID", "The QR code's contents are not valid.");
    return { campaignId: parsed.data.c, winId: parsed.data.w, code: parsed.data.r, expiresAt: parsed.data.x };
  }

  private mac(body: string): string {
    return createHmac("sha256", this.key).update(`ldq1.${body}`).digest("base64url");
  }
}

/** Fields added to the time index per indexWins step (a backfill of wins older than the index). */
const INDEX_STEP = 1000;

/** A win id's member in the time index: both parts zero-padded to 20 digits (core/lua/includes/win-order.lua). */
export function winOrderMember(winId: string): string {
  const m = /^(\d{1,20})-(\d{1,20})$/.exec(winId);
  if (!m) throw new Error(`not a win id: ${winId}`);
  return `${m[1]!.padStart(20, "0")}-${m[2]!.padStart(20, "0")}`;
}

/** The win id a time-index member stands for. */
export function winIdOfMember(member: string): string {
  const [ms = "", seq = ""] = member.split("-");
  return `${ms.replace(/^0+(?=\d)/, "")}-${seq.replace(/^0+(?=\d)/, "")}`;
}

export type IssueStatus = "issued" | "skipped" | "no-code" | "collision" | "expired";

export class WinStore {
  constructor(
    private readonly redis: Redis,
    private readonly qr: QrSigner,
  ) {}

  get qrSigner(): QrSigner {
    return this.qr;
  }

  /** The public view of a record at `now` (a prize past its deadline reads as expired). */
  view(rec: WinRecord, now: number): Win {
    const lapsed = (rec.status === "pending" || rec.status === "issued") && rec.expiresAt != null && now >= rec.expiresAt;
    const code = rec.redemptionCode ?? null;
    return {
      winId: rec.winId,
      campaignId: rec.campaignId,
      tierId: rec.tierId,
      tierName: rec.tierName,
      prizeKind: rec.prizeKind,
      value: rec.value ?? null,
      status: lapsed ? "expired" : rec.status,
      wonAt: rec.wonAt,
      issuedAt: rec.issuedAt ?? null,
      redeemedAt: rec.redeemedAt ?? null,
      expiresAt: rec.expiresAt ?? null,
      coupon: rec.coupon ?? null,
      points: rec.prizeKind === "points" ? (rec.points ?? null) : null,
      shipment: rec.shipment ?? null,
      claimed: rec.claim !== undefined,
      redemptionCode: code,
      qr: code === null || rec.status !== "issued" ? null : this.qr.sign(rec.campaignId, rec.winId, code, rec.expiresAt ?? null),
      delayed: rec.delayed === true,
      failure: rec.failure ?? (lapsed ? "claim deadline passed" : null),
    };
  }

  async get(campaignId: string, winId: string): Promise<WinRecord | null> {
    const raw = await this.redis.hget(campaignKeys(campaignId).wins, winId);
    return raw === null ? null : parseRecord(raw);
  }

  /** A player's wins, oldest first (at most `limit`, the latest ones). */
  async ofPlayer(campaignId: string, playerId: string, limit = 200): Promise<WinRecord[]> {
    const k = campaignKeys(campaignId);
    const ids = await this.redis.lrange(`${k.winsPlayerPrefix}${playerId}`, -limit, -1);
    if (ids.length === 0) return [];
    const raws = await this.redis.hmget(k.wins, ...ids);
    return raws.flatMap((r) => (r === null ? [] : [parseRecord(r)]));
  }

  /**
   * Makes sure every win is in the time index (`wins:order`): wins recorded before the index existed
   * are added in HSCAN steps of INDEX_STEP fields, each its own Lua call (the resolver indexes every
   * new win in the step that records it). Two O(1) reads when there is nothing to add.
   */
  async ensureOrder(campaignId: string): Promise<void> {
    const k = campaignKeys(campaignId);
    const [wins, indexed] = await Promise.all([this.redis.hlen(k.wins), this.redis.zcard(k.winsOrder)]);
    if (indexed >= wins) return;
    let cursor = "0";
    do {
      const [next] = z.tuple([z.union([z.string(), z.number()]), z.number()]).parse(await this.redis.ld1_indexWins(k.wins, k.winsOrder, cursor, INDEX_STEP));
      cursor = String(next);
    } while (cursor !== "0");
  }

  /** How many wins the campaign has (the time index's size). */
  async count(campaignId: string): Promise<number> {
    return this.redis.zcard(campaignKeys(campaignId).winsOrder);
  }

  /**
   * Up to `count` win ids in win-id order (oldest first), after the win id `after` (exclusive; null
   * from the start): one ZRANGE BYLEX of the time index, O(log n + count).
   */
  async idsAfter(campaignId: string, after: string | null, count: number): Promise<string[]> {
    const members = await this.redis.zrangebylex(campaignKeys(campaignId).winsOrder, after === null ? "-" : `(${winOrderMember(after)}`, "+", "LIMIT", 0, count);
    return members.map(winIdOfMember);
  }

  /** The records of these wins, in the same order (ids with no record are left out). */
  async records(campaignId: string, ids: readonly string[]): Promise<WinRecord[]> {
    if (ids.length === 0) return [];
    const raws = await this.redis.hmget(campaignKeys(campaignId).wins, ...ids);
    return raws.flatMap((r) => (r === null ? [] : [parseRecord(r)]));
  }

  /**
   * Every win of a campaign, oldest first, in pages of `pageSize` read from the time index (each page
   * one ZRANGE BYLEX and one HMGET: a consumer that awaits between pages holds at most one page).
   */
  async *all(campaignId: string, pageSize = 500): AsyncGenerator<WinRecord[]> {
    await this.ensureOrder(campaignId);
    for (let after: string | null = null; ; ) {
      const ids = await this.idsAfter(campaignId, after, pageSize);
      if (ids.length === 0) return;
      const page = await this.records(campaignId, ids);
      if (page.length > 0) yield page;
      if (ids.length < pageSize) return;
      after = ids[ids.length - 1]!;
    }
  }

  /** Wins waiting for the issuer, oldest first. */
  async pending(campaignId: string, count: number, offset = 0): Promise<WinRecord[]> {
    const k = campaignKeys(campaignId);
    const ids = await this.redis.zrange(k.issuePending, offset, offset + count - 1);
    if (ids.length === 0) return [];
    const raws = await this.redis.hmget(k.wins, ...ids);
    return raws.flatMap((r) => (r === null ? [] : [parseRecord(r)]));
  }

  /** Issues onsite, coupon and points wins; one result per win id, and codes left per coupon tier touched. */
  async issue(campaignId: string, winIds: readonly string[]): Promise<{ results: { winId: string; status: IssueStatus; record: WinRecord | null }[]; couponsLeft: Record<string, number> }> {
    const k = campaignKeys(campaignId);
    const args = winIds.flatMap((id) => [id, newRedemptionCode()]);
    const raw = z.array(z.union([z.string(), z.number()])).parse(
      await this.redis.ld1_issueWins(k.wins, k.issuePending, k.issueDue, k.redemptionCodes, k.players, k.funnel, k.ledger, `${k.leaderboardPrefix}points`, k.leaderboardVersions, k.couponPoolPrefix, ...args),
    );
    const results = winIds.map((winId, i) => {
      const status = String(raw[2 * i]) as IssueStatus;
      const json = raw[2 * i + 1];
      return { winId, status, record: json === "" || json === undefined ? null : parseRecord(json) };
    });
    const couponsLeft: Record<string, number> = {};
    for (let i = 2 * winIds.length; i + 1 < raw.length; i += 2) couponsLeft[String(raw[i])] = Number(raw[i + 1]);
    return { results, couponsLeft };
  }

  /**
   * Settles one pending win (webhook answered or gave up, shipped, queued). `changed` false: it was
   * not pending any more (already settled: a retry of a delivery that had worked).
   */
  async settle(campaignId: string, action: "issued" | "failed" | "shipped" | "queued", winId: string, detail = "", attempts = 0): Promise<{ changed: boolean; record: WinRecord }> {
    const k = campaignKeys(campaignId);
    for (let tries = 0; tries < 5; tries++) {
      const { code, rest } = scriptReply(await this.redis.ld1_settleWin(k.wins, k.issuePending, k.issueDue, k.redemptionCodes, k.players, k.funnel, k.ledger, k.issueDead, action, winId, newRedemptionCode(), detail, attempts));
      if (code === 2) continue; // redemption code collision: another one
      return { changed: code === 0, record: parseRecord(rest[0]) };
    }
    throw new Error("five redemption code collisions in a row");
  }

  async claim(campaignId: string, winId: string, playerId: string, sealedForm: string): Promise<WinRecord> {
    const { rest } = scriptReply(await this.redis.ld1_claimWin(campaignKeys(campaignId).wins, winId, playerId, sealedForm));
    return parseRecord(rest[0]);
  }

  /** Redeems by code; `winId` when the QR named one. Exactly one of parallel attempts succeeds. */
  async redeem(campaignId: string, code: string, winId: string, staffId: string): Promise<WinRecord> {
    const k = campaignKeys(campaignId);
    const { rest } = scriptReply(await this.redis.ld1_redeemWin(k.wins, k.redemptionCodes, k.players, k.funnel, k.ledger, code, winId, staffId));
    return parseRecord(rest[0]);
  }

  /** Pending or unredeemed wins past their claim deadline become expired (each once). */
  async expireDue(campaignId: string, count = 500): Promise<WinRecord[]> {
    const k = campaignKeys(campaignId);
    const raw = z.array(z.string()).parse(await this.redis.ld1_expireWins(k.wins, k.winsExpiry, k.issuePending, k.issueDue, k.funnel, k.ledger, count));
    return raw.map(parseRecord);
  }

  /** Pending wins past their issue-within time, each marked delayed once. */
  async noticeDelays(campaignId: string, count = 500): Promise<WinRecord[]> {
    const k = campaignKeys(campaignId);
    const raw = z.array(z.string()).parse(await this.redis.ld1_noticeDelays(k.wins, k.issueDue, count));
    return raw.map(parseRecord);
  }

  async loadCoupons(campaignId: string, tierId: string, codes: readonly string[]): Promise<{ added: number; duplicates: number; inPool: number }> {
    const k = campaignKeys(campaignId);
    try {
      const { rest } = scriptReply(await this.redis.ld1_loadCoupons(k.config, k.couponsSeen, `${k.couponPoolPrefix}${tierId}`, tierId, ...codes));
      const [added, duplicates, inPool] = rest.map(Number) as [number, number, number];
      return { added, duplicates, inPool };
    } catch (err) {
      if (err instanceof AppError && err.code === "E_WIN_STATE") throw new AppError("E_WIN_STATE", `Tier ${tierId} is not a coupon tier (its prize kind is not "coupon").`);
      throw err;
    }
  }
}
