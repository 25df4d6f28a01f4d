/** Cleanup of everything a benchmark started: on success, on errors, on Ctrl-C / SIGTERM and at a hard time limit. */
import { sayError } from "./log.js";

const stoppers: { label: string; stop: () => Promise<unknown> }[] = [];
let stopping = false;

/** Registers something to stop at the end (stopped in reverse order of registration). */
export function onStop(label: string, stop: () => Promise<unknown>): void {
  stoppers.push({ label, stop });
}

/** True once stopAll() has begun. */
export const isStopping = (): boolean => stopping;

export async function stopAll(): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const s of stoppers.reverse()) {
    await Promise.race([s.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 15_000))]);
  }
}

export async function abort(reason: string, code = 1): Promise<never> {
  sayError(reason);
  await stopAll();
  process.exit(code);
}

/** Stops everything on SIGINT / SIGTERM and after `hardLimitMs`: nothing may run forever. */
export function guardProcess(hardLimitMs: number): void {
  process.on("SIGINT", () => void abort("interrupted; stopping everything", 130));
  process.on("SIGTERM", () => void abort("terminated; stopping everything", 143));
  const hard = setTimeout(() => void abort(`hard time limit of ${Math.round(hardLimitMs / 1000)} s reached`), hardLimitMs);
  hard.unref();
}

/** Runs `main`, aborting with "<what> failed: <stack>" when it throws. */
export function runMain(main: () => Promise<void>, what: string): void {
  main().catch((err: unknown) => void abort(`${what} failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`));
}

export const sleep = (ms: number): Promise<unknown> => new Promise((r) => setTimeout(r, ms));
