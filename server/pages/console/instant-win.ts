/**
 * The console's instant-win tab: create or edit a campaign within the compliance policy (a refused
 * tier is named and marked on the form), add stock, and live stats (wins and stock per tier,
 * spins/s). Stats are fetched every 2 s while the tab is open (a host-only HTTP read).
 */
import type { PublishedRules } from "@livedraw/protocol";
import { api } from "../shared/api.js";
import { byId, h, setText } from "../shared/dom.js";
import { describeProblem } from "../shared/errors.js";
import { t } from "../shared/i18n.js";

interface Stats {
  campaignId: string;
  tiers: { tierId: string; stocked: number; issued: number; remaining: number }[];
  pending: number;
  resolved: number;
}

const el = {
  tabDraw: byId<HTMLButtonElement>("tab-draw"),
  tabSpin: byId<HTMLButtonElement>("tab-spin"),
  paneDraw: byId("pane-draw"),
  paneSpin: byId("pane-spin"),
  form: byId<HTMLFormElement>("campaign-form"),
  tiers: byId("spin-tiers"),
  save: byId<HTMLButtonElement>("campaign-save"),
  stockForm: byId<HTMLFormElement>("stock-form"),
  stockTier: byId<HTMLSelectElement>("stock-tier"),
  msg: byId("spin-msg"),
  rows: byId("stats-rows"),
  line: byId("stats-line"),
};

let campaignId = "";
let exists = false;
let timer: ReturnType<typeof setInterval> | null = null;
let last: { at: number; resolved: number } | null = null;

const localInput = (ms: number) => new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

function say(text: string, ok = false): void {
  el.msg.classList.toggle("ok", ok);
  setText(el.msg, text);
}

function tierRow(i: number, tier?: { tierId: string; name: string; probability: number; remaining?: number; value?: number | null }): HTMLElement {
  const id = tier?.tierId ?? `prize-${i + 1}`;
  return h(
    "div",
    { class: "spin-row", "data-tier": id },
    h("input", { name: "spinTierName", value: tier?.name ?? "", placeholder: t("iw.prize", { n: i + 1 }), "aria-label": t("iw.prizeName", { n: i + 1 }), maxlength: 60 }),
    h("input", { name: "spinTierChance", type: "number", step: "0.0001", min: "0", max: "100", value: tier ? +(tier.probability * 100).toFixed(4) : "", placeholder: "%", "aria-label": t("iw.prizeChance", { n: i + 1 }) }),
    h("input", { name: "spinTierStock", type: "number", min: "0", value: tier?.remaining ?? "", placeholder: t("iw.stock"), "aria-label": t("iw.prizeStock", { n: i + 1 }) }),
    h("input", { name: "spinTierValue", type: "number", min: "0", step: "0.01", value: tier?.value ?? "", placeholder: "¥", "aria-label": t("iw.prizeValue", { n: i + 1 }) }),
  );
}

function select(tab: "live" | "wheel"): void {
  el.tabDraw.setAttribute("aria-selected", String(tab === "live"));
  el.tabSpin.setAttribute("aria-selected", String(tab === "wheel"));
  el.paneDraw.hidden = tab !== "live";
  el.paneSpin.hidden = tab !== "wheel";
  if (timer) clearInterval(timer);
  timer = null;
  if (tab === "wheel") {
    void load();
    timer = setInterval(() => void refreshStats(), 2000);
  }
}
el.tabDraw.addEventListener("click", () => select("live"));
el.tabSpin.addEventListener("click", () => select("wheel"));

/** Called when the console follows a campaign. */
export function followInstantWin(id: string): void {
  campaignId = id;
  exists = false;
  last = null;
  if (!el.paneSpin.hidden) void load();
}

async function load(): Promise<void> {
  if (!campaignId) return;
  let rules: PublishedRules | null = null;
  try {
    rules = await api<PublishedRules>("GET", `/v1/campaigns/${encodeURIComponent(campaignId)}/rules`);
  } catch {
    rules = null; // no instant-win campaign with this id yet
  }
  exists = rules !== null;
  const f = el.form.elements;
  const now = Date.now();
  (f.namedItem("title") as HTMLInputElement).value = rules?.title ?? t("iw.titleDefault");
  if (!rules) (f.namedItem("claimConditions") as HTMLInputElement).value = t("iw.claimDefault");
  (f.namedItem("rules") as HTMLInputElement).value = rules?.rules ?? "";
  (f.namedItem("liveAt") as HTMLInputElement).value = localInput(rules?.schedule.liveAt ?? now);
  (f.namedItem("closedAt") as HTMLInputElement).value = localInput(rules?.schedule.closedAt ?? now + 86_400_000);
  if (rules) {
    (f.namedItem("freeSpins") as HTMLInputElement).value = String(rules.freeSpins);
    (f.namedItem("spinsPerDay") as HTMLInputElement).value = String(rules.limits.spinsPerDay);
    (f.namedItem("winsPerCampaign") as HTMLInputElement).value = String(rules.limits.winsPerCampaign);
    (f.namedItem("platform") as HTMLSelectElement).value = rules.platform;
    if (rules.claim) {
      (f.namedItem("claimHours") as HTMLInputElement).value = String(rules.claim.windowHours);
      (f.namedItem("claimConditions") as HTMLInputElement).value = rules.claim.conditions;
    }
  }
  const tiers = rules?.tiers ?? [];
  el.tiers.replaceChildren(...[0, 1, 2].map((i) => tierRow(i, tiers[i])), ...tiers.slice(3).map((t, i) => tierRow(i + 3, t)));
  el.stockTier.replaceChildren(...tiers.map((tier) => h("option", { value: tier.tierId }, tier.name)));
  el.stockForm.hidden = !exists;
  setText(el.save, exists ? t("iw.save") : t("iw.create"));
  await refreshStats();
}

