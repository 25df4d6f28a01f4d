/**
 * The spin path of a node (docs/decisions.md, "One script per turn"): the spins its sockets send in
 * one event-loop turn are admitted and stored by ONE Lua call per campaign (core/lua/admitSpins-3.lua:
 * rate limits, blocklist, source counts, append), flushed by `setImmediate` once the turn's socket
 * reads are done. A Redis round trip costs a node and Redis a few syscalls whatever it carries, so
 * under load a node pays them per batch, not per spin; alone, a spin waits for nothing.
 *
 * Each spin is acknowledged when its own result in the batch's reply says it is stored. A flagged
 * spin (too many accounts at its address or device) is not stored by the script: the challenge hook
 * decides (server/sources.ts) and, if it allows, the spin is sent again in a later batch with its
 * admission already done.
 */
import type { Redis } from "ioredis";
import type { Config } from "../config/options.js";
import { AppError } from "../core/errors.js";
import type { SpinAck } from "../core/protocol.js";
import { campaignKeys, sourceAccountsKey, sourceKeys } from "../core/redis-keys.js";
import { BUSY_RETRY_AFTER_MS, admitReplySchema, admitSpinsArgs, type AdmitIntent } from "../core/spin-store.js";
import type { FlagReason } from "./challenge.js";
import { BLOCKED_MESSAGE, type SourceGuard, type SourceOf } from "./sources.js";

/** Most spins one script call carries (bounds how long Redis runs one call: ~1 ms). */
export const MAX_SPINS_PER_CALL = 500;

type BatcherConfig = Pick<
  Config,
  "maxPendingSpins" | "spinsPerSecondPerPlayer" | "intentsPerSecondPerAddress" | "intentsPerSecondPerDevice" | "sourceWindowSeconds" | "accountsPerAddress" | "accountsPerDevice"
>;

interface Pending {
  who: SourceOf;
  idempotencyKey: string;
  /** Admission already done (a flagged spin the hook allowed). */
  admitted: boolean;
  resolve(ack: SpinAck): void;
  reject(err: unknown): void;
}

const LIMITED_MESSAGE = {
  player: "Too many spins from this player; retry after `retryAfterMs`.",
  address: "Too many spins from your network address; retry after `retryAfterMs`.",
  device: "Too many spins from this device; retry after `retryAfterMs`.",
} as const;

export class SpinBatcher {
  private queued = new Map<string, Pending[]>();
  private scheduled = false;

  constructor(
    private readonly redis: Redis,
    private readonly config: BatcherConfig,
    private readonly guard: SourceGuard,
    private readonly now: () => number,
  ) {}

  /** Admits and stores one spin; resolves with its ack once stored, rejects with why not. */
  submit(campaignId: string, who: SourceOf, idempotencyKey: string): Promise<SpinAck> {
    return new Promise<SpinAck>((resolve, reject) => this.enqueue(campaignId, { who, idempotencyKey, admitted: false, resolve, reject }));
  }

  private enqueue(campaignId: string, p: Pending): void {
    let list = this.queued.get(campaignId);
    if (!list) this.queued.set(campaignId, (list = []));
    list.push(p);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const batches = this.queued;
    this.queued = new Map();
    for (const [campaignId, list] of batches) {
      for (let i = 0; i < list.length; i += MAX_SPINS_PER_CALL) {
        const chunk = list.slice(i, i + MAX_SPINS_PER_CALL);
        this.call(campaignId, chunk).catch((err: unknown) => {
          for (const p of chunk) p.reject(err);
        });
      }
    }
  }

  private async call(campaignId: string, chunk: Pending[]): Promise<void> {
    const c = this.config;
    const k = campaignKeys(campaignId);
    const windowMs = c.sourceWindowSeconds * 1000;
    const window = Math.floor(this.now() / windowMs);
    const intents = chunk.map((p): AdmitIntent => {
      const address = p.who.address?.toLowerCase() ?? "";
      const device = p.who.device ?? "";
      return [
        p.who.playerId,
        p.idempotencyKey,
        address,
        device,
        address !== "" && c.accountsPerAddress > 0 ? sourceAccountsKey(campaignId, "address", address, window) : "",
        device !== "" && c.accountsPerDevice > 0 ? sourceAccountsKey(campaignId, "device", device, window) : "",
        p.admitted ? "f" : "",
      ];
    });
    const admission = {
      perPlayerPerSecond: c.spinsPerSecondPerPlayer,
      perAddressPerSecond: c.intentsPerSecondPerAddress,
      perDevicePerSecond: c.intentsPerSecondPerDevice,
      sourceWindowMs: windowMs,
      accountsPerAddress: c.accountsPerAddress,
      accountsPerDevice: c.accountsPerDevice,
    };
    const reply = admitReplySchema.parse(await this.redis.ld1_admitSpins(k.idempotency, k.spins, sourceKeys(campaignId).blocklist, ...admitSpinsArgs(campaignId, c.maxPendingSpins, admission, intents)));
    if (reply.length !== chunk.length * 3) throw new AppError("E_INTERNAL", "admitSpins answered a batch of the wrong length");
    chunk.forEach((p, i) => this.settle(campaignId, p, Number(reply[i * 3]), reply[i * 3 + 1]!, reply[i * 3 + 2]!));
  }

  private settle(campaignId: string, p: Pending, status: number, a: string | number, b: string | number): void {
    switch (status) {
      case 0:
      case 1:
        p.resolve({ intentId: String(a), duplicate: status === 1 });
        return;
      case -6:
        p.reject(new AppError("E_BUSY", undefined, BUSY_RETRY_AFTER_MS));
        return;
      case 2: {
        const kind = String(a) as keyof typeof LIMITED_MESSAGE;
        p.reject(new AppError("E_RATE_LIMITED", LIMITED_MESSAGE[kind] ?? LIMITED_MESSAGE.player, Math.max(1, Number(b))));
        return;
      }
      case 3: {
        const kind = String(a) as keyof typeof BLOCKED_MESSAGE;
        p.reject(new AppError("E_BLOCKED", BLOCKED_MESSAGE[kind] ?? BLOCKED_MESSAGE.player));
        return;
      }
      case 4: {
        const reasons: FlagReason[] = [];
        if (Number(a) > 0) reasons.push({ kind: "address", accounts: Number(a), threshold: this.config.accountsPerAddress });
        if (Number(b) > 0) reasons.push({ kind: "device", accounts: Number(b), threshold: this.config.accountsPerDevice });
        this.guard.decideFlagged("spin", campaignId, p.who, reasons).then(
          () => this.enqueue(campaignId, { ...p, admitted: true }),
          (err: unknown) => p.reject(err),
        );
        return;
      }
      default:
        p.reject(new AppError("E_INTERNAL", `admitSpins answered status ${status}`));
    }
  }
}
