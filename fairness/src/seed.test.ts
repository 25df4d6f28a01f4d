import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { commitToSeed, deriveDrawSeed, generateServerSeed, pseudonymousEntryId } from "./seed.js";

const lp = (b: Buffer): Buffer => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
};

describe("seeds", () => {
  const serverSeed = "a1".repeat(32);
  const root = "b2".repeat(32);
  const beacon = "c3".repeat(32);

  it("commits with SHA-256 of the 32 seed bytes", () => {
    expect(commitToSeed(serverSeed)).toBe(createHash("sha256").update(Buffer.from(serverSeed, "hex")).digest("hex"));
    expect(() => commitToSeed("abcd")).toThrow();
    expect(() => commitToSeed("A1".repeat(32))).toThrow();
  });

  it("generates fresh 32-byte seeds", () => {
    const a = generateServerSeed();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(generateServerSeed()).not.toBe(a);
  });

  it("derives the draw seed as HMAC(serverSeed, length-prefixed domain, version, drawId, root, beacon)", () => {
    const reference = (beaconHex: string | null): string =>
      createHmac("sha256", Buffer.from(serverSeed, "hex"))
        .update(
          Buffer.concat([
            lp(Buffer.from("livedraw/seed/v1")),
            lp(Buffer.from("livedraw-draw-v1")),
            lp(Buffer.from("draw-9")),
            lp(Buffer.from(root, "hex")),
            lp(beaconHex === null ? Buffer.alloc(0) : Buffer.from(beaconHex, "hex")),
          ]),
        )
        .digest("hex");
    const seed = (b: string | null): string => Buffer.from(deriveDrawSeed({ serverSeed, drawId: "draw-9", merkleRoot: root, beaconRandomness: b })).toString("hex");
    expect(seed(null)).toBe(reference(null));
    expect(seed(beacon)).toBe(reference(beacon));
    expect(seed(beacon)).not.toBe(seed(null));
    expect(Buffer.from(deriveDrawSeed({ serverSeed, drawId: "draw-10", merkleRoot: root, beaconRandomness: null })).toString("hex")).not.toBe(seed(null));
  });

  it("makes per-draw pseudonymous entry ids that hide the player id", () => {
    const key = new Uint8Array(32).fill(9);
    const id = pseudonymousEntryId(key, "draw-1", "player-42");
    const reference = createHmac("sha256", Buffer.from(key))
      .update(Buffer.concat([lp(Buffer.from("livedraw/entry-id/v1")), lp(Buffer.from("draw-1")), lp(Buffer.from("player-42"))]))
      .digest("hex");
    expect(id).toBe(reference);
    expect(id).not.toContain("42");
    expect(pseudonymousEntryId(key, "draw-2", "player-42")).not.toBe(id);
    expect(() => pseudonymousEntryId(new Uint8Array(8), "draw-1", "p")).toThrow(/32 bytes/);
  });
});
