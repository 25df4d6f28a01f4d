/**
 * The venue's big screen (`/screen/:campaignId`): no controls, no sign-in (an anonymous viewer
 * socket), nothing personal beyond the names the server broadcasts. It shows the campaign's stage
 * (shared/show.ts): the draw a host put on screen, in the phase the host chose — waiting, countdown,
 * reveal, summary — and nothing of any other draw. Countdown on the corrected server clock, entrant
 * counter, sign-in wall, QR code to join; in the reveal each winner's slot rolls through entrants'
 * names and settles on the winner; the summary lists every tier in tier order, grand prize first.
 * Names stay ≥ 60 px at 1920×1080: more winners than fit (7 rows of 3–5 columns, as wide as the
 * longest name needs) go on pages that turn by themselves.
 * Says "reconnecting" when it cannot reach the server, keeping what it shows.
 */
import { ID_PATTERN, type DrawReveal, type DrawSnapshot, type RevealedTier } from "@livedraw/protocol";
import { ClientState, LiveDrawClient } from "@livedraw/client-sdk";
import { byId, formatRemaining, h, setText } from "../shared/dom.js";
import { describeProblem } from "../shared/errors.js";
import { t, translatePage, type MessageKey } from "../shared/i18n.js";
import { Show, type ShowChange } from "../shared/show.js";
import { qrSvg } from "./qr.js";

const el = {
  status: byId("status"),
  title: byId("title"),
  phase: byId("phase"),
  count: byId("count"),
  entrants: byId("entrants"),
  qr: byId("qr"),
  joinUrl: byId("join-url"),
  reveal: byId("reveal"),
  revealTier: byId("reveal-tier"),
  revealWinners: byId("reveal-winners"),
  revealNote: byId("reveal-note"),
  wall: byId("wall"),
};

const WALL_SIZE = 36;
const ROLL_MS = 1600;
const SETTLE_STAGGER_MS = 120;
/** Rows of names per page (6vh each: 65 px at 1920×1080). */
const ROWS = 7;

/**
 * Columns (3–5) the grid can give names this long at 6vh without cutting one: a masked phone number
 * (11 characters) needs a third of the screen, masked Chinese names a fifth. Widths in em, estimated
 * per character (CJK 1.05, digits and Latin 0.68, '*' 0.6) for a bold sans face.
 */
function columnsFor(names: string[]): number {
  const em = Math.max(1, ...names.map((n) => [...n].reduce((w, ch) => w + (/[\u2e80-\uffff]/.test(ch) ? 1.05 : ch === "*" ? 0.6 : 0.68), 0)));
  const vh = innerHeight / 100;
  const usable = innerWidth * 0.94;
  for (const c of [5, 4, 3]) {
    const column = (usable - (c - 1) * innerWidth * 0.012) / c;
    if (em * 6 * vh + 2 * vh <= column) return c;
  }
  return 3;
}
const PAGE_TURN_MS = 7000;

const campaignId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] ?? "");
translatePage();
document.title = t("screen.title");

let show: Show | null = null;
let client: LiveDrawClient | null = null;
let stopCountdown: (() => void) | null = null;
let countdownFor = "";
let lastTickNames: string[] = [];
/** Names seen on the wall, newest first: the reel the reveal rolls through. */
let reel: string[] = [];
let revealQueue: Promise<void> = Promise.resolve();
/** What the overlay shows now, so a re-render with the same content leaves it alone. */
let overlayKey = "";
let wallDraw = "";
let pageTimer: ReturnType<typeof setInterval> | undefined;
/** Tiers whose reveal was played (or shown) for the draw on screen. */
const played = new Set<string>();
let playedDraw = "";

if (!ID_PATTERN.test(campaignId)) {
  setText(el.title, t("screen.noCampaign"));
} else {
  void start();
}

