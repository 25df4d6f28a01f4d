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

/**
 * A body written chunk by chunk as the transport can take it (chunked transfer encoding): the
 * transport asks for the next chunk only once the previous one was accepted by the socket (node:http
 * `drain`, uWS `onWritable`), so a slow reader holds at most about one chunk in this node's memory.
 * If the client goes away the iterator is returned (its `finally` runs); if it throws after the
 * headers left, the connection is closed without the final chunk, so the client sees a cut body,
 * never a complete-looking one.
 */
export interface StreamBody {
  stream: AsyncIterable<string | Buffer>;
}

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer | StreamBody;
}

/** A response whose body is all there (never streamed): what `json` and `errorResponse` make. */
export type FixedHttpResponse = HttpResponse & { body: string | Buffer };

export function isStreamBody(body: HttpResponse["body"]): body is StreamBody {
  return typeof body === "object" && !Buffer.isBuffer(body);
}

export type HttpHandler = (req: HttpRequest) => Promise<HttpResponse>;

import { ERRORS, type ErrorCode } from "../core/protocol.js";

export function json(status: number, body: unknown, headers: Record<string, string> = {}): FixedHttpResponse {
  return { status, headers: { "content-type": "application/json; charset=utf-8", ...headers }, body: JSON.stringify(body) };
}

/** The one shape of every HTTP error: `{ "error": { "code", "message" } }` with the code's status. */
export function errorResponse(code: ErrorCode, message?: string, retryAfterMs?: number): FixedHttpResponse {
  const error = retryAfterMs === undefined ? { code, message: message ?? ERRORS[code].message } : { code, message: message ?? ERRORS[code].message, retryAfterMs };
  return json(ERRORS[code].status, { error });
}
