/**
 * The console's HTTP calls: same origin, the session cookie rides along, and every state-changing
 * request carries the session's CSRF token. Errors come back as the registry's `{ code, message }`.
 */
import type { AckError } from "@livedraw/protocol";

let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["x-csrf-token"] = csrfToken;
  const res = await fetch(path, { method, headers, credentials: "same-origin", ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  const data = text ? (JSON.parse(text) as unknown) : null;
  if (!res.ok) {
    const error = (data as { error?: AckError } | null)?.error;
    throw new ApiError(res.status, error?.code ?? "", error?.message ?? `HTTP ${res.status}`);
  }
  return data as T;
}
