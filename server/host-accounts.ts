/**
 * Host accounts of the console (LIVEDRAW_HOSTS): `hostId:hash` entries, each hash a self-describing
 * scrypt string `scrypt$N$r$p$<salt base64>$<key base64>` made by `hashPassword` (and the CLI
 * `scripts/host-hash.ts`). Verification compares in constant time, and an unknown host id costs one
 * scrypt too, so the answer's timing does not tell which host ids exist.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { ID_PATTERN } from "@livedraw/protocol";

/** Cost of new hashes: N = 2^15, r = 8, p = 1 (32 MiB, about 0.1 s). */
const DEFAULT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

interface ScryptHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function derive(password: string, salt: Buffer, keyLength: number, params: { N: number; r: number; p: number }): Promise<Buffer> {
  // scrypt needs about 128 * N * r bytes; allow twice that.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(password.normalize("NFC"), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** Parses a hash string, or returns what is wrong with it. */
function parseHash(text: string): ScryptHash | string {
  const parts = text.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return "a hash must look like scrypt$N$r$p$salt$key (make one with npm run host:hash)";
  const [N, r, p] = parts.slice(1, 4).map((x) => (/^\d{1,8}$/.test(x!) ? Number(x) : NaN)) as [number, number, number];
  if (!(N >= 1024 && N <= 2 ** 20 && (N & (N - 1)) === 0)) return "scrypt N must be a power of 2 from 1024 to 1048576";
  if (!(r >= 1 && r <= 32)) return "scrypt r must be 1-32";
  if (!(p >= 1 && p <= 16)) return "scrypt p must be 1-16";
  if (!B64.test(parts[4]!) || !B64.test(parts[5]!)) return "salt and key must be base64";
  const salt = Buffer.from(parts[4]!, "base64");
  const key = Buffer.from(parts[5]!, "base64");
  if (salt.length < 16) return "the salt must be at least 16 bytes";
  if (key.length < 16 || key.length > 64) return "the key must be 16-64 bytes";
  return { N, r, p, salt, key };
}

/** Hashes a password for LIVEDRAW_HOSTS: `scrypt$32768$8$1$<salt>$<key>`. */
export async function hashPassword(password: string): Promise<string> {
  if (password.length === 0) throw new Error("the password must not be empty");
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, DEFAULT_PARAMS);
  const { N, r, p } = DEFAULT_PARAMS;
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

/** True when `password` matches `hash` (compared in constant time); false for a malformed hash. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parsed = parseHash(hash);
  if (typeof parsed === "string") return false;
  const key = await derive(password, parsed.salt, parsed.key.length, parsed);
  return timingSafeEqual(key, parsed.key);
}

export interface HostAccount {
  hostId: string;
  hash: string;
}

/** Parses LIVEDRAW_HOSTS; throws naming the bad entry (by position and host id, never its hash). */
export function parseHostList(text: string): HostAccount[] {
  const out: HostAccount[] = [];
  const seen = new Set<string>();
  const entries = text.split(",").map((e) => e.trim());
  if (text.trim() === "") return out;
  entries.forEach((entry, i) => {
    const at = entry.indexOf(":");
    const hostId = at < 0 ? "" : entry.slice(0, at);
    const where = `entry ${i + 1}${ID_PATTERN.test(hostId) ? ` (${hostId})` : ""}`;
    if (at < 0) throw new Error(`${where}: must be hostId:hash`);
    if (!ID_PATTERN.test(hostId)) throw new Error(`${where}: the host id must be 1-64 characters of letters, digits, '_' or '-', starting with a letter or digit`);
    if (seen.has(hostId)) throw new Error(`${where}: host id ${hostId} is listed twice`);
    const problem = parseHash(entry.slice(at + 1));
    if (typeof problem === "string") throw new Error(`${where}: ${problem}`);
    seen.add(hostId);
    out.push({ hostId, hash: entry.slice(at + 1) });
  });
  return out;
}

/** What is wrong with a LIVEDRAW_HOSTS value, or null (for config validation). */
export function hostListProblem(text: string): string | null {
  try {
    parseHostList(text);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The configured accounts. */
export class HostAccounts {
  private readonly byId: Map<string, string>;
  /** Hash of a random password with the default cost, checked for unknown host ids. */
  private readonly decoy: Promise<string>;

  constructor(list: string) {
    this.byId = new Map(parseHostList(list).map((a) => [a.hostId, a.hash]));
    this.decoy = hashPassword(randomBytes(16).toString("hex")); // made once, at start
  }

  get size(): number {
    return this.byId.size;
  }

  async verify(hostId: string, password: string): Promise<boolean> {
    const hash = this.byId.get(hostId);
    if (hash === undefined) {
      await verifyPassword(password, await this.decoy);
      return false;
    }
    return verifyPassword(password, hash);
  }
}
