/**
 * Public randomness from a drand beacon (docs/fairness.md). A host names a round when the draw opens
 * (it must be published after the deadline, so nobody can know it while entries are open); at close
 * the worker fetches that round, verifies its BLS signature against the chain's public key, and mixes
 * its randomness into the draw seed. A forged or altered beacon is refused and the close retries.
 */
import { KNOWN_DRAND_CHAINS, drandRoundTime, verifyDrandBeacon, type BeaconProof, type DrandChain } from "@livedraw/fairness";
import { AppError } from "./errors.js";
import type { BeaconRef } from "./protocol.js";

export interface BeaconConfig {
  drandChainHash: string;
  /** A named round must be published at least this long after the deadline, so a close that runs a little late is still logged before it. */
  drandMinLeadMs: number;
  drandUrl: string;
  drandAllowPastRounds: boolean;
}

export class BeaconService {
  readonly chain: DrandChain;

  constructor(
    private readonly config: BeaconConfig,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    const chain = KNOWN_DRAND_CHAINS[config.drandChainHash];
    if (!chain) throw new Error(`LIVEDRAW_DRAND_CHAIN: unknown drand chain ${config.drandChainHash}; known: ${Object.keys(KNOWN_DRAND_CHAINS).join(", ")}`);
    this.chain = chain;
  }

  /**
   * Validates a round named at open: it must be published at least `drandMinLeadMs` after the
   * draw's deadline (the verifier requires it to come after the close is logged).
   */
  nameRound(round: number, deadlineMs: number): BeaconRef {
    const at = drandRoundTime(this.chain, round);
    if (at === null) throw new AppError("E_BAD_REQUEST", "beaconRound: the configured chain has no schedule");
    const earliest = deadlineMs + this.config.drandMinLeadMs;
    if (!this.config.drandAllowPastRounds && at * 1000 < earliest) {
      const first = Math.ceil((earliest / 1000 - (this.chain.genesisTime ?? 0)) / (this.chain.period ?? 1)) + 1;
      throw new AppError("E_BAD_REQUEST", `beaconRound: round ${round} is published before the deadline + ${this.config.drandMinLeadMs} ms; name round ${first} or later`);
    }
    return { chainHash: this.config.drandChainHash, round };
  }

  /** Fetches and verifies a named round; throws (so the close job retries) until it is available and valid. */
  async fetch(ref: BeaconRef): Promise<{ randomness: string; proof: BeaconProof }> {
    const url = `${this.config.drandUrl.replace(/\/$/, "")}/${ref.chainHash}/public/${ref.round}`;
    const res = await this.fetchImpl(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`drand round ${ref.round}: HTTP ${res.status} from ${url}`);
    const body = (await res.json()) as { round?: unknown; signature?: unknown; previous_signature?: unknown };
    if (body.round !== ref.round || typeof body.signature !== "string") throw new Error(`drand round ${ref.round}: unexpected answer from ${url}`);
    const previous = typeof body.previous_signature === "string" ? body.previous_signature : null;
    const verified = verifyDrandBeacon(this.chain, ref.round, body.signature, previous);
    if (!verified.ok) throw new Error(`drand round ${ref.round} from ${url} is not authentic: ${verified.reason}`);
    const proof: BeaconProof = {
      chainHash: ref.chainHash,
      round: ref.round,
      signature: body.signature,
      ...(previous === null ? {} : { previousSignature: previous }),
      randomness: verified.randomness,
    };
    return { randomness: verified.randomness, proof };
  }
}
