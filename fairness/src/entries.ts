/** Entrant lists: the id format, the one sort order, and the checks every consumer applies. */
import { ENTRY_ID_PATTERN, MAX_TICKETS } from "./constants.js";

export interface Entry {
  /** Pseudonymous per-draw entry id (never a raw player id). */
  readonly id: string;
  /** Tickets held; 1 in unweighted draws. */
  readonly tickets: number;
}

/** Byte-wise order of the ids' UTF-8 (equal to code-unit order for the allowed ASCII ids). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isEntryId(value: unknown): value is string {
  return typeof value === "string" && ENTRY_ID_PATTERN.test(value);
}

export function isTicketCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_TICKETS;
}

/** Sorts entries into the canonical order; throws on a bad id, bad ticket count or duplicate. */
export function sortEntries(entries: readonly Entry[]): Entry[] {
  const sorted = entries.map((e) => ({ id: e.id, tickets: e.tickets })).sort((a, b) => compareIds(a.id, b.id));
  const problem = entryListProblem(sorted, true);
  if (problem) throw new Error(problem);
  return sorted;
}

/**
 * Why a list is not a valid canonical entrant list, or null if it is: valid ids, valid ticket
 * counts (all 1 unless weighted), strictly ascending (hence no duplicates), total tickets below 2^53.
 */
export function entryListProblem(entries: readonly Entry[], weighted: boolean): string | null {
  let total = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (!isEntryId(entry.id)) return `entry ${i}: id must be 1-128 printable ASCII characters without space`;
    if (!isTicketCount(entry.tickets)) return `entry ${i} (${entry.id}): tickets must be an integer in [1, ${MAX_TICKETS}]`;
    if (!weighted && entry.tickets !== 1) return `entry ${i} (${entry.id}): tickets must be 1 in an unweighted draw`;
    if (i > 0) {
      const order = compareIds(entries[i - 1]!.id, entry.id);
      if (order === 0) return `entry ${i} (${entry.id}): duplicate id`;
      if (order > 0) return `entry ${i} (${entry.id}): entries are not sorted by id`;
    }
    total += entry.tickets;
  }
  if (!Number.isSafeInteger(total)) return "total tickets exceed 2^53 - 1";
  return null;
}
