import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sortEntries, type Entry } from "./entries.js";
import { inclusionProof, leafHash, merkleRoot, verifyInclusionProof } from "./merkle.js";

// An independent reference built on node:crypto: RFC 6962 §2.1 Merkle Tree Hash (split at the
// largest power of two below n). Our "promote the odd node" tree must give the same root.
const h = (...parts: Buffer[]): Buffer => createHash("sha256").update(Buffer.concat(parts)).digest();
function rfc6962(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return h();
  if (leaves.length === 1) return h(Buffer.from([0]), leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return h(Buffer.from([1]), rfc6962(leaves.slice(0, k)), rfc6962(leaves.slice(k)));
}

const ids = (n: number): Entry[] => sortEntries(Array.from({ length: n }, (_, i) => ({ id: `e${String(i).padStart(4, "0")}`, tickets: 1 })));

describe("merkle root", () => {
  it("is SHA-256 of the empty string for no entries", () => {
    expect(merkleRoot([], false)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("is the leaf hash SHA-256(0x00 || id) for one entry", () => {
    expect(merkleRoot([{ id: "alice", tickets: 1 }], false)).toBe(h(Buffer.from([0]), Buffer.from("alice")).toString("hex"));
  });

  it("hashes pairs with 0x01 and promotes the odd node (3 entries)", () => {
    const [a, b, c] = ["a", "b", "c"].map((id) => h(Buffer.from([0]), Buffer.from(id)));
    const expected = h(Buffer.from([1]), h(Buffer.from([1]), a!, b!), c!);
    expect(merkleRoot(ids(0).concat([{ id: "a", tickets: 1 }, { id: "b", tickets: 1 }, { id: "c", tickets: 1 }]), false)).toBe(expected.toString("hex"));
  });

  it("equals the RFC 6962 Merkle Tree Hash for 0..70 entries", () => {
    for (let n = 0; n <= 70; n++) {
      const entries = ids(n);
      const reference = rfc6962(entries.map((e) => Buffer.from(e.id))).toString("hex");
      expect(merkleRoot(entries, false), `n = ${n}`).toBe(reference);
    }
  });

  it("binds tickets into weighted leaves", () => {
    const leaf = leafHash({ id: "bob", tickets: 3 }, true);
    const expected = h(Buffer.from([0]), Buffer.from("bob"), Buffer.from([0]), Buffer.from([0, 0, 0, 0, 0, 0, 0, 3]));
    expect(Buffer.from(leaf).toString("hex")).toBe(expected.toString("hex"));
    expect(merkleRoot([{ id: "bob", tickets: 3 }], true)).not.toBe(merkleRoot([{ id: "bob", tickets: 4 }], true));
    expect(merkleRoot([{ id: "bob", tickets: 1 }], true)).not.toBe(merkleRoot([{ id: "bob", tickets: 1 }], false));
  });
});

describe("inclusion proofs", () => {
  it("verify for every entry of trees with 1..33 entries (odd counts included)", () => {
    for (let n = 1; n <= 33; n++) {
      const entries = ids(n);
      const root = merkleRoot(entries, false);
      for (const entry of entries) {
        const proof = inclusionProof(entries, false, entry.id)!;
        expect(verifyInclusionProof(proof, root), `n = ${n}, ${entry.id}`).toBe(true);
      }
    }
  });

  it("has an empty path for a single entry and does not exist for an absent entry or an empty draw", () => {
    const one = ids(1);
    const proof = inclusionProof(one, false, one[0]!.id)!;
    expect(proof.path).toEqual([]);
    expect(verifyInclusionProof(proof, merkleRoot(one, false))).toBe(true);
    expect(inclusionProof(one, false, "nobody")).toBeNull();
    expect(inclusionProof([], false, "nobody")).toBeNull();
  });

  it("rejects a proof for another id, index, count, root, or with a path changed, cut or padded", () => {
    const entries = ids(11);
    const root = merkleRoot(entries, false);
    const proof = inclusionProof(entries, false, entries[6]!.id)!;
    const other = merkleRoot(ids(12), false);
    expect(verifyInclusionProof({ ...proof, entryId: "e9999" }, root)).toBe(false);
    expect(verifyInclusionProof({ ...proof, index: 7 }, root)).toBe(false);
    const last = inclusionProof(entries, false, entries[10]!.id)!;
    expect(verifyInclusionProof(last, root)).toBe(true);
    expect(verifyInclusionProof({ ...last, count: 12 }, root)).toBe(false);
    expect(verifyInclusionProof({ ...proof, index: 11 }, root)).toBe(false);
    expect(verifyInclusionProof(proof, other)).toBe(false);
    expect(verifyInclusionProof({ ...proof, path: proof.path.slice(1) }, root)).toBe(false);
    expect(verifyInclusionProof({ ...proof, path: [...proof.path, proof.path[0]!] }, root)).toBe(false);
    const flipped = proof.path.map((p, i) => (i === 0 ? `${p[0] === "0" ? "1" : "0"}${p.slice(1)}` : p));
    expect(verifyInclusionProof({ ...proof, path: flipped }, root)).toBe(false);
  });

  it("proves tickets in weighted draws", () => {
    const entries = sortEntries([
      { id: "x", tickets: 5 },
      { id: "y", tickets: 1 },
      { id: "z", tickets: 2 },
    ]);
    const root = merkleRoot(entries, true);
    const proof = inclusionProof(entries, true, "x")!;
    expect(proof.tickets).toBe(5);
    expect(verifyInclusionProof(proof, root)).toBe(true);
    expect(verifyInclusionProof({ ...proof, tickets: 6 }, root)).toBe(false);
  });
});

describe("entry lists", () => {
  it("sorts by id and refuses duplicates, spaces and bad ticket counts", () => {
    expect(sortEntries([{ id: "b", tickets: 1 }, { id: "a", tickets: 1 }, { id: "B", tickets: 1 }]).map((e) => e.id)).toEqual(["B", "a", "b"]);
    expect(() => sortEntries([{ id: "a", tickets: 1 }, { id: "a", tickets: 1 }])).toThrow(/duplicate/);
    expect(() => sortEntries([{ id: "a b", tickets: 1 }])).toThrow(/printable/);
    expect(() => sortEntries([{ id: "a", tickets: 0 }])).toThrow(/tickets/);
    expect(() => sortEntries([{ id: "a", tickets: 1.5 }])).toThrow(/tickets/);
  });
});
