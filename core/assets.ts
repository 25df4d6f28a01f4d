import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

/**
 * The repository root, found from this module whether it runs from source (`core/`) or compiled
 * (`dist/core/`). Lua scripts are read from the source tree; the pages from dist/public (built by server/pages/build.mjs).
 */
export function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(path.join(dir, "core", "lua"))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error("cannot find the project root (a folder holding core/lua) above " + fileURLToPath(import.meta.url));
}
