/**
 * Operator numbers across real processes (1 node, 1 worker, SDK players, Chromium for the console):
 * the live counters and the funnel are exact (viewed → entered → won → issued → redeemed); the CSV
 * exports parse, are masked by default and unmasked only for an operator, with an audit record;
 * the console shows the counters and the funnel. Screenshot: test-artifacts/screenshots/console-analytics.png.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveDrawClient } from "@livedraw/client-sdk";
import type { Win } from "@livedraw/protocol";
import type { CampaignAnalytics } from "../core/analytics.js";
import { hashPassword } from "../server/host-accounts.js";
import { LEDGER_COLUMNS, WINNER_COLUMNS } from "../server/csv-export.js";
import { findChromium } from "./chromium.js";
import { twoProportionZTest, variantOf } from "../core/variants.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, collect, http, pseudonym, tokens, uniqueId, type NodeProcess } from "./harness.js";

const CHROMIUM = findChromium();
const SHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "test-artifacts", "screenshots");
const HOST = { id: "ops-1", password: "a-long-test-password-42" };

async function csv(url: string, token: string): Promise<{ status: number; type: string; rows: Record<string, string>[]; raw: string }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  // The bytes as sent (fetch's text() would drop the BOM this checks for).
  const raw = Buffer.from(await res.arrayBuffer()).toString("utf8");
  if (res.status !== 200) return { status: res.status, type: res.headers.get("content-type") ?? "", rows: [], raw };
  return { status: 200, type: res.headers.get("content-type") ?? "", rows: parse(raw, { bom: true, columns: true, skip_empty_lines: true }), raw };
}

describe("campaign analytics and exports", () => {
  const h = new Harness();
  let node: NodeProcess;
  let hostToken: string;
  let opsToken: string;
  const campaignId = uniqueId("numbers");
  const players: LiveDrawClient[] = [];
  const issued: Win[] = [];

  beforeAll(async () => {
    await h.startRedis();
    node = await h.startNode({
      LIVEDRAW_TIER_MAX_PROBABILITY: "1",
      LIVEDRAW_OPERATOR_HOSTS: HOST.id,
      LIVEDRAW_HOSTS: `${HOST.id}:${await hashPassword(HOST.password)}`,
      LIVEDRAW_SPINS_PER_SECOND_PER_PLAYER: "1000",
    });
    await h.startWorker({ LIVEDRAW_ISSUE_INTERVAL_MS: "50" });
    hostToken = await h.hostToken("host-2");
    opsToken = await h.hostToken(HOST.id);
  });
  afterAll(() => h.cleanup());

  it("counts exactly: 10 viewers, 6 spinners who all win, 4 issued coupons and 2 waiting, 1 redeemed", async () => {
    expect((await http(`${node.url}/v1/campaigns`, {
      token: hostToken,
      body: liveCampaign(campaignId, {
        tiers: [{ tierId: "coupon", name: "¥5 coupon", probability: 1, inventory: 100, value: 5, prize: { kind: "coupon" } }],
        limits: { spinsPerDay: 1, spinsPerCampaign: 1, winsPerCampaign: 1 },
        freeSpins: 1,
      }),
    })).status).toBe(201);
    expect((await http(`${node.url}/v1/campaigns/${campaignId}/coupons`, { token: hostToken, body: { tierId: "coupon", codes: ["=HYPERLINK(1)", "C-0002", "C-0003", "C-0004"] } })).status).toBe(200);
    for (let i = 0; i < 10; i++) players.push(await h.player(node.url, `viewer-${i}`, i % 2 ? `王小${i}` : `1390000${String(i).padStart(4, "0")}`));
    await Promise.all(players.map((p) => p.subscribe(campaignId)));
    await players[0]!.rules(campaignId); // a second view by the same player counts once
    const pushes = collect<Win>("issued coupons", 4, 20_000);
    players.forEach((p) => p.on("win:status", (w) => w.status === "issued" && pushes.add(w)));
    await Promise.all(players.slice(0, 6).map((p, i) => p.spin(campaignId, { idempotencyKey: `numbers-${i}-key` })));
    issued.push(...(await pushes.done));
    const staff = await tokens.sign({ sub: "desk", role: "staff" }, 600);
    expect((await http(`${node.url}/v1/campaigns/${campaignId}/redemptions`, { token: staff, body: { code: issued[0]!.redemptionCode } })).status).toBe(200);
    await players[7]!.checkIn(campaignId); // a ticket ledger entry for the export

    // Online comes from the nodes' reports every 2 s: wait for this node's to show all 10 sockets.
    let a: CampaignAnalytics;
    const until = Date.now() + 10_000;
    do {
      a = (await http<CampaignAnalytics>(`${node.url}/v1/campaigns/${campaignId}/analytics`, { token: hostToken })).body;
      if (a.online === 10) break;
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < until);
    expect(a.online).toBe(10);
    expect(a.entrants).toBe(6);
    expect(a.spinsResolved).toBe(6);
    expect(a.tiers).toEqual([{ tierId: "coupon", name: "¥5 coupon", prizeKind: "coupon", won: 6, stockLeft: 94, couponsLeft: 0 }]);
    expect(a.wins).toEqual({ pending: 2, issued: 3, redeemed: 1, failed: 0, expired: 0 });
    expect(a.issuanceBacklog).toBe(2);
    expect(a.funnel.map((f) => [f.stage, f.players])).toEqual([["viewed", 10], ["entered", 6], ["won", 6], ["issued", 4], ["redeemed", 1]]);
    expect(a.funnel[1]!.fromPrevious).toBeCloseTo(0.6, 10);
    // Players cannot read the numbers.
    expect((await http(`${node.url}/v1/campaigns/${campaignId}/analytics`, { token: await tokens.sign({ sub: "viewer-1", role: "player" }, 600) })).status).toBe(403);
  });

  it("exports winners and the ticket ledger as CSV a spreadsheet opens: masked by default, unmasked for operators (audited)", async () => {
    const masked = await csv(`${node.url}/v1/campaigns/${campaignId}/export?what=winners`, hostToken);
    expect(masked.status).toBe(200);
    expect(masked.type).toBe("text/csv; charset=utf-8");
    expect(masked.raw.startsWith("\uFEFF")).toBe(true); // Excel reads the UTF-8 (Chinese names) right
    expect(masked.raw).toContain("\r\n");
    expect(Object.keys(masked.rows[0]!)).toEqual(WINNER_COLUMNS);
    expect(masked.rows).toHaveLength(6);
    const byPlayer = new Map(masked.rows.map((r) => [r.player, r]));
    // viewer-1 has a Chinese name, viewer-0 a phone number as name: both masked; no raw value anywhere.
    expect(byPlayer.get(pseudonym("viewer-1"))!.player_name).toBe("王**");
    expect(byPlayer.get(pseudonym("viewer-0"))!.player_name).toBe("139****0000");
    for (const raw of ["王小1", "王小3", "13900000000", "13900000002", "C-0002", "C-0003", "C-0004", ...issued.map((w) => w.redemptionCode!)]) expect(masked.raw).not.toContain(raw);
    const issuedRows = masked.rows.filter((r) => r.status === "issued" || r.status === "redeemed");
    expect(issuedRows).toHaveLength(4);
    expect(issuedRows.every((r) => /^\*{4,}.{2}$/.test(r.coupon!) && /^\*{8}[0-9A-Z]{4}$/.test(r.redemption_code!))).toBe(true);
    expect(masked.rows.filter((r) => r.status === "pending").every((r) => r.coupon === "" && r.redemption_code === "")).toBe(true);

    // Not an operator: refused. An operator: every value in the clear, and an audit record.
    expect((await csv(`${node.url}/v1/campaigns/${campaignId}/export?what=winners&unmasked=1`, hostToken)).status).toBe(403);
    const open = await csv(`${node.url}/v1/campaigns/${campaignId}/export?what=winners&unmasked=1`, opsToken);
    expect(open.status).toBe(200);
    const openBy = new Map(open.rows.map((r) => [r.player, r]));
    expect(openBy.get(pseudonym("viewer-1"))!.player_name).toBe("王小1");
    expect(openBy.get(pseudonym("viewer-0"))!.player_name).toBe("13900000000");
    const codes = open.rows.map((r) => r.coupon).filter(Boolean).sort();
    // A code that looks like a formula is kept but made inert (a leading ').
    expect(codes).toEqual(["'=HYPERLINK(1)", "C-0002", "C-0003", "C-0004"]);
    expect(new Set(open.rows.map((r) => r.redemption_code).filter(Boolean))).toEqual(new Set(issued.map((w) => w.redemptionCode)));
    const audit = await http<{ records: { data: { action?: string; hostId?: string; what?: string; rows?: number } }[] }>(`${node.url}/v1/campaigns/${campaignId}/audit`);
    expect(audit.body.records.filter((r) => r.data.action === "export-unmasked").map((r) => [r.data.hostId, r.data.what, r.data.rows])).toEqual([[HOST.id, "winners", 6]]);

    const ledger = await csv(`${node.url}/v1/campaigns/${campaignId}/export?what=tickets`, hostToken);
    expect(Object.keys(ledger.rows[0]!)).toEqual(LEDGER_COLUMNS);
    expect(ledger.rows.map((r) => [r.player, r.reason, r.delta, r.balance, r.player_name])).toEqual([[pseudonym("viewer-7"), "checkin", "1", "1", "王**"]]);
    expect((await csv(`${node.url}/v1/campaigns/${campaignId}/export?what=everything`, hostToken)).status).toBe(400);
  });

  it("A/B variants: assigned by hashed player id, free spins per variant, a funnel and z-test per variant", async () => {
    const ab = uniqueId("ab");
    expect((await http(`${node.url}/v1/campaigns`, {
      token: hostToken,
      body: liveCampaign(ab, {
        tiers: [{ tierId: "gold", name: "Gold", probability: 0.5, inventory: 10_000, value: 5 }],
        limits: { spinsPerDay: 10, spinsPerCampaign: 10, winsPerCampaign: 10 },
        freeSpins: 1,
        variants: [{ variantId: "one-spin", weight: 1 }, { variantId: "three-spins", weight: 1, freeSpins: 3, presentation: "big-wheel" }],
      }),
    })).status).toBe(201);
    const rules = (await http<{ variants: unknown[] }>(`${node.url}/v1/campaigns/${ab}/rules`)).body;
    expect(rules.variants).toEqual([{ variantId: "one-spin", weight: 1, freeSpins: 1, presentation: null }, { variantId: "three-spins", weight: 1, freeSpins: 3, presentation: "big-wheel" }]);
    const campaign = { variants: [{ variantId: "one-spin", weight: 1, freeSpins: null, presentation: null }, { variantId: "three-spins", weight: 1, freeSpins: 3, presentation: "big-wheel" }] };
    const PLAYERS = 40;
    const clients = await Promise.all(Array.from({ length: PLAYERS }, (_, i) => h.player(node.url, `ab-${i}`)));
    await Promise.all(clients.map((c) => c.subscribe(ab)));
    const results = await Promise.all(clients.map(async (c, i) => {
      const out = [];
      for (let s = 0; s < 3; s++) out.push(await c.spin(ab, { idempotencyKey: `ab-${i}-${s}-key` }));
      return out;
    }));
    const expected = { "one-spin": { viewed: 0, won: 0 }, "three-spins": { viewed: 0, won: 0 } };
    for (let i = 0; i < PLAYERS; i++) {
      const v = variantOf(ab, pseudonym(`ab-${i}`), campaign.variants)!.variantId as keyof typeof expected;
      // Each player got exactly their variant's free spins; the rest were refused for want of spins.
      expect(results[i]!.filter((r) => r.outcome !== "rejected")).toHaveLength(v === "three-spins" ? 3 : 1);
      expect((await clients[i]!.tickets(ab))).toMatchObject({ variant: v, presentation: v === "three-spins" ? "big-wheel" : null, freeSpinsLeft: 0 });
      expected[v].viewed++;
      if (results[i]!.some((r) => r.outcome === "won")) expected[v].won++;
    }
    expect(expected["one-spin"].viewed).toBeGreaterThan(0);
    expect(expected["three-spins"].viewed).toBeGreaterThan(0);
    const a = (await http<CampaignAnalytics>(`${node.url}/v1/campaigns/${ab}/analytics`, { token: hostToken })).body;
    expect(a.variants.map((v) => [v.variantId, v.funnel.find((f) => f.stage === "viewed")!.players, v.funnel.find((f) => f.stage === "entered")!.players, v.funnel.find((f) => f.stage === "won")!.players])).toEqual([
      ["one-spin", expected["one-spin"].viewed, expected["one-spin"].viewed, expected["one-spin"].won],
      ["three-spins", expected["three-spins"].viewed, expected["three-spins"].viewed, expected["three-spins"].won],
    ]);
    expect(a.variants[0]!.vsControl).toBeNull();
    const won = a.variants[1]!.vsControl!.find((c) => c.stage === "won")!;
    const t = twoProportionZTest(expected["one-spin"].won, expected["one-spin"].viewed, expected["three-spins"].won, expected["three-spins"].viewed);
    expect(won.pValue).toBe(t.pValue);
    expect(won.rate).toBeCloseTo(expected["three-spins"].won / expected["three-spins"].viewed, 12);
  });

  it.skipIf(!CHROMIUM)("the console shows the live counters and the funnel", async () => {
    mkdirSync(SHOTS, { recursive: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM!, args: ["--no-sandbox", "--disable-gpu"] });
    h.defer(() => browser.close());
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    // The console in English (zh-CN is its default): the labels and funnel below are its English texts.
    await page.goto(`${node.url}/control?campaign=${campaignId}&lang=en`);
    await page.getByLabel("Host id").fill(HOST.id);
    await page.getByLabel("Password").fill(HOST.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#n-entrants", { hasText: "6" }).waitFor();
    expect(await page.locator("#n-online").textContent()).toBe("10");
    expect(await page.locator("#n-backlog").textContent()).toBe("2");
    expect(await page.locator("#n-redeemed").textContent()).toBe("1");
    expect(await page.locator("#funnel li").allTextContents()).toEqual(["Viewed10", "Spun6 · 60%", "Won6 · 100%", "Issued4 · 67%", "Redeemed1 · 25%"]);
    expect(await page.locator("#n-tiers tr").allTextContents()).toEqual(["¥5 coupon6940"]);
    expect(await page.locator("#x-winners").getAttribute("href")).toBe(`/v1/campaigns/${campaignId}/export?what=winners`);
    await page.screenshot({ path: path.join(SHOTS, "console-analytics.png") });
    expect(errors).toEqual([]);
  });
});
