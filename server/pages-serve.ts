/**
 * The console and big-screen pages, as built by esbuild into dist/public/ (server/pages/):
 *   /control and /           control.html (the host console)
 *   /screen/:campaignId      screen.html (the venue's big screen)
 *   /assets/<name>           dist/public/assets/<name>, a flat folder of .js, .css, .svg and .map
 * Files are read when asked (a rebuild is served without a restart) and kept in memory while their
 * size and mtime stay the same. HTML is `no-cache`; assets are cached for 5 minutes and carry a
 * SHA-256 ETag (304 on If-None-Match). Pages get a strict CSP: the bundles hold no inline script or
 * style. A missing build answers 503 saying so.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { projectRoot } from "../core/assets.js";
import { ID_PATTERN } from "../core/protocol.js";
import type { HttpRequest, HttpResponse } from "./http-types.js";
import { errorResponse } from "./http-types.js";

const CSP_BASE = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'";
/** The console may not be framed at all; the big screen only by pages of this origin. */
export const PAGE_CSP = { control: `${CSP_BASE}; frame-ancestors 'none'`, screen: `${CSP_BASE}; frame-ancestors 'self'` } as const;

const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*\.(js|css|svg|map)$/;
const CONTENT_TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  map: "application/json; charset=utf-8",
};

interface CachedFile {
  stamp: string;
  body: Buffer;
  etag: string;
}

/** Answers GET requests for pages and assets: the response, or null when the path is not a page's. */
export type PageServer = (req: HttpRequest) => Promise<HttpResponse | null>;

/** Returns a handler for GET requests: the page or asset response, or null when the path is not a page's. */
export function createPages(dir = path.join(projectRoot(), "dist", "public")): PageServer {
  const cache = new Map<string, CachedFile>();

  async function load(file: string): Promise<CachedFile | null> {
    let info;
    try {
      info = await stat(file);
    } catch {
      return null;
    }
    if (!info.isFile()) return null;
    const stamp = `${info.size}:${info.mtimeMs}`;
    const hit = cache.get(file);
    if (hit?.stamp === stamp) return hit;
    const body = await readFile(file);
    const entry = { stamp, body, etag: `"${createHash("sha256").update(body).digest("base64url")}"` };
    cache.set(file, entry);
    return entry;
  }

  async function page(name: "control" | "screen"): Promise<HttpResponse> {
    const file = await load(path.join(dir, `${name}.html`));
    if (!file) {
      return {
        status: 503,
        headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
        body: `The ${name === "control" ? "host console" : "big screen"} page is not built: dist/public/${name}.html is missing. Run \`npm run build\`, then reload.\n`,
      };
    }
    return {
      status: 200,
      headers: {
        "content-type": CONTENT_TYPES.html!,
        "cache-control": "no-cache",
        "content-security-policy": PAGE_CSP[name],
        "x-frame-options": name === "control" ? "DENY" : "SAMEORIGIN",
      },
      body: file.body,
    };
  }

  return async (req) => {
    if (req.path === "/control" || req.path === "/") return page("control");
    const parts = req.path.split("/");
    // "/screen/<id>" → ["", "screen", "<id>"]
    if (parts[1] === "screen" && parts.length === 3) return ID_PATTERN.test(parts[2]!) ? page("screen") : errorResponse("E_NOT_FOUND", `No route for GET ${req.path}.`);
    if (parts[1] !== "assets") return null;
    const name = parts.length === 3 ? parts[2]! : "";
    const notFound = errorResponse("E_NOT_FOUND", `No such asset: ${req.path}.`);
    // The name pattern admits no '/', '%' or leading '.', so it can only name a file of the folder.
    if (!ASSET_NAME.test(name)) return notFound;
    const file = await load(path.join(dir, "assets", name));
    if (!file) return notFound;
    const headers = { "cache-control": "public, max-age=300", etag: file.etag };
    const match = (req.headers["if-none-match"] ?? "").split(",").some((t) => t.trim() === "*" || t.trim().replace(/^W\//, "") === file.etag);
    if (match) return { status: 304, headers, body: "" };
    return { status: 200, headers: { ...headers, "content-type": CONTENT_TYPES[path.extname(name).slice(1)]! }, body: file.body };
  };
}