async function refreshStats(): Promise<void> {
  if (!campaignId || !exists) {
    el.rows.replaceChildren();
    setText(el.line, exists ? "" : t("iw.none"));
    return;
  }
  try {
    const s = await api<Stats>("GET", `/v1/campaigns/${encodeURIComponent(campaignId)}/stats`);
    const names = new Map([...el.stockTier.options].map((o) => [o.value, o.text]));
    el.rows.replaceChildren(...s.tiers.map((tier) => h("tr", {}, h("td", {}, names.get(tier.tierId) ?? tier.tierId), h("td", {}, String(tier.issued)), h("td", {}, `${tier.remaining} / ${tier.stocked}`))));
    const at = Date.now();
    const rate = last ? ((s.resolved - last.resolved) * 1000) / Math.max(1, at - last.at) : 0;
    last = { at, resolved: s.resolved };
    setText(el.line, t("iw.line", { resolved: s.resolved, rate: rate.toFixed(1), pending: s.pending }));
  } catch (err) {
    const p = describeProblem(err);
    setText(el.line, p.message);
  }
}

el.form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!campaignId) return say(t("create.followFirst"));
  const f = new FormData(el.form);
  const rows = [...el.tiers.querySelectorAll<HTMLElement>(".spin-row")];
  rows.forEach((r) => r.classList.remove("refused"));
  const tiers = rows
    .map((row) => {
      const [name, chance, stock, value] = [...row.querySelectorAll("input")].map((i) => i.value.trim());
      // A missing value is left out, so the server names rule prize-terms-published for this tier.
      return { tierId: row.dataset.tier!, name: name!, probability: Number(chance) / 100, inventory: Number(stock || 0), ...(value ? { value: Number(value) } : {}) };
    })
    .filter((t) => t.name !== "");
  if (tiers.length === 0) return say(t("iw.noName"));
  const liveAt = new Date(String(f.get("liveAt"))).getTime();
  const closedAt = new Date(String(f.get("closedAt"))).getTime();
  const body = {
    campaignId,
    title: String(f.get("title")).trim(),
    rules: String(f.get("rules")).trim(),
    schedule: { warmupAt: liveAt, liveAt, longTailAt: closedAt, closedAt },
    tiers, // before going live, a save resets each tier's stock to what the form says
    limits: { spinsPerDay: Number(f.get("spinsPerDay")), spinsPerCampaign: Math.max(Number(f.get("spinsPerDay")), 1000), winsPerCampaign: Number(f.get("winsPerCampaign")) },
    freeSpins: Number(f.get("freeSpins")),
    platform: String(f.get("platform")),
    claim: { windowHours: Number(f.get("claimHours")), conditions: String(f.get("claimConditions")).trim() },
  };
  try {
    if (exists) await api("PUT", `/v1/campaigns/${encodeURIComponent(campaignId)}`, body);
    else await api("POST", "/v1/campaigns", body);
    say(exists ? t("iw.saved") : t("iw.created"), true);
    await load();
  } catch (err) {
    const p = describeProblem(err);
    // A refusal of the compliance policy keeps the server's specifics (which rule, which tier).
    say(p.detail !== p.message && p.code.endsWith("POLICY_VIOLATION") ? `${p.message} ${p.detail} (${p.code})` : `${p.message} (${p.code})`);
    // The compliance policy names the refused tier: mark its row.
    for (const row of rows) if (p.detail.includes(`tier ${row.dataset.tier} `)) row.classList.add("refused");
  }
});

el.stockForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const f = new FormData(el.stockForm);
  try {
    await api("POST", `/v1/campaigns/${encodeURIComponent(campaignId)}/inventory`, { tierId: String(f.get("tierId")), add: Number(f.get("add")) });
    say(t("iw.stockAdded"), true);
    await refreshStats();
  } catch (err) {
    const p = describeProblem(err);
    say(`${p.message} (${p.code})`);
  }
});
