/**
 * The deterministic generator (docs/fairness.md, "Random numbers"): a byte stream made of
 * block_i = HMAC-SHA256(seed, utf8("livedraw/rng/v1") || be64(i)), i = 0, 1, 2, …, read as
 * big-endian 32-bit or 64-bit words, and uniform integers by rejection sampling (no modulo bias).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { hmac } from "@noble/hashes/hmac.js";
import { be64, concatBytes, utf8ToBytes } from "./bytes.js";
import { DOMAIN } from "./constants.js";

const RNG_PREFIX = utf8ToBytes(DOMAIN.rng);
const TWO_32 = 0x1_0000_0000;
const TWO_64 = 1n << 64n;

export class DrawRng {
  private readonly keyed: ReturnType<typeof hmac.create>;
  private counter = 0;
  private block: Uint8Array = new Uint8Array(0);
  private offset = 0;

  constructor(seed: Uint8Array) {
    if (seed.length !== 32) throw new Error("the generator seed must be 32 bytes");
    this.keyed = hmac.create(sha256, seed);
  }

  /** Number of 32-byte blocks produced so far. */
  get blocksUsed(): number {
    return this.counter;
  }

  private nextByte(): number {
    if (this.offset === this.block.length) {
      this.block = this.keyed.clone().update(concatBytes(RNG_PREFIX, be64(this.counter))).digest();
      this.counter++;
      this.offset = 0;
    }
    return this.block[this.offset++]!;
  }

  /** Next 4 stream bytes as a big-endian unsigned integer. */
  nextU32(): number {
    return ((this.nextByte() << 24) | (this.nextByte() << 16) | (this.nextByte() << 8) | this.nextByte()) >>> 0;
  }

  /** Next 8 stream bytes as a big-endian unsigned integer. */
  nextU64(): bigint {
    const high = BigInt(this.nextU32());
    return (high << 32n) | BigInt(this.nextU32());
  }

  /**
   * Uniform integer in [0, n) for 1 ≤ n ≤ 2^53 − 1. For n ≤ 2^32 it reads 32-bit words x and
   * accepts the first x < 2^32 − (2^32 mod n), returning x mod n; for larger n the same with 64-bit
   * words and 2^64. Always reads at least one word.
   */
  uniform(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`uniform(n) needs an integer n in [1, 2^53 - 1], got ${n}`);
    if (n <= TWO_32) {
      const limit = TWO_32 - (TWO_32 % n);
      for (;;) {
        const x = this.nextU32();
        if (x < limit) return x % n;
      }
    }
    const big = BigInt(n);
    const limit = TWO_64 - (TWO_64 % big);
    for (;;) {
      const x = this.nextU64();
      if (x < limit) return Number(x % big);
    }
  }
}