async function start(): Promise<void> {
  void showJoin();
  const c = new LiveDrawClient({ url: location.origin, viewer: true, minReconnectDelayMs: 300, maxReconnectDelayMs: 5000 });
  client = c;
  c.on("state", (s) => {
    el.status.hidden = s.newState === ClientState.Connected;
  });
  show = new Show(c, campaignId, onChange);
  try {
    await c.connect(60_000);
    await c.subscribe(campaignId);
    await show.load();
    render();
  } catch (err) {
    setText(el.phase, describeProblem(err).message);
  }
}

function onChange(change: ShowChange): void {
  if (!show) return;
  if (change.kind === "tick") {
    addToWall(change.p.drawId, change.p.recentEntrants);
    setText(el.entrants, String(change.p.entrants));
    return;
  }
  if (change.kind === "reveal") {
    const phase = show.phase();
    if (phase === "countdown" || phase === "reveal") {
      queueReveal(change.p);
      return; // the roll renders when it settles
    }
  }
  if (change.kind === "done" && !show.staged) {
    // No host drives the stage: the summary follows the last reveal by itself.
    revealQueue = revealQueue.then(() => wait(4000)).then(render);
  }
  render();
}

async function showJoin(): Promise<void> {
  try {
    const res = await fetch(`/v1/campaigns/${encodeURIComponent(campaignId)}/join`);
    const { joinUrl } = (await res.json()) as { joinUrl: string };
    el.qr.replaceChildren(qrSvg(joinUrl, t("screen.qr", { url: joinUrl })));
    setText(el.joinUrl, joinUrl);
  } catch {
    setText(el.joinUrl, "");
  }
}

/** Draws the page for the stage and the staged draw; idempotent. */
function render(): void {
  if (!show || !client) return;
  const d = show.draw();
  const phase = show.phase();
  if (!d) {
    setText(el.title, t("screen.title"));
    setText(el.phase, t("screen.waitingHost"));
    setCount(null, "—");
    hideOverlay();
    return;
  }
  if (d.drawId !== playedDraw) {
    playedDraw = d.drawId;
    played.clear();
  }
  if (d.drawId !== wallDraw) {
    wallDraw = d.drawId;
    el.wall.replaceChildren();
    lastTickNames = [];
    reel = [];
  }
  setText(el.title, d.title);
  setText(el.entrants, String(d.entrants));
  setText(el.phase, phase === "waiting" ? t("screen.phase.waiting") : t(`screen.phase.${d.phase}` as MessageKey));
  if (phase === "countdown" && d.phase === "open") setCount(d, "");
  else setCount(null, phase === "waiting" || d.phase === "cancelled" ? "—" : "0.0");

  if (phase === "waiting" || (phase === "countdown" && played.size === 0)) {
    hideOverlay();
    return;
  }
  if (phase === "summary") {
    showSummary(d);
    return;
  }
  // reveal (or countdown after a reveal): the latest tier, unless a roll is playing or due.
  if (pendingRolls > 0) return;
  const unplayed = d.revealed.filter((r) => !played.has(r.tierId));
  if (unplayed.length > 0 && phase === "reveal") {
    // Revealed while this screen was away or before the stage got here: shown settled, no roll.
    for (const r of unplayed) played.add(r.tierId);
  }
  const last = d.revealed[d.revealed.length - 1];
  if (!last) {
    showOverlay(`coming:${d.drawId}`, t("screen.comingUp"), []);
    return;
  }
  showTier(d, last);
}

function setCount(d: DrawSnapshot | null, text: string): void {
  if (d && client) {
    if (countdownFor !== d.drawId) {
      stopCountdown?.();
      countdownFor = d.drawId;
      stopCountdown = client.countdown(
        d.deadline,
        (ms) => {
          setText(el.count, formatRemaining(ms));
          if (ms === 0) setText(el.phase, t("screen.phase.closed")); // the server's close follows within moments
        },
        100,
      );
    }
    return;
  }
  stopCountdown?.();
  stopCountdown = null;
  countdownFor = "";
  setText(el.count, text);
}

