/** The cached Merkle tree answers exactly what @livedraw/fairness's inclusionProof computes. */
import { describe, expect, it } from "vitest";
import { inclusionProof, merkleRoot, sortEntries, verifyInclusionProof } from "@livedraw/fairness";
import { buildMerkleTree, proofFromTree } from "./merkle-tree.js";

const entries = (n: number, weighted: boolean) =>
  sortEntries(Array.from({ length: n }, (_, i) => ({ id: `${1767225600000 + i * 7}-${i % 3}`, tickets: weighted ? 1 + ((i * 31) % 17) : 1 })));

describe("merkle tree cache", () => {
  it("gives byte-identical inclusion proofs and the same root, for every size and entry", async () => {
    for (const weighted of [false, true]) {
      for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33, 100, 257]) {
        const sorted = entries(n, weighted);
        const tree = await buildMerkleTree(sorted, weighted);
        expect(tree.root).toBe(merkleRoot(sorted, weighted));
        for (const e of sorted) {
          const expected = JSON.stringify(inclusionProof(sorted, weighted, e.id));
          const got = proofFromTree(tree, e.id);
          expect(got).toBe(expected);
          expect(verifyInclusionProof(JSON.parse(got!), tree.root)).toBe(true);
        }
        expect(proofFromTree(tree, "nope-0")).toBeNull();
      }
    }
  });
});
