/**
 * Delivery of webhook prizes (docs/http-api.md §12, docs/operations.md "Webhooks"): the BullMQ
 * worker of the `issuance` queue. Each job POSTs one win to its partner, signed with HMAC-SHA256
 * over timestamp and body, retried with capped exponential backoff and dead-lettered (status
 * `failed`) after LIVEDRAW_WEBHOOK_ATTEMPTS.
 *
 * What a partner URL can reach, and what one partner can cost the others:
 * - rule `webhook-address` (core/webhook-policy.ts) is checked again at every delivery; the socket
 *   dials only addresses the check passed (undici `Agent` with a checking `connect.lookup`), so a DNS
 *   answer that changes after the check (rebinding) cannot redirect it inside;
 * - a redirect is never followed: a 3xx is a failed attempt;
 * - one deadline (LIVEDRAW_WEBHOOK_TIMEOUT_MS) covers connect, headers and body, and a partner's
 *   answer is read up to 64 KiB;
 * - each partner (URL host and port) gets at most LIVEDRAW_WEBHOOK_HOST_CONCURRENCY deliveries at
 *   once per worker, and a circuit breaker: after LIVEDRAW_WEBHOOK_BREAKER_FAILURES failures in a row
 *   its deliveries wait LIVEDRAW_WEBHOOK_BREAKER_COOLDOWN_MS, then one trial goes. A delivery that
 *   finds its partner busy or its breaker open goes back to the queue, delayed, without using an
 *   attempt: it never holds one of the worker's LIVEDRAW_WEBHOOK_CONCURRENCY slots that other
 *   partners' deliveries need.
 * - what a host sees of a failure is one generic text; the reason (status, error, refused address)
 *   is in the worker's log only, so a URL cannot be used to probe what answers where.
 */
