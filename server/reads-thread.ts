/**
 * The node's heavy-reads thread (server/reads-worker.ts starts it): proof bundles, the entrants'
 * Merkle trees of inclusion proofs and CSV exports are computed here, never on the node's event loop. A 50,000-entrant proof (read every entry, sort, hash,
 * draw, stringify) or a 100,000-row export (parse, mask, format every record) is hundreds of
 * milliseconds to seconds of CPU; here it only costs the node's main thread the bytes it relays.
 *
 * It runs at the lowest CPU priority (nice 19, this thread only) and has its own Redis connection and the same stores as the node (built from the node's settings,
 * passed as workerData), and runs exactly the node's code: LiveDraws.proof (audit completion, the
 * Redis cache) and the CSV generators of server/csv-export.ts. Results cross as transferred UTF-8
 * bytes. Export chunks are produced one per request from the node, so the HTTP socket's back-pressure
 * reaches the generator.
 */
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { DrawStore } from "../core/draw-store.js";
import { isRedisUnavailable } from "../core/errors.js";
import { LiveDraws, type Broadcaster } from "../core/live-draw.js";
import { ProfileStore, deriveKey, privacyFromConfig } from "../core/privacy.js";
import { createRedis, waitReady } from "../core/redis.js";
import { TicketLedger } from "../core/ticket-ledger.js";
import { QrSigner, WinStore } from "../core/wins.js";
import { sortEntries, type Entry } from "@livedraw/fairness";
import { ticketLedgerCsv, winnersCsv, type ExportDeps } from "./csv-export.js";
import { buildMerkleTree } from "./merkle-tree.js";

export interface ReadsThreadData {
  redisUrl: string;
  name: string;
  commandTimeoutMs: number;
  jwtSecret: string;
  pseudonymKey: string;
  dataKeys: string;
}

export type ReadsJob =
  | {
      kind: "proof";
      id: number;
      campaignId: string;
      drawId: string;
      retentionSeconds: number;
      /** The node's clock minus this thread's Date.now() when asked (records written here use the node's time). */
      clockOffsetMs: number;
    }
  | { kind: "tree"; id: number; campaignId: string; drawId: string; weighted: boolean; merkleRoot: string | null; ttlMs: number }
  | { kind: "export-start"; id: number; campaignId: string; what: "winners" | "tickets"; masked: boolean; clockOffsetMs: number }
  | { kind: "export-next"; id: number }
  | { kind: "export-stop"; id: number };

export interface ThreadError {
  name: string;
  message: string;
  code?: string;
  retryAfterMs?: number;
  unavailable: boolean;
}

export type ReadsReply =
  | { id: number; ok: true; kind: "proof"; bytes: ArrayBuffer; redraws: number }
  | { id: number; ok: true; kind: "tree"; bytes: null; count: number }
  | { id: number; ok: true; kind: "chunk"; bytes: ArrayBuffer | null; rows: number }
  | { id: number; ok: false; error: ThreadError };

// The lowest CPU priority for this thread only (on Linux the nice value is per thread): when the
// node's event loop and this thread both want a core, the event loop goes first, so countdowns,
// acks and every other request keep their latency while a proof or export is being made.
try {
  setPriority(0, 19);
} catch {
  // not permitted here: the thread runs at the node's priority
}

const data = workerData as ReadsThreadData;
const redis = createRedis(data.redisUrl, { name: data.name, failFast: { commandTimeoutMs: data.commandTimeoutMs } });
redis.on("error", () => {}); // the node's own connections log Redis outages; a job here fails with E_UNAVAILABLE
const { vault } = privacyFromConfig(data);
let offsetMs = 0;
const clock = { now: () => Date.now() + offsetMs };
/** Nothing is broadcast on the way to a proof (only audit records may be written). */
const silent: Broadcaster = { toCampaign: () => {}, personal: async () => {} };
const store = new DrawStore(redis);
const draws = new LiveDraws(store, silent, clock.now);
/** Entries read per XRANGE while a tree is built. */
const ENTRY_PAGE = 2000;
const deps: ExportDeps = {
  redis,
  wins: new WinStore(redis, new QrSigner(deriveKey(data.jwtSecret, "redemption-qr"))),
  vault,
  profiles: new ProfileStore(redis, vault),
  tickets: new TicketLedger(redis),
  clock,
};
const exports = new Map<number, { chunks: AsyncGenerator<string>; rows: number }>();

