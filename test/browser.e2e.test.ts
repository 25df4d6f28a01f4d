/**
 * The host console and the big screen in a real browser (playwright-core driving Debian's chromium):
 * a host signs in, opens a two-tier draw, 20 SDK players enter, the countdown runs on both pages,
 * the host reveals both tiers and console, big screen and server agree on the winners. A signed-out
 * browser and a request without the CSRF token change nothing. Screenshots of every phase go to
 * test-artifacts/screenshots/ (git-ignored): the console at 1280×720, the screen at 1920×1080.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DrawCountdown, DrawSnapshot } from "@livedraw/protocol";
import { hashPassword } from "../server/host-accounts.js";
import { findChromium } from "./chromium.js";
import { freePort } from "../scripts/redis-server.js";
import { Harness, collect, http, uniqueId, type NodeProcess } from "./harness.js";

const CHROMIUM = findChromium();
const SHOTS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "test-artifacts", "screenshots");
const HOST = { id: "host-a", password: "a-long-test-password-42" };
if (!CHROMIUM) console.warn("browser tests skipped: no chromium (apt-get install -y chromium, or set CHROMIUM_PATH)");

describe.skipIf(!CHROMIUM)("console and big screen in Chromium", () => {
  const h = new Harness();
  let node: NodeProcess;
  let browser: Browser;
  let hostCtx: BrowserContext;
  let consolePage: Page;
  let screenPage: Page;
  const campaignId = uniqueId("hall");
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await h.startRedis();
    node = await h.startNode({ LIVEDRAW_HOSTS: `${HOST.id}:${await hashPassword(HOST.password)}`, LIVEDRAW_JOIN_URL: "https://join.example.com/d?c={campaignId}" });
    await h.startWorker();
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ["--no-sandbox", "--disable-gpu"] });
    h.defer(() => browser.close());
    hostCtx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    consolePage = await hostCtx.newPage();
    const screenCtx = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    screenPage = await screenCtx.newPage();
    for (const p of [consolePage, screenPage]) {
      p.on("pageerror", (e) => pageErrors.push(e.message));
      p.on("console", (m) => {
        // A signed-out console asks for its session first and gets a 401: expected, not an error.
        if (m.type() !== "error" || (m.text().includes("401") && m.location().url.endsWith("/v1/host/session"))) return;
        pageErrors.push(`${m.text()} ${m.location().url}`);
      });
    }
  });
  afterAll(() => h.cleanup());

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  const snapshot = async (drawId: string) => (await http<DrawSnapshot>(`${node.url}/v1/campaigns/${campaignId}/draws/${drawId}`)).body;
  const drawIds = async () => (await http<{ draws: { drawId: string }[] }>(`${node.url}/v1/campaigns/${campaignId}/draws`)).body.draws.map((d) => d.drawId);

  it("signs in, runs a two-tier draw with 20 players, and shows the same winners on console and screen", async () => {
    // The English switch (zh-CN is the default: test/show.e2e.test.ts runs the night in Chinese).
    const res = await consolePage.goto(`${node.url}/control?campaign=${campaignId}&lang=en`);
    const csp = res!.headers()["content-security-policy"] ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res!.headers()["x-content-type-options"]).toBe("nosniff");
    await shot(consolePage, "console-1-sign-in");
    await consolePage.getByLabel("Host id").fill(HOST.id);
    await consolePage.getByLabel("Password").fill(HOST.password);
    await consolePage.getByRole("button", { name: "Sign in" }).click();
    await consolePage.locator("#conn", { hasText: "live" }).waitFor();
    expect(await consolePage.locator("#who").textContent()).toContain(HOST.id);
    expect(await consolePage.content()).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // no token on the page

    await screenPage.goto(`${node.url}/screen/${campaignId}?lang=en`);
    await screenPage.locator("#qr svg").waitFor();
    expect(await screenPage.locator("#join-url").textContent()).toBe(`https://join.example.com/d?c=${campaignId}`);

    // 20 players, subscribed before the draw opens; each enters when the countdown reaches them.
    const players = await Promise.all(Array.from({ length: 20 }, (_, i) => h.player(node.url, `guest-${i}`, i % 2 ? `王小${i}` : `1390000${String(i).padStart(4, "0")}`)));
    await Promise.all(players.map((p) => p.subscribe(campaignId)));
    const countdowns = collect<DrawCountdown>("player countdowns", players.length, 15_000);
    players.forEach((p) => p.on("draw:countdown", (c) => countdowns.add(c)));

    // The host opens a two-tier draw from the form (defaults: Grand prize × 1, Lucky prize × 3).
    const form = consolePage.locator("#create");
    await form.getByLabel("Title").fill("Hall draw");
    await form.getByLabel("Entry window (s)").fill("6");
    await form.getByRole("button", { name: "Open draw" }).click();
    await consolePage.locator("#d-phase", { hasText: "open for entries" }).waitFor();
    const [countdown] = await countdowns.done;
    const { drawId } = countdown!;
    const acks = await Promise.all(players.map((p) => p.enter(campaignId, drawId)));
    expect(new Set(acks.map((a) => a.intentId)).size).toBe(20);

    // Both pages count down; the screen's wall fills with masked names from the ticks.
    await screenPage.locator("#wall li").nth(9).waitFor({ timeout: 5000 });
    const wall = await screenPage.locator("#wall li").allTextContents();
    for (const name of wall) expect(name).toMatch(/^(王\*+|139\*{4}\d{4})$/);
    await consolePage.locator("#d-entrants", { hasText: "20" }).waitFor({ timeout: 5000 });
    const left = Number(await consolePage.locator("#d-left").textContent());
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(6);
    await shot(consolePage, "console-2-open");
    await shot(screenPage, "screen-1-open");

    // Layout: at 1280×720 the live panel and every action fit without scrolling.
    // (Page-side code is a string: this file is compiled for Node, without the DOM's types.)
    const fits = (await consolePage.evaluate(`(() => {
      const ids = ["a-close", "a-reveal", "a-cancel", "d-left", "d-entrants", "create", "signout", "campaign"];
      return {
        scroll: document.documentElement.scrollHeight,
        visible: ids.every((id) => {
          const r = document.getElementById(id).getBoundingClientRect();
          return r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth;
        }),
      };
    })()`)) as { scroll: number; visible: boolean };
    expect(fits.scroll).toBeLessThanOrEqual(720);
    expect(fits.visible).toBe(true);

    // The worker closes at the deadline and draws; the host reveals tier by tier.
    await consolePage.locator("#d-phase", { hasText: "ready to reveal" }).waitFor({ timeout: 20_000 });
    await shot(consolePage, "console-3-drawn");
    await shot(screenPage, "screen-2-drawn");
    await consolePage.getByRole("button", { name: "Reveal next tier" }).click();
    await screenPage.locator("#reveal-winners li.settled").first().waitFor({ timeout: 10_000 });
    await consolePage.locator('#d-tiers li[data-tier="tier-1"] li[data-winner]').first().waitFor();
    await shot(consolePage, "console-4-tier-1");
    await shot(screenPage, "screen-3-tier-1");
    await consolePage.getByRole("button", { name: "Reveal next tier" }).click();
    await consolePage.locator("#d-phase", { hasText: "done" }).waitFor({ timeout: 10_000 });
    await consolePage.locator("#proof").waitFor();
    // The host puts the summary of every winner on screen.
    await consolePage.getByRole("button", { name: "Summary" }).click();
    await screenPage.locator("#reveal-winners li.settled").nth(3).waitFor({ timeout: 20_000 });
    await screenPage.locator("#reveal-tier", { hasText: "Winners" }).waitFor({ timeout: 20_000 });
    await shot(consolePage, "console-5-done");
    await shot(screenPage, "screen-4-done");

    const server = await snapshot(drawId);
    expect(server.phase).toBe("done");
    const serverWinners = server.revealed.flatMap((t) => t.winners.map((w) => `${t.tierId}/${w.intentId}/${w.name}`)).sort();
    expect(serverWinners).toHaveLength(4);
    const consoleWinners = await consolePage.$$eval("#d-tiers > li", (tiers) =>
      tiers.flatMap((t) => [...t.querySelectorAll("li[data-winner]")].map((w) => `${t.getAttribute("data-tier")}/${w.getAttribute("data-winner")}/${w.querySelector(".wname")!.textContent}`)),
    );
    const screenWinners = await screenPage.$$eval("#reveal-winners li.settled", (ws) => ws.map((w) => `${w.getAttribute("data-tier")}/${w.getAttribute("data-winner")}/${w.textContent}`));
    expect(consoleWinners.sort()).toEqual(serverWinners);
    expect(screenWinners.sort()).toEqual(serverWinners);

    // The in-browser verifier accepts the proof bundle.
    await consolePage.getByRole("button", { name: "Verify here" }).click();
    await consolePage.locator("#verify-msg", { hasText: "Verified" }).waitFor({ timeout: 20_000 });
    expect(pageErrors).toEqual([]);
  });

  it("big screen: says so while its node is down, and after the restart shows the reveal it missed", async () => {
    const hall = uniqueId("restart");
    const port = await freePort();
    const env = { PORT: String(port) };
    let screenNode = await h.startNode(env);
    const page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
    await page.goto(`${screenNode.url}/screen/${hall}?lang=en`);
    await page.locator("#status").waitFor({ state: "hidden" });
    const host = await h.hostToken();
    const opened = await http<DrawCountdown>(`${node.url}/v1/campaigns/${hall}/draws`, { token: host, body: { durationMs: 1500, title: "Restart draw", winners: 1, autoReveal: false } });
    expect(opened.status).toBe(201);
    const player = await h.player(node.url, "restart-1", "孙八");
    await player.enter(hall, opened.body.drawId);
    await page.locator("#count").waitFor();
    for (let phase = ""; phase !== "drawn"; ) phase = (await http<DrawSnapshot>(`${node.url}/v1/campaigns/${hall}/draws/${opened.body.drawId}`)).body.phase;

    await screenNode.stop("SIGKILL");
    await page.locator("#status", { hasText: "Reconnecting" }).waitFor();
    await shot(page, "screen-5-reconnecting");
    // The reveal happens on another node while the screen's node is down.
    expect((await http(`${node.url}/v1/campaigns/${hall}/draws/${opened.body.drawId}/reveal`, { token: host, body: {} })).status).toBe(200);
    screenNode = await h.startNode(env);
    await page.locator("#status").waitFor({ state: "hidden", timeout: 15_000 });
    const winner = page.locator("#reveal-winners li.settled");
    await winner.first().waitFor({ timeout: 15_000 });
    const server = (await http<DrawSnapshot>(`${node.url}/v1/campaigns/${hall}/draws/${opened.body.drawId}`)).body;
    expect(await winner.first().getAttribute("data-winner")).toBe(server.revealed[0]!.winners[0]!.intentId);
    await shot(page, "screen-6-after-restart");
  });

  it("changes nothing for a signed-out browser or a request without the CSRF token", async () => {
    const before = await drawIds();
    const body = { durationMs: 5000, winners: 1, title: "Should not open" };
    const stranger = await browser.newContext();
    const anonymous = await stranger.request.post(`${node.url}/v1/campaigns/${campaignId}/draws`, { data: body });
    expect(anonymous.status()).toBe(401);
    await stranger.close();
    // The signed-in host's cookie, but no X-CSRF-Token header (what a cross-site form would send).
    const forged = await hostCtx.request.post(`${node.url}/v1/campaigns/${campaignId}/draws`, { data: body });
    expect(forged.status()).toBe(403);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe("E_CSRF");
    expect(await drawIds()).toEqual(before);
  });
});
