/**
 * The console's campaign numbers: live counters (online, entrants, spins/s, issuance backlog,
 * redeemed, failed), prizes by tier (won, stock, coupon codes left), the funnel (viewed → entered →
 * won → issued → redeemed, with the share of the previous stage) and links to the masked CSV
 * exports. Read from GET /v1/campaigns/:campaignId/analytics every 2 s while a campaign is followed.
 */
import { api } from "../shared/api.js";
import { byId, h, setText } from "../shared/dom.js";
import { describeProblem } from "../shared/errors.js";
import { locale, t, type MessageKey } from "../shared/i18n.js";

interface Analytics {
  instantWin: boolean;
  online: number;
  entrants: number;
  spinsResolved: number;
  serverTime: number;
  tiers: { tierId: string; name: string; won: number; stockLeft: number; couponsLeft: number | null }[];
  wins: { pending: number; issued: number; redeemed: number; failed: number; expired: number };
  issuanceBacklog: number;
  funnel: { stage: string; players: number; fromPrevious: number | null }[];
  variants: {
    variantId: string;
    funnel: { stage: string; players: number }[];
    vsControl: { stage: string; rate: number; pValue: number | null }[] | null;
  }[];
}

const STAGES = new Set(["viewed", "entered", "won", "issued", "redeemed"]);
const stageName = (stage: string) => (STAGES.has(stage) ? t(`an.stage.${stage}` as MessageKey) : stage);

const el = {
  online: byId("n-online"),
  entrants: byId("n-entrants"),
  rate: byId("n-rate"),
  backlog: byId("n-backlog"),
  redeemed: byId("n-redeemed"),
  failed: byId("n-failed"),
  tiers: byId("n-tiers"),
  funnel: byId("funnel"),
  winners: byId<HTMLAnchorElement>("x-winners"),
  tickets: byId<HTMLAnchorElement>("x-tickets"),
  msg: byId("numbers-msg"),
  variants: byId<HTMLTableElement>("variants"),
  variantRows: byId("variant-rows"),
};

const pct = (part: number, whole: number) => (whole > 0 ? `${Math.round((100 * part) / whole)}%` : "–");

let campaignId = "";
/** Told on each read whether the campaign is an instant-win one (the console shows only the panels that apply). */
let onKind: (instantWin: boolean) => void = () => undefined;
let timer: ReturnType<typeof setInterval> | null = null;
let last: { at: number; resolved: number } | null = null;
const fmt = (n: number) => n.toLocaleString(locale);

async function refresh(): Promise<void> {
  if (!campaignId) return;
  const id = campaignId;
  try {
    const a = await api<Analytics>("GET", `/v1/campaigns/${encodeURIComponent(id)}/analytics`);
    if (id !== campaignId) return;
    onKind(a.instantWin);
    const rate = last ? ((a.spinsResolved - last.resolved) * 1000) / Math.max(1, a.serverTime - last.at) : null;
    last = { at: a.serverTime, resolved: a.spinsResolved };
    setText(el.online, fmt(a.online));
    setText(el.entrants, fmt(a.entrants));
    setText(el.rate, rate === null ? "…" : rate.toFixed(rate < 10 ? 1 : 0));
    setText(el.backlog, fmt(a.issuanceBacklog));
    setText(el.redeemed, fmt(a.wins.redeemed));
    setText(el.failed, fmt(a.wins.failed));
    el.failed.classList.toggle("alert", a.wins.failed > 0);
    el.tiers.replaceChildren(
      ...a.tiers.map((t) =>
        h("tr", {}, h("td", {}, t.name), h("td", {}, fmt(t.won)), h("td", {}, fmt(t.stockLeft)), h("td", { class: t.couponsLeft === 0 ? "alert" : "" }, t.couponsLeft === null ? "–" : fmt(t.couponsLeft))),
      ),
    );
    const top = Math.max(1, ...a.funnel.map((f) => f.players));
    el.funnel.replaceChildren(
      ...a.funnel.map((f) => {
        const fill = h("span", { class: "bar-fill" });
        // Through the CSSOM: the page's CSP allows no inline style attributes.
        fill.style.width = `${((100 * f.players) / top).toFixed(1)}%`;
        return h(
          "li",
          { "data-stage": f.stage },
          h("span", {}, stageName(f.stage)),
          h("span", { class: "bar-track" }, fill),
          h("span", { class: "n" }, `${fmt(f.players)}${f.fromPrevious === null ? "" : ` · ${Math.round(f.fromPrevious * 100)}%`}`),
        );
      }),
    );
    el.variants.hidden = a.variants.length === 0;
    el.variantRows.replaceChildren(
      ...a.variants.map((v) => {
        const n = (stage: string) => v.funnel.find((f) => f.stage === stage)?.players ?? 0;
        const p = v.vsControl?.find((c) => c.stage === "won")?.pValue;
        return h("tr", {}, h("td", {}, v.variantId), h("td", {}, fmt(n("viewed"))), h("td", {}, pct(n("entered"), n("viewed"))), h("td", {}, pct(n("won"), n("viewed"))), h("td", {}, v.vsControl === null ? t("an.control") : p == null ? "–" : p < 0.001 ? "< 0.001" : p.toFixed(3)));
      }),
    );
    // A campaign of live draws only (or one not created yet) has no instant-win numbers.
    setText(el.msg, a.instantWin ? "" : t("an.noInstantWin"));
  } catch (err) {
    setText(el.msg, describeProblem(err).message);
  }
}

/** Called when the console follows a campaign. */
export function followAnalytics(id: string, kind: (instantWin: boolean) => void = () => undefined): void {
  campaignId = id;
  onKind = kind;
  last = null;
  const base = `/v1/campaigns/${encodeURIComponent(id)}/export`;
  el.winners.href = `${base}?what=winners`;
  el.tickets.href = `${base}?what=tickets`;
  if (timer) clearInterval(timer);
  void refresh();
  timer = setInterval(() => void refresh(), 2000);
}
