/**
 * Searches what a run left behind for players' raw personal data: every key and value in Redis (read
 * through the commands of its type), Redis's files on disk (an RDB written uncompressed by SAVE, and
 * every AOF file), log lines and captured broadcasts. Used by test/privacy.e2e.test.ts and
 * `npm run chaos`. A needle is searched as UTF-8 bytes and in its JSON-escaped form (`\u5f20…`).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import type { Redis } from "ioredis";

export interface Needle {
  /** What it is, for the report: `phone of player 3`. Never the value itself. */
  label: string;
  value: string;
}

export interface Finding {
  /** Where: `redis key ld:…`, `file appendonlydir/…`, `log of node-1`, `broadcasts`. */
  where: string;
  label: string;
}

export interface ScanReport {
  findings: Finding[];
  /** How much was searched, so an empty scan is not mistaken for a clean one. */
  searched: { redisKeys: number; redisBytes: number; files: string[]; fileBytes: number; textBytes: number };
}

function forms(value: string): Buffer[] {
  const out = [Buffer.from(value, "utf8")];
  const escaped = value.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  if (escaped !== value) out.push(Buffer.from(escaped, "utf8"));
  return out;
}

/** Which needles occur in `data`. */
export function findNeedles(where: string, data: Buffer | string, needles: readonly Needle[]): Finding[] {
  const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const found: Finding[] = [];
  for (const n of needles) if (forms(n.value).some((f) => buf.includes(f))) found.push({ where, label: n.label });
  return found;
}

/** Every value of one key as text (its type's read command), with the key name first. */
async function readKey(redis: Redis, key: string): Promise<Buffer> {
  const type = await redis.type(key);
  const parts: Buffer[] = [Buffer.from(key)];
  if (type === "string") parts.push((await redis.getBuffer(key)) ?? Buffer.alloc(0));
  else if (type === "hash") parts.push(...(await redis.hgetallBuffer(key).then((h) => Object.entries(h).flatMap(([f, v]) => [Buffer.from(f), v]))));
  else if (type === "list") parts.push(...(await redis.lrangeBuffer(key, 0, -1)));
  else if (type === "set") parts.push(...(await redis.smembersBuffer(key)));
  else if (type === "zset") parts.push(...(await redis.zrangeBuffer(key, 0, -1)));
  else if (type === "stream") {
    const entries = await redis.xrangeBuffer(key, "-", "+");
    for (const [id, fields] of entries) parts.push(id, ...fields);
  }
  return Buffer.concat(parts.flatMap((p) => [p, Buffer.from("\n")]));
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full));
    else out.push(full);
  }
  return out;
}

/**
 * Scans Redis (logically, every key) and, when `dataDir` is given, its files twice: as they are (the
 * AOF's incremental files hold every write since the last rewrite, in plain RESP), then after
 * `CONFIG SET rdbcompression no`, `SAVE` and an AOF rewrite, so LZF compression cannot hide a value
 * in the RDB or the AOF's RDB base.
 */
export async function scanRedis(redis: Redis, dataDir: string | null, needles: readonly Needle[]): Promise<ScanReport> {
  const report: ScanReport = { findings: [], searched: { redisKeys: 0, redisBytes: 0, files: [], fileBytes: 0, textBytes: 0 } };
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "COUNT", 500);
    cursor = next;
    for (const key of keys) {
      const data = await readKey(redis, key);
      report.searched.redisKeys++;
      report.searched.redisBytes += data.length;
      report.findings.push(...findNeedles(`redis key ${key}`, data, needles));
    }
  } while (cursor !== "0");
  if (dataDir !== null) {
    const scanFiles = (when: string) => {
      for (const file of filesUnder(dataDir)) {
        const data = readFileSync(file);
        const rel = path.relative(dataDir, file);
        report.searched.files.push(`${rel} (${when})`);
        report.searched.fileBytes += data.length;
        report.findings.push(...findNeedles(`file ${rel} (${when})`, data, needles));
      }
    };
    scanFiles("as found");
    await redis.config("SET", "rdbcompression", "no");
    await redis.call("SAVE");
    await redis.call("BGREWRITEAOF").catch(() => undefined); // "already in progress" is fine: wait for it below
    for (const until = Date.now() + 30_000; Date.now() < until; ) {
      const info = await redis.info("persistence");
      if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    scanFiles("rewritten uncompressed");
  }
  return report;
}

/** Adds a text source (logs, captured broadcasts) to a report. */
export function scanText(report: ScanReport, where: string, text: string, needles: readonly Needle[]): void {
  report.searched.textBytes += Buffer.byteLength(text);
  report.findings.push(...findNeedles(where, text, needles));
}
