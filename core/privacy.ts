/**
 * Personal data at rest (docs/decisions.md, "Personal data: pseudonyms at the boundary, sealed profiles").
 *
 * - **Pseudonyms**: a player's raw id (a token's `sub`: often a phone number or a WeChat openid) is
 *   replaced at the socket boundary by `p` + 22 base64url characters of HMAC-SHA256(pseudonym key,
 *   "livedraw/player/v1" ‖ raw id). Redis, logs, broadcasts, audit records and proofs only ever see the
 *   pseudonym; the same raw id always gives the same pseudonym, so caps, history and leaderboards
 *   hold across connections and nodes.
 * - **Sealed fields**: phone numbers, names and addresses are stored with AES-256-GCM under a key
 *   ring (`LIVEDRAW_DATA_KEYS`, `id:base64key,…`, the first key seals, every key opens), bound by
 *   AAD to the player and the field, so a ciphertext cannot be moved to another player or field.
 * - **Erasure** deletes a player's sealed profile; what stays is pseudonymous and masked.
 *
 * Node's own crypto (OpenSSL) does the cryptography; this module only frames it.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import type { Redis } from "ioredis";
import { profileKey } from "./redis-keys.js";

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
  constructor(message: string) {
    super(message);
    this.name = "SealError";
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
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from(aad, "utf8"));
    const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `${SEAL_VERSION}.${id}.${iv.toString("base64url")}.${body.toString("base64url")}`;
  }

  open(sealed: string, aad: string): string {
    const parts = sealed.split(".");
    if (parts.length !== 4 || parts[0] !== SEAL_VERSION) throw new SealError("not a sealed value");
    const key = this.byId.get(parts[1]!);
    if (!key) throw new SealError(`sealed with key "${parts[1]}", which is not in LIVEDRAW_DATA_KEYS`);
    const iv = Buffer.from(parts[2]!, "base64url");
    const body = Buffer.from(parts[3]!, "base64url");
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SealError("a sealed value is truncated");
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch {
      throw new SealError("a sealed value failed authentication (wrong key, player or field)");
    }
  }

  /** Whether a sealed value was made with an older key (rotation re-seals it). */
  isStale(sealed: string): boolean {
    return sealed.split(".")[1] !== this.currentKeyId;
  }
}

/** The personal fields a profile may hold. */
export const PROFILE_FIELDS = ["name", "phone", "address"] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];
export type Profile = Partial<Record<ProfileField, string>>;


/** Sealed personal fields per pseudonymous player, in one Redis hash each. */
export class ProfileStore {
  constructor(
    private readonly redis: Redis,
    private readonly vault: DataVault,
  ) {}

  private aad(playerId: string, field: ProfileField): string {
    return `livedraw/profile/v1\0${playerId}\0${field}`;
  }

  /** Stores (replaces) the given fields, sealed. Absent fields are left as they are. */
  async save(playerId: string, profile: Profile): Promise<void> {
    const fields: string[] = [];
    for (const field of PROFILE_FIELDS) {
      const value = profile[field];
      if (value !== undefined && value !== "") fields.push(field, this.vault.seal(value, this.aad(playerId, field)));
    }
    if (fields.length > 0) await this.redis.hset(profileKey(playerId), ...fields);
  }

  /** The opened profile; a field that no key opens is left out (and reported). */
  async read(playerId: string): Promise<{ profile: Profile; unreadable: ProfileField[] }> {
    const raw = await this.redis.hgetall(profileKey(playerId));
    const profile: Profile = {};
    const unreadable: ProfileField[] = [];
    for (const field of PROFILE_FIELDS) {
      const sealed = raw[field];
      if (sealed === undefined) continue;
      try {
        profile[field] = this.vault.open(sealed, this.aad(playerId, field));
      } catch {
        unreadable.push(field);
      }
    }
    return { profile, unreadable };
  }

  /** Re-seals every field sealed with an older key; returns how many fields changed. */
  async reseal(playerId: string): Promise<number> {
    const raw = await this.redis.hgetall(profileKey(playerId));
    const fields: string[] = [];
    for (const field of PROFILE_FIELDS) {
      const sealed = raw[field];
      if (sealed === undefined || !this.vault.isStale(sealed)) continue;
      fields.push(field, this.vault.seal(this.vault.open(sealed, this.aad(playerId, field)), this.aad(playerId, field)));
    }
    if (fields.length > 0) await this.redis.hset(profileKey(playerId), ...fields);
    return fields.length / 2;
  }

  /** Deletes the player's sealed profile; true when there was one. */
  async erase(playerId: string): Promise<boolean> {
    return (await this.redis.del(profileKey(playerId))) > 0;
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
