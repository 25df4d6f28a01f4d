/**
 * Id grammars of the wire contract (docs/protocol.md, "Ids"). Every id a client sends is checked
 * against these by the server; clients and pages use them to validate input before sending.
 */

/** Campaigns, draws, tiers, players, teams: a letter or digit, then letters, digits, `_` and `-`; 1 to 64 characters. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Idempotency keys of spins: 8 to 64 letters, digits, `_` and `-`. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** Intent (entry) ids are Redis stream ids: `<ms>-<n>`. They sort by bytes, so `…-10` precedes `…-2`. */
export const INTENT_ID_PATTERN = /^\d{1,20}-\d{1,20}$/;