/** Ticks carry the latest entrants, newest first; only the ones not on the wall yet are added. */
function addToWall(drawId: string, latest: string[]): void {
  if (drawId !== wallDraw) return;
  const head = lastTickNames[0];
  const overlap = head === undefined ? -1 : latest.findIndex((n, i) => n === head && latest[i + 1] === lastTickNames[1]);
  const fresh = overlap < 0 ? latest : latest.slice(0, overlap);
  lastTickNames = latest;
  for (const name of [...fresh].reverse()) {
    el.wall.prepend(h("li", {}, name));
    reel.unshift(name);
  }
  while (el.wall.children.length > WALL_SIZE) el.wall.lastElementChild?.remove();
  if (reel.length > 200) reel.length = 200;
}

// ------------------------------------------------------------------ overlay

function hideOverlay(): void {
  clearInterval(pageTimer);
  overlayKey = "";
  el.reveal.hidden = true;
}

type Item = { tierId: string; name: string; intentId: string };

/** Shows pages of groups (a tier's name over its winners); turns pages when there are several. */
function showOverlay(key: string, heading: string, pages: { tier: string; items: Item[] }[][], note = "", redrawn: string | null = null, columns = 4): void {
  if (key === overlayKey) return;
  overlayKey = key;
  clearInterval(pageTimer);
  el.reveal.hidden = false;
  setText(el.revealTier, heading);
  let page = 0;
  const draw = () => {
    const groups = pages[page] ?? [];
    const count = groups.reduce((n, g) => n + g.items.length, 0);
    el.revealWinners.className = `reveal-winners ${count <= 6 ? "few" : `grid cols-${columns}`}`;
    el.revealWinners.replaceChildren(
      ...groups.map((g) =>
        h(
          "li",
          { class: "tier-group" },
          g.tier ? h("h3", {}, g.tier) : null,
          h("ol", {}, ...g.items.map((w) => h("li", { class: w.intentId === redrawn ? "settled redrawn" : "settled", "data-tier": w.tierId, "data-winner": w.intentId }, w.name))),
        ),
      ),
    );
    setText(el.revealNote, [note, pages.length > 1 ? t("screen.pageOf", { n: page + 1, total: pages.length }) : ""].filter(Boolean).join(" · "));
    el.revealNote.classList.toggle("redraw", redrawn !== null || note.includes(t("screen.redrawnWord")));
  };
  draw();
  if (pages.length > 1) {
    pageTimer = setInterval(() => {
      page = (page + 1) % pages.length;
      draw();
    }, PAGE_TURN_MS);
  }
}

const items = (r: RevealedTier): Item[] => r.winners.map((w) => ({ tierId: r.tierId, name: w.name, intentId: w.intentId }));

function chunk<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out.length > 0 ? out : [[]];
}

/** The staged draw's last redraw, if it touched one of these tiers: the note and the new winner to mark. */
function redrawNote(d: DrawSnapshot, tiers: RevealedTier[]): { note: string; winner: string | null; key: string } {
  const rd = show?.stage.redraw;
  const tier = rd && rd.drawId === d.drawId ? tiers.find((r) => r.tierId === rd.tierId) : undefined;
  if (!rd || !tier) return { note: "", winner: null, key: "" };
  const reason = rd.reason ? t(`reason.${rd.reason}` as MessageKey) : t("reason.none");
  return { note: t("screen.redrawn", { tier: tier.name, reason }), winner: rd.winner, key: `${rd.at}` };
}

function showTier(d: DrawSnapshot, r: RevealedTier): void {
  const rd = redrawNote(d, [r]);
  const key = `tier:${d.drawId}:${r.tierId}:${r.winners.map((w) => w.intentId).join(",")}:${rd.key}`;
  const columns = columnsFor(r.winners.map((w) => w.name));
  showOverlay(key, r.name, chunk(items(r), columns * ROWS).map((p) => [{ tier: "", items: p }]), rd.note, rd.winner, columns);
}

