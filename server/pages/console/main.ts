/**
 * The host console: sign in (session cookie + CSRF token), follow a campaign over Socket.IO as a host
 * (no polling), choose what the hall's screens show (the stage: a draw and a phase, kept on the
 * server, so a second console sees and drives the same night), and run the staged draw: open, close
 * early, reveal tier by tier, redraw a slot, cancel, verify the proof in the browser. The live panel
 * follows the staged draw by id and never jumps to a newer one. Rendering uses textContent only.
 */
import { ID_PATTERN, SERVER_EVENTS, type DrawCountdown, type DrawSnapshot, type LeaderboardTop, type StagePhase } from "@livedraw/protocol";
import { ClientState, LiveDrawClient } from "@livedraw/client-sdk";
import { api, setCsrfToken } from "../shared/api.js";
import { byId, formatRemaining, h, setText, svg } from "../shared/dom.js";
import { describeProblem } from "../shared/errors.js";
import { otherLocale, t, translatePage, type MessageKey } from "../shared/i18n.js";
import { Show } from "../shared/show.js";
import { followInstantWin } from "./instant-win.js";
import { followAnalytics } from "./analytics.js";

interface Session {
  hostId: string;
  csrfToken: string;
  expiresAt: number;
}

interface DrawRow {
  drawId: string;
  title: string;
  phase: string;
  openedAt: number;
  deadline: number;
  entrants: number;
}

const el = {
  app: byId("app"),
  campaign: byId<HTMLInputElement>("campaign"),
  follow: byId<HTMLFormElement>("follow"),
  conn: byId("conn"),
  who: byId("who"),
  signout: byId<HTMLButtonElement>("signout"),
  signin: byId<HTMLDialogElement>("signin"),
  signinForm: byId<HTMLFormElement>("signin-form"),
  signinMsg: byId("signin-msg"),
  create: byId<HTMLFormElement>("create"),
  tiers: byId("tiers"),
  addTier: byId<HTMLButtonElement>("add-tier"),
  createMsg: byId("create-msg"),
  title: byId("d-title"),
  phase: byId("d-phase"),
  drawId: byId("d-id"),
  left: byId("d-left"),
  entrants: byId("d-entrants"),
  chart: byId("d-chart") as unknown as SVGSVGElement,
  close: byId<HTMLButtonElement>("a-close"),
  reveal: byId<HTMLButtonElement>("a-reveal"),
  cancel: byId<HTMLButtonElement>("a-cancel"),
  liveMsg: byId("live-msg"),
  tierList: byId("d-tiers"),
  draws: byId("draws"),
  proof: byId<HTMLAnchorElement>("proof"),
  verify: byId<HTMLButtonElement>("verify"),
  verifyMsg: byId("verify-msg"),
  screenLink: byId<HTMLAnchorElement>("screen-link"),
  board: byId("board"),
  boardBox: byId("board-box"),
  lang: byId<HTMLButtonElement>("lang"),
  stageLine: byId("stage-line"),
  stageButtons: [...document.querySelectorAll<HTMLButtonElement>(".stage-bar button[data-phase]")],
  redrawDialog: byId<HTMLDialogElement>("redraw-dialog"),
  redrawForm: byId<HTMLFormElement>("redraw-form"),
  redrawWho: byId("redraw-who"),
  redrawKeep: byId<HTMLButtonElement>("redraw-keep"),
  redrawMsg: byId("redraw-msg"),
};

translatePage();
document.title = t("app.console");
setText(el.lang, t("lang.switch"));
el.lang.lang = otherLocale();
el.lang.addEventListener("click", () => {
  const url = new URL(location.href);
  url.searchParams.set("lang", otherLocale());
  location.assign(url.toString());
});
(el.create.elements.namedItem("title") as HTMLInputElement).value = t("create.title.default");
setText(el.conn, t("conn.offline"));

/** Which panels apply: instant-win ones for an instant-win campaign, the live-draw ones for a campaign with draws. */
const kind = { instantWin: false, hasDraws: false };
function applyKind(): void {
  byId("iw-only").hidden = !kind.instantWin;
  const spinTab = byId<HTMLButtonElement>("tab-spin");
  spinTab.hidden = !kind.instantWin && kind.hasDraws;
  if (spinTab.hidden && spinTab.getAttribute("aria-selected") === "true") byId<HTMLButtonElement>("tab-draw").click();
}

