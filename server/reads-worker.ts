/**
 * The node's side of its heavy-reads thread (server/reads-thread.ts): proof bundles and CSV exports
 * computed off the event loop. One thread per node, started on first use and kept (unref'd, so it
 * never holds the process open), with its own Redis connection. If it dies, whatever it held fails
 * and the next job starts a new one. Run from TypeScript sources (no compiled thread script beside
 * this file, as in unit tests), the same work runs in-process instead.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { AppError, UNAVAILABLE_RETRY_AFTER_MS } from "../core/errors.js";
import type { ErrorCode } from "../core/protocol.js";
import type { NodeContext } from "./context.js";
import { ticketLedgerCsv, winnersCsv } from "./csv-export.js";
import type { ReadsJob, ReadsReply, ReadsThreadData, ThreadError } from "./reads-thread.js";

/** The thread's Redis command timeout at least (a proof reads every entry of a draw in one XRANGE). */
const THREAD_COMMAND_TIMEOUT_MS = 10_000;

/** The thread's young generation, MB (V8's default on 64-bit grows to 48). */
const THREAD_YOUNG_GENERATION_MB = 8;

export interface BuiltProof {
  /** The bundle as UTF-8 JSON bytes. */
  body: Buffer;
  /** Redraws the bundle includes. */
  redraws: number;
}

type Ok<K extends string> = Extract<ReadsReply, { ok: true; kind: K }>;

export class ReadsWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: ReadsReply & { ok: true }) => void; reject: (err: unknown) => void }>();
  private readonly script = fileURLToPath(new URL("./reads-thread.js", import.meta.url));

  constructor(private readonly ctx: NodeContext) {}

  private get inProcess(): boolean {
    return !existsSync(this.script);
  }

  /** The bundle of a done draw, built (or read from its Redis cache) by the thread. */
  async proof(campaignId: string, drawId: string): Promise<BuiltProof> {
    if (this.inProcess) {
      const json = await this.ctx.draws.proof(campaignId, drawId, this.ctx.config.drawRetentionSeconds);
      return { body: Buffer.from(json), redraws: (JSON.parse(json) as { redraws?: unknown[] }).redraws?.length ?? 0 };
    }
    const id = this.nextId++;
    const reply = (await this.ask({ kind: "proof", id, campaignId, drawId, retentionSeconds: this.ctx.config.drawRetentionSeconds, clockOffsetMs: this.ctx.clock.now() - Date.now() })) as Ok<"proof">;
    return { body: Buffer.from(reply.bytes), redraws: reply.redraws };
  }

  /**
   * Builds a closed draw's entrants' Merkle tree in the thread and stores it in Redis
   * (DrawStore.saveMerkleTree); false when running from sources, where the caller builds it itself.
   */
  async tree(campaignId: string, drawId: string, weighted: boolean, merkleRoot: string | null): Promise<boolean> {
    if (this.inProcess) return false;
    await this.ask({ kind: "tree", id: this.nextId++, campaignId, drawId, weighted, merkleRoot, ttlMs: this.ctx.config.drawRetentionSeconds * 1000 });
    return true;
  }

  /**
   * A CSV export's chunks, each made by the thread only when the consumer asks for it (so the HTTP
   * socket's back-pressure holds the thread too). Returning the iterator early stops the thread's
   * generator. `onRows` is told the rows written so far after each chunk.
   */
  async *exportChunks(campaignId: string, what: "winners" | "tickets", masked: boolean, onRows: (rows: number) => void): AsyncGenerator<Buffer> {
    if (this.inProcess) {
      let rows = 0;
      const chunks = what === "winners" ? winnersCsv(this.ctx, campaignId, masked, (n) => onRows((rows += n))) : ticketLedgerCsv(this.ctx, campaignId, masked, (n) => onRows((rows += n)));
      for await (const chunk of chunks) yield Buffer.from(chunk);
      return;
    }
    const id = this.nextId++;
    await this.ask({ kind: "export-start", id, campaignId, what, masked, clockOffsetMs: this.ctx.clock.now() - Date.now() });
    let finished = false;
    try {
      for (;;) {
        const reply = (await this.ask({ kind: "export-next", id })) as Ok<"chunk">;
        onRows(reply.rows);
        if (reply.bytes === null) {
          finished = true;
          return;
        }
        yield Buffer.from(reply.bytes);
      }
    } catch (err) {
      finished = true; // the thread dropped it when it failed
      throw err;
    } finally {
      if (!finished) this.worker?.postMessage({ kind: "export-stop", id } satisfies ReadsJob);
    }
  }

  private ask(job: ReadsJob): Promise<ReadsReply & { ok: true }> {
    const worker = this.thread();
    return new Promise((resolve, reject) => {
      this.waiting.set(job.id, { resolve, reject });
      worker.postMessage(job);
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const { config } = this.ctx;
    const data: ReadsThreadData = {
      redisUrl: config.redisUrl,
      name: `${config.nodeId}:reads`,
      commandTimeoutMs: Math.max(config.redisCommandTimeoutMs, THREAD_COMMAND_TIMEOUT_MS),
      jwtSecret: config.jwtSecret,
      pseudonymKey: config.pseudonymKey,
      dataKeys: config.dataKeys,
    };
    // A small young generation: the thread's garbage is collected often (off the event loop) rather
    // than growing the node's resident memory by tens of MB per export.
    const worker = new Worker(this.script, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: THREAD_YOUNG_GENERATION_MB } });
    worker.unref();
    worker.on("message", (reply: ReadsReply) => {
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.waiting.delete(reply.id);
      if (reply.ok) waiter.resolve(reply);
      else waiter.reject(toError(reply.error));
    });
    const fail = (err: unknown) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.ctx.log.error({ err }, "heavy-reads thread failed");
      for (const waiter of this.waiting.values()) waiter.reject(new Error("the heavy-reads thread stopped", { cause: err }));
      this.waiting.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`heavy-reads thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

/** The thread's error as the node's: its AppError as one, an unreachable Redis as E_UNAVAILABLE, anything else as it was. */
function toError(e: ThreadError): Error {
  if (e.name === "AppError" && e.code !== undefined) return new AppError(e.code as ErrorCode, e.message, e.retryAfterMs);
  if (e.unavailable) return new AppError("E_UNAVAILABLE", undefined, UNAVAILABLE_RETRY_AFTER_MS);
  const err = new Error(`failed in the heavy-reads thread: ${e.message}`);
  err.name = e.name;
  return err;
}

const byNode = new WeakMap<NodeContext, ReadsWorker>();

/** The node's one ReadsWorker. */
export function readsWorker(ctx: NodeContext): ReadsWorker {
  let w = byNode.get(ctx);
  if (!w) byNode.set(ctx, (w = new ReadsWorker(ctx)));
  return w;
}
