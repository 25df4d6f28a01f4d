/**
 * The challenge hook: what to do with an intent (an entry or a spin) from a flagged source — an
 * address or device with more distinct accounts in the window than allowed (server/sources.ts).
 *
 *   allow      store and acknowledge it; it is still recorded as flagged, for the hosts
 *   challenge  refuse it with E_CHALLENGE_REQUIRED and a `challenge` (a captcha page, say); the
 *              client solves it and reconnects with the answer as `auth.challenge`, which the hook
 *              sees as `input.response` on the next intent
 *   block      refuse it with E_BLOCKED
 *
 * The built-in hooks answer LIVEDRAW_FLAGGED_SOURCE_ACTION: `flag` (the default) always allows,
 * `challenge` always challenges (a real check of the answer needs a provider: plug one in),
 * `block` always blocks. LIVEDRAW_CHALLENGE_MODULE names a module whose default export is a
 * ChallengeHook (or `(config) => ChallengeHook`) used instead, e.g. one that verifies the answer with a
 * captcha provider and allows on success.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Config } from "../config/options.js";
import { AppError } from "../core/errors.js";
import type { AckError, Challenge } from "../core/protocol.js";

/** Why a source was flagged: which count passed which threshold. */
export interface FlagReason {
  kind: "address" | "device";
  /** Distinct accounts of this source in the current window, this one included. */
  accounts: number;
  threshold: number;
}

export interface ChallengeInput {
  campaignId: string;
  intent: "entry" | "spin";
  /** The player's id (a pseudonym). */
  playerId: string;
  address: string | undefined;
  device: string | undefined;
  reasons: FlagReason[];
  /** The socket's `auth.challenge`, if it sent one (an answer to an earlier challenge). */
  response: string | undefined;
}

export type ChallengeDecision = { action: "allow" } | { action: "challenge"; challenge: Challenge } | { action: "block"; message?: string };

export interface ChallengeHook {
  decide(input: ChallengeInput): Promise<ChallengeDecision> | ChallengeDecision;
}

/** E_CHALLENGE_REQUIRED with its challenge in the ack. */
export class ChallengeRequiredError extends AppError {
  constructor(readonly challenge: Challenge) {
    super("E_CHALLENGE_REQUIRED");
  }

  override toAckError(): AckError {
    return { ...super.toAckError(), challenge: this.challenge };
  }
}

/** The hook of LIVEDRAW_FLAGGED_SOURCE_ACTION. */
export function builtInHook(action: Config["flaggedSourceAction"], challengeUrl: string): ChallengeHook {
  if (action === "block") return { decide: () => ({ action: "block" }) };
  if (action === "challenge") {
    const challenge: Challenge = challengeUrl === "" ? { type: "captcha" } : { type: "captcha", url: challengeUrl };
    return { decide: () => ({ action: "challenge", challenge }) };
  }
  return { decide: () => ({ action: "allow" }) };
}

function isHook(value: unknown): value is ChallengeHook {
  return typeof value === "object" && value !== null && typeof (value as { decide?: unknown }).decide === "function";
}

/** The configured hook: LIVEDRAW_CHALLENGE_MODULE's if set (refused loudly if it exports none), else the built-in one. */
export async function loadChallengeHook(config: Pick<Config, "challengeModule" | "flaggedSourceAction" | "challengeUrl">): Promise<ChallengeHook> {
  if (config.challengeModule === "") return builtInHook(config.flaggedSourceAction, config.challengeUrl);
  const spec = config.challengeModule.startsWith("file:") ? config.challengeModule : pathToFileURL(path.resolve(config.challengeModule)).href;
  const mod = (await import(spec)) as { default?: unknown };
  const exported = mod.default;
  const hook = typeof exported === "function" ? (exported as (c: unknown) => unknown)(config) : exported;
  if (!isHook(hook)) throw new Error(`LIVEDRAW_CHALLENGE_MODULE (${config.challengeModule}): the default export is neither a ChallengeHook nor a function returning one`);
  return hook;
}
