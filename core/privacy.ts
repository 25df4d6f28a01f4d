/**
 * Personal data at rest (docs/decisions.md, "Personal data: pseudonyms at the boundary, sealed profiles").
 *
 * - **Pseudonyms**: a player's raw id (a token's `sub`: often a phone number or a WeChat openid) is
 *   replaced at the socket boundary by `p` + 22 base64url characters of HMAC-SHA256(pseudonym key,
 *   "livedraw/player/v1" ‖ raw id). Redis, logs, broadcasts, audit records and proofs only ever see the
 *   pseudonym; the same raw id always gives the same pseudonym, so caps, history and leaderboards
 *   hold across connections and nodes.
 * - **Sealed fields, per-player keys**: each player has a data key (32 random bytes) of their own,
 *   stored only wrapped (AES-256-GCM) by the key ring (`LIVEDRAW_DATA_KEYS`, `id:base64key,…`, the
 *   first key wraps, every key unwraps) in one Redis key (`ld:player-key:{<pseudonym>}`). Phone
 *   numbers, names and claim forms (name, phone, address) are sealed with AES-256-GCM under that
 *   player key, bound by AAD to the player and the field (or the win), so a ciphertext cannot be
 *   moved to another player, field or win.
 * - **Erasure is crypto-shredding**: it deletes the wrapped player key (and the profile), so every
 *   copy of every value sealed under it — in win records, replicas, the AOF, RDB snapshots, backups —
 *   stops opening at once (docs/decisions.md, "Issue 17: crypto-shredding"). A value sealed under a
 *   key that is gone reads as erased, never as an error.
 * - Values written before per-player keys (`s1.`, sealed by the ring itself) still open;
 *   `npm run privacy:reseal` moves them under the player's key.
 *
 * Node's own crypto (OpenSSL) does the cryptography; this module only frames it.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import type { Redis } from "ioredis";
import { playerKeyKey, playerSealedKey, profileKey } from "./redis-keys.js";

/** A player pseudonym: `p` and 22 base64url characters (132 bits of HMAC). Matches the protocol's id pattern. */
export const PSEUDONYM_PATTERN = /^p[A-Za-z0-9_-]{22}$/;

const PLAYER_DOMAIN = "livedraw/player/v1";
const SEAL_VERSION = "s1";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Turns raw player ids into pseudonyms (keyed HMAC; one-way without the key). */
export class Pseudonymiser {
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length < KEY_BYTES) throw new Error(`the pseudonym key must be at least ${KEY_BYTES} bytes`);
    this.key = Buffer.from(key);
  }

  player(rawId: string): string {
    const mac = createHmac("sha256", this.key).update(PLAYER_DOMAIN).update("\0").update(rawId, "utf8").digest();
    return `p${mac.subarray(0, 17).toString("base64url").slice(0, 22)}`;
  }
}

export interface DataKey {
  /** Short id stored with every sealed value, so old values open after a rotation. */
  id: string;
  key: Buffer;
}

/**
 * Parses `LIVEDRAW_DATA_KEYS`: comma-separated `id:base64key` entries, each key 32 bytes; the first
 * seals new values. Returns a problem in words, or the keys.
 */
export function parseDataKeys(text: string): DataKey[] | string {
  const entries = text.split(",").map((e) => e.trim()).filter((e) => e !== "");
  if (entries.length === 0) return "needs at least one id:base64key entry";
  const keys: DataKey[] = [];
  for (const entry of entries) {
    const m = /^([A-Za-z0-9_-]{1,16}):([A-Za-z0-9+/=_-]+)$/.exec(entry);
    if (!m) return `entry ${keys.length + 1} is not id:base64key (id: 1-16 letters, digits, '_', '-')`;
    const key = Buffer.from(m[2]!, m[2]!.includes("-") || m[2]!.includes("_") ? "base64url" : "base64");
    if (key.length !== KEY_BYTES) return `key "${m[1]}" is ${key.length} bytes; AES-256 needs ${KEY_BYTES} (make one with: openssl rand -base64 32)`;
    if (keys.some((k) => k.id === m[1])) return `key id "${m[1]}" appears twice`;
    keys.push({ id: m[1]!, key });
  }
  return keys;
}

/** A key derived from a secret for one purpose (HKDF-SHA256), for setups that configure only the token secret. */
export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), Buffer.alloc(0), `livedraw/${purpose}`, KEY_BYTES));
}

export class SealError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SealError";
  }
}

