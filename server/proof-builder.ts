/**
 * Proof bundles built off the node's event loop: one worker thread per node (server/proof-thread.ts),
 * started on the first build and kept (unref'd, so it never holds the process open), with its own
 * Redis connection. Builds are queued to it one after another; the public reads' ComputeGate already
 * bounds how many wait. If the thread dies, every build it held fails (E_INTERNAL) and the next build
 * starts a new one.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { AppError, UNAVAILABLE_RETRY_AFTER_MS } from "../core/errors.js";
import type { ErrorCode } from "../core/protocol.js";
import type { NodeContext } from "./context.js";
import type { ProofJob, ProofReply } from "./proof-thread.js";

/** The thread's Redis command timeout at least (it reads every entry of a draw in one XRANGE). */
const THREAD_COMMAND_TIMEOUT_MS = 10_000;

export interface BuiltProof {
  /** The bundle as UTF-8 JSON bytes. */
  body: Buffer;
  /** Redraws the bundle includes. */
  redraws: number;
}

export class ProofBuilder {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (p: BuiltProof) => void; reject: (err: unknown) => void }>();
  private readonly script = fileURLToPath(new URL("./proof-thread.js", import.meta.url));

  constructor(private readonly ctx: NodeContext) {}

  /** The bundle of a done draw, built (or read from its Redis cache) by the thread. */
  async build(campaignId: string, drawId: string): Promise<BuiltProof> {
    // Run from TypeScript sources (no compiled thread script beside this file): built here, as before.
    if (!existsSync(this.script)) {
      const json = await this.ctx.draws.proof(campaignId, drawId, this.ctx.config.drawRetentionSeconds);
      return { body: Buffer.from(json), redraws: (JSON.parse(json) as { redraws?: unknown[] }).redraws?.length ?? 0 };
    }
    const worker = this.thread();
    const id = this.nextId++;
    const job: ProofJob = { id, campaignId, drawId, retentionSeconds: this.ctx.config.drawRetentionSeconds, clockOffsetMs: this.ctx.clock.now() - Date.now() };
    return new Promise<BuiltProof>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage(job);
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const { config } = this.ctx;
    const worker = new Worker(this.script, {
      workerData: { redisUrl: config.redisUrl, name: `${config.nodeId}:proofs`, commandTimeoutMs: Math.max(config.redisCommandTimeoutMs, THREAD_COMMAND_TIMEOUT_MS) },
    });
    worker.unref();
    worker.on("message", (reply: ProofReply) => {
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.waiting.delete(reply.id);
      if (reply.ok) waiter.resolve({ body: Buffer.from(reply.bytes), redraws: reply.redraws });
      else waiter.reject(toError(reply.error));
    });
    const fail = (err: unknown) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.ctx.log.error({ err }, "proof thread failed");
      for (const waiter of this.waiting.values()) waiter.reject(new Error("the proof thread stopped", { cause: err }));
      this.waiting.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`proof thread exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

/** The thread's error as the node's: its AppError as one, an unreachable Redis as E_UNAVAILABLE, anything else as it was. */
function toError(e: Extract<ProofReply, { ok: false }>["error"]): Error {
  if (e.name === "AppError" && e.code !== undefined) return new AppError(e.code as ErrorCode, e.message, e.retryAfterMs);
  if (e.unavailable) return new AppError("E_UNAVAILABLE", undefined, UNAVAILABLE_RETRY_AFTER_MS);
  const err = new Error(`proof build failed in its thread: ${e.message}`);
  err.name = e.name;
  return err;
}