/** Every revealed tier in tier order (grand prize first); small tiers share a page. */
function showSummary(d: DrawSnapshot): void {
  const byTier = new Map(d.revealed.map((r) => [r.tierId, r]));
  const ordered = d.tiers.map((tier) => byTier.get(tier.tierId)).filter((r): r is RevealedTier => r !== undefined);
  const rd = redrawNote(d, ordered);
  const key = `summary:${d.drawId}:${ordered.map((r) => r.tierId + "=" + r.winners.map((w) => w.intentId).join(",")).join(";")}:${rd.key}`;
  const pages: { tier: string; items: Item[] }[][] = [];
  let current: { tier: string; items: Item[] }[] = [];
  let used = 0;
  const columns = columnsFor(ordered.flatMap((r) => r.winners.map((w) => w.name)));
  // Rows of a page: a tier's name takes about one, and its last row of names a whole one.
  for (const r of ordered) {
    for (const part of chunk(items(r), columns * (ROWS - 1))) {
      const cost = Math.ceil(part.length / columns) + 1;
      if (used > 0 && used + cost > ROWS) {
        pages.push(current);
        current = [];
        used = 0;
      }
      current.push({ tier: r.name, items: part });
      used += cost;
    }
  }
  if (current.length > 0 || pages.length === 0) pages.push(current);
  showOverlay(key, `${d.title} · ${t("screen.summary")}`, pages, [rd.note, d.phase === "done" ? t("screen.verified") : ""].filter(Boolean).join(" · "), rd.winner, columns);
}

// ------------------------------------------------------------------ the roll

/** Rolls queued or playing: the overlay is theirs until they settle. */
let pendingRolls = 0;

function queueReveal(r: DrawReveal): void {
  if (played.has(r.tierId) && playedDraw === r.drawId) return;
  if (playedDraw === r.drawId) played.add(r.tierId);
  pendingRolls++;
  revealQueue = revealQueue
    .then(() => playReveal(r))
    .finally(() => pendingRolls--)
    .then(render);
}

/** Slots roll through entrants' names, then settle on the winners one after another. */
async function playReveal(r: DrawReveal): Promise<void> {
  if (!show?.shows(r.campaignId, r.drawId)) return;
  played.add(r.tierId);
  overlayKey = `roll:${r.drawId}:${r.tierId}`;
  clearInterval(pageTimer);
  el.reveal.hidden = false;
  setText(el.revealTier, r.tierName);
  setText(el.revealNote, "");
  // Only the first page rolls; the rest of a large tier is paged once settled.
  const columns = columnsFor(r.winners.map((w) => w.name));
  const pageSize = columns * ROWS;
  const first = r.winners.slice(0, pageSize);
  el.revealWinners.className = `reveal-winners ${first.length <= 6 ? "few" : `grid cols-${columns}`}`;
  const slots = first.map((w) => h("li", { class: "rolling", "data-tier": r.tierId, "data-winner": w.intentId }, "…"));
  el.revealWinners.replaceChildren(h("li", { class: "tier-group" }, h("ol", {}, ...slots)));
  const pool = reel.length > 0 ? reel : r.winners.map((w) => w.name);
  const reduced = matchMedia("(prefers-reduced-motion: reduce)").matches;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const spin = () => {
      const elapsed = performance.now() - started;
      slots.forEach((slot, i) => {
        if (slot.classList.contains("settled")) return;
        if (reduced || elapsed >= ROLL_MS + i * SETTLE_STAGGER_MS) {
          slot.className = "settled";
          setText(slot, first[i]!.name);
        } else setText(slot, pool[Math.floor(Math.random() * pool.length)]!);
      });
      if (slots.every((s) => s.classList.contains("settled"))) resolve();
      else setTimeout(spin, 70);
    };
    spin();
  });
  // What render() would show for this tier: it leaves the settled slots alone.
  overlayKey = r.winners.length > pageSize ? "" : `tier:${r.drawId}:${r.tierId}:${r.winners.map((w) => w.intentId).join(",")}:`;
  await wait(r.winners.length > pageSize ? 0 : 1500);
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