/** AES-256-GCM: `<version>.<keyId>.<iv>.<ciphertext+tag>` (base64url parts), the AAD binding it to its place. */
function gcmSeal(version: string, keyId: string, key: Buffer, plain: string, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `${version}.${keyId}.${iv.toString("base64url")}.${body.toString("base64url")}`;
}

/** Opens the iv and body parts of a `gcmSeal` value with its key; SealError when truncated or not authentic. */
function gcmOpen(key: Buffer, ivPart: string, bodyPart: string, aad: string): string {
  const iv = Buffer.from(ivPart, "base64url");
  const body = Buffer.from(bodyPart, "base64url");
  if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SealError("a sealed value is truncated");
  const decipher = createDecipheriv("aes-256-gcm", key, iv);
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString("utf8");
  } catch (err) {
    throw new SealError("a sealed value failed authentication (wrong key, player or field)", { cause: err });
  }
}

/** AES-256-GCM with a key ring. A sealed value is `s1.<keyId>.<iv>.<ciphertext+tag>` (base64url parts). */
export class DataVault {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: readonly DataKey[]) {
    if (keys.length === 0) throw new Error("the data vault needs at least one key");
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** The id of the key that seals new values. */
  get currentKeyId(): string {
    return this.keys[0]!.id;
  }

  seal(plain: string, aad: string): string {
    const { id, key } = this.keys[0]!;
    return gcmSeal(SEAL_VERSION, id, key, plain, aad);
  }

  open(sealed: string, aad: string): string {
    const parts = sealed.split(".");
    if (parts.length !== 4 || parts[0] !== SEAL_VERSION) throw new SealError("not a sealed value");
    const key = this.byId.get(parts[1]!);
    if (!key) throw new SealError(`sealed with key "${parts[1]}", which is not in LIVEDRAW_DATA_KEYS`);
    return gcmOpen(key, parts[2]!, parts[3]!, aad);
  }

  /** Whether a sealed value (or a wrapped player key) was made with an older key (rotation re-seals it). */
  isStale(sealed: string): boolean {
    const parts = sealed.split(".");
    return (parts[0] === WRAP_VERSION ? parts[2] : parts[1]) !== this.currentKeyId;
  }

  /**
   * A player's data key wrapped by the ring's current key: `k1.<playerKeyId>.<ringKeyId>.<iv>.<ciphertext+tag>`,
   * bound by AAD to the player and the player key's id.
   */
  wrap(playerId: string, playerKey: PlayerKey): string {
    const sealed = this.seal(playerKey.key.toString("base64url"), wrapAad(playerId, playerKey.id));
    return `${WRAP_VERSION}.${playerKey.id}.${sealed.slice(SEAL_VERSION.length + 1)}`;
  }

  /** The player key inside a wrapped one; SealError when no key of the ring opens it. */
  unwrap(playerId: string, wrapped: string): PlayerKey {
    const parts = wrapped.split(".");
    if (parts.length !== 5 || parts[0] !== WRAP_VERSION || !PLAYER_KEY_ID.test(parts[1]!)) throw new SealError("not a wrapped player key");
    const key = Buffer.from(this.open(`${SEAL_VERSION}.${parts.slice(2).join(".")}`, wrapAad(playerId, parts[1]!)), "base64url");
    if (key.length !== KEY_BYTES) throw new SealError("a wrapped player key has the wrong length");
    return { id: parts[1]!, key };
  }
}

const WRAP_VERSION = "k1";
const PLAYER_SEAL_VERSION = "s2";
const PLAYER_KEY_ID = /^[A-Za-z0-9_-]{11}$/;
const wrapAad = (playerId: string, keyId: string): string => `livedraw/player-key/v1\0${playerId}\0${keyId}`;

/** One player's data key, unwrapped (only ever in memory, for one request). */
export interface PlayerKey {
  /** 11 base64url characters (64 random bits), written into every value sealed under it. */
  id: string;
  key: Buffer;
}

export function newPlayerKey(): PlayerKey {
  return { id: randomBytes(8).toString("base64url"), key: randomBytes(KEY_BYTES) };
}

/** The id of the key a value was sealed under: a player key (`s2`), a ring key (`s1`, before per-player keys), or null. */
export function sealedWith(sealed: string): { kind: "player" | "ring"; keyId: string } | null {
  const parts = sealed.split(".");
  if (parts.length !== 4) return null;
  if (parts[0] === PLAYER_SEAL_VERSION) return { kind: "player", keyId: parts[1]! };
  if (parts[0] === SEAL_VERSION) return { kind: "ring", keyId: parts[1]! };
  return null;
}

