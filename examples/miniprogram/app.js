// One live-draw connection for the whole app (mini-programs allow very few sockets).
const { sharedClient } = require("./lib/livedraw-sdk.mp.js");

const SERVER = "http://localhost:3001"; // production: "https://draw.example.com" (wss, whitelisted domain)
const PLAYER = "mp-" + Math.floor(Math.random() * 1e6);

// Demo only: the demo server issues tokens to anyone. Your backend signs them in production.
function fetchToken() {
  return new Promise((resolve, reject) =>
    wx.request({
      url: SERVER + "/dev/token",
      method: "POST",
      data: { playerId: PLAYER, name: "小程序玩家" },
      success: (res) => (res.statusCode === 200 ? resolve(res.data.token) : reject(new Error("token " + res.statusCode))),
      fail: reject,
    }),
  );
}

App({
  onLaunch() {
    this.live = sharedClient({ url: SERVER, token: fetchToken });
    this.live.connect().catch((err) => console.warn("live-draw:", err.code, err.message));
  },
  onHide() {
    this.live.pause(); // WeChat cuts sockets in the background anyway
  },
  onShow() {
    if (this.live) this.live.resume().catch(() => undefined); // reconnect, resync, deliver what was missed
  },
});
