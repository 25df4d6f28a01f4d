/**
 * The host console: sign in (session cookie + CSRF token), follow a campaign over Socket.IO as a host
 * (no polling; the SDK keeps the current draw), and run its draws: open, close early, reveal tier by
 * tier, redraw a slot, cancel, verify the proof in the browser. Rendering uses textContent only.
 */
import { ID_PATTERN, SERVER_EVENTS, type DrawCountdown, type DrawSnapshot, type LeaderboardTop } from "@livedraw/protocol";
import { ClientState, LiveDrawClient } from "@livedraw/client-sdk";
import { api, setCsrfToken } from "../shared/api.js";
import { byId, formatRemaining, h, setText, svg } from "../shared/dom.js";
import { describeProblem } from "../shared/errors.js";
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
};

let client: LiveDrawClient | null = null;
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
  setText(el.who, `Signed in as ${session.hostId}`);
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
    say(el.liveMsg, "A campaign id is 1–64 letters, digits, '_' or '-', starting with a letter or digit.");
    return;
  }
  void follow(id);
});

async function follow(id: string): Promise<void> {
  campaignId = id;
  localStorage.setItem("livedraw.campaign", id);
  history.replaceState(null, "", `?campaign=${encodeURIComponent(id)}`);
  el.screenLink.href = `/screen/${encodeURIComponent(id)}`;
  followInstantWin(id);
  followAnalytics(id);
  say(el.liveMsg, "");
  client?.close();
  const c = new LiveDrawClient({ url: location.origin, minReconnectDelayMs: 300, maxReconnectDelayMs: 5000 });
  client = c;
  c.on("state", (s) => {
    setText(el.conn, s.newState === ClientState.Connected ? "live" : s.newState === ClientState.Connecting ? "reconnecting…" : s.newState);
    el.conn.className = `badge ${s.newState}`;
  });
  const rerender = () => c === client && render();
  for (const ev of [SERVER_EVENTS.closed, SERVER_EVENTS.reveal, SERVER_EVENTS.redraw, SERVER_EVENTS.done, SERVER_EVENTS.cancelled] as const) {
    c.on(ev, () => {
      rerender();
      void loadDraws();
    });
  }
  c.on(SERVER_EVENTS.countdown, (p: DrawCountdown) => {
    if (p.campaignId !== campaignId) return;
    rerender();
    void loadDraws();
  });
  c.on(SERVER_EVENTS.tick, (t) => {
    if (t.drawId !== seriesDraw) {
      seriesDraw = t.drawId;
      series = [];
    }
    series.push(t.entrants);
    if (series.length > 61) series.shift();
    rerender();
  });
  c.on("resync", rerender);
  c.on(SERVER_EVENTS.leaderboardUpdate, renderBoard);
  try {
    await c.connect();
    await c.subscribe(id);
    render();
    void loadDraws();
  } catch (err) {
    if (c === client) sayProblem(el.liveMsg, err);
    return;
  }
  // A campaign with no leaderboard activity yet has no board to subscribe to: say so, not an error.
  c.subscribeLeaderboard(id, "assists").then(renderBoard, () => el.board.replaceChildren(h("li", { class: "muted" }, "No leaderboard for this campaign yet.")));
}

async function loadDraws(): Promise<void> {
  if (!campaignId) return;
  try {
    const { draws } = await api<{ draws: DrawRow[] }>("GET", `/v1/campaigns/${encodeURIComponent(campaignId)}/draws`);
    const current = client?.draw(campaignId)?.drawId;
    el.draws.replaceChildren(
      // An open draw's count is live in the panel; the list shows counts once entries are final.
      ...draws.slice(0, 12).map((d) => h("li", { class: d.drawId === current ? "current" : "" }, h("span", {}, d.title), h("span", { class: "muted" }, d.phase === "open" ? "open" : `${d.phase} · ${d.entrants}`))),
    );
    if (draws.length === 0) el.draws.replaceChildren(h("li", { class: "muted" }, "No draws yet in this campaign."));
  } catch (err) {
    sayProblem(el.liveMsg, err);
  }
}

function renderBoard(top: LeaderboardTop): void {
  if (top.campaignId !== campaignId) return;
  el.board.replaceChildren(...top.top.slice(0, 5).map((r) => h("li", {}, h("span", {}, `${r.rank}. ${r.name}`), h("span", {}, String(r.score)))));
  if (top.top.length === 0) el.board.replaceChildren(h("li", { class: "muted" }, "Nobody yet."));
}

// ------------------------------------------------------------------ the live panel

const PHASE_WORDS: Record<DrawSnapshot["phase"], string> = {
  open: "open for entries",
  closed: "entries closed — drawing",
  drawn: "drawn — ready to reveal",
  revealing: "revealing",
  done: "done",
  cancelled: "cancelled",
};

