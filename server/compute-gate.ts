/**
 * At most `limit` expensive computations at once on this node, each computed once however many
 * requests want it at the same time: a request for a result already being computed waits for that
 * computation (it takes no place), and a new computation beyond the limit is refused at once with
 * E_BUSY and `retryAfterMs` rather than queued, so a burst of public requests cannot pile work up
 * behind the node's ticks and reveals.
 */
import { AppError } from "../core/errors.js";

export class ComputeGate {
  private readonly running = new Map<string, Promise<unknown>>();
  private active = 0;

  constructor(
    private readonly limit: number,
    private readonly retryAfterMs: number,
  ) {}

  /** Computations running now. */
  get busy(): number {
    return this.active;
  }

  run<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const joined = this.running.get(key);
    if (joined) return joined as Promise<T>;
    if (this.active >= this.limit) {
      return Promise.reject(new AppError("E_BUSY", `This node is computing ${this.limit} public proofs or audit pages already; retry after \`retryAfterMs\`.`, this.retryAfterMs));
    }
    this.active++;
    const done = (async () => {
      try {
        await Promise.resolve(); // `running` holds this computation before it can settle
        return await compute();
      } finally {
        this.active--;
        this.running.delete(key);
      }
    })();
    this.running.set(key, done);
    return done;
  }
}