let client: LiveDrawClient | null = null;
let show: Show | null = null;
let campaignId = "";
let stopCountdown: (() => void) | null = null;
let countdownFor = "";
/** Entrants at each tick, for the entries-per-second chart (last 60 s). */
let series: number[] = [];
let seriesDraw = "";

// ------------------------------------------------------------------ messages

function say(target: HTMLElement, text: string, ok = false): void {
  target.classList.toggle("ok", ok);
  setText(target, text);
}

function sayProblem(target: HTMLElement, err: unknown): void {
  const p = describeProblem(err);
  say(target, `${p.message} (${p.code})`);
  target.title = p.detail; // the server's specifics, on hover
}

// ------------------------------------------------------------------ session

async function restoreSession(): Promise<Session | null> {
  try {
    return await api<Session>("GET", "/v1/host/session");
  } catch {
    return null;
  }
}

function signedIn(session: Session): void {
  setCsrfToken(session.csrfToken);
  setText(el.who, t("who", { id: session.hostId }));
  el.signout.hidden = false;
  el.app.hidden = false;
  if (el.signin.open) el.signin.close();
  const saved = new URLSearchParams(location.search).get("campaign") ?? localStorage.getItem("livedraw.campaign") ?? "";
  if (saved && ID_PATTERN.test(saved)) {
    el.campaign.value = saved;
    void follow(saved);
  } else el.campaign.focus();
}

function showSignIn(): void {
  el.app.hidden = true;
  el.signout.hidden = true;
  setText(el.who, "");
  if (!el.signin.open) el.signin.showModal();
}

el.signinForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const data = new FormData(el.signinForm);
  try {
    const session = await api<Session>("POST", "/v1/host/session", { hostId: String(data.get("hostId")), password: String(data.get("password")) });
    el.signinForm.reset();
    say(el.signinMsg, "");
    signedIn(session);
  } catch (err) {
    sayProblem(el.signinMsg, err);
  }
});
el.signin.addEventListener("cancel", (ev) => ev.preventDefault()); // the console needs a session

el.signout.addEventListener("click", async () => {
  try {
    await api("DELETE", "/v1/host/session");
  } catch {
    // signed out either way
  }
  setCsrfToken(null);
  client?.close();
  client = null;
  showSignIn();
});

// ------------------------------------------------------------------ following a campaign

el.follow.addEventListener("submit", (ev) => {
  ev.preventDefault();
  const id = el.campaign.value.trim();
  if (!ID_PATTERN.test(id)) {
    say(el.liveMsg, t("campaign.bad"));
    return;
  }
  void follow(id);
});

async function follow(id: string): Promise<void> {
  campaignId = id;
  localStorage.setItem("livedraw.campaign", id);
  const url = new URL(location.href);
  url.searchParams.set("campaign", id);
  history.replaceState(null, "", url.pathname + url.search);
  el.screenLink.href = `/screen/${encodeURIComponent(id)}?lang=${encodeURIComponent(document.documentElement.lang)}`;
  followInstantWin(id);
  followAnalytics(id, (instantWin) => {
    kind.instantWin = instantWin;
    applyKind();
  });
  say(el.liveMsg, "");
  client?.close();
  const c = new LiveDrawClient({ url: location.origin, minReconnectDelayMs: 300, maxReconnectDelayMs: 5000 });
  client = c;
  c.on("state", (s) => {
    const word: Record<string, MessageKey> = { connected: "conn.live", connecting: "conn.connecting", disconnected: "conn.offline", closed: "conn.closed" };
    setText(el.conn, t(word[s.newState] ?? "conn.offline"));
    el.conn.className = `badge ${s.newState}`;
  });
  const rerender = () => c === client && render();
  show = new Show(c, id, (change) => {
    if (c !== client) return;
    if (change.kind === "tick") {
      if (change.p.drawId !== seriesDraw) {
        seriesDraw = change.p.drawId;
        series = [];
      }
      series.push(change.p.entrants);
      if (series.length > 61) series.shift();
    } else void loadDraws();
    if (change.kind === "redraw") redrawn();
    render();
  });
  // Draws that are not on screen still change the list.
  for (const ev of [SERVER_EVENTS.countdown, SERVER_EVENTS.done, SERVER_EVENTS.cancelled] as const) c.on(ev, () => c === client && void loadDraws());
  c.on(SERVER_EVENTS.leaderboardUpdate, renderBoard);
  try {
    await c.connect();
    await c.subscribe(id);
    await show.load();
    rerender();
    void loadDraws();
  } catch (err) {
    if (c === client) sayProblem(el.liveMsg, err);
    return;
  }
  // A campaign with no leaderboard activity yet has no board: the box stays hidden.
  c.subscribeLeaderboard(id, "assists").then(renderBoard, () => (el.boardBox.hidden = true));
}

