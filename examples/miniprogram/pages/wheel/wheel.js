// An instant-win wheel: the server decides, the animation plays to the decision.
const live = getApp().live;
const CAMPAIGN = "demo-wheel"; // create it with POST /v1/campaigns (see docs/http-api.md)

Page({
  data: { sectors: [], angle: 0, spinning: false, message: "" },

  async onLoad() {
    try {
      const rules = await live.rules(CAMPAIGN); // the published odds, shown to the player
      const sectors = rules.tiers.map((t) => ({ id: t.tierId, label: t.name + " " + (t.probability * 100).toFixed(1) + "%" }));
      sectors.push({ id: "none", label: "No prize " + (rules.noPrizeProbability * 100).toFixed(1) + "%" });
      this.setData({ sectors });
    } catch (err) {
      this.setData({ message: err.code + ": " + err.message });
    }
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
        this.setData({ spinning: false, message: text + " · spins left " + result.spinsLeft });
      }, 3000);
    } catch (err) {
      this.setData({ spinning: false, message: err.code + ": " + err.message });
    }
  },
});
