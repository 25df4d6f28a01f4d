/**
 * What the operator sees of a win: the public view plus the winner's pseudonym and the claim form,
 * masked by default (name `张*`, phone `138****1234`, address cut after its first 6 characters).
 * Unmasked only for an operator and written to the audit log (server/routes-prizes.ts).
 *
 * A claim form is sealed under its winner's player data key (core/privacy.ts), bound to the win;
 * after an erasure (or when the key's retention ran out) it reads `(erased)` in every field, with
 * `erased: true`.
 */
import type { Win } from "@livedraw/protocol";
import { maskCode, maskName } from "../core/mask.js";
import { ERASED_MARKER, UNREADABLE_MARKER, type ProfileStore, type SealedOpener } from "../core/privacy.js";
import type { WinRecord, WinStore } from "../core/wins.js";

export const claimAad = (campaignId: string, winId: string): string => `win-claim:${campaignId}:${winId}`;

export interface ClaimForm {
  name: string;
  phone: string;
  address: string;
  /** Present (true) when the form was erased: its winner's data key is gone, every field reads `(erased)`. */
  erased?: true;
}

export type OperatorWin = Win & { playerId: string; claimForm: ClaimForm | null; redeemedBy: string | null };

export function maskAddress(address: string): string {
  const chars = Array.from(address.trim());
  return chars.length <= 6 ? "*".repeat(chars.length) : `${chars.slice(0, 6).join("")}${"*".repeat(Math.min(12, chars.length - 6))}`;
}

/** Seals a claim form under the winner's key, bound to the win. */
export function sealClaim(profiles: ProfileStore, playerId: string, campaignId: string, winId: string, form: { name: string; phone: string; address: string }): Promise<string> {
  return profiles.seal(playerId, JSON.stringify({ name: form.name, phone: form.phone, address: form.address }), claimAad(campaignId, winId));
}

/** An opener for the claim forms of these records (fetches only the keys of winners with a form). */
export function claimOpener(profiles: ProfileStore, records: Iterable<WinRecord>): Promise<SealedOpener> {
  const players: string[] = [];
  for (const r of records) if (r.claim !== undefined) players.push(r.playerId);
  return profiles.opener(players);
}

const ERASED_FORM: ClaimForm = { name: ERASED_MARKER, phone: ERASED_MARKER, address: ERASED_MARKER, erased: true };
const UNREADABLE_FORM: ClaimForm = { name: UNREADABLE_MARKER, phone: UNREADABLE_MARKER, address: UNREADABLE_MARKER };

export function openClaim(opener: SealedOpener, rec: WinRecord, masked: boolean): ClaimForm | null {
  if (rec.claim === undefined) return null;
  const opened = opener.open(rec.playerId, rec.claim, claimAad(rec.campaignId, rec.winId));
  if (opened.state === "erased") return { ...ERASED_FORM };
  if (opened.state === "unreadable") return { ...UNREADABLE_FORM };
  try {
    const form = JSON.parse(opened.text) as ClaimForm;
    return masked ? { name: maskName(form.name), phone: maskName(form.phone), address: maskAddress(form.address) } : { name: form.name, phone: form.phone, address: form.address };
  } catch {
    return { ...UNREADABLE_FORM };
  }
}

/**
 * A win as hosts and staff see it. Masked (every host but an operator asking for `unmasked=1`): the
 * coupon and redemption codes show only their last characters and the QR payload is left out, so
 * only the winner's own token ever carries a usable code.
 */
export function operatorView(wins: WinStore, opener: SealedOpener, rec: WinRecord, now: number, masked: boolean): OperatorWin {
  const view = wins.view(rec, now);
  const codes = masked ? { coupon: view.coupon === null ? null : maskCode(view.coupon), redemptionCode: view.redemptionCode === null ? null : maskCode(view.redemptionCode, 4), qr: null } : {};
  return { ...view, ...codes, playerId: rec.playerId, claimForm: openClaim(opener, rec, masked), redeemedBy: rec.redeemedBy ?? null };
}
