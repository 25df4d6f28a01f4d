/**
 * The documents in docs/ against the code: every row of the server's route table (server/routes.ts
 * ROUTES) is in docs/http-api.md's "Who may call what" table with the same callers, scope and cost,
 * and has a section that names every top-level field of its body schema; every audit record type
 * the server writes is in docs/fairness.md; and every relative link (and #anchor) in docs/*.md
 * resolves.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../core/assets.js";
import { ROUTES } from "../server/routes.js";

const root = projectRoot();
const read = (rel: string): string => readFileSync(path.join(root, rel), "utf8");
const docsDir = path.join(root, "docs");
const httpDoc = read("docs/http-api.md");

const METHOD = "GET|POST|PUT|PATCH|DELETE";

const key = (r: { method: string; path: string }): string => `${r.method} ${r.path}`;

/** The "Who may call what" table of docs/http-api.md §1: `| `METHOD /path` | who | scope | cost |` rows. */
function accessTable(markdown: string): Map<string, { who: string; scope: string; cost: string }> {
  const rows = new Map<string, { who: string; scope: string; cost: string }>();
  for (const m of markdown.matchAll(new RegExp(`^\\| \`(${METHOD}) (/[^\`]*)\` \\| ([^|]+) \\| ([^|]+) \\| ([^|]+) \\|$`, "gm"))) {
    rows.set(`${m[1]} ${m[2]}`, { who: m[3]!.trim(), scope: m[4]!.trim(), cost: m[5]!.trim() });
  }
  return rows;
}

/** `### ` sections of a markdown text: each heading's `METHOD /path` spans (query stripped), and its text up to the next heading. */
function endpointSections(markdown: string): Map<string, string> {
  const sections = new Map<string, string>();
  const lines = markdown.split("\n");
  lines.forEach((line, i) => {
    if (!line.startsWith("### ")) return;
    let end = lines.findIndex((l, j) => j > i && /^#{1,3} /.test(l));
    if (end === -1) end = lines.length;
    const text = lines.slice(i, end).join("\n");
    for (const m of line.matchAll(new RegExp(`\`(${METHOD}) (/[^\`?\\s]*)[^\`]*\``, "g"))) sections.set(`${m[1]} ${m[2]}`, text);
  });
  return sections;
}

describe("docs/http-api.md", () => {
  it("lists every route of the table, with who may call it, its scope and cost, and nothing else", () => {
    const table = accessTable(httpDoc);
    for (const r of ROUTES) {
      expect(table.get(key(r)), `docs/http-api.md §1 "Who may call what" lacks a row for ${key(r)}`).toEqual({ who: r.allow.join(", "), scope: r.scope, cost: r.cost });
    }
    const declared = new Set(ROUTES.map(key));
    for (const documented of table.keys()) expect(declared.has(documented), `docs/http-api.md lists ${documented}, which the server does not route`).toBe(true);
    expect(ROUTES.length).toBeGreaterThanOrEqual(40);
  });

  it("has a `### `METHOD /path`` section for every route", () => {
    const sections = endpointSections(httpDoc);
    for (const r of ROUTES) expect(sections.has(key(r)), `docs/http-api.md lacks a "### \`${key(r)}\`" heading`).toBe(true);
  });

  it("names every top-level body field of a route in that route's section", () => {
    const sections = endpointSections(httpDoc);
    let checked = 0;
    for (const r of ROUTES) {
      if (r.body === undefined) continue;
      const section = sections.get(key(r)) ?? "";
      const shape = (r.body as { shape?: Record<string, unknown> }).shape;
      expect(shape, `the body of ${key(r)} is not an object schema`).toBeDefined();
      for (const field of Object.keys(shape!)) {
        expect(section.includes(`\`${field}\``) || section.includes(`"${field}"`), `docs/http-api.md, ${key(r)}: body field ${field} is not mentioned`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});

describe("docs/fairness.md", () => {
  it("lists every audit record type the server writes", () => {
    const fairness = read("docs/fairness.md");
    const table = fairness.slice(fairness.indexOf("### Audit records of a draw"), fairness.indexOf("## Proof bundle"));
    const sources = ["core/live-draw.ts", "core/draw-store.ts", "fairness/src/draw-audit.ts", "client-sdk/src/fairness/draw-audit.ts"].filter((f) => existsSync(path.join(root, f)));
    const types = new Set(sources.flatMap((f) => [...read(f).matchAll(/"((?:draw|campaign)\.[a-z][a-z-]*)"/g)].map((m) => m[1]!)));
    expect(types.has("draw.tier-revealed")).toBe(true);
    for (const type of types) expect(table, `docs/fairness.md's audit table lacks ${type}`).toMatch(new RegExp(`^\\| \`${type.replace(".", "\\.")}\` \\|`, "m"));
  });
});

/** GitHub's heading anchors: lower case, punctuation dropped (letters of any script kept), spaces to '-', repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of withoutCode(markdown).matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = m[1]!.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "").replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function withoutCode(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "");
}

describe("links in docs/*.md", () => {
  const docs = readdirSync(docsDir).filter((f) => f.endsWith(".md"));

  it("point to files that exist, and to headings that exist", () => {
    let checked = 0;
    for (const file of docs) {
      const text = withoutCode(readFileSync(path.join(docsDir, file), "utf8")).replace(/`[^`\n]*`/g, "x");
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [rel, anchor] = target.split("#") as [string, string | undefined];
        const resolved = rel === "" ? path.join(docsDir, file) : path.resolve(docsDir, decodeURIComponent(rel));
        expect(existsSync(resolved), `${file}: link to ${target}: no such file`).toBe(true);
        if (anchor !== undefined && resolved.endsWith(".md")) {
          expect(anchors(readFileSync(resolved, "utf8")).has(decodeURIComponent(anchor)), `${file}: link to ${target}: no such heading`).toBe(true);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it("cross-link the protocol, HTTP API and lifecycle documents", () => {
    const names = ["protocol.md", "http-api.md", "lifecycle.md"];
    for (const a of names) {
      const text = readFileSync(path.join(docsDir, a), "utf8");
      for (const b of names) if (a !== b) expect(text, `${a} does not link to ${b}`).toContain(`](${b}`);
    }
  });
});
