// Bundles the host console and the big screen into static files the nodes serve (dist/public/):
//   control.html, screen.html, assets/console.js|css, assets/screen.js|css (+ a lazy chunk with the
//   verifier, loaded only when a host presses "Verify"). No inline script or style: a strict CSP holds.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const out = path.join(root, "dist/public");
rmSync(out, { recursive: true, force: true });
mkdirSync(path.join(out, "assets"), { recursive: true });

await build({
  entryPoints: { console: path.join(here, "console/main.ts"), screen: path.join(here, "screen/main.ts") },
  outdir: path.join(out, "assets"),
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "browser",
  target: "es2020",
  minify: true,
  sourcemap: true,
  chunkNames: "chunk-[hash]",
  legalComments: "none",
  logLevel: "warning",
});
await build({
  entryPoints: { console: path.join(here, "console/console.css"), screen: path.join(here, "screen/screen.css") },
  outdir: path.join(out, "assets"),
  bundle: true,
  minify: true,
  logLevel: "warning",
});
copyFileSync(path.join(here, "console/control.html"), path.join(out, "control.html"));
copyFileSync(path.join(here, "screen/screen.html"), path.join(out, "screen.html"));
