/** Versions and domain-separation strings of the live-draw fairness algorithm (docs/fairness.md). */
export const ALGORITHM_VERSION = "livedraw-draw-v1";
export type AlgorithmVersion = typeof ALGORITHM_VERSION;

export const DOMAIN = {
  entryId: "livedraw/entry-id/v1",
  seed: "livedraw/seed/v1",
  rng: "livedraw/rng/v1",
  redraw: "livedraw/redraw/v1",
  tierSalt: "livedraw/tier-salt/v1",
  tierWinners: "livedraw/tier-winners/v1",
} as const;

/** Hex of 32 zero bytes: the `prevHash` of the first audit record. */
export const GENESIS_HASH = "0".repeat(64);

/** Entry ids: 1–128 printable ASCII characters without space (so byte order equals string order). */
export const ENTRY_ID_PATTERN = /^[\x21-\x7e]{1,128}$/;
/** Tier, draw and campaign ids: the contract's grammar. */
export { ID_PATTERN } from "@livedraw/protocol";
/** Largest ticket count of one entry. */
export const MAX_TICKETS = 0xffff_ffff;
