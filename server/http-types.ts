/** A transport-neutral HTTP exchange, so the same routes serve on uWebSockets.js and on node:http. */
export interface HttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The peer's address (the load balancer's, behind one; see LIVEDRAW_TRUST_PROXY). */
  ip: string;
  body: Buffer;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

export type HttpHandler = (req: HttpRequest) => Promise<HttpResponse>;

import { ERRORS, type ErrorCode } from "../core/protocol.js";

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { "content-type": "application/json; charset=utf-8", ...headers }, body: JSON.stringify(body) };
}

/** The one shape of every HTTP error: `{ "error": { "code", "message" } }` with the code's status. */
export function errorResponse(code: ErrorCode, message?: string, retryAfterMs?: number): HttpResponse {
  const error = retryAfterMs === undefined ? { code, message: message ?? ERRORS[code].message } : { code, message: message ?? ERRORS[code].message, retryAfterMs };
  return json(ERRORS[code].status, { error });
}
