import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DrawRng } from "./rng.js";

const seed = Uint8Array.from({ length: 32 }, (_, i) => i);

// Independent reference on node:crypto: block_i = HMAC-SHA256(seed, "livedraw/rng/v1" || be64(i)).
function referenceBlock(i: number): Buffer {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(i));
  return createHmac("sha256", seed).update(Buffer.concat([Buffer.from("livedraw/rng/v1"), counter])).digest();
}

describe("DrawRng", () => {
  it("streams the HMAC counter-mode blocks as big-endian words", () => {
    const rng = new DrawRng(seed);
    const stream = Buffer.concat([referenceBlock(0), referenceBlock(1), referenceBlock(2)]);
    for (let i = 0; i < 8; i++) expect(rng.nextU32()).toBe(stream.readUInt32BE(i * 4));
    expect(rng.blocksUsed).toBe(1);
    // a 64-bit word after a 32-bit one straddles nothing odd: it is just the next 8 bytes
    expect(rng.nextU32()).toBe(stream.readUInt32BE(32));
    expect(rng.nextU64()).toBe(stream.readBigUInt64BE(36));
    for (let i = 0; i < 5; i++) rng.nextU32();
    expect(rng.nextU64()).toBe(stream.readBigUInt64BE(64));
    expect(rng.blocksUsed).toBe(3);
  });

  it("is deterministic per seed and differs across seeds", () => {
    const a = new DrawRng(seed);
    const b = new DrawRng(seed);
    const other = new DrawRng(Uint8Array.from({ length: 32 }, () => 7));
    const xs = Array.from({ length: 50 }, () => a.uniform(1000));
    expect(Array.from({ length: 50 }, () => b.uniform(1000))).toEqual(xs);
    expect(Array.from({ length: 50 }, () => other.uniform(1000))).not.toEqual(xs);
  });

  it("matches a reference rejection sampler for small and large n", () => {
    const stream = Buffer.concat(Array.from({ length: 64 }, (_, i) => referenceBlock(i)));
    let offset = 0;
    const refU32 = (): number => { const x = stream.readUInt32BE(offset); offset += 4; return x; };
    const refU64 = (): bigint => { const x = stream.readBigUInt64BE(offset); offset += 8; return x; };
    const refUniform = (n: number): number => {
      if (n <= 2 ** 32) {
        const limit = 2 ** 32 - (2 ** 32 % n);
        for (;;) { const x = refU32(); if (x < limit) return x % n; }
      }
      const big = BigInt(n);
      const limit = 2n ** 64n - (2n ** 64n % big);
      for (;;) { const x = refU64(); if (x < limit) return Number(x % big); }
    };
    const rng = new DrawRng(seed);
    for (const n of [1, 2, 3, 10, 1000, 2 ** 31 + 1, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
      for (let k = 0; k < 10; k++) expect(rng.uniform(n), `n = ${n}`).toBe(refUniform(n));
    }
  });

  it("stays in [0, n) and rejects the biased tail (n = 2^31 + 1 rejects about half the words)", () => {
    const rng = new DrawRng(seed);
    const n = 2 ** 31 + 1;
    const draws = 4000;
    for (let i = 0; i < draws; i++) {
      const x = rng.uniform(n);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(n);
    }
    // acceptance probability (2^31 + 1) / 2^32 ≈ 0.5: about 2 words (8 bytes) per draw
    const wordsPerDraw = (rng.blocksUsed * 8) / draws;
    expect(wordsPerDraw).toBeGreaterThan(1.8);
    expect(wordsPerDraw).toBeLessThan(2.2);
    for (const m of [1, 2, 7, 2 ** 32, 2 ** 33 + 5, Number.MAX_SAFE_INTEGER]) {
      for (let i = 0; i < 200; i++) {
        const x = rng.uniform(m);
        expect(Number.isInteger(x) && x >= 0 && x < m).toBe(true);
      }
    }
  });

  it("refuses n outside [1, 2^53 - 1] and seeds that are not 32 bytes", () => {
    const rng = new DrawRng(seed);
    for (const n of [0, -1, 1.5, Number.NaN, 2 ** 53]) expect(() => rng.uniform(n)).toThrow(RangeError);
    expect(() => new DrawRng(new Uint8Array(16))).toThrow();
  });
});
