/**
 * The long-lived spin resolver loop of a worker (docs/decisions.md, "Waking workers"): instead of a
 * BullMQ job per campaign and window, each worker holds leases on campaigns (one worker per
 * campaign at a time, `ld:{campaign:C}:spins:resolver`, renewed every third of its TTL) and, for
 * the campaigns it holds, waits on their spin streams with one blocking `XREAD` on a connection of
 * its own. A stored intent wakes it at once; it then drains the campaigns the read found with spins
 * in turns (one Lua batch each per turn, so a hot campaign does not starve the others) and waits
 * again. While it is
 * busy, intents gather, so batches grow with the rate by themselves: no timer sets a latency floor.
 *
 * Only campaigns with spin work are leased and read (core/work-index.ts): those with unresolved
 * intents, and for a short linger after their stream empties. An idle campaign costs the loop
 * nothing. A campaign that becomes active is announced on the wake stream, which the same
 * blocking read includes, so its first spin is resolved at once too.
 *
 * The stream holds exactly the unresolved intents (the resolve script trims what it consumed), so
 * `XREAD … STREAMS s 0-0` returns at once when anything is pending and blocks otherwise.
 *
 * A worker that dies leaves its leases to expire (`workerLockMs`); another worker takes them at its
 * next lease round. The workers' `spins.sweep` job re-derives the index of every registered campaign
 * and drains any with spins every minute, as a safety net. Resolution stays exactly once whoever
 * runs it (atomic batches, cursor, results hash).
 */
import type { Redis } from "ioredis";
import type { Logger } from "../core/logger.js";
import { campaignKeys } from "../core/redis-keys.js";
import { lastWakeId, spinWorkCampaigns, wakeStreams, wokenCampaigns } from "../core/work-index.js";
import { drainOnce, type ResolveDeps } from "./resolve-spins.js";

export interface SpinResolverOptions {
  /** Who holds a lease (the worker's node id). */
  owner: string;
  /** Lease TTL in ms; renewed every third of it. */
  leaseMs: number;
  /** How long the loop waits after a wake-up before resolving, in ms (batching vs. latency). */
  gatherMs: number;
  /** How often the loop looks for campaigns to take, in ms (also its longest block). */
  roundMs?: number;
}

export class SpinResolver {
  private readonly held = new Set<string>();
  private stopping = false;
  private loop: Promise<void> | null = null;
  private nextRound = 0;
  private readonly roundMs: number;
  /** The last entry read of each wake stream. */
  private readonly wakeIds = new Map<string, string>();

  constructor(
    private readonly deps: ResolveDeps,
    private readonly commands: Redis,
    /** Used only for the blocking XREAD (a blocked connection can do nothing else). */
    private readonly blocking: Redis,
    private readonly log: Logger,
    private readonly options: SpinResolverOptions,
  ) {
    this.roundMs = options.roundMs ?? Math.max(100, Math.floor(options.leaseMs / 3));
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops the loop (a resolve in flight completes) and releases the leases. */
  async stop(): Promise<void> {
    this.stopping = true;
    // Ends a blocking XREAD at once (the connection is this loop's alone).
    this.blocking.disconnect();
    await this.loop;
    await Promise.all([...this.held].map((c) => this.commands.ld1_resolverLease(campaignKeys(c).resolverLease, this.options.owner, "release", 0).catch(() => undefined)));
    this.held.clear();
  }

  private async run(): Promise<void> {
    let failing = false;
    /** Held campaigns the last read found with spins: drained next. */
    let found: string[] = [];
    while (!this.stopping) {
      try {
        // Where each wake stream stands now; the lease round below covers what came before.
        for (const stream of wakeStreams()) if (!this.wakeIds.has(stream)) this.wakeIds.set(stream, await lastWakeId(this.commands, stream));
        if (Date.now() >= this.nextRound) await this.leaseRound();
        // Drain in turns (one batch each) until no batch comes back full, renewing leases when due.
        // Only the campaigns the read found: what arrives meanwhile, the next read returns at once.
        let busy = found;
        found = [];
        while (busy.length > 0 && !this.stopping) {
          const more: string[] = [];
          for (const campaignId of busy) {
            if (this.held.has(campaignId) && (await drainOnce(this.deps, campaignId)).more) more.push(campaignId);
          }
          busy = more;
          if (Date.now() >= this.nextRound) await this.leaseRound();
        }
        if (this.stopping) continue;
        // Wait for a spin in a held campaign or a campaign becoming active, at most until the next round.
        const ids = [...this.held];
        const byStream = new Map(ids.map((c) => [campaignKeys(c).spins, c]));
        const wakes = [...this.wakeIds];
        const blockMs = Math.max(1, this.nextRound - Date.now());
        // COUNT 1: a spin stream's entries are read by the resolve script, this only waits for one.
        const reply = (await this.blocking.xread(
          "COUNT", 1, "BLOCK", blockMs, "STREAMS",
          ...wakes.map(([stream]) => stream), ...byStream.keys(),
          ...wakes.map(([, id]) => id), ...ids.map(() => "0-0"),
        )) as [string, [string, string[]][]][] | null;
        for (const [stream, entries] of reply ?? []) {
          const campaignId = byStream.get(stream);
          if (campaignId !== undefined) {
            found.push(campaignId);
            continue;
          }
          if (!this.wakeIds.has(stream) || entries.length === 0) continue;
          // Every announcement since, in one read (many campaigns may have become active at once);
          // the campaigns taken are in the next read, which returns at once for their spins.
          const all = [...entries, ...(await this.commands.xrange(stream, `(${entries[entries.length - 1]![0]}`, "+", "COUNT", 10_000))];
          this.wakeIds.set(stream, all[all.length - 1]![0]);
          await this.take([...new Set(wokenCampaigns(all))].filter((c) => !this.held.has(c)));
        }
        // Let a few more intents arrive: every batch costs a few round trips whatever its size.
        if (found.length > 0 && this.options.gatherMs > 0) await sleep(this.options.gatherMs);
        failing = false;
      } catch (err) {
        if (this.stopping) break;
        // Once per outage, not every 200 ms while Redis is away.
        if (!failing) this.log.warn({ err }, "spin resolver loop failed (Redis?): retrying every 200 ms");
        failing = true;
        await sleep(200);
      }
    }
  }

  /** Takes or renews the lease of every campaign with spin work; forgets the others and those held by another worker. */
  private async leaseRound(): Promise<void> {
    this.nextRound = Date.now() + this.roundMs;
    const active = await spinWorkCampaigns(this.commands, Date.now());
    const before = this.held.size;
    const keep = new Set(active);
    for (const c of this.held) if (!keep.has(c)) this.held.delete(c);
    await this.take(active);
    if (this.held.size !== before) this.log.info({ campaigns: this.held.size }, "spin resolver: campaigns held");
  }

  /** Takes (or renews) the leases of these campaigns; holds those it got. */
  private async take(campaigns: readonly string[]): Promise<void> {
    if (campaigns.length === 0) return;
    const replies = await Promise.all(campaigns.map((c) => this.commands.ld1_resolverLease(campaignKeys(c).resolverLease, this.options.owner, "take", this.options.leaseMs)));
    campaigns.forEach((c, i) => {
      if (Number(replies[i]) === 1) this.held.add(c);
      else this.held.delete(c);
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
