/**
 * The entrant Merkle tree (docs/fairness.md, "Merkle tree"). Leaves are the canonical (sorted)
 * entries; an odd node at the end of a level is promoted unchanged; the empty tree's root is
 * SHA-256 of the empty string. The root equals the RFC 6962 Merkle Tree Hash of the same leaves.
 */
import { bytesToHex, concatBytes, fromHex, isHex, sha256Bytes, utf8ToBytes, be64 } from "./bytes.js";
import type { Entry } from "./entries.js";

const LEAF = Uint8Array.of(0x00);
const NODE = Uint8Array.of(0x01);
const SEPARATOR = Uint8Array.of(0x00);

/** Leaf hash: SHA-256(0x00 || utf8(id)) unweighted; SHA-256(0x00 || utf8(id) || 0x00 || be64(tickets)) weighted. */
export function leafHash(entry: Entry, weighted: boolean): Uint8Array {
  const id = utf8ToBytes(entry.id);
  return sha256Bytes(weighted ? concatBytes(LEAF, id, SEPARATOR, be64(entry.tickets)) : concatBytes(LEAF, id));
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256Bytes(concatBytes(NODE, left, right));
}

/** Root over leaf hashes given in canonical order. */
export function merkleRootOfLeaves(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256Bytes(new Uint8Array(0));
  let level = leaves.slice();
  while (level.length > 1) level = nextLevel(level);
  return level[0]!;
}

/** Hex root over canonical (sorted) entries. */
export function merkleRoot(entries: readonly Entry[], weighted: boolean): string {
  return bytesToHex(merkleRootOfLeaves(entries.map((e) => leafHash(e, weighted))));
}

function nextLevel(level: readonly Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) {
    const right = level[i + 1];
    next.push(right ? nodeHash(level[i]!, right) : level[i]!);
  }
  return next;
}

/** "My entry was in the draw": the sibling hashes from the leaf up, deepest first. */
export interface InclusionProof {
  readonly entryId: string;
  /** Present (and bound into the leaf) in weighted draws. */
  readonly tickets?: number;
  /** Position of the entry in the sorted list. */
  readonly index: number;
  /** Number of entries in the draw. */
  readonly count: number;
  /** Hex sibling hashes, deepest first; levels where the node is promoted contribute none. */
  readonly path: readonly string[];
}

/** Builds the inclusion proof of `entryId`, or null if it is not an entrant. */
export function inclusionProof(entries: readonly Entry[], weighted: boolean, entryId: string): InclusionProof | null {
  const index = entries.findIndex((e) => e.id === entryId);
  if (index < 0) return null;
  const path: string[] = [];
  let level = entries.map((e) => leafHash(e, weighted));
  let i = index;
  while (level.length > 1) {
    const sibling = i % 2 === 1 ? level[i - 1] : level[i + 1];
    if (sibling) path.push(bytesToHex(sibling));
    level = nextLevel(level);
    i = Math.floor(i / 2);
  }
  const entry = entries[index]!;
  return weighted
    ? { entryId, tickets: entry.tickets, index, count: entries.length, path }
    : { entryId, index, count: entries.length, path };
}

/** Checks an inclusion proof against a published root. */
export function verifyInclusionProof(proof: InclusionProof, rootHex: string): boolean {
  const { index, count, path } = proof;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || index < 0 || index >= count) return false;
  if (!isHex(rootHex, 32) || !path.every((h) => isHex(h, 32))) return false;
  const weighted = proof.tickets !== undefined;
  let node: Uint8Array;
  try {
    node = leafHash({ id: proof.entryId, tickets: proof.tickets ?? 1 }, weighted);
  } catch {
    return false;
  }
  let i = index;
  let size = count;
  let used = 0;
  while (size > 1) {
    if (i % 2 === 1) {
      const sibling = path[used++];
      if (sibling === undefined) return false;
      node = nodeHash(fromHex(sibling), node);
    } else if (i + 1 < size) {
      const sibling = path[used++];
      if (sibling === undefined) return false;
      node = nodeHash(node, fromHex(sibling));
    }
    i = Math.floor(i / 2);
    size = Math.ceil(size / 2);
  }
  return used === path.length && bytesToHex(node) === rootHex;
}
