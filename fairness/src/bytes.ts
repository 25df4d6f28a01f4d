/**
 * Byte-level building blocks of the fairness spec (docs/fairness.md, "Encodings"). Pure JS on top of
 * `@noble/hashes`, so the same code runs in browsers, Node and mini-programs.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";
import { bytesToHex, concatBytes, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";

export { bytesToHex, concatBytes, utf8ToBytes };

const HEX = /^(?:[0-9a-f]{2})*$/;

/** Lower-case hex (even length, no prefix) to bytes; throws on anything else. */
export function fromHex(hex: string, expectedLength?: number): Uint8Array {
  if (!HEX.test(hex)) throw new Error("expected lower-case hex without a prefix");
  const bytes = hexToBytes(hex);
  if (expectedLength !== undefined && bytes.length !== expectedLength) {
    throw new Error(`expected ${expectedLength} bytes of hex, got ${bytes.length}`);
  }
  return bytes;
}

/** True for lower-case hex encoding exactly `bytes` bytes. */
export function isHex(value: unknown, bytes: number): value is string {
  return typeof value === "string" && value.length === bytes * 2 && HEX.test(value);
}

export function sha256Bytes(data: Uint8Array): Uint8Array {
  return sha256(data);
}

export function sha256Hex(data: Uint8Array): string {
  return bytesToHex(sha256(data));
}

export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  return hmac(sha256, key, message);
}

/** 4-byte big-endian unsigned integer. */
export function be32(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new RangeError("be32 out of range");
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

/** 8-byte big-endian unsigned integer (values up to 2^53 - 1 as numbers, or any u64 as bigint). */
export function be64(value: number | bigint): Uint8Array {
  const big = typeof value === "bigint" ? value : BigInt(value);
  if (typeof value === "number" && !Number.isSafeInteger(value)) throw new RangeError("be64 needs a safe integer");
  if (big < 0n || big > 0xffff_ffff_ffff_ffffn) throw new RangeError("be64 out of range");
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, big, false);
  return out;
}

/** Length-prefixed field: be32(len(bytes)) || bytes. */
export function lp(bytes: Uint8Array): Uint8Array {
  return concatBytes(be32(bytes.length), bytes);
}

/** Constant-time-ish equality of two byte strings (length leaks, content does not). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
