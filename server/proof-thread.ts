/**
 * The thread that builds proof bundles for its node (server/proof-builder.ts), so a 50,000-entrant
 * build (read every entry, sort, hash, draw, stringify: hundreds of milliseconds of CPU) never holds
 * the node's event loop. It has its own Redis connection and runs exactly what the node ran before:
 * LiveDraws.proof (the audit trail completed if a crash left it short, the bundle cached in Redis).
 * Answers with the bundle as UTF-8 bytes (the ArrayBuffer is transferred, not copied) and its redraw
 * count.
 */
import { parentPort, workerData } from "node:worker_threads";
import { DrawStore } from "../core/draw-store.js";
import { LiveDraws, type Broadcaster } from "../core/live-draw.js";
import { isRedisUnavailable } from "../core/errors.js";
import { createRedis } from "../core/redis.js";

export interface ProofJob {
  id: number;
  campaignId: string;
  drawId: string;
  retentionSeconds: number;
  /** The node's clock minus this thread's Date.now() when asked (audit records completed here use the node's time). */
  clockOffsetMs: number;
}

export type ProofReply = { id: number; ok: true; bytes: ArrayBuffer; redraws: number } | { id: number; ok: false; error: { name: string; message: string; code?: string; retryAfterMs?: number; unavailable: boolean } };

const { redisUrl, name, commandTimeoutMs } = workerData as { redisUrl: string; name: string; commandTimeoutMs: number };
const redis = createRedis(redisUrl, { name, failFast: { commandTimeoutMs } });
redis.on("error", () => {}); // the node's own connections log Redis outages; a build fails with E_UNAVAILABLE
/** Nothing is broadcast on the way to a proof (only audit records may be written). */
const silent: Broadcaster = { toCampaign: () => {}, personal: async () => {} };
let offsetMs = 0;
const draws = new LiveDraws(new DrawStore(redis), silent, () => Date.now() + offsetMs);

parentPort!.on("message", (job: ProofJob) => {
  offsetMs = job.clockOffsetMs;
  draws
    .proof(job.campaignId, job.drawId, job.retentionSeconds)
    .then((json) => {
      const bytes = new Uint8Array(Buffer.byteLength(json));
      Buffer.from(bytes.buffer).write(json);
      const redraws = (JSON.parse(json) as { redraws?: unknown[] }).redraws?.length ?? 0;
      const reply: ProofReply = { id: job.id, ok: true, bytes: bytes.buffer, redraws };
      parentPort!.postMessage(reply, [bytes.buffer]);
    })
    .catch((err: unknown) => {
      const e = err as { name?: string; message?: string; code?: unknown; retryAfterMs?: unknown };
      const reply: ProofReply = {
        id: job.id,
        ok: false,
        error: {
          name: String(e.name ?? "Error"),
          message: String(e.message ?? err),
          unavailable: isRedisUnavailable(err),
          ...(typeof e.code === "string" ? { code: e.code } : {}),
          ...(typeof e.retryAfterMs === "number" ? { retryAfterMs: e.retryAfterMs } : {}),
        },
      };
      parentPort!.postMessage(reply);
    });
});