/** AES-256-GCM under a player key: `s2.<playerKeyId>.<iv>.<ciphertext+tag>` (base64url parts). */
export function sealForPlayer(playerKey: PlayerKey, plain: string, aad: string): string {
  return gcmSeal(PLAYER_SEAL_VERSION, playerKey.id, playerKey.key, plain, aad);
}

/** Opens an `s2` value with its player key; SealError when it is not one or fails authentication. */
export function openForPlayer(playerKey: PlayerKey, sealed: string, aad: string): string {
  const parts = sealed.split(".");
  if (parts.length !== 4 || parts[0] !== PLAYER_SEAL_VERSION) throw new SealError("not a value sealed under a player key");
  if (parts[1] !== playerKey.id) throw new SealError("sealed under another player key");
  return gcmOpen(playerKey.key, parts[2]!, parts[3]!, aad);
}

/** The personal fields a profile may hold. */
export const PROFILE_FIELDS = ["name", "phone", "address"] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];
export type Profile = Partial<Record<ProfileField, string>>;

/** The AAD binding a sealed profile field to its player and field. */
export const profileAad = (playerId: string, field: ProfileField): string => `livedraw/profile/v1\0${playerId}\0${field}`;

/** What a read shows in place of a value whose player key was shredded (erasure or retention). */
export const ERASED_MARKER = "(erased)";
/** What a read shows in place of a value no key of the ring opens (a retired ring key, a damaged value). */
export const UNREADABLE_MARKER = "(unreadable)";

/** How long a player's profile and data key stay after the player's personal data was last written. @default 180 days */
export const DEFAULT_PROFILE_RETENTION_DAYS = 180;

/** Opening one sealed value: its text, or why there is none. */
export type Opened = { state: "open"; text: string } | { state: "erased" } | { state: "unreadable" };

/**
 * Opens values sealed for a set of players whose keys were fetched once (one GET per player), so a
 * page of win records opens without a Redis read per record. Holds unwrapped keys only as long as the
 * request that made it.
 */
export class SealedOpener {
  constructor(
    private readonly vault: DataVault,
    private readonly keys: ReadonlyMap<string, PlayerKey | null | "unreadable">,
  ) {}

  open(playerId: string, sealed: string, aad: string): Opened {
    const how = sealedWith(sealed);
    if (how === null) return { state: "unreadable" };
    try {
      if (how.kind === "ring") return { state: "open", text: this.vault.open(sealed, aad) };
      const key = this.keys.get(playerId);
      // A key no ring key unwraps (a ring key missing from LIVEDRAW_DATA_KEYS) is not an erasure.
      if (key === "unreadable") return { state: "unreadable" };
      // The player's key is gone (erased, expired) or is a newer one (made after an erasure): shredded.
      if (key === undefined || key === null || key.id !== how.keyId) return { state: "erased" };
      return { state: "open", text: openForPlayer(key, sealed, aad) };
    } catch {
      return { state: "unreadable" };
    }
  }
}

/** What erasure removed (no personal data: counts and the shredded key's id). */
export interface ErasureCounts {
  /** Id of the player data key that was deleted; null when the player had none. */
  keyId: string | null;
  /** Profile fields deleted (name, phone, address). */
  profileFields: number;
  /** Claim forms sealed under the shredded key (they stay in their win records, unreadable). */
  claimForms: number;
  /** Win records holding a value sealed under the shredded key. */
  winsAffected: number;
  /** Distinct campaigns of those wins. */
  campaigns: number;
}

/**
 * A player's personal data: the sealed profile (one Redis hash), the wrapped player data key that
 * seals it and the player's claim forms, and the index of what else is sealed under it. The three
 * keys share the player's hash tag, expire together `retentionSeconds` after the last write, and
 * erasure deletes them in one transaction.
 */
export class ProfileStore {
  private readonly ttl: number;

  constructor(
    private readonly redis: Redis,
    private readonly vault: DataVault,
    options: { retentionDays?: number } = {},
  ) {
    this.ttl = Math.round((options.retentionDays ?? DEFAULT_PROFILE_RETENTION_DAYS) * 86_400);
  }

  private aad(playerId: string, field: ProfileField): string {
    return profileAad(playerId, field);
  }

