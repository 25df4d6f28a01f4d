/**
 * The pages' words, Chinese first. Two locales do not need a library: one catalogue per locale, the
 * English one typed by the Chinese one (a missing key is a compile error), and `{name}` slots filled
 * by `t()`. The locale comes from `?lang=en|zh-CN`, else the last choice (localStorage), else zh-CN.
 * Static text in the HTML carries `data-i18n` (text), `data-i18n-label` (aria-label) or
 * `data-i18n-placeholder` attributes and is filled by `translatePage()`.
 */
const zh = {
  "app.console": "现场抽奖控制台",
  "lang.switch": "English",
  "conn.offline": "离线",
  "conn.live": "在线",
  "conn.connecting": "重新连接中…",
  "conn.closed": "已断开",
  "who": "主持人：{id}",
  "signout": "退出登录",
  "signin.title": "主持人登录",
  "signin.id": "主持人账号",
  "signin.password": "密码",
  "signin.submit": "登录",
  "campaign": "活动",
  "follow": "打开",
  "campaign.bad": "活动编号为 1–64 位字母、数字、“_”或“-”，以字母或数字开头。",
  "tab.draw": "新建现场抽奖",
  "tab.spin": "即时抽奖",
  "create.title": "标题",
  "create.title.default": "现场抽奖",
  "create.seconds": "报名时长（秒）",
  "create.tiers": "奖项（按此顺序揭晓）",
  "create.addTier": "+ 奖项",
  "create.weighted": "按抽奖券加权",
  "create.exclude": "排除本活动已中奖者",
  "create.autoReveal": "自动揭晓全部奖项",
  "create.claim": "领奖时限（分钟，可选：过期未领可重抽）",
  "create.beacon": "drand 轮次（可选）",
  "create.more": "更多选项",
  "create.submit": "开始抽奖",
  "create.tierName": "奖项 {n} 名称",
  "create.tierCount": "奖项 {n} 人数",
  "create.grand": "特等奖",
  "create.lucky": "幸运奖",
  "create.followFirst": "请先在顶部打开一个活动。",
  "create.noTier": "请至少填写一个奖项名称。",
  "create.opened": "已开始：{id}，已上大屏。",
  "live.noDraw": "还没有抽奖",
  "live.noDrawHint": "用左侧表单开始一轮，或在“轮次”里选一轮上屏。",
  "live.left": "剩余时间",
  "live.entrants": "参与人数",
  "live.chart": "最近一分钟每秒报名数（峰值 {max}）",
  "live.close": "立即截止报名",
  "live.reveal": "揭晓下一奖项",
  "live.cancel": "取消本轮",
  "live.cancelAsk": "取消本轮？无人中奖。给观众看的原因：",
  "live.cancelDefault": "主持人已取消",
  "live.redraw": "重抽",
  "live.redrawOf": "重抽 {name} 的奖",
  "live.notRevealed": "尚未揭晓",
  "live.notDrawn": "未开奖",
  "live.commitment": "{id} · 承诺 {c}…",
  "phase.open": "报名中",
  "phase.closed": "已截止，开奖中",
  "phase.drawn": "已开奖，待揭晓",
  "phase.revealing": "揭晓中",
  "phase.done": "已完成",
  "phase.cancelled": "已取消",
  "stage.title": "大屏显示",
  "stage.waiting": "等待",
  "stage.countdown": "倒计时",
  "stage.reveal": "揭晓",
  "stage.summary": "中奖名单",
  "stage.none": "大屏暂未选定轮次（跟随最新一轮）",
  "stage.on": "大屏：{title} · {phase}",
  "stage.by": "（{host} 设定）",
  "stage.put": "上屏",
  "stage.current": "大屏中",
  "draws.title": "轮次",
  "draws.none": "本活动还没有抽奖。",
  "draws.open": "报名中",
  "proof.title": "公平性证明",
  "proof.link": "证明文件",
  "proof.verify": "在此验证",
  "proof.verifying": "验证中…",
  "proof.ok": "已验证：中奖者由公开的种子和 {n} 个报名唯一确定。",
  "proof.bad": "验证失败：{problems}",
  "screen.title": "大屏",
  "screen.open": "打开会场大屏",
  "board.title": "助力排行榜",
  "board.none": "本活动暂无排行榜。",
  "board.empty": "暂无人上榜。",
  "screen.waitingHost": "等待主持人…",
  "screen.noCampaign": "没有这个活动",
  "screen.reconnecting": "重新连接中…",
  "screen.joined": "人已参与",
  "screen.scan": "扫码参与",
  "screen.qr": "参与二维码：{url}",
  "screen.phase.waiting": "即将开始",
  "screen.phase.open": "扫码参与",
  "screen.phase.closed": "报名截止",
  "screen.phase.drawn": "即将揭晓",
  "screen.phase.revealing": "揭晓中",
  "screen.phase.done": "恭喜中奖者",
  "screen.phase.cancelled": "本轮已取消",
  "screen.comingUp": "即将揭晓",
  "screen.summary": "中奖名单",
  "screen.verified": "可验证：种子已公开，任何人可复算中奖者",
  "screen.pageOf": "第 {n}/{total} 页",
  "screen.redrawn": "{tier}重新抽取：{reason}",
  "screen.redrawnWord": "重新抽取",
  "reason.absent": "缺席",
  "reason.ineligible": "不符合条件",
  "reason.declined": "放弃领奖",
  "reason.unclaimed": "逾期未领",
  "reason.none": "主持人决定",
  "redraw.title": "重新抽取",
  "redraw.who": "重抽{tier}的中奖者“{name}”？此操作不可撤销，将写入审计日志。",
  "redraw.reason": "原因",
  "redraw.keep": "保留原中奖者",
  "redraw.confirm": "确认重抽",
  "redraw.pick": "请选择原因。",
  "redraw.done": "已重抽：{name} → {winner}",
  "redraw.nobody": "已重抽：{name} 的名额已无人可补。",
} as const;

