import { ERRORS, type ErrorCode } from "@livedraw/protocol";
import type { AckError } from "@livedraw/protocol";

/** An error with a stable code from the registry; the only kind of error a client ever sees. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message?: string, retryAfterMs?: number) {
    super(message ?? ERRORS[code].message);
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

/** Anything thrown becomes an AppError; unknown errors become E_INTERNAL (the original is for logs only). */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isRedisDown(err)) return new AppError("E_UNAVAILABLE");
  return new AppError("E_INTERNAL");
}

function isRedisDown(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return /Connection is closed|ECONNREFUSED|MaxRetriesPerRequest|Stream isn't writeable|ETIMEDOUT/.test(err.message);
}
