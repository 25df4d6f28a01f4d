/**
 * The privacy part of a chaos run: after the verdict, search the run's logs, every frame the players
 * received, every Redis key and Redis's RDB and AOF files for each player's raw id, phone and name;
 * then erase every player's personal data and check that the sealed profiles are gone and the
 * campaign's audit chain and each finished draw's proof bundle still verify.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Redis } from "ioredis";
import { verifyAuditChain, verifyBundle } from "@livedraw/fairness";
import { PROFILE_KEY_PATTERN } from "../core/redis-keys.js";
import type { Player } from "./chaos-players.js";
import { scanRedis, scanText, type Needle } from "./privacy-scan.js";

export interface PrivacyVerdict {
  ok: boolean;
  /** Raw ids, phones and names found unencrypted, by place (labels only, never the values). */
  findings: { where: string; label: string }[];
  needles: number;
  searched: { redis_keys: number; redis_bytes: number; files: string[]; file_bytes: number; log_and_frame_bytes: number };
  profiles_before_erasure: number;
  erased: number;
  profiles_after_erasure: number;
  audit_chain_ok: boolean;
  bundles_verified: number;
  bundles_failed: string[];
}

async function countProfiles(redis: Redis): Promise<number> {
  let cursor = "0";
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", PROFILE_KEY_PATTERN, "COUNT", 1000);
    cursor = next;
    n += keys.length;
  } while (cursor !== "0");
  return n;
}

export async function checkPrivacy(o: {
  admin: Redis;
  dataDir: string | null;
  logDir: string;
  players: readonly Player[];
  url: string;
  hostToken: string;
  campaignId: string;
  drawIds: readonly string[];
}): Promise<PrivacyVerdict> {
  const needles: Needle[] = o.players.flatMap((p, i) => [
    { label: `raw id of player ${i}`, value: p.person.sub },
    { label: `phone of player ${i}`, value: p.person.phone.replace(/^\+86/, "") },
    { label: `name of player ${i}`, value: p.person.name },
  ]);
  const report = await scanRedis(o.admin, o.dataDir, needles);
  for (const file of readdirSync(o.logDir)) scanText(report, `log ${file}`, readFileSync(path.join(o.logDir, file), "utf8"), needles);
  for (const p of o.players) scanText(report, "frames received by the players", p.frames.join("\n"), needles);

  const before = await countProfiles(o.admin);
  let erased = 0;
  for (const p of o.players) {
    const res = await fetch(`${o.url}/v1/privacy/erasure`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${o.hostToken}` },
      body: JSON.stringify({ playerId: p.person.sub }),
    });
    const body = (await res.json()) as { profileErased?: boolean };
    if (res.status === 200 && body.profileErased === true) erased++;
  }
  const after = await countProfiles(o.admin);

  const audit = (await (await fetch(`${o.url}/v1/campaigns/${o.campaignId}/audit`)).json()) as { records: unknown[] };
  const chain = verifyAuditChain(audit.records);
  let verified = 0;
  const failed: string[] = [];
  for (const drawId of o.drawIds) {
    const res = await fetch(`${o.url}/v1/campaigns/${o.campaignId}/draws/${drawId}/proof`);
    const result = res.status === 200 ? verifyBundle(await res.json()) : { ok: false };
    if (result.ok) verified++;
    else failed.push(`${drawId} (HTTP ${res.status})`);
  }
  const findings = report.findings;
  return {
    ok: findings.length === 0 && before === o.players.length && erased === o.players.length && after === 0 && chain.ok && failed.length === 0,
    findings: findings.slice(0, 50),
    needles: needles.length,
    searched: {
      redis_keys: report.searched.redisKeys,
      redis_bytes: report.searched.redisBytes,
      files: report.searched.files,
      file_bytes: report.searched.fileBytes,
      log_and_frame_bytes: report.searched.textBytes,
    },
    profiles_before_erasure: before,
    erased,
    profiles_after_erasure: after,
    audit_chain_ok: chain.ok,
    bundles_verified: verified,
    bundles_failed: failed,
  };
}
