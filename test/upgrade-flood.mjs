// Upgrade-only WebSocket flood for test/connections.e2e.test.ts, run as its own process so the test's
// real client and /healthz probe are not measured through the flood's event loop.
//   node test/upgrade-flood.mjs <http url> <count> <local address>
// Prints one JSON line `{"saturated":true}` once the first refusal arrives (the address is at its
// bound), then one line with the result once every socket has ended.
import WebSocket from "ws";

const [url, countText, localAddress] = process.argv.slice(2);
const count = Number(countText);
const wsUrl = `${url.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`;
const result = { opened: 0, refused: {}, failed: {}, maxOpen: 0, longestOpenMs: 0 };
let open = 0;
let ended = 0;
let saturated = false;

const end = () => {
  if (++ended === count) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  }
};
for (let i = 0; i < count; i++) {
  const ws = new WebSocket(wsUrl, { localAddress, handshakeTimeout: 30_000 });
  let openedAt = 0;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    end();
  };
  // Upgrade only: the Socket.IO CONNECT ("40") is never sent, Engine.IO's pings never answered.
  ws.on("open", () => {
    openedAt = performance.now();
    result.opened++;
    open++;
    result.maxOpen = Math.max(result.maxOpen, open);
  });
  ws.on("close", () => {
    if (openedAt > 0) {
      open--;
      result.longestOpenMs = Math.max(result.longestOpenMs, performance.now() - openedAt);
    }
    finish();
  });
  ws.on("unexpected-response", (_req, res) => {
    let body = "";
    res.on("data", (c) => (body += c.toString()));
    res.on("end", () => {
      let code = "?";
      try {
        code = JSON.parse(body).error.code;
      } catch {
        // not the API's error body: counted under "?"
      }
      const key = `${res.statusCode} ${code}`;
      result.refused[key] = (result.refused[key] ?? 0) + 1;
      if (!saturated) {
        saturated = true;
        process.stdout.write(`${JSON.stringify({ saturated: true, opened: result.opened })}\n`);
      }
      ws.terminate();
      finish();
    });
  });
  ws.on("error", (err) => {
    if (openedAt === 0 && !done) {
      result.failed[err.message] = (result.failed[err.message] ?? 0) + 1;
      finish();
    }
  });
}
