// Join the campaign's live draw: countdown on the server's clock, reveals tier by tier, redraws and
// cancellations (the winners list stays right), your result.
const live = getApp().live;
const CAMPAIGN = "demo"; // the demo's campaign

Page({
  data: { title: "Waiting for the host…", secondsLeft: 0, phase: "", entered: false, winners: [], mine: "" },

  async onLoad() {
    this.off = [
      live.on("draw:countdown", (c) => this.follow(c.drawId, c.title, c.deadline)),
      live.on("draw:tick", (t) => this.setData({ entrants: t.entrants })),
      live.on("draw:closed", () => this.setData({ phase: "Entries closed — drawing…" })),
      live.on("draw:reveal", (r) => {
        if (r.drawId !== this.drawId || this.data.winners.some((w) => w.tierId === r.tierId)) return;
        this.setData({ winners: this.data.winners.concat(r.winners.map((w) => ({ key: r.tierId + w.intentId, tierId: r.tierId, intentId: w.intentId, text: r.tierName + "：" + w.name }))) });
      }),
      // A host replaced a winner (absent, declined…): the new winner takes the slot, or nobody.
      live.on("draw:redraw", (r) => {
        if (r.drawId !== this.drawId) return;
        const winners = this.data.winners.flatMap((w) => {
          if (w.tierId !== r.tierId || w.intentId !== r.replaced) return [w];
          if (!r.winner) return [];
          return [{ key: r.tierId + r.winner.intentId, tierId: r.tierId, intentId: r.winner.intentId, text: w.text.split("：")[0] + "：" + r.winner.name }];
        });
        this.setData({ winners });
      }),
      live.on("draw:cancelled", (c) => {
        if (c.drawId !== this.drawId) return;
        if (this.stop) this.stop();
        this.setData({ phase: "Cancelled: " + c.reason, winners: [], secondsLeft: 0 });
      }),
      live.on("draw:result", (r) => r.drawId === this.drawId && this.setData({ mine: r.won ? "🎉 You won!" : "Not this time" })),
      live.on("state", (s) => this.setData({ connection: s.newState })),
    ];
    const { draw } = await live.subscribe(CAMPAIGN);
    if (draw) this.follow(draw.drawId, draw.title, draw.deadline);
  },

  follow(drawId, title, deadline) {
    if (this.drawId === drawId) return;
    this.drawId = drawId;
    this.setData({ title, winners: [], mine: "", entered: false, phase: "Open" });
    if (this.stop) this.stop();
    this.stop = live.countdown(deadline, (ms) => this.setData({ secondsLeft: Math.ceil(ms / 1000) }));
  },

  async join() {
    try {
      await live.enter(CAMPAIGN, this.drawId); // resolves once the entry is stored
      this.setData({ entered: true });
    } catch (err) {
      wx.showToast({ title: err.code === "E_DRAW_CLOSED" ? "Entries are closed" : err.message, icon: "none" });
    }
  },

  toWheel() {
    wx.navigateTo({ url: "/pages/wheel/wheel" });
  },

  onUnload() {
    this.off.forEach((off) => off());
    if (this.stop) this.stop();
  },
});
