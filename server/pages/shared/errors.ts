/**
 * Turns any failure into words from the error registry (never a stack trace, never a made-up code):
 * in the page's language — Chinese from shared/errors-zh.ts, with the server's own (English) message
 * kept as `detail` — or, in English, the server's message.
 */
import { CLIENT_ERRORS, ERRORS, isErrorCode, type ClientErrorCode } from "@livedraw/protocol";
import { ZH_PROBLEMS } from "./errors-zh.js";
import { locale } from "./i18n.js";

export interface Problem {
  code: string;
  message: string;
  /** The server's or SDK's own message (English, with the specifics). */
  detail: string;
}

function localised(code: string, message: string): Problem {
  const zh = locale === "zh-CN" ? ZH_PROBLEMS[code.slice(2).toLowerCase()] : undefined;
  return { code, message: zh ?? message, detail: message };
}

const isClientCode = (c: unknown): c is ClientErrorCode => typeof c === "string" && Object.prototype.hasOwnProperty.call(CLIENT_ERRORS, c);

export function describeProblem(err: unknown): Problem {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = e?.code;
  if (isErrorCode(code)) {
    const message = typeof e?.message === "string" && e.message ? e.message : ERRORS[code].message;
    return localised(code, message);
  }
  if (isClientCode(code)) return localised(code, CLIENT_ERRORS[code]);
  const internal = Object.keys(ERRORS).find((c) => ERRORS[c as keyof typeof ERRORS].status === 500) as keyof typeof ERRORS;
  return localised(internal, ERRORS[internal].message);
}
