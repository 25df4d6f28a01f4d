/**
 * What `npm ci` / `npm run build` leave for SDK users: the size budget of the mini-program file
 * (dependencies included, ≤ 10 KB min+gzip), the `miniprogram` folder WeChat's "build npm" copies,
 * ESM and CJS entry points, no verifier code in the SDK, and `livedraw-verify` on npx's PATH.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const sdk = path.join(root, "client-sdk");
const BUDGET_BYTES = 10 * 1024;

describe("SDK build", () => {
  it(`keeps client-sdk/dist/livedraw-sdk.mp.js within ${BUDGET_BYTES} bytes min+gzip`, () => {
    const file = readFileSync(path.join(sdk, "dist/livedraw-sdk.mp.js"));
    const gz = gzipSync(file, { level: 9 }).length;
    console.log(`livedraw-sdk.mp.js: ${file.length} bytes minified, ${gz} bytes gzipped (budget ${BUDGET_BYTES})`);
    expect(gz).toBeLessThanOrEqual(BUDGET_BYTES);
    const text = file.toString("utf8");
    expect(text).not.toMatch(/\brequire\(/); // one self-contained file: no module to find at run time
    expect(text).not.toMatch(/bls12|noble/i); // the verifier is a separate package
  });

  it("gives WeChat's build-npm step a miniprogram folder with the same file", () => {
    const pkg = JSON.parse(readFileSync(path.join(sdk, "package.json"), "utf8")) as { miniprogram: string; dependencies: Record<string, string> };
    expect(pkg.miniprogram).toBe("dist/miniprogram");
    expect(readFileSync(path.join(sdk, pkg.miniprogram, "index.js"))).toEqual(readFileSync(path.join(sdk, "dist/livedraw-sdk.mp.js")));
    expect(Object.keys(pkg.dependencies)).toEqual(["@livedraw/protocol"]);
  });

  it("loads as ESM and as CommonJS", async () => {
    const esm = (await import("@livedraw/client-sdk")) as Record<string, unknown>;
    const cjs = createRequire(import.meta.url)("@livedraw/client-sdk") as Record<string, unknown>;
    for (const mod of [esm, cjs]) {
      expect(typeof mod.LiveDrawClient).toBe("function");
      expect(mod.PROTOCOL_VERSION).toBe(1);
    }
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).filter((k) => k !== "default").sort());
  });

  it("puts livedraw-verify on npx's PATH", () => {
    const run = spawnSync("npx", ["--no-install", "livedraw-verify", "--help"], { cwd: root, encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(run.stdout + run.stderr).toContain("usage: livedraw-verify");
  });
});
