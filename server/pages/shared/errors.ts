/** Turns any failure into words from the error registry (never a stack trace, never a made-up code). */
import { CLIENT_ERRORS, ERRORS, isErrorCode, type ClientErrorCode } from "@livedraw/protocol";

export interface Problem {
  code: string;
  message: string;
}

const isClientCode = (c: unknown): c is ClientErrorCode => typeof c === "string" && Object.prototype.hasOwnProperty.call(CLIENT_ERRORS, c);

export function describeProblem(err: unknown): Problem {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = e?.code;
  if (isErrorCode(code)) {
    const message = typeof e?.message === "string" && e.message ? e.message : ERRORS[code].message;
    return { code, message };
  }
  if (isClientCode(code)) return { code, message: CLIENT_ERRORS[code] };
  const internal = Object.keys(ERRORS).find((c) => ERRORS[c as keyof typeof ERRORS].status === 500) as keyof typeof ERRORS;
  return { code: internal, message: ERRORS[internal].message };
}
