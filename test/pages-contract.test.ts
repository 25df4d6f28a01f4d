/**
 * The console and the big screen take every event name, error code and id pattern from
 * @livedraw/protocol: none is spelled out in their sources (a drifted copy is how the old page broke).
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CLIENT_ERRORS, CLIENT_EVENTS, ERRORS, ID_PATTERN, IDEMPOTENCY_KEY_PATTERN, INTENT_ID_PATTERN, SERVER_EVENTS } from "@livedraw/protocol";

const pagesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "server", "pages");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|html)$/.test(e.name) ? [p] : [];
  });
}

/** Every string and template literal, and every regex literal, in a TypeScript source. */
function literals(code: string): { strings: string[]; regexes: string[] } {
  const strings = [...code.matchAll(/"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|`((?:[^`\\]|\\.)*)`/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
  const regexes = [...code.matchAll(/(?<![\w)\]])\/((?:[^/\\\n[]|\\.|\[(?:[^\]\\\n]|\\.)*\])+)\/[a-z]*/g)].map((m) => m[1]!);
  return { strings, regexes };
}

describe("pages use the contract by name", () => {
  const files = sources(pagesDir).filter((f) => f.endsWith(".ts"));
  const eventNames = new Set<string>([...Object.values(SERVER_EVENTS), ...Object.values(CLIENT_EVENTS)]);
  const codes = new Set([...Object.keys(ERRORS), ...Object.keys(CLIENT_ERRORS)]);
  const patterns = new Set([ID_PATTERN.source, IDEMPOTENCY_KEY_PATTERN.source, INTENT_ID_PATTERN.source]);

  it("finds the page sources", () => {
    expect(files.map((f) => path.relative(pagesDir, f)).sort()).toEqual(expect.arrayContaining(["console/main.ts", "screen/main.ts"]));
  });

  for (const file of files) {
    it(`${path.relative(pagesDir, file)}: no literal event name, error code or id pattern`, () => {
      const { strings, regexes } = literals(readFileSync(file, "utf8"));
      expect(strings.filter((s) => eventNames.has(s))).toEqual([]);
      expect(strings.filter((s) => codes.has(s) || /\bE_[A-Z_]{3,}\b/.test(s))).toEqual([]);
      expect(regexes.filter((r) => patterns.has(r) || r.includes("A-Za-z0-9_-"))).toEqual([]);
    });
  }

  it("the check itself catches a literal", () => {
    const { strings, regexes } = literals(`client.on("draw:reveal", f); if (e.code === 'E_CSRF') x(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/)`);
    expect(strings).toEqual(expect.arrayContaining(["draw:reveal", "E_CSRF"]));
    expect(regexes).toContain(ID_PATTERN.source);
  });
});
