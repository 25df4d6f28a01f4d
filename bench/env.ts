/** BENCH_* environment parsing shared by the benchmarks. */

/** A numeric BENCH_* variable: `fallback` when unset or empty; exits with code 2 when it is not a number ≥ `min`. */
export function numEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) {
    console.error(`${name} must be a number ≥ ${min} (got ${JSON.stringify(raw)})`);
    process.exit(2);
  }
  return n;
}

/** BENCH_NAME (the output file name in bench/results/) when it is a safe file name, else `fallback`. */
export function benchName(fallback: string): string {
  return /^[\w.-]{1,64}$/.test(process.env.BENCH_NAME ?? "") ? process.env.BENCH_NAME! : fallback;
}

/** The Socket.IO client the load processes use: see bench/raw-client.ts. */
export type BenchClient = "raw" | "socket.io-client";

/** BENCH_CLIENT: `raw` (default, a minimal protocol client) or `socket.io-client`; exits with code 2 otherwise. */
export function benchClient(): BenchClient {
  const raw = process.env.BENCH_CLIENT ?? "";
  if (raw === "" || raw === "raw") return "raw";
  if (raw === "socket.io-client") return raw;
  console.error(`BENCH_CLIENT must be "raw" or "socket.io-client" (got ${JSON.stringify(raw)})`);
  process.exit(2);
}
