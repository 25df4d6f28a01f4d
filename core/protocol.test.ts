import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import { projectRoot } from "./assets.js";
import { ERROR_CODES, ERRORS, type ClientToServerEvents, type EnterPayload, type ServerToClientEvents } from "./protocol.js";
import { enterSchema, spinSchema, subscribeSchema, timeSyncSchema } from "./schemas.js";

const doc = readFileSync(path.join(projectRoot(), "docs", "protocol.md"), "utf8");

describe("protocol", () => {
  it("documents every error code and every event in docs/protocol.md", () => {
    for (const code of ERROR_CODES) expect(doc, `docs/protocol.md lacks ${code}`).toContain(code);
    const events: (keyof ClientToServerEvents | keyof ServerToClientEvents)[] = [
      "campaign:subscribe", "draw:enter", "time:sync", "campaign:rules", "spin", "spin:fetch", "spin:history",
      "leaderboard:subscribe", "leaderboard:rank", "assist", "team:join",
      "draw:countdown", "draw:tick", "draw:closed", "draw:reveal", "draw:redraw", "draw:done", "draw:cancelled",
      "draw:result", "spin:result", "leaderboard:update",
    ];
    for (const event of events) expect(doc, `docs/protocol.md lacks ${event}`).toContain(event);
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
