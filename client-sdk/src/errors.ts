/** The SDK's error type and idempotency keys. */
import { CLIENT_ERRORS, type Challenge, type ClientErrorCode, type ErrorCode } from "@livedraw/protocol";

/** An error from the server (a registry code) or from the SDK itself (E_TIMEOUT, E_CLOSED…). */
export class LiveDrawError extends Error {
  /** On a failed `spin()`: the key to retry it with, so a spin the server did store is not spent twice. */
  idempotencyKey?: string;
  /** With `E_CHALLENGE_REQUIRED`: what to show; pass the answer to `client.answerChallenge()`. */
  challenge?: Challenge;

  constructor(
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "LiveDrawError";
  }
}

export const clientError = (code: ClientErrorCode, detail?: string) => new LiveDrawError(code, detail ? `${CLIENT_ERRORS[code]} (${detail})` : CLIENT_ERRORS[code]);

/** A fresh idempotency key: 22 characters, from a CSPRNG where there is one. */
export function newIdempotencyKey(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const bytes = new Uint8Array(22);
  if (typeof crypto !== "undefined" && crypto.getRandomValues) crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let key = "";
  for (const b of bytes) key += alphabet[b & 63];
  return key;
}
