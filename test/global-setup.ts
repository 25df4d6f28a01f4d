/**
 * Builds everything once before the tests, as `npm run build` does: `tsc -b` (the packages and the
 * app into dist/), then the SDK's bundles (CJS, the mini-program file). End-to-end tests run the
 * compiled processes, and the SDK tests load the bundles the SDK ships.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { findChromium } from "./chromium.js";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-b", "tsconfig.json"], { cwd: root, stdio: "inherit" });
  // The packages' own unit tests are outside their builds; type-check them too (no output).
  for (const pkg of ["fairness", "client-sdk"]) execFileSync(process.execPath, [tsc, "-p", `${pkg}/tsconfig.test.json`], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [tsc, "-p", "server/pages/tsconfig.json"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, ["client-sdk/scripts/build.mjs"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, ["server/pages/build.mjs"], { cwd: root, stdio: "inherit" });
  ensureChromium();
}

/**
 * Browser tests drive Debian's `chromium` with playwright-core (never a downloaded browser). If it is
 * missing and we are root with apt, install it; otherwise the browser tests skip and say why.
 */
function ensureChromium(): void {
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) return;
  // Screenshots show Chinese names: without a CJK font they come out as empty boxes (best effort).
  if (findChromium() && !hasCjkFont()) {
    try {
      execFileSync("apt-get", ["install", "-y", "-qq", "fonts-wqy-zenhei"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    } catch {
      console.log("browser tests: no CJK font could be installed; Chinese names in screenshots will show as boxes");
    }
  }
  if (findChromium()) return;
  console.log("browser tests: installing Debian's chromium (apt-get install -y chromium)…");
  try {
    execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  } catch {
    try {
      execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
      execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    } catch (err) {
      console.log(`browser tests: could not install chromium (${(err as Error).message}); they will be skipped`);
    }
  }
}

function hasCjkFont(): boolean {
  try {
    return execFileSync("fc-list", [":lang=zh"], { encoding: "utf8" }).trim() !== "";
  } catch {
    return false;
  }
}
