/**
 * Prometheus metrics of one worker. A worker listens on nothing unless LIVEDRAW_METRICS_PORT is set;
 * then it serves `GET /metrics` there (core/metrics.ts), behind LIVEDRAW_METRICS_TOKEN if set.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { ACK_BUCKETS_SECONDS, PIPELINE_BUCKETS_SECONDS } from "../core/metrics.js";
import type { SpinResult } from "../core/protocol.js";

export function createWorkerMetrics(nodeId: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  collectDefaultMetrics({ register: registry });
  const spinResolution = new Histogram({
    name: "livedraw_spin_resolution_seconds",
    help: "Time from a spin intent's append (its stream id, Redis time) to its resolution (resolvedAt, Redis time), per resolved intent.",
    buckets: PIPELINE_BUCKETS_SECONDS,
    registers: [registry],
  });
  return {
    registry,
    spinResolution,
    /** Worker reveals (auto-reveal): from the reveal's compare-and-set to its broadcast being handed to the emitter. */
    revealEmit: new Histogram({
      name: "livedraw_reveal_emit_seconds",
      help: "Reveals decided by this worker (auto-reveal): time from the reveal's compare-and-set to its broadcast being handed to the Redis emitter.",
      buckets: ACK_BUCKETS_SECONDS,
      registers: [registry],
    }),
    jobs: new Counter({ name: "livedraw_worker_jobs_total", help: "Jobs this worker finished, by job name and outcome (completed, failed).", labelNames: ["name", "outcome"], registers: [registry] }),
    retentionKeys: new Counter({ name: "livedraw_retention_keys_expired_total", help: "Keys of closed campaigns given an expiry by the retention sweep.", registers: [registry] }),
    /** One observation per result: resolvedAt minus the intent id's milliseconds (both Redis time). */
    observeResolutions(results: readonly { result: SpinResult }[]) {
      for (const { result } of results) {
        const appendedAt = Number(result.intentId.split("-")[0]);
        if (Number.isFinite(appendedAt)) spinResolution.observe(Math.max(0, result.resolvedAt - appendedAt) / 1000);
      }
    },
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
