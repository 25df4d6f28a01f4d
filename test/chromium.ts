import { existsSync } from "node:fs";

/** Debian's chromium (or CHROMIUM_PATH): the only browser the tests use. */
export function findChromium(): string | null {
  for (const candidate of [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"]) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return null;
}