function post(reply: ReadsReply): void {
  const transfer = reply.ok && reply.bytes !== null ? [reply.bytes] : [];
  parentPort!.postMessage(reply, transfer);
}

/** UTF-8 bytes in a buffer of their own (transferable: no pooled memory). */
const bytesOf = (text: string): ArrayBuffer => new TextEncoder().encode(text).buffer as ArrayBuffer;

function fail(id: number, err: unknown): void {
  const e = err as { name?: string; message?: string; code?: unknown; retryAfterMs?: unknown };
  post({
    id,
    ok: false,
    error: {
      name: String(e.name ?? "Error"),
      message: String(e.message ?? err),
      unavailable: isRedisUnavailable(err) || redis.status !== "ready",
      ...(typeof e.code === "string" ? { code: e.code } : {}),
      ...(typeof e.retryAfterMs === "number" ? { retryAfterMs: e.retryAfterMs } : {}),
    },
  });
}

/** The connection has no offline queue (it fails fast, as the node's): jobs wait until it is ready. */
let ready: Promise<void> | null = null;

async function run(job: ReadsJob): Promise<void> {
  if (redis.status !== "ready") await (ready ??= waitReady(redis, 2_000).finally(() => (ready = null)));
  switch (job.kind) {
    case "proof": {
      offsetMs = job.clockOffsetMs;
      const json = await draws.proof(job.campaignId, job.drawId, job.retentionSeconds);
      const redraws = (JSON.parse(json) as { redraws?: unknown[] }).redraws?.length ?? 0;
      post({ id: job.id, ok: true, kind: "proof", bytes: bytesOf(json), redraws });
      return;
    }
    case "tree": {
      // A closed draw's entrants' Merkle tree, checked against the published root and stored in
      // Redis for inclusion proofs (DrawStore.saveMerkleTree): the node answers from there.
      const entries: Entry[] = [];
      for (let after: string | null = null; ; ) {
        const page = await store.entriesPage(job.campaignId, job.drawId, after, ENTRY_PAGE);
        for (const e of page) entries.push({ id: e.intentId, tickets: e.tickets });
        if (page.length < ENTRY_PAGE) break;
        after = page[page.length - 1]!.intentId;
      }
      const tree = await buildMerkleTree(sortEntries(entries), job.weighted);
      if (job.merkleRoot !== null && tree.root !== job.merkleRoot) {
        throw new Error(`Merkle tree of ${job.campaignId}/${job.drawId}: root ${tree.root} is not the published ${job.merkleRoot}`);
      }
      await store.saveMerkleTree(job.campaignId, job.drawId, tree, job.ttlMs);
      post({ id: job.id, ok: true, kind: "tree", bytes: null, count: tree.count });
      return;
    }
    case "export-start": {
      offsetMs = job.clockOffsetMs;
      const state = { chunks: null as unknown as AsyncGenerator<string>, rows: 0 };
      state.chunks = job.what === "winners" ? winnersCsv(deps, job.campaignId, job.masked, (n) => (state.rows += n)) : ticketLedgerCsv(deps, job.campaignId, job.masked, (n) => (state.rows += n));
      exports.set(job.id, state);
      post({ id: job.id, ok: true, kind: "chunk", bytes: new ArrayBuffer(0), rows: 0 });
      return;
    }
    case "export-next": {
      const state = exports.get(job.id);
      if (!state) throw new Error(`no export ${job.id} in this thread`);
      const next = await state.chunks.next();
      if (next.done) exports.delete(job.id);
      post({ id: job.id, ok: true, kind: "chunk", bytes: next.done ? null : bytesOf(next.value), rows: state.rows });
      return;
    }
    case "export-stop": {
      const state = exports.get(job.id);
      exports.delete(job.id);
      await state?.chunks.return(undefined);
      return;
    }
  }
}

parentPort!.on("message", (job: ReadsJob) => {
  run(job).catch((err: unknown) => {
    if (job.kind !== "proof" && job.kind !== "tree") exports.delete(job.id);
    if (job.kind !== "export-stop") fail(job.id, err);
  });
});
