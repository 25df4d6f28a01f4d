/**
 * The venue's big screen (`/screen/:campaignId`): no controls, no sign-in (an anonymous viewer
 * socket), nothing personal beyond masked names. QR code to join, the countdown on the corrected
 * server clock, the entrant counter, a sign-in wall of the latest entrants, and the reveal: each
 * winner's slot rolls through entrants' names and settles on the winner the moment the reveal
 * arrives. Follows the campaign from draw to draw; says "Reconnecting…" when it cannot reach the server.
 */
import { ID_PATTERN, SERVER_EVENTS, type DrawReveal, type DrawSnapshot } from "@livedraw/protocol";
import { ClientState, LiveDrawClient } from "@livedraw/client-sdk";
import { byId, formatRemaining, h, setText } from "../shared/dom.js";
import { describeProblem } from "../shared/errors.js";
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
  wall: byId("wall"),
};

const WALL_SIZE = 36;
const ROLL_MS = 1600;
const SETTLE_STAGGER_MS = 220;

const campaignId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] ?? "");
let stopCountdown: (() => void) | null = null;
let countdownFor = "";
let lastTickNames: string[] = [];
/** Names seen on the wall, newest first: the reel the reveal rolls through. */
let reel: string[] = [];
let revealQueue: Promise<void> = Promise.resolve();
let shownDraw = "";

const PHASE_WORDS: Record<DrawSnapshot["phase"], string> = {
  open: "扫码参与 · Scan to join",
  closed: "截止 · Entries closed",
  drawn: "即将揭晓 · Winners coming up",
  revealing: "揭晓中 · Revealing",
  done: "恭喜中奖者 · Congratulations",
  cancelled: "已取消 · Cancelled",
};

if (!ID_PATTERN.test(campaignId)) {
  setText(el.title, "No such campaign");
} else {
  void start();
}

async function start(): Promise<void> {
  void showJoin();
  const client = new LiveDrawClient({ url: location.origin, viewer: true, minReconnectDelayMs: 300, maxReconnectDelayMs: 5000 });
  client.on("state", (s) => {
    el.status.hidden = s.newState === ClientState.Connected;
  });
  const render = () => renderDraw(client, client.draw(campaignId));
  client.on(SERVER_EVENTS.countdown, render);
  client.on(SERVER_EVENTS.closed, render);
  client.on(SERVER_EVENTS.done, () => {
    render();
    revealQueue = revealQueue.then(() => wait(4000)).then(() => showSummary(client.draw(campaignId)));
  });
  client.on(SERVER_EVENTS.cancelled, render);
  client.on(SERVER_EVENTS.redraw, () => showSummary(client.draw(campaignId)));
  client.on(SERVER_EVENTS.tick, (t) => {
    if (t.campaignId !== campaignId) return;
    addToWall(t.recentEntrants);
    setText(el.entrants, String(t.entrants));
  });
  client.on(SERVER_EVENTS.reveal, (r) => {
    render();
    revealQueue = revealQueue.then(() => playReveal(r));
  });
  client.on("resync", render);
  try {
    await client.connect(60_000);
    await client.subscribe(campaignId);
    render();
    const d = client.draw(campaignId);
    if (d && d.revealed.length > 0) showSummary(d);
  } catch (err) {
    setText(el.phase, describeProblem(err).message);
  }
}

async function showJoin(): Promise<void> {
  try {
    const res = await fetch(`/v1/campaigns/${encodeURIComponent(campaignId)}/join`);
    const { joinUrl } = (await res.json()) as { joinUrl: string };
    el.qr.replaceChildren(qrSvg(joinUrl));
    setText(el.joinUrl, joinUrl);
  } catch {
    setText(el.joinUrl, "");
  }
}

function renderDraw(client: LiveDrawClient, d: DrawSnapshot | null): void {
  if (!d) {
    setText(el.phase, "Waiting for the host…");
    return;
  }
  if (d.drawId !== shownDraw) {
    // A new draw: clear the stage.
    shownDraw = d.drawId;
    el.reveal.hidden = true;
    el.wall.replaceChildren();
    lastTickNames = [];
    reel = [];
  }
  setText(el.title, d.title);
  setText(el.phase, PHASE_WORDS[d.phase]);
  setText(el.entrants, String(d.entrants));
  if (d.phase === "open") {
    if (countdownFor !== d.drawId) {
      stopCountdown?.();
      countdownFor = d.drawId;
      stopCountdown = client.countdown(
        d.deadline,
        (ms) => {
          setText(el.count, formatRemaining(ms));
          if (ms === 0) setText(el.phase, PHASE_WORDS.closed); // the server's close follows within moments
        },
        100,
      );
    }
  } else {
    stopCountdown?.();
    stopCountdown = null;
    countdownFor = "";
    setText(el.count, d.phase === "cancelled" ? "—" : "0.0");
  }
}

/** Ticks carry the latest entrants, newest first; only the ones not on the wall yet are added. */
function addToWall(latest: string[]): void {
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

/** Slots roll through entrants' names, then settle on the winners one after another. */
async function playReveal(r: DrawReveal): Promise<void> {
  if (r.campaignId !== campaignId) return;
  el.reveal.hidden = false;
  setText(el.revealTier, r.tierName);
  el.revealWinners.classList.toggle("many", r.winners.length > 6);
  el.revealWinners.classList.toggle("lots", r.winners.length > 24);
  const slots = r.winners.map((w) => h("li", { class: "rolling", "data-tier": r.tierId, "data-winner": w.intentId }, "…"));
  el.revealWinners.replaceChildren(...slots);
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
          setText(slot, r.winners[i]!.name);
        } else setText(slot, pool[Math.floor(Math.random() * pool.length)]!);
      });
      if (slots.every((s) => s.classList.contains("settled"))) resolve();
      else setTimeout(spin, 70);
    };
    spin();
  });
  await wait(2500);
}

/** After the last tier (or a redraw): every tier's winners at once. */
function showSummary(d: DrawSnapshot | null): void {
  if (!d || d.revealed.length === 0) return;
  el.reveal.hidden = false;
  setText(el.revealTier, d.phase === "done" ? "中奖名单 · Winners" : d.title);
  const total = d.revealed.reduce((n, t) => n + t.winners.length, 0);
  el.revealWinners.classList.toggle("many", total > 6);
  el.revealWinners.classList.toggle("lots", total > 24);
  el.revealWinners.replaceChildren(
    ...d.revealed.map((t) =>
      h(
        "li",
        { class: "tier-group" },
        h("h3", {}, t.name),
        h("ol", {}, ...t.winners.map((w) => h("li", { class: "settled", "data-tier": t.tierId, "data-winner": w.intentId }, w.name))),
      ),
    ),
  );
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
