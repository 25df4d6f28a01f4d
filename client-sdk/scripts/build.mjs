// Builds the SDK's bundles after `tsc -b` has written dist/esm (ESM + .d.ts):
//   dist/cjs/index.cjs             CommonJS for require() (contract inlined)
//   dist/livedraw-sdk.mp.js        one minified CommonJS file for mini-programs that copy files (src/mp.ts:
//                                  everything but the server's error registry)
//   dist/miniprogram/index.js      the same, where WeChat's "build npm" looks (package.json "miniprogram")
import { build } from "esbuild";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");
const common = { entryPoints: [path.join(root, "src/index.ts")], bundle: true, platform: "neutral", format: "cjs", logLevel: "warning", legalComments: "none" };

await build({ ...common, outfile: path.join(dist, "cjs/index.cjs"), target: "es2020" });
writeFileSync(path.join(dist, "cjs/package.json"), '{ "type": "commonjs" }\n');
// Old mini-program base libraries: ES2017 (no ?. ?? or class fields), no globals beyond wx and timers.
await build({ ...common, entryPoints: [path.join(root, "src/mp.ts")], outfile: path.join(dist, "livedraw-sdk.mp.js"), target: "es2017", minify: true });
mkdirSync(path.join(dist, "miniprogram"), { recursive: true });
copyFileSync(path.join(dist, "livedraw-sdk.mp.js"), path.join(dist, "miniprogram/index.js"));
