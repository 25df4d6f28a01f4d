import type { ErrorCode } from "./protocol.js";

/** Negative codes returned by the Lua scripts in core/lua, mapped to the error registry. */
export const SCRIPT_ERRORS: Readonly<Record<number, ErrorCode>> = Object.freeze({
  [-1]: "E_DRAW_NOT_FOUND",
  [-2]: "E_DRAW_EXISTS",
  [-3]: "E_DRAW_CLOSED",
  [-6]: "E_BUSY",
  [-8]: "E_CAMPAIGN_EXISTS",
  [-9]: "E_CAMPAIGN_NOT_FOUND",
  [-10]: "E_CAMPAIGN_LOCKED",
  [-11]: "E_TIER_NOT_FOUND",
  [-12]: "E_CAMPAIGN_NOT_LIVE",
  [-13]: "E_ALREADY_ASSISTED",
  [-14]: "E_ALREADY_IN_TEAM",
  [-16]: "E_DRAW_STATE",
  [-17]: "E_TIER_REVEALED",
  [-18]: "E_ALREADY_WON",
  [-20]: "E_NOT_A_WINNER",
  [-21]: "E_ALREADY_CHECKED_IN",
  [-22]: "E_TASK_LIMIT",
  [-23]: "E_REDEMPTION_INVALID",
  [-24]: "E_ALREADY_REDEEMED",
  [-25]: "E_REDEMPTION_EXPIRED",
  [-26]: "E_WIN_NOT_FOUND",
  [-27]: "E_WIN_STATE",
  [-28]: "E_CLAIM_WINDOW_CLOSED",
});

/** Non-error status codes some scripts return. */
export const ScriptStatus = {
  OK: 0,
  ALREADY: 1,
  TOO_EARLY: -4,
  /** appendAudit: the log's tail moved; rebuild the record and retry. */
  AUDIT_CONFLICT: -15,
} as const;
