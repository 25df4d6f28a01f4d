/**
 * What the socket nodes' and the workers' Prometheus metrics share: histogram buckets, the
 * `/metrics` access rule (a Bearer token, a separate port, or off), the separate metrics listener,
 * and the broadcaster wrapper that times reveals. Node metrics: server/metrics.ts; worker metrics:
 * worker/metrics.ts.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Histogram, Registry } from "prom-client";
import type { Broadcaster } from "./live-draw.js";
import { ERRORS, type ErrorCode } from "./protocol.js";

/**
 * Buckets (seconds, Prometheus' base unit) for acknowledgements and fan-out: 1 ms to 10 s, dense
 * where a healthy node answers (1–50 ms) and coarse where an overloaded one does.
 */
export const ACK_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Buckets (seconds) for work that waits on a queue (spin resolution): 5 ms to 60 s, since a backlog
 * under a flash crowd is seconds, not milliseconds.
 */
export const PIPELINE_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface MetricsAccessConfig {
  readonly metricsToken: string;
  readonly metricsPort: number;
}

export type MetricsVerdict = { ok: true } | { ok: false; code: ErrorCode; message: string };

const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Constant-time comparison (of fixed-length digests, so the length of the token leaks nothing either). */
function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/**
 * Whether a request may read `/metrics` on `where`: a node's `main` port (only with a token and
 * without a separate port) or the separate `metrics` port (a token if one is set).
 */
export function metricsAccess(config: MetricsAccessConfig, where: "main" | "metrics", authorization: string | undefined): MetricsVerdict {
  if (where === "main" && config.metricsPort >= 0) {
    return { ok: false, code: "E_METRICS_DISABLED", message: "Metrics are served on the separate metrics port (LIVEDRAW_METRICS_PORT), not on this one." };
  }
  if (where === "main" && config.metricsToken === "") return { ok: false, code: "E_METRICS_DISABLED", message: ERRORS.E_METRICS_DISABLED.message };
  if (config.metricsToken === "") return { ok: true };
  const given = /^Bearer +(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  if (given === undefined || !tokenMatches(given, config.metricsToken)) {
    return { ok: false, code: "E_UNAUTHORIZED", message: "GET /metrics needs `Authorization: Bearer <LIVEDRAW_METRICS_TOKEN>`." };
  }
  return { ok: true };
}

/** The headers of every response of the metrics listener (as on the main port: server/routes.ts). */
const HEADERS = { "x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "cache-control": "no-store" } as const;

export interface MetricsListenerConfig extends MetricsAccessConfig {
  readonly metricsHost: string;
}

/**
 * The separate metrics listener (LIVEDRAW_METRICS_PORT on LIVEDRAW_METRICS_HOST): plain node:http,
 * `GET /metrics` only, behind the token when one is set. Rejects when the port is taken.
 */
export async function startMetricsListener(config: MetricsListenerConfig, registry: Registry, onError: (err: unknown) => void): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const send = (status: number, headers: Record<string, string>, body: string) => {
      res.writeHead(status, { ...HEADERS, ...headers });
      res.end(body);
    };
    const error = (code: ErrorCode, message: string, extra: Record<string, string> = {}) =>
      send(ERRORS[code].status, { "content-type": "application/json; charset=utf-8", ...extra }, JSON.stringify({ error: { code, message } }));
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method !== "GET" || path !== "/metrics") return error("E_NOT_FOUND", `No route for ${req.method ?? "?"} ${path}: this port serves GET /metrics only.`);
    const verdict = metricsAccess(config, "metrics", req.headers.authorization);
    if (!verdict.ok) return error(verdict.code, verdict.message, verdict.code === "E_UNAUTHORIZED" ? { "www-authenticate": "Bearer" } : {});
    registry.metrics().then(
      (text) => send(200, { "content-type": registry.contentType }, text),
      (err: unknown) => {
        onError(err);
        error("E_INTERNAL", ERRORS.E_INTERNAL.message);
      },
    );
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.metricsPort, config.metricsHost, () => {
      server.off("error", reject);
      server.on("error", onError);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Times each `draw:reveal` from the moment it was decided (its `serverTime`, Redis time, stamped
 * right after the reveal's compare-and-set) to the moment it is handed to the adapter or emitter.
 */
export function timedBroadcaster(inner: Broadcaster, now: () => number, histogram: Histogram): Broadcaster {
  return {
    toCampaign(campaignId, event, payload) {
      inner.toCampaign(campaignId, event, payload);
      if (event === "draw:reveal") {
        const at = (payload as { serverTime?: unknown }).serverTime;
        if (typeof at === "number") histogram.observe(Math.max(0, now() - at) / 1000);
      }
    },
    personal: (results) => inner.personal(results),
  };
}
