/**
 * A closed draw's entrant Merkle tree, built once so that each inclusion proof is a lookup: the
 * leaves are `leafHash` of @livedraw/fairness over the sorted entries, each node SHA-256(0x01 ‖ left
 * ‖ right), an odd node at the end of a level promoted unchanged (docs/fairness.md, "Merkle tree"),
 * so every path is the one `inclusionProof` would compute. Building yields to the event loop every
 * few hundred hashes: a 10,000-entry tree never holds the node for more than a few milliseconds.
 */
import { createHash } from "node:crypto";
import { setImmediate as nextTurn } from "node:timers/promises";
import { leafHash, type Entry } from "@livedraw/fairness";
import { merkleNodeOffset } from "../core/draw-store.js";

export interface MerkleTree {
  count: number;
  weighted: boolean;
  /** Sorted entry ids and their tickets, by index. */
  ids: string[];
  tickets: number[];
  index: Map<string, number>;
  /** Every node, 32 bytes each, level by level from the leaves (`merkleNodeOffset`). */
  nodes: Buffer;
  /** Hex root (SHA-256 of nothing for no entries). */
  root: string;
}

const HASHES_PER_TURN = 400;
const NODE = Buffer.of(0x01);

export async function buildMerkleTree(sorted: readonly Entry[], weighted: boolean): Promise<MerkleTree> {
  const count = sorted.length;
  let total = 0;
  for (let size = count; size > 0; size = size === 1 ? 0 : Math.ceil(size / 2)) total += size;
  const nodes = Buffer.alloc(total * 32);
  let hashed = 0;
  const maybeYield = async () => {
    if (++hashed % HASHES_PER_TURN === 0) await nextTurn();
  };
  for (let i = 0; i < count; i++) {
    nodes.set(leafHash(sorted[i]!, weighted), i * 32);
    await maybeYield();
  }
  let from = 0;
  for (let size = count; size > 1; size = Math.ceil(size / 2)) {
    const to = from + size;
    for (let i = 0; i < size; i += 2) {
      const out = (to + i / 2) * 32;
      const left = nodes.subarray((from + i) * 32, (from + i + 1) * 32);
      if (i + 1 < size) {
        const right = nodes.subarray((from + i + 1) * 32, (from + i + 2) * 32);
        createHash("sha256").update(NODE).update(left).update(right).digest().copy(nodes, out);
        await maybeYield();
      } else left.copy(nodes, out); // promoted unchanged
    }
    from = to;
  }
  const root = count === 0 ? createHash("sha256").digest("hex") : nodes.subarray((total - 1) * 32).toString("hex");
  const ids = sorted.map((e) => e.id);
  return { count, weighted, ids, tickets: sorted.map((e) => e.tickets), index: new Map(ids.map((id, i) => [id, i])), nodes, root };
}

/** Offsets (`merkleNodeOffset`) of the sibling hashes of leaf `index`, deepest first; promoted levels have none. */
export function siblingOffsets(count: number, index: number): number[] {
  const out: number[] = [];
  let i = index;
  let level = 0;
  for (let size = count; size > 1; size = Math.ceil(size / 2)) {
    const sibling = i % 2 === 1 ? i - 1 : i + 1;
    if (sibling < size) out.push(merkleNodeOffset(count, level, sibling));
    i = Math.floor(i / 2);
    level++;
  }
  return out;
}

/** The inclusion proof's JSON, exactly as `JSON.stringify(inclusionProof(…))` of @livedraw/fairness writes it. */
export function inclusionProofJson(entryId: string, weighted: boolean, tickets: number, index: number, count: number, path: readonly Buffer[]): string {
  const hex = path.map((node) => node.toString("hex"));
  return JSON.stringify(weighted ? { entryId, tickets, index, count, path: hex } : { entryId, index, count, path: hex });
}

/** The proof of `entryId` from a tree held in memory, or null if it is not an entry. */
export function proofFromTree(tree: MerkleTree, entryId: string): string | null {
  const index = tree.index.get(entryId);
  if (index === undefined) return null;
  const path = siblingOffsets(tree.count, index).map((o) => tree.nodes.subarray(o * 32, o * 32 + 32));
  return inclusionProofJson(entryId, tree.weighted, tree.tickets[index]!, index, tree.count, path);
}