export type MessageKey = keyof typeof zh;

const en: Record<MessageKey, string> = {
  "app.console": "Live-draw console",
  "lang.switch": "中文",
  "conn.offline": "offline",
  "conn.live": "live",
  "conn.connecting": "reconnecting…",
  "conn.closed": "closed",
  "who": "Signed in as {id}",
  "signout": "Sign out",
  "signin.title": "Host sign-in",
  "signin.id": "Host id",
  "signin.password": "Password",
  "signin.submit": "Sign in",
  "campaign": "Campaign",
  "follow": "Follow",
  "campaign.bad": "A campaign id is 1–64 letters, digits, '_' or '-', starting with a letter or digit.",
  "tab.draw": "New live draw",
  "tab.spin": "Instant win",
  "create.title": "Title",
  "create.title.default": "Live draw",
  "create.seconds": "Entry window (s)",
  "create.tiers": "Prize tiers (revealed in this order)",
  "create.addTier": "+ tier",
  "create.weighted": "Weight entries by tickets",
  "create.exclude": "Exclude earlier winners of this campaign",
  "create.autoReveal": "Reveal every tier automatically",
  "create.claim": "Claim window, minutes (optional: winners must claim in time, then you may redraw)",
  "create.beacon": "drand round (optional)",
  "create.more": "More options",
  "create.submit": "Open draw",
  "create.tierName": "Tier {n} name",
  "create.tierCount": "Tier {n} winners",
  "create.grand": "Grand prize",
  "create.lucky": "Lucky prize",
  "create.followFirst": "Follow a campaign first (top bar).",
  "create.noTier": "Give at least one prize tier a name.",
  "create.opened": "Opened {id}, now on the big screen.",
  "live.noDraw": "No draw yet",
  "live.noDrawHint": "Open one with the form on the left, or put one on screen from Draws.",
  "live.left": "Time left",
  "live.entrants": "Entrants",
  "live.chart": "Entries per second, last minute (peak {max})",
  "live.close": "Close entries now",
  "live.reveal": "Reveal next tier",
  "live.cancel": "Cancel draw",
  "live.cancelAsk": "Cancel this draw? Nobody wins. Reason shown to players:",
  "live.cancelDefault": "cancelled by the host",
  "live.redraw": "Redraw",
  "live.redrawOf": "Redraw {name}'s prize",
  "live.notRevealed": "not revealed yet",
  "live.notDrawn": "not drawn",
  "live.commitment": "{id} · commitment {c}…",
  "phase.open": "open for entries",
  "phase.closed": "entries closed — drawing",
  "phase.drawn": "drawn — ready to reveal",
  "phase.revealing": "revealing",
  "phase.done": "done",
  "phase.cancelled": "cancelled",
  "stage.title": "Big screen",
  "stage.waiting": "Waiting",
  "stage.countdown": "Countdown",
  "stage.reveal": "Reveal",
  "stage.summary": "Summary",
  "stage.none": "No draw staged yet (the screen follows the newest)",
  "stage.on": "On screen: {title} · {phase}",
  "stage.by": " (set by {host})",
  "stage.put": "On screen",
  "stage.current": "on screen",
  "draws.title": "Draws",
  "draws.none": "No draws yet in this campaign.",
  "draws.open": "open",
  "proof.title": "Proof",
  "proof.link": "Proof bundle",
  "proof.verify": "Verify here",
  "proof.verifying": "Verifying…",
  "proof.ok": "Verified: the winners follow from the published seed and {n} entries.",
  "proof.bad": "Does not verify: {problems}",
  "screen.title": "Big screen",
  "screen.open": "Open the venue screen",
  "board.title": "Assists leaderboard",
  "board.none": "No leaderboard for this campaign yet.",
  "board.empty": "Nobody yet.",
  "screen.waitingHost": "Waiting for the host…",
  "screen.noCampaign": "No such campaign",
  "screen.reconnecting": "Reconnecting…",
  "screen.joined": "joined",
  "screen.scan": "Scan to join",
  "screen.qr": "QR code for {url}",
  "screen.phase.waiting": "Starting soon",
  "screen.phase.open": "Scan to join",
  "screen.phase.closed": "Entries closed",
  "screen.phase.drawn": "Winners coming up",
  "screen.phase.revealing": "Revealing",
  "screen.phase.done": "Congratulations",
  "screen.phase.cancelled": "This draw was cancelled",
  "screen.comingUp": "Winners coming up",
  "screen.summary": "Winners",
  "screen.verified": "Verifiable: the seed is public, anyone can recompute the winners",
  "screen.pageOf": "Page {n}/{total}",
  "screen.redrawn": "{tier} re-drawn: {reason}",
  "screen.redrawnWord": "re-drawn",
  "reason.absent": "absent",
  "reason.ineligible": "ineligible",
  "reason.declined": "declined",
  "reason.unclaimed": "unclaimed",
  "reason.none": "host's decision",
  "redraw.title": "Redraw",
  "redraw.who": "Redraw {tier}'s winner {name}? This cannot be undone and goes into the audit log.",
  "redraw.reason": "Reason",
  "redraw.keep": "Keep the winner",
  "redraw.confirm": "Redraw",
  "redraw.pick": "Pick a reason.",
  "redraw.done": "Redrawn: {name} → {winner}",
  "redraw.nobody": "Redrawn: nobody was left to take {name}'s place.",
};

export type Locale = "zh-CN" | "en";
const CATALOGUES: Record<Locale, Record<MessageKey, string>> = { "zh-CN": zh, en };
const STORE = "livedraw.lang";

function pickLocale(): Locale {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked === "en" || asked === "zh-CN") {
    try {
      localStorage.setItem(STORE, asked);
    } catch {
      // private mode: the choice lasts this page
    }
    return asked;
  }
  try {
    const saved = localStorage.getItem(STORE);
    if (saved === "en" || saved === "zh-CN") return saved;
  } catch {
    // no storage: the default
  }
  return "zh-CN";
}

export const locale: Locale = pickLocale();
document.documentElement.lang = locale;

export function t(key: MessageKey, slots: Record<string, string | number> = {}): string {
  return CATALOGUES[locale][key].replace(/\{(\w+)\}/g, (m, name: string) => (name in slots ? String(slots[name]) : m));
}

/** The other locale, for the switch. */
export function otherLocale(): Locale {
  return locale === "en" ? "zh-CN" : "en";
}

/** Fills every `data-i18n*` element of the page. */
export function translatePage(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n]")) el.textContent = t(el.dataset.i18n as MessageKey);
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel as MessageKey));
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n-placeholder]")) el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder as MessageKey));
}