function render(): void {
  const d = client && campaignId ? client.draw(campaignId) : null;
  if (!d) {
    setText(el.title, "No draw yet");
    setText(el.phase, "");
    setText(el.drawId, "Open one with the form on the left.");
    for (const b of [el.close, el.reveal, el.cancel]) b.disabled = true;
    el.tierList.replaceChildren();
    return;
  }
  setText(el.title, d.title);
  setText(el.phase, PHASE_WORDS[d.phase]);
  setText(el.drawId, `${d.drawId} · commitment ${d.commitment.slice(0, 16)}…`);
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

  const revealed = new Map(d.revealed.map((t) => [t.tierId, t]));
  el.tierList.replaceChildren(
    ...d.tiers.map((tier) => {
      const shown = revealed.get(tier.tierId);
      const winners = shown
        ? h(
            "ul",
            { class: "winners" },
            ...shown.winners.map((w) => {
              const redraw = h("button", { type: "button", class: "small", "aria-label": `Redraw ${w.name}'s prize` }, "Redraw");
              redraw.addEventListener("click", () => void act(`redraw`, { tierId: tier.tierId, replaces: w.intentId }));
              return h("li", { "data-winner": w.intentId }, h("span", { class: "wname" }, w.name), d.phase === "revealing" || d.phase === "done" ? redraw : null);
            }),
          )
        : h("span", { class: "pending" }, d.phase === "cancelled" ? "not drawn" : "not revealed yet");
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
  title.textContent = `Entries per second, last minute (peak ${max})`;
  el.chart.replaceChildren(title, line);
}

// ------------------------------------------------------------------ actions

async function act(action: "reveal" | "redraw" | "cancel" | "close", body: Record<string, unknown> = {}): Promise<void> {
  const d = client?.draw(campaignId);
  if (!d) return;
  say(el.liveMsg, "");
  try {
    await api("POST", `/v1/campaigns/${encodeURIComponent(campaignId)}/draws/${encodeURIComponent(d.drawId)}/${action}`, body);
  } catch (err) {
    sayProblem(el.liveMsg, err);
  }
}

el.reveal.addEventListener("click", () => void act("reveal"));
el.close.addEventListener("click", () => void act("close"));
el.cancel.addEventListener("click", () => {
  const reason = prompt("Cancel this draw? Nobody wins. Reason shown to players:", "cancelled by the host");
  if (reason !== null) void act("cancel", { reason: reason.trim() || "cancelled by the host" });
});

el.verify.addEventListener("click", async () => {
  const d = client?.draw(campaignId);
  if (!d) return;
  say(el.verifyMsg, "Verifying…", true);
  try {
    const [bundle, { verifyBundle }] = await Promise.all([api<unknown>("GET", el.proof.pathname), import("@livedraw/fairness")]);
    const result = verifyBundle(bundle);
    if (result.ok) say(el.verifyMsg, `Verified: the winners follow from the published seed and ${d.entrants} entries.`, true);
    else say(el.verifyMsg, `Does not verify: ${result.problems.join("; ")}`);
  } catch (err) {
    sayProblem(el.verifyMsg, err);
  }
});

// ------------------------------------------------------------------ new draw form

function addTierRow(name = "", count = 1): void {
  const n = el.tiers.children.length + 1;
  el.tiers.append(
    h(
      "div",
      { class: "tier-row" },
      h("input", { name: "tierName", value: name, placeholder: `Tier ${n} name`, "aria-label": `Tier ${n} name`, maxlength: 60 }),
      h("input", { name: "tierCount", type: "number", min: 1, value: count, "aria-label": `Tier ${n} winners` }),
    ),
  );
}
addTierRow("Grand prize", 1);
addTierRow("Lucky prize", 3);
el.addTier.addEventListener("click", () => addTierRow());

el.create.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!campaignId) return say(el.createMsg, "Follow a campaign first (top bar).");
  const f = new FormData(el.create);
  const names = f.getAll("tierName").map(String);
  const counts = f.getAll("tierCount").map(Number);
  const tiers = names
    .map((name, i) => ({ name: name.trim(), count: counts[i] ?? 0, i }))
    .filter((t) => t.name !== "")
    .map((t) => ({ tierId: `tier-${t.i + 1}`, name: t.name, count: t.count }));
  if (tiers.length === 0) return say(el.createMsg, "Give at least one prize tier a name.");
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
    say(el.createMsg, `Opened ${opened.drawId}.`, true);
  } catch (err) {
    sayProblem(el.createMsg, err);
  }
});

// ------------------------------------------------------------------ start

void restoreSession().then((s) => (s ? signedIn(s) : showSignIn()));
