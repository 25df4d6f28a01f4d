// An instant-win wheel: the server decides, the animation plays to the decision. Also the tasks
// that earn tickets (daily check-in; sharing earns points only on WeChat) and "My prizes": each
// win's status, coupon or redemption code, and the delay notice when a prize is late.
const live = getApp().live;
const CAMPAIGN = "demo-wheel"; // create it with POST /v1/campaigns (see docs/http-api.md)

const STATUS_TEXT = { pending: "Being issued", issued: "Ready", redeemed: "Used", failed: "Could not be issued", expired: "Expired" };

function prizeView(w) {
  return {
    id: w.winId,
    title: w.tierName + (w.value !== null ? " (¥" + w.value + ")" : ""),
    status: STATUS_TEXT[w.status] || w.status,
    // The coupon code, else the one-time code the prize desk redeems (show `w.qr` as a QR code there).
    code: w.coupon || w.redemptionCode || "",
    note: w.delayed && w.status === "pending" ? "Taking longer than promised: it is on its way." : w.failure || "",
  };
}

Page({
  data: { sectors: [], angle: 0, spinning: false, message: "", claim: "", balance: 0, streak: 0, checkedIn: false, prizes: [] },

  async onLoad() {
    try {
      const rules = await live.rules(CAMPAIGN); // the published odds, prize values and claim conditions
      const sectors = rules.tiers.map((t) => ({ id: t.tierId, label: t.name + " " + (t.probability * 100).toFixed(1) + "%" }));
      sectors.push({ id: "none", label: "No prize " + (rules.noPrizeProbability * 100).toFixed(1) + "%" });
      this.setData({ sectors, claim: rules.claim ? rules.claim.conditions : "" });
      this.offWin = live.on("win:status", () => this.loadPrizes());
      await Promise.all([this.loadTickets(), this.loadPrizes()]);
    } catch (err) {
      this.setData({ message: err.code + ": " + err.message });
    }
  },

  onUnload() {
    if (this.offWin) this.offWin();
  },

  // After a reconnect the pushes may have been missed: the lists are the truth.
  onShow() {
    if (this.data.sectors.length > 0) Promise.all([this.loadTickets(), this.loadPrizes()]).catch(() => undefined);
  },

  async loadTickets() {
    const t = await live.tickets(CAMPAIGN);
    this.setData({ balance: t.balance + t.freeSpinsLeft, streak: t.streak, checkedIn: t.checkedInToday });
  },

  async loadPrizes() {
    const wins = await live.wins(CAMPAIGN);
    this.setData({ prizes: wins.reverse().map(prizeView) });
  },

  async checkIn() {
    try {
      const r = await live.checkIn(CAMPAIGN);
      this.setData({ message: "Checked in: +" + r.ticketsEarned + " · streak " + r.streak + " days" });
    } catch (err) {
      this.setData({ message: err.code === "E_ALREADY_CHECKED_IN" ? "Already checked in today" : err.code + ": " + err.message });
    }
    await this.loadTickets().catch(() => undefined);
  },

  // WeChat forbids rewarding shares with draw chances: the server gives points only (rule wechat-no-tickets-for-sharing).
  onShareAppMessage() {
    live.share(CAMPAIGN).catch(() => undefined);
    return { title: "Spin the lucky wheel", path: "/pages/wheel/wheel" };
  },

  async spin() {
    if (this.data.spinning) return;
    this.setData({ spinning: true, message: "" });
    try {
      const result = await live.spin(CAMPAIGN); // same key on every retry: one spin, once
      const target = result.outcome === "won" ? result.tierId : "none";
      const index = Math.max(0, this.data.sectors.findIndex((s) => s.id === target));
      const slice = 360 / this.data.sectors.length;
      // Five full turns, then stop with the result's sector under the pointer.
      const angle = this.data.angle - (this.data.angle % 360) + 5 * 360 + (360 - index * slice - slice / 2);
      this.setData({ angle });
      setTimeout(() => {
        const text = result.outcome === "won" ? "You won " + result.tierName + "!" : result.outcome === "lost" ? "No prize this time" : "Not counted: " + result.reason;
        this.setData({ spinning: false, message: text + " · spins left " + result.spinsLeft, balance: result.spinsLeft });
      }, 3000);
    } catch (err) {
      this.setData({ spinning: false, message: err.code + ": " + err.message });
    }
  },
});
