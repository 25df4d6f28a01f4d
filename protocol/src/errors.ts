/**
 * Every error code the server can send, in one registry, with the HTTP status it maps to and a
 * message a person can act on. Clients get the code and message, never a stack trace.
 * Documented in `docs/protocol.md`; a test checks that every code here appears there. Errors the
 * SDK raises by itself (no server involved) are in `codes.ts` (`CLIENT_ERRORS`).
 */
export const ERRORS = {
  E_BAD_REQUEST: { status: 400, message: "The request does not match the schema; see `details` in the message." },
  E_UNAUTHORIZED: { status: 401, message: "A valid token is required; sign in again to get a fresh one." },
  E_FORBIDDEN: { status: 403, message: "This token is not allowed to do that (a host or staff token is required)." },
  E_SIGN_IN_FAILED: { status: 401, message: "Wrong host id or password." },
  E_LOGIN_DISABLED: { status: 404, message: "This sign-in method is not configured on this server." },
  E_LOGIN_FAILED: { status: 401, message: "The login code or one-time code is wrong or has expired; request a new one." },
  E_INVALID_PHONE: { status: 400, message: "This is not a valid phone number: give it with its country code (+44 7400 123456), or as a mainland China number (139 0013 9000)." },
  E_CSRF: { status: 403, message: "This request lacks your session's CSRF token; reload the console." },
  E_NOT_FOUND: { status: 404, message: "No such resource." },
  E_METRICS_DISABLED: { status: 404, message: "Metrics are not served on this port: set LIVEDRAW_METRICS_TOKEN to serve GET /metrics here behind `Authorization: Bearer <token>`, or LIVEDRAW_METRICS_PORT to serve it on a separate port." },
  E_DRAW_NOT_FOUND: { status: 404, message: "No such draw in this campaign." },
  E_DRAW_EXISTS: { status: 409, message: "A draw with this id already exists in this campaign." },
  E_DRAW_STATE: { status: 409, message: "The draw is not in a state that allows this; another host may have just done it. Reload the draw." },
  E_TIER_REVEALED: { status: 409, message: "This prize tier has already been revealed." },
  E_ALREADY_WON: { status: 409, message: "You have already won in this campaign, and this draw excludes previous winners." },
  E_NOT_A_WINNER: { status: 400, message: "That entry is not a current winner of this tier, so it cannot be redrawn." },
  E_DRAW_CLOSED: { status: 409, message: "This draw is no longer accepting entries: its deadline has passed." },
  E_CAMPAIGN_NOT_FOUND: { status: 404, message: "No such campaign." },
  E_CAMPAIGN_EXISTS: { status: 409, message: "A campaign with this id already exists." },
  E_CAMPAIGN_NOT_LIVE: { status: 409, message: "This campaign is not accepting spins now; see its schedule in the published rules." },
  E_CAMPAIGN_LOCKED: { status: 409, message: "This campaign has gone live: only safe changes (such as adding inventory) are allowed." },
  E_TIER_NOT_FOUND: { status: 404, message: "No such prize tier in this campaign." },
  E_POLICY_VIOLATION: { status: 422, message: "The configuration breaks the compliance policy; the message names each rule (`rule <id>: …`) and the tier or field." },
  E_NO_SPINS_LEFT: { status: 409, message: "No spins left: complete tasks to earn tickets." },
  E_DAILY_LIMIT: { status: 409, message: "Daily spin limit reached; try again tomorrow." },
  E_CAMPAIGN_LIMIT: { status: 409, message: "Spin limit for this campaign reached." },
  E_ALREADY_CHECKED_IN: { status: 409, message: "You have already checked in today; come back tomorrow to keep your streak." },
  E_TASK_LIMIT: { status: 409, message: "This task has been rewarded as often as it can be today; try again tomorrow." },
  E_WIN_NOT_FOUND: { status: 404, message: "No such win of yours in this campaign." },
  E_WIN_STATE: { status: 409, message: "This prize is not in a state that allows that (already shipped, not a physical prize, or not a coupon tier)." },
  E_REDEMPTION_INVALID: { status: 422, message: "This redemption code or QR code is not valid here: it is forged, mistyped, for another campaign, or its prize was never issued." },
  E_ALREADY_REDEEMED: { status: 409, message: "This prize has already been redeemed; it can be redeemed only once." },
  E_REDEMPTION_EXPIRED: { status: 410, message: "This prize's claim deadline has passed; it can no longer be claimed or redeemed." },
  E_CLAIM_WINDOW_CLOSED: { status: 410, message: "The time to claim this prize has passed; the host may redraw it." },
  E_CLAIM_WINDOW_OPEN: { status: 409, message: "This winner may still claim the prize; it can be redrawn only once the claim window ends." },
  E_PRIZE_CLAIMED: { status: 409, message: "This winner has claimed the prize, so it cannot be redrawn." },
  E_ALREADY_ASSISTED: { status: 409, message: "You have already helped this player in this campaign." },
  E_SELF_ASSIST: { status: 400, message: "Players cannot assist themselves; share the invite with a friend." },
  E_ALREADY_IN_TEAM: { status: 409, message: "You are already in a team for this campaign." },
  E_PAYLOAD_TOO_LARGE: { status: 413, message: "The request body is too large." },
  E_RATE_LIMITED: { status: 429, message: "Too many requests; retry after `retryAfterMs`." },
  E_TOO_MANY_SUBSCRIPTIONS: { status: 429, message: "This connection is subscribed to too many campaigns and leaderboards; reconnect to drop them, then subscribe only to what you show." },
  E_BLOCKED: { status: 403, message: "This account, address or device is blocked from this campaign by its hosts; contact the organiser." },
  E_CHALLENGE_REQUIRED: { status: 403, message: "Too many accounts come from your network or device: solve the challenge in `challenge`, then reconnect with its answer as `auth.challenge`." },
  E_BUSY: { status: 503, message: "The server is busy; retry after `retryAfterMs`." },
  E_UNAVAILABLE: { status: 503, message: "The server cannot reach its data store right now; retry shortly." },
  E_SHUTTING_DOWN: { status: 503, message: "This node is shutting down; reconnect to another node." },
  E_PROTOCOL_VERSION: { status: 400, message: "This client speaks a protocol version the server does not support; update the SDK." },
  E_INTERNAL: { status: 500, message: "Something went wrong on the server; it has been logged." },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(ERRORS, value);
}
