/**
 * What the operator sees of a win: the public view plus the winner's pseudonym and the claim form,
 * masked by default (name `张*`, phone `138****1234`, address cut after its first 6 characters).
 * Unmasked only for an operator and written to the audit log (server/routes-prizes.ts).
 */
import type { Win } from "@livedraw/protocol";
import { maskCode, maskName } from "../core/mask.js";
import type { DataVault } from "../core/privacy.js";
import type { WinRecord, WinStore } from "../core/wins.js";

export const claimAad = (campaignId: string, winId: string): string => `win-claim:${campaignId}:${winId}`;

export interface ClaimForm {
  name: string;
  phone: string;
  address: string;
}

export type OperatorWin = Win & { playerId: string; claimForm: ClaimForm | null; redeemedBy: string | null };

export function maskAddress(address: string): string {
  const chars = Array.from(address.trim());
  return chars.length <= 6 ? "*".repeat(chars.length) : `${chars.slice(0, 6).join("")}${"*".repeat(Math.min(12, chars.length - 6))}`;
}

export function openClaim(vault: DataVault, rec: WinRecord, masked: boolean): ClaimForm | null {
  if (rec.claim === undefined) return null;
  try {
    const form = JSON.parse(vault.open(rec.claim, claimAad(rec.campaignId, rec.winId))) as ClaimForm;
    return masked ? { name: maskName(form.name), phone: maskName(form.phone), address: maskAddress(form.address) } : form;
  } catch {
    return { name: "(unreadable)", phone: "(unreadable)", address: "(unreadable)" };
  }
}

/**
 * A win as hosts and staff see it. Masked (every host but an operator asking for `unmasked=1`): the
 * coupon and redemption codes show only their last characters and the QR payload is left out, so
 * only the winner's own token ever carries a usable code.
 */
export function operatorView(wins: WinStore, vault: DataVault, rec: WinRecord, now: number, masked: boolean): OperatorWin {
  const view = wins.view(rec, now);
  const codes = masked ? { coupon: view.coupon === null ? null : maskCode(view.coupon), redemptionCode: view.redemptionCode === null ? null : maskCode(view.redemptionCode, 4), qr: null } : {};
  return { ...view, ...codes, playerId: rec.playerId, claimForm: openClaim(vault, rec, masked), redeemedBy: rec.redeemedBy ?? null };
}
