/**
 * The intent path of a node (docs/decisions.md, "One script per turn"): the spins and the live-draw
 * entries its sockets send in one event-loop turn are admitted and stored by ONE Lua call per
 * campaign (spins, core/lua/admitSpins-3.lua) or per draw (entries, core/lua/admitEntries-7.lua):
 * rate limits, blocklist, source counts (core/lua/includes/admit-source.lua) and the append,
 * flushed by `setImmediate` once the turn's socket reads are done. A Redis round trip costs a node
 * and Redis a few syscalls whatever it carries, so under load a node pays them per batch, not per
 * intent; alone, an intent waits for nothing.
 *
 * Each intent is acknowledged when its own result in the batch's reply says it is stored. A flagged
 * intent (too many accounts at its address or device) is not stored by the script: the challenge
 * hook decides (server/sources.ts) and, if it allows, the intent is sent again in a later batch with
 * its admission done, and its reasons come back with its ack (an entry is then recorded as flagged).
 */
import type { Redis } from "ioredis";
import type { Config } from "../config/options.js";
import { AdmitStatus, admitReplySchema, type AdmitIntent, type SourceAdmission } from "../core/admission.js";
import type { DrawStore } from "../core/draw-store.js";
import { AppError } from "../core/errors.js";
import { sourceAccountsKey } from "../core/redis-keys.js";
import { SCRIPT_ERRORS } from "../core/script-codes.js";
import { BUSY_RETRY_AFTER_MS, type SpinStore } from "../core/spin-store.js";
import type { FlagReason } from "./challenge.js";
import { BLOCKED_MESSAGE, type Intent, type SourceGuard, type SourceOf } from "./sources.js";

/** Most intents one script call carries (bounds how long Redis runs one call: about a millisecond). */
export const MAX_INTENTS_PER_CALL = 500;

type BatcherConfig = Pick<
  Config,
  | "maxPendingSpins"
  | "spinsPerSecondPerPlayer"
  | "entriesPerSecondPerPlayer"
  | "intentsPerSecondPerAddress"
  | "intentsPerSecondPerDevice"
  | "sourceWindowSeconds"
  | "accountsPerAddress"
  | "accountsPerDevice"
>;

/** An intent stored (now or before) by its batch script. */
export interface Admitted {
  intentId: string;
  duplicate: boolean;
  /** Why its source was flagged (the challenge hook let it through); empty when it was not. */
  flagged: FlagReason[];
}

interface Pending {
  who: SourceOf;
  /** Spins: the idempotency key; entries: the player's masked name. */
  arg: string;
  /** Set once the hook let a flagged intent through: its admission is done. */
  flagged: FlagReason[] | null;
  resolve(a: Admitted): void;
  reject(err: unknown): void;
}

interface Group {
  campaignId: string;
  /** Entries: the draw; spins: ''. */
  drawId: string;
  list: Pending[];
}

const LIMITED: Record<Intent, Record<"player" | "address" | "device", string>> = {
  spin: {
    player: "Too many spins from this player; retry after `retryAfterMs`.",
    address: "Too many spins from your network address; retry after `retryAfterMs`.",
    device: "Too many spins from this device; retry after `retryAfterMs`.",
  },
  entry: {
    player: "Too many entries from this player; retry after `retryAfterMs`.",
    address: "Too many entries from your network address; retry after `retryAfterMs`.",
    device: "Too many entries from this device; retry after `retryAfterMs`.",
  },
};

export class IntentBatcher {
  private queued = new Map<string, Group>();
  private scheduled = false;

  constructor(
    private readonly intent: Intent,
    private readonly redis: Redis,
    private readonly config: BatcherConfig,
    private readonly guard: SourceGuard,
    private readonly now: () => number,
    private readonly stores: { spins: SpinStore; draws: DrawStore },
  ) {}

  /** Admits and stores one intent; resolves once stored (or found stored before), rejects with why not. */
  submit(campaignId: string, drawId: string, who: SourceOf, arg: string): Promise<Admitted> {
    return new Promise<Admitted>((resolve, reject) => this.enqueue(campaignId, drawId, { who, arg, flagged: null, resolve, reject }));
  }

