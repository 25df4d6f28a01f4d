/**
 * The hosts' blocklist of a campaign: player ids, client addresses and device ids whose entries and
 * spins in that campaign are refused with E_BLOCKED (server/sources.ts checks it on every intent,
 * in the same Redis round trip as the source counts). Per campaign, not global: hosts act on their
 * campaigns (host tokens may be scoped to some), every change is a `host.action` record in that
 * campaign's audit log, and one campaign's bans cannot lock players out of another's.
 *
 * Stored in one hash per campaign (`sourceKeys(c).blocklist`), field `<kind>:<value>`; at most
 * MAX_BLOCKLIST_ENTRIES per campaign. Player ids are stored as the server knows them (pseudonyms,
 * core/privacy.ts): a host may give the player's raw id (the token's `sub`), which is pseudonymised
 * here, or the pseudonym itself (as listed in flagged entries), which is kept as it is.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { PSEUDONYM_PATTERN } from "../core/privacy.js";
import { AppError } from "../core/errors.js";
import { sourceKeys, type SourceKind } from "../core/redis-keys.js";
import { clientAddress } from "./client-address.js";

/** Most entries one campaign's blocklist holds; adding past it is E_BAD_REQUEST. */
export const MAX_BLOCKLIST_ENTRIES = 10_000;

const kindSchema = z.enum(["player", "address", "device"]);

export interface BlockEntry {
  kind: SourceKind;
  value: string;
  reason: string;
  hostId: string;
  at: number;
}

const storedSchema = z.object({ reason: z.string(), hostId: z.string(), at: z.number() });

/** The hash field of a source. */
export const blockField = (kind: SourceKind, value: string) => `${kind}:${value}`;

export class Blocklist {
  constructor(
    private readonly redis: Redis,
    private readonly pseudonymise: (rawId: string) => string,
  ) {}

  /** The value as stored: addresses normalised (`::ffff:1.2.3.4` → `1.2.3.4`), raw player ids pseudonymised. */
  canonical(kind: SourceKind, value: string): string {
    if (kind === "address") return clientAddress(value, undefined, 0).toLowerCase();
    if (kind === "player") return PSEUDONYM_PATTERN.test(value) ? value : this.pseudonymise(value);
    return value;
  }

  /** Adds (or updates the reason of) an entry; `added` is false when it was already there. */
  async add(campaignId: string, entry: Omit<BlockEntry, "value"> & { value: string }): Promise<{ added: boolean; entry: BlockEntry }> {
    const key = sourceKeys(campaignId).blocklist;
    const value = this.canonical(entry.kind, entry.value);
    const field = blockField(entry.kind, value);
    if ((await this.redis.hlen(key)) >= MAX_BLOCKLIST_ENTRIES && (await this.redis.hexists(key, field)) === 0) {
      throw new AppError("E_BAD_REQUEST", `This campaign's blocklist is full (${MAX_BLOCKLIST_ENTRIES} entries); remove some first.`);
    }
    const stored = { reason: entry.reason, hostId: entry.hostId, at: entry.at };
    const added = (await this.redis.hset(key, field, JSON.stringify(stored))) === 1;
    return { added, entry: { kind: entry.kind, value, ...stored } };
  }

  /** Removes an entry; false when there was none. */
  async remove(campaignId: string, kind: SourceKind, value: string): Promise<{ removed: boolean; value: string }> {
    const canonical = this.canonical(kind, value);
    const removed = (await this.redis.hdel(sourceKeys(campaignId).blocklist, blockField(kind, canonical))) === 1;
    return { removed, value: canonical };
  }

  /** Every entry, newest first. */
  async list(campaignId: string): Promise<BlockEntry[]> {
    const all = await this.redis.hgetall(sourceKeys(campaignId).blocklist);
    const out: BlockEntry[] = [];
    for (const [field, raw] of Object.entries(all)) {
      const colon = field.indexOf(":");
      const kind = kindSchema.safeParse(field.slice(0, colon));
      const parsed = storedSchema.safeParse(JSON.parse(raw));
      if (!kind.success || !parsed.success) continue;
      out.push({ kind: kind.data, value: field.slice(colon + 1), ...parsed.data });
    }
    return out.sort((a, b) => b.at - a.at);
  }
}
