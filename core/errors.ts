import { ERRORS, type ErrorCode } from "@livedraw/protocol";
import type { AckError } from "@livedraw/protocol";

/** An error with a stable code from the registry; the only kind of error a client ever sees. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message?: string, retryAfterMs?: number, options?: { cause?: unknown }) {
    super(message ?? ERRORS[code].message, options);
    this.name = "AppError";
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  toAckError(): AckError {
    return this.retryAfterMs === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, retryAfterMs: this.retryAfterMs };
  }
}

/** What a client is told to wait before retrying a request refused because Redis is unreachable. */
export const UNAVAILABLE_RETRY_AFTER_MS = 1000;

/**
 * Anything thrown becomes an AppError: Redis being unreachable, slow or refusing writes becomes
 * E_UNAVAILABLE with `retryAfterMs`; unknown errors become E_INTERNAL (the original is for logs only).
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isRedisUnavailable(err)) return new AppError("E_UNAVAILABLE", undefined, UNAVAILABLE_RETRY_AFTER_MS);
  return new AppError("E_INTERNAL");
}

/** Error codes of a connection that is gone or never came (Node's net errors). */
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/**
 * The messages ioredis and Redis give when the data store cannot take a command right now: the
 * connection is closed or reconnecting (no offline queue), retries ran out, a command timed out,
 * Redis is loading its AOF after a restart, or it refuses writes at maxmemory (noeviction).
 */
const UNAVAILABLE_MESSAGE = new RegExp(
  [
    "Connection is closed",
    "Stream isn't writeable",
    "MaxRetriesPerRequest",
    "Reached the max retries per request",
    "Command timed out",
    "ECONNREFUSED",
    "ECONNRESET",
    "ETIMEDOUT",
    "EPIPE",
    "^OOM command not allowed",
    "^LOADING ",
    "^MASTERDOWN ",
    "^TRYAGAIN ",
    "^CLUSTERDOWN ",
  ].join("|"),
);

/** Whether `err` (or an error in its `cause` chain) says Redis is unreachable or refusing writes. */
export function isRedisUnavailable(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 5) return false;
  if (err.name === "MaxRetriesPerRequestError") return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
  if (UNAVAILABLE_MESSAGE.test(err.message)) return true;
  return isRedisUnavailable(err.cause, depth + 1);
}
