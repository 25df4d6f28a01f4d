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