async function loadDraws(): Promise<void> {
  if (!campaignId) return;
  try {
    // A campaign with no draws yet is an empty list (docs/http-api.md §2).
    const { draws } = await api<{ draws: DrawRow[] }>("GET", `/v1/campaigns/${encodeURIComponent(campaignId)}/draws`);
    kind.hasDraws = draws.length > 0;
    applyKind();
    const onScreen = show?.draw()?.drawId;
    el.draws.replaceChildren(
      // An open draw's count is live in the panel; the list shows counts once entries are final.
      ...draws.slice(0, 12).map((d) => {
        const current = d.drawId === onScreen;
        const put = h("button", { type: "button", class: "small", "data-stage": d.drawId, disabled: current }, current ? t("stage.current") : t("stage.put"));
        put.addEventListener("click", () => void stage(d.drawId, d.phase === "open" ? "countdown" : d.phase === "done" ? "summary" : d.phase === "revealing" ? "reveal" : "waiting"));
        return h(
          "li",
          { class: current ? "current" : "", "data-draw": d.drawId },
          h("span", { class: "dtitle" }, d.title),
          h("span", { class: "muted" }, d.phase === "open" ? t("draws.open") : `${t(`phase.${d.phase}` as MessageKey)} · ${d.entrants}`),
          put,
        );
      }),
    );
    if (draws.length === 0) el.draws.replaceChildren(h("li", { class: "muted" }, t("draws.none")));
  } catch (err) {
    sayProblem(el.liveMsg, err);
  }
}

/** Puts a draw (in a phase) on the hall's screens; every console and screen follows. */
async function stage(drawId: string | null, phase: StagePhase): Promise<boolean> {
  if (!client || !campaignId) return false;
  try {
    await client.setStage(campaignId, drawId, phase);
    return true;
  } catch (err) {
    sayProblem(el.liveMsg, err);
    return false;
  }
}

for (const b of el.stageButtons) {
  b.addEventListener("click", () => {
    const d = show?.draw();
    if (d) void stage(d.drawId, b.dataset.phase as StagePhase);
  });
}

function renderBoard(top: LeaderboardTop): void {
  if (top.campaignId !== campaignId) return;
  el.board.replaceChildren(...top.top.slice(0, 5).map((r) => h("li", {}, h("span", {}, `${r.rank}. ${r.name}`), h("span", {}, String(r.score)))));
  // An empty board is noise on a night of live draws: shown once somebody is on it.
  el.boardBox.hidden = top.top.length === 0;
}

// ------------------------------------------------------------------ the live panel

const phaseWord = (p: DrawSnapshot["phase"]) => t(`phase.${p}` as MessageKey);

function renderStage(d: DrawSnapshot | null): void {
  const s = show?.stage;
  const phase = show?.phase() ?? "waiting";
  for (const b of el.stageButtons) {
    b.disabled = !d;
    b.setAttribute("aria-pressed", String(!!d && b.dataset.phase === phase));
  }
  if (!s || !show?.staged) setText(el.stageLine, t("stage.none"));
  else if (d) setText(el.stageLine, t("stage.on", { title: d.title, phase: t(`stage.${phase}` as MessageKey) }) + (s.updatedBy ? t("stage.by", { host: s.updatedBy }) : ""));
  else setText(el.stageLine, "");
}

