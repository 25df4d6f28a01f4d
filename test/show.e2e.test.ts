/**
 * The night as a gala host runs it, in Chromium (playwright-core), in Chinese (the default): two
 * draws open at once in one campaign, the host puts one on the big screen (the stage), and the screen
 * shows only that draw — its title, countdown, winners and summary — while the other draw closes,
 * draws and reveals itself; through the screen's node being SIGKILLed and restarted; a second
 * console (the backup laptop) sees the same stage and drives the reveal. Screenshots go to
 * SHOW_SHOTS (default /tmp/livedraw-show-shots), never into the repository.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DrawCountdown, DrawSnapshot } from "@livedraw/protocol";
import { hashPassword } from "../server/host-accounts.js";
import { findChromium } from "./chromium.js";
import { freePort } from "../scripts/redis-server.js";
import { Harness, http, uniqueId, type NodeProcess } from "./harness.js";

const CHROMIUM = findChromium();
const SHOTS = process.env.SHOW_SHOTS ?? "/tmp/livedraw-show-shots";
const HOST = { id: "host-a", password: "a-long-test-password-42" };
const HOSTS = `${HOST.id}:${await hashPassword(HOST.password)}`;

/** A Latin word a host could read on the page ("drand" and URLs excepted). */
const ENGLISH = /\b(?!drand\b)[A-Za-z]{3,}\b/;
const english = (texts: string[]) => texts.map((s) => s.replace(/https?:\/\/\S+/g, "")).filter((s) => ENGLISH.test(s));