  private enqueue(campaignId: string, drawId: string, p: Pending): void {
    const key = `${campaignId}\u0000${drawId}`;
    let group = this.queued.get(key);
    if (!group) this.queued.set(key, (group = { campaignId, drawId, list: [] }));
    group.list.push(p);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const groups = this.queued;
    this.queued = new Map();
    for (const group of groups.values()) {
      for (let i = 0; i < group.list.length; i += MAX_INTENTS_PER_CALL) {
        const chunk = group.list.slice(i, i + MAX_INTENTS_PER_CALL);
        this.call(group, chunk).catch((err: unknown) => {
          for (const p of chunk) p.reject(err);
        });
      }
    }
  }

  private async call(group: Group, chunk: Pending[]): Promise<void> {
    const c = this.config;
    const windowMs = c.sourceWindowSeconds * 1000;
    const window = Math.floor(this.now() / windowMs);
    const intents = chunk.map((p): AdmitIntent => {
      const address = p.who.address?.toLowerCase() ?? "";
      const device = p.who.device ?? "";
      return [
        p.who.playerId,
        p.arg,
        address,
        device,
        address !== "" && c.accountsPerAddress > 0 ? sourceAccountsKey(group.campaignId, "address", address, window) : "",
        device !== "" && c.accountsPerDevice > 0 ? sourceAccountsKey(group.campaignId, "device", device, window) : "",
        p.flagged ? "f" : "",
      ];
    });
    const admission: SourceAdmission = {
      perPlayerPerSecond: this.intent === "spin" ? c.spinsPerSecondPerPlayer : c.entriesPerSecondPerPlayer,
      perAddressPerSecond: c.intentsPerSecondPerAddress,
      perDevicePerSecond: c.intentsPerSecondPerDevice,
      sourceWindowMs: windowMs,
      accountsPerAddress: c.accountsPerAddress,
      accountsPerDevice: c.accountsPerDevice,
    };
    const raw =
      this.intent === "spin"
        ? await this.stores.spins.admitSpins(group.campaignId, c.maxPendingSpins, admission, intents, this.redis)
        : await this.stores.draws.admitEntries(group.campaignId, group.drawId, admission, intents, this.redis);
    const reply = admitReplySchema.parse(raw);
    if (reply.length !== chunk.length * 3) throw new AppError("E_INTERNAL", `the ${this.intent} script answered a batch of the wrong length`);
    chunk.forEach((p, i) => this.settle(group, p, Number(reply[i * 3]), reply[i * 3 + 1]!, reply[i * 3 + 2]!));
  }

  private settle(group: Group, p: Pending, status: number, a: string | number, b: string | number): void {
    switch (status) {
      case AdmitStatus.STORED:
      case AdmitStatus.DUPLICATE:
        p.resolve({ intentId: String(a), duplicate: status === AdmitStatus.DUPLICATE, flagged: p.flagged ?? [] });
        return;
      case AdmitStatus.RATE_LIMITED: {
        const messages = LIMITED[this.intent];
        p.reject(new AppError("E_RATE_LIMITED", messages[String(a) as keyof typeof messages] ?? messages.player, Math.max(1, Number(b))));
        return;
      }
      case AdmitStatus.BLOCKED:
        p.reject(new AppError("E_BLOCKED", BLOCKED_MESSAGE[String(a) as keyof typeof BLOCKED_MESSAGE] ?? BLOCKED_MESSAGE.player));
        return;
      case AdmitStatus.FLAGGED: {
        const reasons: FlagReason[] = [];
        if (Number(a) > 0) reasons.push({ kind: "address", accounts: Number(a), threshold: this.config.accountsPerAddress });
        if (Number(b) > 0) reasons.push({ kind: "device", accounts: Number(b), threshold: this.config.accountsPerDevice });
        this.guard.decideFlagged(this.intent, group.campaignId, p.who, reasons).then(
          () => this.enqueue(group.campaignId, group.drawId, { ...p, flagged: reasons }),
          (err: unknown) => p.reject(err),
        );
        return;
      }
      default: {
        if (status === -6) return p.reject(new AppError("E_BUSY", undefined, BUSY_RETRY_AFTER_MS));
        const code = SCRIPT_ERRORS[status];
        p.reject(code ? new AppError(code) : new AppError("E_INTERNAL", `the ${this.intent} script answered status ${status}`));
      }
    }
  }
}