function render(): void {
  const d = show ? show.draw() : null;
  renderStage(d);
  if (!d) {
    setText(el.title, t("live.noDraw"));
    setText(el.phase, "");
    setText(el.drawId, t("live.noDrawHint"));
    for (const b of [el.close, el.reveal, el.cancel]) b.disabled = true;
    el.tierList.replaceChildren();
    return;
  }
  setText(el.title, d.title);
  setText(el.phase, phaseWord(d.phase));
  setText(el.drawId, t("live.commitment", { id: d.drawId, c: d.commitment.slice(0, 16) }));
  setText(el.entrants, String(d.entrants));
  el.close.disabled = d.phase !== "open";
  el.reveal.disabled = !(d.phase === "drawn" || d.phase === "revealing") || d.revealed.length >= d.tiers.length;
  el.cancel.disabled = d.phase === "done" || d.phase === "cancelled";

  if (d.phase === "open") {
    if (countdownFor !== d.drawId) {
      stopCountdown?.();
      countdownFor = d.drawId;
      stopCountdown = client!.countdown(d.deadline, (ms) => setText(el.left, formatRemaining(ms)), 100);
    }
  } else {
    stopCountdown?.();
    stopCountdown = null;
    countdownFor = "";
    setText(el.left, d.phase === "done" || d.phase === "cancelled" ? "—" : "0.0");
  }
  renderChart(d.drawId);

  const revealed = new Map(d.revealed.map((r) => [r.tierId, r]));
  el.tierList.replaceChildren(
    ...d.tiers.map((tier) => {
      const shown = revealed.get(tier.tierId);
      const winners = shown
        ? h(
            "ul",
            { class: "winners" },
            ...shown.winners.map((w) => {
              const redraw = h("button", { type: "button", class: "small", "aria-label": t("live.redrawOf", { name: w.name }) }, t("live.redraw"));
              redraw.addEventListener("click", () => askRedraw(d.drawId, tier.tierId, tier.name, w.intentId, w.name));
              return h("li", { "data-winner": w.intentId }, h("span", { class: "wname" }, w.name), d.phase === "revealing" || d.phase === "done" ? redraw : null);
            }),
          )
        : h("span", { class: "pending" }, d.phase === "cancelled" ? t("live.notDrawn") : t("live.notRevealed"));
      return h("li", { "data-tier": tier.tierId }, h("span", { class: "tname" }, `${tier.name} × ${tier.count}`), " ", winners);
    }),
  );

  const proofPath = `/v1/campaigns/${encodeURIComponent(d.campaignId)}/draws/${encodeURIComponent(d.drawId)}/proof`;
  el.proof.hidden = d.phase !== "done";
  el.proof.href = proofPath;
  el.verify.disabled = d.phase !== "done";
}

function renderChart(drawId: string): void {
  const perSecond = drawId === seriesDraw ? series.slice(1).map((v, i) => Math.max(0, v - series[i]!)) : [];
  const max = Math.max(1, ...perSecond);
  const points = perSecond.map((v, i) => `${(i * 120) / 59},${40 - (v / max) * 38}`).join(" ");
  const line = svg("polyline", { points });
  const title = svg("title");
  title.textContent = t("live.chart", { max });
  el.chart.replaceChildren(title, line);
}

// ------------------------------------------------------------------ actions

async function act(action: "reveal" | "cancel" | "close", body: Record<string, unknown> = {}): Promise<void> {
  const d = show?.draw();
  if (!d) return;
  say(el.liveMsg, "");
  // The hall sees a reveal: bring the staged draw's screen to its reveal phase first.
  if (action === "reveal" && show?.staged && show.phase() !== "reveal" && !(await stage(d.drawId, "reveal"))) return;
  try {
    await api("POST", `/v1/campaigns/${encodeURIComponent(campaignId)}/draws/${encodeURIComponent(d.drawId)}/${action}`, body);
  } catch (err) {
    sayProblem(el.liveMsg, err);
  }
}

el.reveal.addEventListener("click", () => void act("reveal"));
el.close.addEventListener("click", () => void act("close"));
el.cancel.addEventListener("click", () => {
  const reason = prompt(t("live.cancelAsk"), t("live.cancelDefault"));
  if (reason !== null) void act("cancel", { reason: reason.trim() || t("live.cancelDefault") });
});

async function verify(): Promise<void> {
  const d = show?.draw();
  if (!d) return;
  say(el.verifyMsg, t("proof.verifying"), true);
  try {
    const [bundle, { verifyBundle }] = await Promise.all([api<unknown>("GET", el.proof.pathname), import("@livedraw/fairness")]);
    const result = verifyBundle(bundle);
    if (result.ok) say(el.verifyMsg, t("proof.ok", { n: d.entrants }), true);
    else say(el.verifyMsg, t("proof.bad", { problems: result.problems.join("; ") }));
  } catch (err) {
    sayProblem(el.verifyMsg, err);
  }
}
el.verify.addEventListener("click", () => void verify());