  /** The player's data key; with `create`, made (and stored wrapped) when there is none. Null: none. */
  async playerKey(playerId: string, create: true): Promise<PlayerKey>;
  async playerKey(playerId: string, create: boolean): Promise<PlayerKey | null>;
  async playerKey(playerId: string, create: boolean): Promise<PlayerKey | null> {
    const key = playerKeyKey(playerId);
    const wrapped = await this.redis.get(key);
    if (wrapped !== null) return this.vault.unwrap(playerId, wrapped);
    if (!create) return null;
    const fresh = newPlayerKey();
    // NX: two nodes making the first key of one player at once agree on one (the loser reads the winner's).
    if ((await this.redis.set(key, this.vault.wrap(playerId, fresh), "EX", this.ttl, "NX")) === "OK") return fresh;
    const winner = await this.redis.get(key);
    if (winner === null) throw new Error("a player data key vanished while it was made (erased at that moment); retry");
    return this.vault.unwrap(playerId, winner);
  }

  /** The player's data key, null (none: erased or expired), or "unreadable" (no ring key unwraps it); never creates one. */
  private async keyForReading(playerId: string): Promise<PlayerKey | null | "unreadable"> {
    try {
      return await this.playerKey(playerId, false);
    } catch (err) {
      if (err instanceof SealError) return "unreadable";
      throw err;
    }
  }

  /** Starts every per-player key's retention clock again (the player wrote personal data now). */
  private refresh(multi: ReturnType<Redis["multi"]>, playerId: string): void {
    multi.expire(profileKey(playerId), this.ttl).expire(playerKeyKey(playerId), this.ttl).expire(playerSealedKey(playerId), this.ttl);
  }

  /** Stores (replaces) the given fields, sealed under the player's key. Absent fields are left as they are. */
  async save(playerId: string, profile: Profile): Promise<void> {
    const present = PROFILE_FIELDS.filter((f) => profile[f] !== undefined && profile[f] !== "");
    if (present.length === 0) return;
    const key = await this.playerKey(playerId, true);
    const fields = present.flatMap((f) => [f, sealForPlayer(key, profile[f]!, this.aad(playerId, f))]);
    const multi = this.redis.multi().hset(profileKey(playerId), ...fields);
    this.refresh(multi, playerId);
    await multi.exec();
  }

  /** The opened profile; a field whose key was shredded is `erased`, one that no key opens `unreadable`. */
  async read(playerId: string): Promise<{ profile: Profile; unreadable: ProfileField[]; erased: ProfileField[] }> {
    const [raw, key] = await Promise.all([this.redis.hgetall(profileKey(playerId)), this.keyForReading(playerId)]);
    const opener = new SealedOpener(this.vault, new Map([[playerId, key]]));
    const profile: Profile = {};
    const unreadable: ProfileField[] = [];
    const erased: ProfileField[] = [];
    for (const field of PROFILE_FIELDS) {
      const sealed = raw[field];
      if (sealed === undefined) continue;
      const opened = opener.open(playerId, sealed, this.aad(playerId, field));
      if (opened.state === "open") profile[field] = opened.text;
      else (opened.state === "erased" ? erased : unreadable).push(field);
    }
    return { profile, unreadable, erased };
  }

  /** Seals a value of the player outside the profile (a claim form) under the player's key. */
  async seal(playerId: string, plain: string, aad: string): Promise<string> {
    return sealForPlayer(await this.playerKey(playerId, true), plain, aad);
  }

  /** Records that a win of the player now holds a value sealed under the player's key (for erasure's receipt). */
  async noteSealed(playerId: string, campaignId: string, winId: string, what: "claim"): Promise<void> {
    const multi = this.redis.multi().hset(playerSealedKey(playerId), `${campaignId}/${winId}`, what);
    this.refresh(multi, playerId);
    await multi.exec();
  }

  /** An opener holding the keys of these players (one GET each, in parallel; single-key reads, cluster-ready). */
  async opener(playerIds: Iterable<string>): Promise<SealedOpener> {
    const unique = [...new Set(playerIds)];
    const keys = await Promise.all(unique.map((p) => this.keyForReading(p)));
    return new SealedOpener(this.vault, new Map(unique.map((p, i) => [p, keys[i]!])));
  }

  /**
   * After a ring rotation: re-wraps the player's key with the current ring key when an older one
   * wrapped it, and moves profile fields sealed by the ring itself (before per-player keys) under
   * the player's key, giving the profile its expiry. WATCHed: an erasure meanwhile wins (nothing is
   * written back), so the store needs a connection of its own (scripts/privacy-reseal.ts), not a
   * node's shared one. Returns what changed.
   */
  async reseal(playerId: string): Promise<{ keyRewrapped: boolean; fieldsMoved: number }> {
    try {
      return await this.resealWatched(playerId);
    } catch (err) {
      await this.redis.unwatch();
      throw err;
    }
  }

