import type { z } from "zod";
import { AppError } from "../core/errors.js";
import { describeIssues, idSchema } from "../core/schemas.js";
import type { HttpRequest } from "./http-types.js";

/**
 * The optional `Idempotency-Key` header of host requests that change stock, tickets or points: a
 * repeated request with the same key is applied once and answered like the first.
 */
export function idempotencyKey(req: HttpRequest): string {
  const key = req.headers["idempotency-key"];
  if (key === undefined || key === "") return "";
  if (!/^[A-Za-z0-9_-]{8,64}$/.test(key)) throw new AppError("E_BAD_REQUEST", "Idempotency-Key: must be 8-64 characters of letters, digits, '_' or '-'");
  return key;
}

export function parseJson(req: HttpRequest): unknown {
  try {
    return req.body.length === 0 ? {} : JSON.parse(req.body.toString("utf8"));
  } catch {
    throw new AppError("E_BAD_REQUEST", "The body is not valid JSON.");
  }
}

export function parseBody<S extends z.ZodType>(schema: S, req: HttpRequest): z.output<S> {
  const parsed = schema.safeParse(parseJson(req));
  if (!parsed.success) throw new AppError("E_BAD_REQUEST", describeIssues(parsed.error));
  return parsed.data;
}

export function pathId(value: string | undefined, name: string): string {
  const parsed = idSchema.safeParse(value);
  if (!parsed.success) throw new AppError("E_BAD_REQUEST", `${name}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}


/** The client's address behind the configured number of trusted proxies (server/client-address.ts). */
export { clientIp } from "./client-address.js";

/** Whether the request reached us over TLS (the nodes speak plain HTTP: only a trusted proxy's `X-Forwarded-Proto: https` says so). */
export function overTls(req: HttpRequest, trustProxy: boolean): boolean {
  return trustProxy && (req.headers["x-forwarded-proto"] ?? "").split(",")[0]!.trim().toLowerCase() === "https";
}