/** A redraw changes the proof: a verdict shown before it is out of date, so it is taken again. */
function redrawn(): void {
  if (el.verifyMsg.textContent === "") return;
  say(el.verifyMsg, "");
  if (show?.draw()?.phase === "done") void verify();
}

// ------------------------------------------------------------------ redraw, with a confirmation and a reason

let pendingRedraw: { drawId: string; tierId: string; replaces: string; name: string } | null = null;

function askRedraw(drawId: string, tierId: string, tierName: string, replaces: string, name: string): void {
  pendingRedraw = { drawId, tierId, replaces, name };
  el.redrawForm.reset();
  say(el.redrawMsg, "");
  setText(el.redrawWho, t("redraw.who", { tier: tierName, name }));
  el.redrawDialog.showModal();
}

el.redrawKeep.addEventListener("click", () => {
  pendingRedraw = null;
  el.redrawDialog.close();
});

el.redrawForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const reason = new FormData(el.redrawForm).get("reason");
  const p = pendingRedraw;
  if (!p) return el.redrawDialog.close();
  if (typeof reason !== "string" || reason === "") return say(el.redrawMsg, t("redraw.pick"));
  try {
    const out = await api<{ winner: { name: string } | null }>(
      "POST",
      `/v1/campaigns/${encodeURIComponent(campaignId)}/draws/${encodeURIComponent(p.drawId)}/redraw`,
      { tierId: p.tierId, replaces: p.replaces, reason },
    );
    pendingRedraw = null;
    el.redrawDialog.close();
    say(el.liveMsg, out.winner ? t("redraw.done", { name: p.name, winner: out.winner.name }) : t("redraw.nobody", { name: p.name }), true);
  } catch (err) {
    sayProblem(el.redrawMsg, err);
  }
});

// ------------------------------------------------------------------ new draw form

function addTierRow(name = "", count = 1): void {
  const n = el.tiers.children.length + 1;
  el.tiers.append(
    h(
      "div",
      { class: "tier-row" },
      h("input", { name: "tierName", value: name, placeholder: t("create.tierName", { n }), "aria-label": t("create.tierName", { n }), maxlength: 60 }),
      h("input", { name: "tierCount", type: "number", min: 1, value: count, "aria-label": t("create.tierCount", { n }) }),
    ),
  );
}
addTierRow(t("create.grand"), 1);
addTierRow(t("create.lucky"), 3);
el.addTier.addEventListener("click", () => addTierRow());

el.create.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!campaignId) return say(el.createMsg, t("create.followFirst"));
  const f = new FormData(el.create);
  const names = f.getAll("tierName").map(String);
  const counts = f.getAll("tierCount").map(Number);
  const tiers = names
    .map((name, i) => ({ name: name.trim(), count: counts[i] ?? 0, i }))
    .filter((t) => t.name !== "")
    .map((t) => ({ tierId: `tier-${t.i + 1}`, name: t.name, count: t.count }));
  if (tiers.length === 0) return say(el.createMsg, t("create.noTier"));
  const beacon = String(f.get("beaconRound") ?? "").trim();
  const claimMinutes = String(f.get("claimMinutes") ?? "").trim();
  const body = {
    title: String(f.get("title")).trim(),
    durationMs: Math.round(Number(f.get("seconds")) * 1000),
    tiers,
    weighted: f.get("weighted") !== null,
    excludePreviousWinners: f.get("exclude") !== null,
    autoReveal: f.get("autoReveal") !== null,
    ...(beacon ? { beaconRound: Number(beacon) } : {}),
    ...(claimMinutes ? { claimWindowSeconds: Math.round(Number(claimMinutes) * 60) } : {}),
  };
  say(el.createMsg, "");
  try {
    const opened = await api<DrawCountdown>("POST", `/v1/campaigns/${encodeURIComponent(campaignId)}/draws`, body);
    // The host opened it to show it: it goes on screen, counting down.
    if (await stage(opened.drawId, "countdown")) say(el.createMsg, t("create.opened", { id: opened.drawId }), true);
  } catch (err) {
    sayProblem(el.createMsg, err);
  }
});

// ------------------------------------------------------------------ start

void restoreSession().then((s) => (s ? signedIn(s) : showSignIn()));