import { createHmac } from "node:crypto";
import { DelayedError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { Agent, request } from "undici";
import type { Config } from "../config/options.js";
import type { RedisClock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import { BULL_PREFIX, ISSUANCE_QUEUE } from "../core/redis-keys.js";
import { WebhookAddressError, checkedLookup, urlProblem, webhookPolicy, type WebhookPolicy } from "../core/webhook-policy.js";
import type { WinRecord, WinStore } from "../core/wins.js";

export interface WebhookJob {
  campaignId: string;
  winId: string;
  url: string;
}

/** `t=<ms>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: the X-Livedraw-Signature header (docs/http-api.md §12). */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** Delay before retry number `attemptsMade` (1 = after the first failure): base × 2^(n−1), at most `max`, ±20 %. */
export function cappedBackoff(attemptsMade: number, base: number, max: number): number {
  const exp = Math.min(max, base * 2 ** Math.min(30, Math.max(0, attemptsMade - 1)));
  return Math.round(exp * (0.8 + Math.random() * 0.4));
}

/** What hosts (GET …/wins, exports, the winner's `win:status`) are told when a webhook prize failed for good. */
export function webhookFailureText(attempts: number): string {
  return `the partner did not confirm the prize after ${attempts} attempt${attempts === 1 ? "" : "s"} (details in the operator log)`;
}

/** The partner a URL belongs to, for concurrency and the breaker: its host and port. */
export function partnerOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`.toLowerCase();
  } catch {
    return url;
  }
}

interface PartnerState {
  active: number;
  /** Failed deliveries in a row. */
  failures: number;
  /** While > now the breaker is open; once passed, one trial delivery may go (half-open). */
  openUntil: number;
  trial: boolean;
  /** Moving average of how long this partner's deliveries take, in ms (how long a busy partner stays busy). */
  latencyMs: number;
  /** When each delivery in flight started (a hanging partner's show its age before any ends). */
  started: number[];
}

export type GateAnswer = { ok: true } | { ok: false; reason: "busy" | "open"; retryAt: number };

/** Shortest wait of a delivery sent back because its partner was busy, in ms. */
const MIN_BUSY_DELAY_MS = 20;

/**
 * Per-partner concurrency and circuit breaker (one per worker process). `acquire` before a
 * delivery, `release` after it with whether it worked and when it started. A delivery turned away
 * because its partner is busy is told to come back after about one of that partner's deliveries
 * (its moving average, or the age of its oldest delivery in flight if longer; between 20 ms and
 * `maxBusyDelayMs`, plus jitter): a fast partner's queue drains at once, a hanging one's
 * deliveries come back rarely. Times are passed in, for tests.
 */
export class PartnerGate {
  private readonly partners = new Map<string, PartnerState>();

  constructor(private readonly opts: { concurrency: number; failures: number; cooldownMs: number; maxBusyDelayMs: number }) {}

  acquire(partner: string, now: number): GateAnswer {
    let s = this.partners.get(partner);
    if (!s) {
      s = { active: 0, failures: 0, openUntil: 0, trial: false, latencyMs: 0, started: [] };
      this.partners.set(partner, s);
    }
    const oldest = s.started.length === 0 ? 0 : now - Math.min(...s.started);
    const busyDelay = Math.min(this.opts.maxBusyDelayMs, Math.max(MIN_BUSY_DELAY_MS, Math.round(Math.max(s.latencyMs, oldest))));
    const later = () => now + busyDelay + Math.floor(Math.random() * busyDelay);
    if (s.openUntil > now) return { ok: false, reason: "open", retryAt: s.openUntil + Math.floor(Math.random() * this.opts.maxBusyDelayMs) };
    if (s.openUntil > 0) {
      // Half-open: one trial delivery; the rest wait for its answer.
      if (s.trial || s.active > 0) return { ok: false, reason: "open", retryAt: later() };
      s.trial = true;
    } else if (s.active >= this.opts.concurrency) {
      return { ok: false, reason: "busy", retryAt: later() };
    }
    s.active++;
    s.started.push(now);
    return { ok: true };
  }

  /**
   * After a delivery `acquire` let through: closes the breaker on success, counts (and maybe opens
   * it) on failure. Returns true when this failure opened the breaker.
   */
  release(partner: string, worked: boolean, now: number, startedAt = now): boolean {
    const s = this.partners.get(partner);
    if (!s) return false;
    s.active = Math.max(0, s.active - 1);
    const i = s.started.indexOf(startedAt);
    s.started.splice(i >= 0 ? i : 0, 1);
    const tookMs = Math.max(0, now - startedAt);
    s.latencyMs = s.latencyMs === 0 ? tookMs : 0.8 * s.latencyMs + 0.2 * tookMs;
    const wasTrial = s.trial;
    s.trial = false;
    let opened = false;
    if (worked) {
      s.failures = 0;
      s.openUntil = 0;
    } else {
      s.failures++;
      if (wasTrial || s.failures >= this.opts.failures) {
        opened = s.openUntil <= now;
        s.openUntil = now + this.opts.cooldownMs;
      }
    }
    return opened;
  }

  /** Whether a partner's breaker is open now (for logs and tests). */
  isOpen(partner: string, now: number): boolean {
    return (this.partners.get(partner)?.openUntil ?? 0) > now;
  }
}

/** One attempt's result: issued (with the partner's reference), or why not (for the operator log only). */
export type Attempt =
  | { ok: true; reference: string }
  | { ok: false; reason: string; /** No later attempt can work (the URL itself is refused). */ permanent: boolean };

/** Longest partner answer read: a reference is at most 200 characters, the rest is not needed. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * POSTs one signed body to a partner through `dispatcher` (whose lookup checks addresses). Never
 * follows a redirect; never throws.
 */
export async function postWebhook(dispatcher: Agent, policy: WebhookPolicy, url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<Attempt> {
  const refused = urlProblem(url, policy);
  if (refused !== null) return { ok: false, reason: `rule webhook-address: ${refused}`, permanent: true };
  try {
    const res = await request(url, { method: "POST", headers, body, dispatcher, signal: AbortSignal.timeout(timeoutMs) });
    if (res.statusCode < 200 || res.statusCode >= 300) {
      await res.body.dump({ limit: MAX_ANSWER_BYTES }).catch(() => undefined);
      const location = res.headers.location;
      return {
        ok: false,
        reason: res.statusCode >= 300 && res.statusCode < 400 ? `HTTP ${res.statusCode} redirect${location === undefined ? "" : ` to ${String(location).slice(0, 200)}`} not followed` : `HTTP ${res.statusCode}`,
        permanent: false,
      };
    }
    let text = "";
    for await (const chunk of res.body) {
      text += String(chunk);
      if (text.length > MAX_ANSWER_BYTES) {
        res.body.destroy();
        break;
      }
    }
    let reference = "";
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === "object" && typeof (parsed as { reference?: unknown }).reference === "string") reference = (parsed as { reference: string }).reference.slice(0, 200);
    } catch {
      // a body that is not JSON is fine: no reference
    }
    return { ok: true, reference };
  } catch (err) {
    const address = findAddressError(err);
    if (address) return { ok: false, reason: address.message, permanent: false }; // DNS may change: retried
    return { ok: false, reason: err instanceof Error ? `${err.name}: ${err.message}` : String(err), permanent: false };
  }
}

function findAddressError(err: unknown): WebhookAddressError | null {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof WebhookAddressError) return e;
  }
  return null;
}

export interface WebhookDeliveryDeps {
  config: Config;
  log: Logger;
  clock: RedisClock;
  wins: WinStore;
  /** Tells the winner (and hosts watching) a record changed. */
  push(rec: WinRecord): void;
}

/** The `issuance` queue's worker: delivers webhook prizes. */
export class WebhookDeliveries {
  private readonly worker: Worker<WebhookJob, string>;
  private readonly dispatcher: Agent;
  private readonly policy: WebhookPolicy;
  readonly gate: PartnerGate;

  constructor(
    private readonly deps: WebhookDeliveryDeps,
    bullConnection: Redis,
  ) {
    const { config, log } = deps;
    this.policy = webhookPolicy(config);
    // Kept below the worker's concurrency, so one partner can never hold every slot.
    const perPartner = Math.max(1, Math.min(config.webhookHostConcurrency, config.webhookConcurrency - 1));
    this.gate = new PartnerGate({
      concurrency: perPartner,
      failures: config.webhookBreakerFailures,
      cooldownMs: config.webhookBreakerCooldownMs,
      maxBusyDelayMs: Math.min(1000, Math.max(100, Math.floor(config.webhookTimeoutMs / 4))),
    });
    this.dispatcher = new Agent({
      connect: { lookup: checkedLookup(this.policy), timeout: config.webhookTimeoutMs },
      connections: perPartner,
      headersTimeout: config.webhookTimeoutMs,
      bodyTimeout: config.webhookTimeoutMs,
      keepAliveTimeout: 10_000,
    });
    this.worker = new Worker<WebhookJob, string>(ISSUANCE_QUEUE, (job, token) => this.deliver(job, token), {
      connection: bullConnection,
      prefix: BULL_PREFIX,
      concurrency: config.webhookConcurrency,
      lockDuration: Math.max(config.workerLockMs, config.webhookTimeoutMs * 2),
      stalledInterval: Math.max(500, Math.floor(config.workerLockMs / 2)),
      maxStalledCount: 20,
      // Exponential from LIVEDRAW_WEBHOOK_BACKOFF_MS, capped at LIVEDRAW_WEBHOOK_BACKOFF_MAX_MS, with ±20 % jitter
      // so a partner coming back is not hit by every retry at once.
      settings: { backoffStrategy: (attemptsMade: number) => cappedBackoff(attemptsMade, config.webhookBackoffMs, config.webhookBackoffMaxMs) },
    });
    this.worker.on("error", (err) => log.error({ err }, "issuance worker error"));
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.dispatcher.close();
  }

  /** One delivery attempt of a webhook prize. Throws to retry; the last attempt's failure dead-letters the win. */
  private async deliver(job: Job<WebhookJob>, token: string | undefined): Promise<string> {
    const { wins, config, log, clock } = this.deps;
    const { campaignId, winId, url } = job.data;
    const rec = await wins.get(campaignId, winId);
    if (!rec) return "gone";
    if (rec.status !== "pending") return `already ${rec.status}`; // a retry after an attempt that worked
    const partner = partnerOf(url);
    const started = Date.now();
    const gate = this.gate.acquire(partner, started);
    if (!gate.ok) {
      // Back to the queue without using an attempt, so this slot serves another partner meanwhile.
      await job.moveToDelayed(gate.retryAt, token);
      throw new DelayedError(`partner ${partner} ${gate.reason === "open" ? "circuit open" : "busy"}`);
    }
    const attempt = job.attemptsMade + 1;
    const body = JSON.stringify({
      type: "prize.issue", campaignId, winId, tierId: rec.tierId, tierName: rec.tierName, value: rec.value ?? null,
      playerId: rec.playerId, wonAt: rec.wonAt, attempt,
    });
    const timestamp = clock.now();
    const headers = {
      "content-type": "application/json",
      "x-livedraw-signature": webhookSignature(config.webhookSecret, timestamp, body),
      "x-livedraw-win-id": winId,
      "idempotency-key": `${campaignId}:${winId}`,
    };
    const result = await postWebhook(this.dispatcher, this.policy, url, headers, body, config.webhookTimeoutMs); // never throws
    if (this.gate.release(partner, result.ok, Date.now(), started)) {
      log.warn({ partner, cooldownMs: config.webhookBreakerCooldownMs }, "webhook partner failing: circuit open, its deliveries wait");
    }
    if (result.ok) {
      const { changed, record } = await wins.settle(campaignId, "issued", winId, result.reference);
      if (changed) this.deps.push(record);
      return "issued";
    }
    if (attempt >= config.webhookAttempts || result.permanent) {
      const { changed, record } = await wins.settle(campaignId, "failed", winId, webhookFailureText(attempt), attempt);
      if (changed) {
        log.error({ campaign: campaignId, win: winId, partner, attempts: attempt, failure: result.reason }, "webhook issuance dead-lettered");
        this.deps.push(record);
      }
      return "failed";
    }
    log.warn({ campaign: campaignId, win: winId, partner, attempt, failure: result.reason }, "webhook issuance attempt failed; retrying with backoff");
    throw new Error(`webhook ${result.reason}`);
  }
}