describe.skipIf(!CHROMIUM)("the show: the stage decides what the hall sees", () => {
  const h = new Harness();
  let node: NodeProcess;
  let screenNode: NodeProcess;
  let browser: Browser;
  const campaignId = uniqueId("gala");
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await h.startRedis();
    node = await h.startNode({ LIVEDRAW_HOSTS: HOSTS, LIVEDRAW_JOIN_URL: "https://join.example.com/d?c={campaignId}" });
    await h.startWorker();
    browser = await chromium.launch({ executablePath: CHROMIUM!, args: ["--no-sandbox", "--disable-gpu"] });
    h.defer(() => browser.close());
  });
  afterAll(() => h.cleanup());

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  const snapshotOf = async (campaign: string, drawId: string) => (await http<DrawSnapshot>(`${node.url}/v1/campaigns/${campaign}/draws/${drawId}`)).body;
  const snapshot = (drawId: string) => snapshotOf(campaignId, drawId);
  const watch = (p: Page) => {
    p.on("pageerror", (e) => pageErrors.push(e.message));
    p.on("console", (m) => {
      if (m.type() !== "error" || (m.text().includes("401") && m.location().url.endsWith("/v1/host/session"))) return;
      // The console asks for the campaign's instant-win rules: 404 for a live-draw-only campaign, expected.
      if (m.text().includes("404") && m.location().url.endsWith("/rules")) return;
      // While the screen's node is down (SIGKILL) or starting, the browser logs each failed reconnect: expected.
      if (m.text().includes("WebSocket connection") && /ERR_CONNECTION_(REFUSED|RESET)/.test(m.text())) return;
      pageErrors.push(`${m.text()} ${m.location().url}`);
    });
  };
  async function signedInConsole(): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage();
    watch(page);
    await page.goto(`${node.url}/control?campaign=${campaignId}`);
    await page.locator("#signin input[name=hostId]").fill(HOST.id);
    await page.locator("#signin input[name=password]").fill(HOST.password);
    await page.locator("#signin button[type=submit]").click();
    await page.locator("#conn.connected").waitFor();
    return page;
  }
  /** Everything a host can read on the page (text, labels, placeholders, buttons) but data (ids, names, draw titles, URLs), for the language check. */
  const visibleText = (p: Page) =>
    p.evaluate(`(() => {
      const out = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        if (!el || !el.checkVisibility() || el.closest("#d-id, #join-url, .wall, #reveal-winners, #campaign, #stage-line, #who, .dtitle, [lang=en]")) continue;
        if (n.textContent.trim()) out.push(n.textContent.trim());
      }
      for (const el of document.querySelectorAll("[placeholder], [aria-label]")) {
        if (el.checkVisibility && !el.checkVisibility()) continue;
        for (const a of ["placeholder", "aria-label"]) if (el.getAttribute(a)) out.push(el.getAttribute(a));
      }
      return out;
    })()`) as Promise<string[]>;

  it("two draws open at once: the screen shows only the staged one, through a node kill; a second console drives", async () => {
    const consoleA = await signedInConsole();
    // The console speaks Chinese by default: no English word a host could read.
    expect(english(await visibleText(consoleA))).toEqual([]);
    // Instant-win tab too (a campaign without draws yet may become either kind).
    await consoleA.locator("#tab-spin").click();
    await consoleA.locator("#stats-line", { hasText: "即时抽奖" }).waitFor();
    expect(english(await visibleText(consoleA))).toEqual([]);
    await shot(consoleA, "show-0-console-instant-win-720");
    await consoleA.locator("#tab-draw").click();

    const port = await freePort();
    screenNode = await h.startNode({ PORT: String(port), LIVEDRAW_JOIN_URL: "https://join.example.com/d?c={campaignId}" });
    const screen = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
    watch(screen);
    await screen.goto(`${screenNode.url}/screen/${campaignId}`);
    await screen.locator("#qr svg").waitFor();
    await screen.locator("#status").waitFor({ state: "hidden" });
    // Every title and winner id the screen ever shows, recorded in the page as it changes.
    await screen.evaluate(`(() => {
      window.__titles = new Set();
      window.__winners = new Set();
      const record = () => {
        window.__titles.add(document.getElementById("title").textContent);
        for (const w of document.querySelectorAll("[data-winner]")) window.__winners.add(w.getAttribute("data-winner"));
      };
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
      record();
    })()`);
    const seen = async () => (await screen.evaluate(`({ titles: [...window.__titles], winners: [...window.__winners] })`)) as { titles: string[]; winners: string[] };

    // 12 players, subscribed before any draw opens.
    const players = await Promise.all(Array.from({ length: 12 }, (_, i) => h.player(node.url, `guest-${i}`, `员工${String(i).padStart(2, "0")}号`)));
    await Promise.all(players.map((p) => p.subscribe(campaignId)));

    // The host opens the hall's draw from the console (特等奖 × 1, 幸运奖 × 3): it goes on screen.
    const form = consoleA.locator("#create");
    await form.locator("input[name=title]").fill("年会抽奖");
    await form.locator("input[name=seconds]").fill("8");
    await form.locator("button[type=submit]").click();
    await consoleA.locator("#s-countdown[aria-pressed=true]").waitFor();
    const hallId = (await consoleA.locator("#draws li.current").getAttribute("data-draw"))!;
    expect(hallId).toBeTruthy();
    await screen.locator("#title", { hasText: "年会抽奖" }).waitFor();

    // Meanwhile another draw opens in the same campaign (the demo opens one every 20 s): short,
    // revealing itself. Its events reach every screen's socket; none may show on the screen.
    const host = await h.hostToken();
    const other = await http<DrawCountdown>(`${node.url}/v1/campaigns/${campaignId}/draws`, {
      token: host,
      body: { title: "Demo draw 5", durationMs: 2000, winners: 2, autoReveal: true },
    });
    expect(other.status).toBe(201);
    const otherId = other.body.drawId;
    await Promise.all(players.map((p) => p.enter(campaignId, hallId)));
    await Promise.all(players.slice(0, 6).map((p) => p.enter(campaignId, otherId)));

    await screen.locator("#wall li").nth(5).waitFor({ timeout: 10_000 });
    await screen.locator("#entrants", { hasText: "12" }).waitFor({ timeout: 10_000 });
    await shot(screen, "show-1-countdown-1080");
    // At 1280×720 a live-draw campaign's console shows every control without scrolling, and none of
    // the instant-win panels. (Page-side code is a string: this file is compiled without the DOM's types.)
    const fits = (await consoleA.evaluate(`(() => {
      const ids = ["a-close", "a-reveal", "a-cancel", "d-left", "d-entrants", "create", "signout", "campaign", "s-waiting", "s-countdown", "s-reveal", "s-summary", "draws", "screen-link", "lang"];
      const scrolled = [...document.querySelectorAll(".panel")].filter((p) => p.scrollHeight > p.clientHeight + 1).map((p) => p.getAttribute("aria-labelledby") || p.className);
      return {
        scroll: document.documentElement.scrollHeight,
        scrolled,
        hidden: ids.filter((id) => {
          const r = document.getElementById(id).getBoundingClientRect();
          return !(r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth && r.width > 0);
        }),
        instantWin: [document.getElementById("tab-spin"), document.getElementById("iw-only")].filter((e) => e.checkVisibility()).length,
      };
    })()`)) as { scroll: number; scrolled: string[]; hidden: string[]; instantWin: number };
    expect(fits).toEqual({ scroll: 720, scrolled: [], hidden: [], instantWin: 0 });
    await shot(consoleA, "show-1-console-countdown-720");

    // The other draw is done (revealed automatically) while the hall's is still counting down.
    for (let d = await snapshot(otherId); d.phase !== "done"; d = await snapshot(otherId)) await new Promise((r) => setTimeout(r, 200));
    const otherWinners = (await snapshot(otherId)).revealed.flatMap((t) => t.winners.map((w) => w.intentId));
    expect(otherWinners).toHaveLength(2);
    // The console did not jump to it either.
    expect(await consoleA.locator("#d-title").textContent()).toBe("年会抽奖");

    // A second console (the backup laptop) sees the same stage.
    const consoleB = await signedInConsole();
    await consoleB.locator("#d-title", { hasText: "年会抽奖" }).waitFor();
    await consoleB.locator("#s-countdown[aria-pressed=true]").waitFor();

    // The hall's draw closes and draws; the backup console reveals the first tier.
    await consoleB.locator("#a-reveal:not([disabled])").waitFor({ timeout: 30_000 });
    await shot(screen, "show-2-drawn-1080");
    await consoleB.locator("#a-reveal").click();
    await consoleA.locator("#s-reveal[aria-pressed=true]").waitFor(); // the first console follows
    const tier1 = screen.locator('#reveal-winners li.settled[data-tier="tier-1"]');
    await tier1.first().waitFor({ timeout: 15_000 });
    let hall = await snapshot(hallId);
    expect(await tier1.first().getAttribute("data-winner")).toBe(hall.revealed[0]!.winners[0]!.intentId);
    await shot(screen, "show-3-tier-1-1080");

    // The screen's node dies; the host reveals the next tier meanwhile; the screen comes back to it.
    await screenNode.stop("SIGKILL");
    await screen.locator("#status").waitFor({ state: "visible" });
    expect(await screen.locator("#title").textContent()).toBe("年会抽奖"); // not blank while away
    await shot(screen, "show-4-reconnecting-1080");
    await consoleA.locator("#a-reveal").click();
    await consoleA.locator('#d-tiers li[data-tier="tier-2"] li[data-winner]').first().waitFor({ timeout: 15_000 });
    screenNode = await h.startNode({ PORT: String(port), LIVEDRAW_JOIN_URL: "https://join.example.com/d?c={campaignId}" });
    await screen.locator("#status").waitFor({ state: "hidden", timeout: 20_000 });
    const tier2 = screen.locator('#reveal-winners li.settled[data-tier="tier-2"]');
    await tier2.nth(2).waitFor({ timeout: 20_000 });
    hall = await snapshot(hallId);
    expect(hall.phase).toBe("done");
    expect((await tier2.evaluateAll((ws) => ws.map((w) => w.getAttribute("data-winner")))).sort()).toEqual(hall.revealed[1]!.winners.map((w) => w.intentId).sort());

    // The backup console puts the summary on screen: every tier, grand prize first, under the hall's title.
    await consoleB.locator("#s-summary").click();
    await screen.locator("#reveal-tier", { hasText: "年会抽奖 · 中奖名单" }).waitFor({ timeout: 10_000 });
    const summary = await screen.$$eval("#reveal-winners li.settled", (ws) => ws.map((w) => `${w.getAttribute("data-tier")}/${w.getAttribute("data-winner")}`));
    const expected = hall.tiers.flatMap((t) => hall.revealed.find((r) => r.tierId === t.tierId)!.winners.map((w) => `${t.tierId}/${w.intentId}`));
    expect(summary).toEqual(expected);
    expect(await screen.locator(".tier-group h3").first().textContent()).toBe("特等奖");
    await shot(screen, "show-5-summary-1080");
    await shot(consoleB, "show-5-console-summary-720");

    // Redraw with care: the backup console has verified the proof; the first console redraws a
    // lucky-prize winner who is absent, after a confirmation that insists on a reason.
    await consoleB.locator("#verify").click();
    await consoleB.locator("#verify-msg", { hasText: "已验证" }).waitFor({ timeout: 20_000 });
    const replaced = hall.revealed[1]!.winners[0]!;
    await consoleA.locator(`#d-tiers li[data-winner="${replaced.intentId}"] button`).click();
    await consoleA.locator("#redraw-dialog[open]").waitFor();
    expect(await consoleA.locator("#redraw-who").textContent()).toContain(replaced.name);
    await consoleA.locator("#redraw-confirm").click();
    await consoleA.locator("#redraw-msg", { hasText: "请选择原因" }).waitFor();
    expect((await snapshot(hallId)).revealed[1]!.winners.map((w) => w.intentId)).toContain(replaced.intentId); // nothing changed yet
    await shot(consoleA, "show-6-console-redraw-confirm-720");
    const reproof = consoleB.waitForRequest((r) => r.url().endsWith(`/draws/${hallId}/proof`), { timeout: 20_000 });
    await consoleA.locator('#redraw-dialog input[value="absent"]').check();
    await consoleA.locator("#redraw-confirm").click();
    await consoleA.locator("#redraw-dialog").waitFor({ state: "hidden" });
    const after = await snapshot(hallId);
    const newcomer = after.revealed[1]!.winners.find((w) => !hall.revealed[1]!.winners.some((o) => o.intentId === w.intentId))!;
    expect(newcomer).toBeTruthy();
    // The screen says so, and marks the new winner in the summary.
    await screen.locator("#reveal-note", { hasText: "幸运奖重新抽取：缺席" }).waitFor({ timeout: 10_000 });
    expect(await screen.locator("#reveal-winners li.redrawn").getAttribute("data-winner")).toBe(newcomer.intentId);
    expect(await screen.locator(`#reveal-winners [data-winner="${replaced.intentId}"]`).count()).toBe(0);
    await shot(screen, "show-6-redrawn-1080");
    // The backup console's verdict is taken again on the new proof.
    await reproof;
    await consoleB.locator("#verify-msg", { hasText: "已验证" }).waitFor({ timeout: 20_000 });
    // The audit log has it, with the host and the reason.
    const audit = await http<{ records: { type: string; data: Record<string, unknown> }[] }>(`${node.url}/v1/campaigns/${campaignId}/audit`);
    const redraws = audit.body.records.filter((r) => r.type === "host.action" && r.data.action === "redraw");
    expect(redraws).toEqual([expect.objectContaining({ data: expect.objectContaining({ hostId: HOST.id, via: "session", reason: "absent", replaces: replaced.intentId, entryId: newcomer.intentId }) })]);
    const stages = audit.body.records.filter((r) => r.type === "host.action" && r.data.action === "set-stage");
    expect(stages.map((r) => r.data.phase)).toEqual(["countdown", "reveal", "summary"]);

    // Nothing of the other draw ever reached the screen.
    const { titles, winners } = await seen();
    expect(titles).not.toContain("Demo draw 5");
    expect(titles.filter((t) => t !== "大屏")).toEqual(["年会抽奖"]);
    expect(winners.filter((w) => otherWinners.includes(w))).toEqual([]);
    // And the screen spoke Chinese throughout.
    expect(english(await visibleText(screen))).toEqual([]);
    expect(english(await visibleText(consoleB))).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 240_000);

  it("a 100-winner tier stays readable at 1920×1080: names ≥ 60 px, none cut, on pages that turn", async () => {
    const hall = uniqueId("hundred");
    const screen = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
    watch(screen);
    await screen.goto(`${node.url}/screen/${hall}`);
    await screen.locator("#status").waitFor({ state: "hidden" });
    // Half the names are masked phone numbers (11 characters, the widest a screen shows).
    const players = await Promise.all(
      Array.from({ length: 110 }, (_, i) => h.player(node.url, `crowd-${i}`, i % 2 ? `1380013${String(i).padStart(4, "0")}` : `员工${String(i).padStart(3, "0")}号`)),
    );
    await Promise.all(players.map((p) => p.subscribe(hall)));
    const host = await h.hostToken();
    const opened = await http<DrawCountdown>(`${node.url}/v1/campaigns/${hall}/draws`, {
      token: host,
      body: { title: "百人大奖", durationMs: 4000, tiers: [{ tierId: "hundred", name: "阳光普照奖", count: 100 }], autoReveal: true },
    });
    expect(opened.status).toBe(201);
    await Promise.all(players.map((p) => p.enter(hall, opened.body.drawId)));
    for (let d = await snapshotOf(hall, opened.body.drawId); d.phase !== "done"; d = await snapshotOf(hall, opened.body.drawId)) await new Promise((r) => setTimeout(r, 250));
    const server = (await snapshotOf(hall, opened.body.drawId)).revealed[0]!.winners.map((w) => w.intentId).sort();
    expect(server).toHaveLength(100);

    // Every page: each name ≥ 60 px, inside the screen and not cut; the pages together show the 100 winners.
    const seenIds = new Set<string>();
    const pages = new Set<string>();
    let smallest = Infinity;
    const deadline = Date.now() + 90_000;
    while (seenIds.size < 100 && Date.now() < deadline) {
      await screen.locator("#reveal-note", { hasText: "页" }).waitFor({ timeout: 30_000 });
      // Measured once the names' settle animation (a scale) has finished: it changes their boxes.
      const page = (await screen.evaluate(`(async () => {
        await Promise.all(document.getAnimations().filter((a) => a.effect && a.effect.target && a.effect.target.closest && a.effect.target.closest("#reveal-winners")).map((a) => a.finished));
        const note = document.getElementById("reveal-note").textContent;
        const names = [...document.querySelectorAll("#reveal-winners li.settled")].map((li) => {
          const r = li.getBoundingClientRect();
          return { id: li.getAttribute("data-winner"), text: li.textContent, sw: li.scrollWidth, cw: li.clientWidth, top: r.top, bottom: r.bottom, size: parseFloat(getComputedStyle(li).fontSize), inside: r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth, cut: li.scrollWidth > li.clientWidth };
        });
        return { note, names };
      })()`)) as { note: string; names: { id: string; size: number; inside: boolean; cut: boolean }[] };
      if (pages.has(page.note)) {
        // The next page (a string function would need 'unsafe-eval', which the page's CSP refuses).
        const same = new RegExp(`^${page.note.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
        await screen.locator("#reveal-note").filter({ hasNotText: same }).waitFor({ timeout: 15_000 });
        continue;
      }
      pages.add(page.note);
      if (pages.size === 1) await shot(screen, "show-7-hundred-winners-1080");
      expect(page.names.length).toBeLessThanOrEqual(35); // 7 rows of at most 5
      for (const n of page.names) {
        expect(n, `${page.note}: ${JSON.stringify(n)}`).toMatchObject({ inside: true, cut: false });
        smallest = Math.min(smallest, n.size);
        seenIds.add(n.id);
      }
    }
    expect([...seenIds].sort()).toEqual(server);
    expect(smallest).toBeGreaterThanOrEqual(60);
    console.log(`100 winners at 1920×1080: ${pages.size} pages looked at (${[...pages].join(" | ")}), smallest name ${smallest} px`);
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
