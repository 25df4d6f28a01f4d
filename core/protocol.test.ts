import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import { projectRoot } from "./assets.js";
import { ERROR_CODES, ERRORS, type ClientToServerEvents, type EnterPayload, type ServerToClientEvents } from "./protocol.js";
import { enterSchema, spinSchema, subscribeSchema, timeSyncSchema } from "./schemas.js";

const root = projectRoot();
const doc = readFileSync(path.join(root, "docs", "protocol.md"), "utf8");
const readme = readFileSync(path.join(root, "README.md"), "utf8");

/** `| \`CODE\` | 400 | …` rows of the error-code table in docs/protocol.md: code → HTTP status. */
function documentedCodes(markdown: string): Map<string, number> {
  const rows = new Map<string, number>();
  for (const m of markdown.matchAll(/^\| `(E_[A-Z_]+)` \| (\d{3}) \|/gm)) rows.set(m[1]!, Number(m[2]));
  return rows;
}

describe("protocol", () => {
  it("documents every error code of the registry in docs/protocol.md, with its HTTP status", () => {
    const rows = documentedCodes(doc);
    // Every code in ERRORS, whatever the registry holds (E_PROTOCOL_VERSION included once it is added).
    for (const code of Object.keys(ERRORS) as (keyof typeof ERRORS)[]) {
      expect(rows.has(code), `docs/protocol.md's error table lacks a row for ${code}`).toBe(true);
      expect(rows.get(code), `docs/protocol.md gives ${code} another HTTP status than the registry`).toBe(ERRORS[code].status);
    }
    // The handshake refusal the docs promise is in the table even before the registry has it.
    expect(rows.get("E_PROTOCOL_VERSION")).toBe(400);
  });

  it("documents every event in docs/protocol.md", () => {
    const clientEvents: (keyof ClientToServerEvents)[] = [
      "campaign:subscribe", "draw:enter", "time:sync", "campaign:rules", "spin", "spin:fetch", "spin:history",
      "leaderboard:subscribe", "leaderboard:rank", "assist", "team:join",
    ];
    const serverEvents: (keyof ServerToClientEvents)[] = [
      "draw:countdown", "draw:tick", "draw:closed", "draw:reveal", "draw:redraw", "draw:done", "draw:cancelled",
      "draw:result", "spin:result", "leaderboard:update",
    ];
    for (const event of clientEvents) {
      expect(doc, `docs/protocol.md lacks a "### \`${event}\`" section`).toMatch(new RegExp(`^### \`${event}\`$`, "m"));
    }
    for (const event of serverEvents) {
      expect(doc, `docs/protocol.md's server → client table lacks ${event}`).toMatch(new RegExp(`^\\| \`${event}\` +\\|`, "m"));
    }
  });

  it("documents the handshake's protocol version", () => {
    expect(doc).toMatch(/auth: \{ token, protocol: PROTOCOL_VERSION \}/);
    expect(doc).toContain("E_PROTOCOL_VERSION");
  });

  it("opens the README with the two commands", () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    expect(readme.indexOf("```sh")).toBeLessThan(readme.indexOf("\n## "));
    expect(firstBlock).toMatch(/^npm ci && npm run demo\b/m);
    expect(firstBlock).toMatch(/^npm ci && npm test\b/m);
  });

  it("gives every error code an HTTP status and an actionable message", () => {
    for (const code of ERROR_CODES) {
      expect(code).toMatch(/^E_[A-Z_]+$/);
      expect(ERRORS[code].status).toBeGreaterThanOrEqual(400);
      expect(ERRORS[code].message.length).toBeGreaterThan(10);
    }
  });

  it("keeps runtime schemas and protocol types in step", () => {
    expectTypeOf<z.infer<typeof enterSchema>>().toEqualTypeOf<EnterPayload>();
    expectTypeOf<z.infer<typeof subscribeSchema>>().toEqualTypeOf<Parameters<ClientToServerEvents["campaign:subscribe"]>[0]>();
    expectTypeOf<z.infer<typeof timeSyncSchema>>().toEqualTypeOf<Parameters<ClientToServerEvents["time:sync"]>[0]>();
    expectTypeOf<z.infer<typeof spinSchema>>().toEqualTypeOf<Parameters<ClientToServerEvents["spin"]>[0]>();
  });

  it("refuses malformed payloads at runtime", () => {
    expect(enterSchema.safeParse({ campaignId: "c", drawId: "d" }).success).toBe(true);
    for (const bad of [{}, { campaignId: "c" }, { campaignId: "c", drawId: 1 }, { campaignId: "c", drawId: "d", x: 1 }, { campaignId: "c:x", drawId: "d" }, null, "s"]) {
      expect(enterSchema.safeParse(bad).success).toBe(false);
    }
    expect(timeSyncSchema.safeParse({ clientTime: Number.NaN }).success).toBe(false);
    expect(spinSchema.safeParse({ campaignId: "c", idempotencyKey: "short" }).success).toBe(false);
    expect(spinSchema.safeParse({ campaignId: "c", idempotencyKey: "long-enough-key" }).success).toBe(true);
  });
});
