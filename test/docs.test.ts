/**
 * The documents in docs/ against the code: every HTTP route the server registers has a section in
 * docs/http-api.md that names every top-level field of its body schema; every audit record type
 * the server writes is in docs/fairness.md; and every relative link (and #anchor) in docs/*.md
 * resolves.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { projectRoot } from "../core/assets.js";
import { campaignInputSchema } from "../core/campaign.js";
import * as schemas from "../core/schemas.js";

const root = projectRoot();
const read = (rel: string): string => readFileSync(path.join(root, rel), "utf8");
const docsDir = path.join(root, "docs");
const httpDoc = read("docs/http-api.md");

const METHOD = "GET|POST|PUT|PATCH|DELETE";
const CAMPAIGNS = "/v1/campaigns";
const CAMPAIGN = `${CAMPAIGNS}/:campaignId`;
const DRAW = `${CAMPAIGN}/draws/:drawId`;

interface Route {
  method: string;
  path: string;
  /** Names of the body schemas the route parses (exported from core/schemas.ts, or campaignInputSchema). */
  bodies: string[];
}

/**
 * Routes read from the route handlers' source. The server has no route table: each route is an
 * `if` on `method` and the path (`req.path === "/x"`, `parts[3] === "x"`, `action === "x"`,
 * `parts.length === n`), followed by the body it parses (`parseBody(xSchema, req)`, or
 * `ctx.spins.save(…)` for the campaign body).
 */
function routesFromSource(file: string, kind: "routes" | "draws"): Route[] {
  const routes: Route[] = [];
  let current: Route[] = [];
  for (const line of read(file).split("\n")) {
    const method = new RegExp(`method === "(${METHOD})"`).exec(line)?.[1];
    const found: string[] = [];
    if (method) {
      for (const m of line.matchAll(/req\.path === "([^"]+)"/g)) found.push(m[1]!);
      const length = /parts\.length === (\d+)/.exec(line)?.[1];
      const segment = kind === "routes" ? /parts\[3\] === "([a-z-]+)"/.exec(line)?.[1] : /action === "([a-z-]+)"/.exec(line)?.[1];
      if (kind === "routes") {
        if (segment) found.push(`${CAMPAIGN}/${segment}`);
        else if (length === "2" && line.includes('parts[1] === "campaigns"')) found.push(CAMPAIGNS);
        else if (length === "3" && line.includes('parts[1] === "campaigns"')) found.push(CAMPAIGN);
      } else {
        if (segment) found.push(`${DRAW}/${segment}`);
        else if (length === "4") found.push(`${CAMPAIGN}/draws`);
        else if (length === "5") found.push(DRAW);
      }
    }
    if (method && found.length > 0) {
      current = found.map((p) => ({ method, path: p, bodies: [] }));
      routes.push(...current);
      continue;
    }
    const body = /parseBody\((\w+Schema)\b/.exec(line)?.[1] ?? (/ctx\.spins\.save\(/.test(line) ? "campaignInputSchema" : undefined);
    if (body) for (const r of current) r.bodies.push(body);
  }
  return routes;
}

/** The routes listed in a file's header comment (` *   POST /v1/campaigns/:c/draws   host: …`). */
function routesFromHeader(file: string): { method: string; path: string }[] {
  const header = /^\/\*\*([\s\S]*?)\*\//.exec(read(file))?.[1] ?? "";
  return [...header.matchAll(new RegExp(`^\\s*\\*\\s+(${METHOD})\\s+(/\\S*)`, "gm"))].map((m) => ({
    method: m[1]!,
    path: m[2]!.replace(/\?.*$/, "").replace(/\/:c(?=\/|$)/, "/:campaignId").replace(/\/:d(?=\/|$)/, "/:drawId"),
  }));
}

const key = (r: { method: string; path: string }): string => `${r.method} ${r.path}`;

/** server/routes.ts and every server/routes-<area>.ts; routes-draws.ts matches draw paths, the others campaign and plain paths. */
const ROUTE_FILES = ["server/routes.ts", ...readdirSync(path.join(projectRoot(), "server")).filter((f) => /^routes-[a-z-]+\.ts$/.test(f) && !f.endsWith(".test.ts")).map((f) => `server/${f}`)];
const routes = ROUTE_FILES.flatMap((f) => routesFromSource(f, f === "server/routes-draws.ts" ? "draws" : "routes"));

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
  it("finds the server's routes in its source", () => {
    // Guard the parser itself: every route the handlers' header comments list must be found in the code.
    const found = new Set(routes.map(key));
    for (const r of ROUTE_FILES.flatMap(routesFromHeader)) {
      expect(found.has(key(r)), `the code of server/routes*.ts has no route for ${key(r)} (or the parser missed it)`).toBe(true);
    }
    expect(routes.length).toBeGreaterThanOrEqual(20);
    expect(routes.find((r) => key(r) === `POST ${CAMPAIGN}/draws`)?.bodies).toEqual(["startDrawSchema"]);
  });

  it("has a `### `METHOD /path`` section for every route", () => {
    const sections = endpointSections(httpDoc);
    for (const r of routes) expect(sections.has(key(r)), `docs/http-api.md lacks a "### \`${key(r)}\`" heading`).toBe(true);
  });

  it("names every top-level body field of a route in that route's section", () => {
    const sections = endpointSections(httpDoc);
    const byName: Record<string, unknown> = { ...schemas, campaignInputSchema };
    let checked = 0;
    for (const r of routes) {
      const section = sections.get(key(r)) ?? "";
      for (const name of r.bodies) {
        const shape = (byName[name] as { shape?: Record<string, unknown> } | undefined)?.shape;
        expect(shape, `${name} (body of ${key(r)}) is not an object schema exported from core/schemas.ts`).toBeDefined();
        for (const field of Object.keys(shape!)) {
          expect(section.includes(`\`${field}\``) || section.includes(`"${field}"`), `docs/http-api.md, ${key(r)}: body field ${field} is not mentioned`).toBe(true);
          checked++;
        }
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