  private async resealWatched(playerId: string): Promise<{ keyRewrapped: boolean; fieldsMoved: number }> {
    const pk = playerKeyKey(playerId);
    const prof = profileKey(playerId);
    for (let attempt = 0; attempt < 5; attempt++) {
      await this.redis.watch(pk, prof);
      const [wrapped, raw, ttl] = await Promise.all([this.redis.get(pk), this.redis.hgetall(prof), this.redis.ttl(prof)]);
      const legacy = PROFILE_FIELDS.filter((f) => raw[f] !== undefined && sealedWith(raw[f]!)?.kind === "ring");
      const rewrap = wrapped !== null && this.vault.isStale(wrapped);
      if (!rewrap && legacy.length === 0 && !(ttl === -1 && Object.keys(raw).length > 0)) {
        await this.redis.unwatch();
        return { keyRewrapped: false, fieldsMoved: 0 };
      }
      const key = wrapped !== null ? this.vault.unwrap(playerId, wrapped) : newPlayerKey();
      const multi = this.redis.multi();
      // A rotation re-wraps without restarting the retention clock (KEEPTTL).
      if (wrapped === null) multi.set(pk, this.vault.wrap(playerId, key), "EX", this.ttl);
      else if (rewrap) multi.set(pk, this.vault.wrap(playerId, key), "KEEPTTL");
      const fields = legacy.flatMap((f) => [f, sealForPlayer(key, this.vault.open(raw[f]!, this.aad(playerId, f)), this.aad(playerId, f))]);
      if (fields.length > 0) multi.hset(prof, ...fields);
      if (ttl === -1 || fields.length > 0) this.refresh(multi, playerId);
      if ((await multi.exec()) !== null) return { keyRewrapped: wrapped !== null && rewrap, fieldsMoved: legacy.length };
    }
    throw new Error(`player ${playerId.slice(0, 6)}…: its profile kept changing during five re-seal attempts`);
  }

  /** Deletes the player's data key, profile and sealed-value index in one transaction (crypto-shredding). */
  async erase(playerId: string): Promise<ErasureCounts> {
    const replies = await this.redis
      .multi()
      .get(playerKeyKey(playerId))
      .hlen(profileKey(playerId))
      .hgetall(playerSealedKey(playerId))
      .del(playerKeyKey(playerId), profileKey(playerId), playerSealedKey(playerId))
      .exec();
    if (replies === null) throw new Error("the erasure transaction was aborted");
    const failed = replies.find(([err]) => err !== null);
    if (failed) throw new Error("the erasure transaction failed", { cause: failed[0] });
    const wrapped = replies[0]![1] as string | null;
    const sealed = Object.entries(replies[2]![1] as Record<string, string>);
    return {
      keyId: wrapped === null ? null : (wrapped.split(".")[1] ?? null),
      profileFields: Number(replies[1]![1]),
      claimForms: sealed.filter(([, what]) => what === "claim").length,
      winsAffected: sealed.length,
      campaigns: new Set(sealed.map(([id]) => id.split("/")[0])).size,
    };
  }
}

/** Constant-time string comparison (for shared secrets such as an operator token). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The pseudonymiser and vault of a configuration, and which keys had to be derived from the token secret. */
export function privacyFromConfig(config: { jwtSecret: string; pseudonymKey: string; dataKeys: string }): {
  pseudonyms: Pseudonymiser;
  vault: DataVault;
  derived: ("LIVEDRAW_PSEUDONYM_KEY" | "LIVEDRAW_DATA_KEYS")[];
} {
  const derived: ("LIVEDRAW_PSEUDONYM_KEY" | "LIVEDRAW_DATA_KEYS")[] = [];
  let pseudonymKey: Buffer;
  if (config.pseudonymKey === "") {
    derived.push("LIVEDRAW_PSEUDONYM_KEY");
    pseudonymKey = deriveKey(config.jwtSecret, "pseudonym-key");
  } else pseudonymKey = Buffer.from(config.pseudonymKey, "utf8");
  let keys: DataKey[];
  if (config.dataKeys === "") {
    derived.push("LIVEDRAW_DATA_KEYS");
    keys = [{ id: "derived", key: deriveKey(config.jwtSecret, "data-key") }];
  } else {
    const parsed = parseDataKeys(config.dataKeys);
    if (typeof parsed === "string") throw new Error(`LIVEDRAW_DATA_KEYS: ${parsed}`);
    keys = parsed;
  }
  return { pseudonyms: new Pseudonymiser(pseudonymKey), vault: new DataVault(keys), derived };
}
