/**
 * The arguments and replies shared by the batch scripts that admit and store intents
 * (core/lua/admitSpins-3.lua, core/lua/admitEntries-7.lua; their admission part is
 * core/lua/includes/admit-source.lua). Callers: server/intent-batcher.ts (sockets' intents, many
 * per call), SpinStore.append and DrawStore.enter (one intent, no admission).
 */
import { z } from "zod";

/** The admission limits of one call (0 turns one off). */
export interface SourceAdmission {
  perPlayerPerSecond: number;
  perAddressPerSecond: number;
  perDevicePerSecond: number;
  sourceWindowMs: number;
  accountsPerAddress: number;
  accountsPerDevice: number;
}

/** No rate limits, no source counts (the blocklist is still read for intents that name a source). */
export const NO_ADMISSION: SourceAdmission = { perPlayerPerSecond: 0, perAddressPerSecond: 0, perDevicePerSecond: 0, sourceWindowMs: 1000, accountsPerAddress: 0, accountsPerDevice: 0 };

/**
 * One intent of a call: playerId, its argument (spins: the idempotency key; entries: the masked
 * name), address, device, address source key, device source key ('' where none), mode ('f': the
 * source admission is already done).
 */
export type AdmitIntent = readonly [string, string, string, string, string, string, "" | "f"];

/** The admission arguments (after the script's own leading ones), then the intents. */
export function admissionArgs(limitPrefix: string, a: SourceAdmission, intents: readonly AdmitIntent[]): (string | number)[] {
  const args: (string | number)[] = [limitPrefix, a.perPlayerPerSecond, a.perAddressPerSecond, a.perDevicePerSecond, a.sourceWindowMs, a.accountsPerAddress, a.accountsPerDevice, intents.length];
  for (const intent of intents) args.push(...intent);
  return args;
}

/** Both scripts answer 3 elements per intent: a status, then two values (see the scripts). */
export const admitReplySchema = z.array(z.union([z.number(), z.string()])).refine((r) => r.length % 3 === 0, "an admit script answers 3 elements per intent");

/** Statuses of the admission part (includes/admit-source.lua); 0 and 1 are stored / duplicate, negatives are the script's errors. */
export const AdmitStatus = { STORED: 0, DUPLICATE: 1, RATE_LIMITED: 2, BLOCKED: 3, FLAGGED: 4 } as const;
