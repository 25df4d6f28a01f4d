// Artillery processor for spin.yml: a player token when the payload gives none, and the time of each
// `spin` from emit to acknowledgement.
// (artillery-engine-socketio-v3 1.2.0 reports no latency metric under Artillery 2, only counters.)
"use strict";

const { randomBytes } = require("node:crypto");

/**
 * Without a `token` variable (no payload: a run against `npm run demo`), asks the target's
 * POST /dev/token for a player token of a fresh player id. Only the demo enables that endpoint
 * (LIVEDRAW_DEV_TOKENS=1); anywhere else the virtual user fails with the reason.
 */
function playerToken(context, _events, done) {
  if (context.vars.token) return done();
  const base = String(context.vars.target).replace(/\/+$/, "");
  const playerId = `art-${randomBytes(9).toString("base64url").replace(/[^A-Za-z0-9]/g, "x")}`;
  fetch(`${base}/dev/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ playerId, ttlSeconds: 3600 }) })
    .then(async (res) => {
      if (!res.ok) throw new Error(`POST ${base}/dev/token: HTTP ${res.status} ${await res.text()} (run against \`npm run demo\`, or give tokens in a payload)`);
      context.vars.token = (await res.json()).token;
      done();
    })
    .catch((err) => done(err));
}

/** Before the emit: remember when it was sent. */
function startSpin(context, _events, done) {
  context.vars.spinSentAt = process.hrtime.bigint();
  return done();
}

/** After the acknowledged emit (the engine awaits the ack before the next step): record the latency. */
function endSpin(context, events, done) {
  const ms = Number(process.hrtime.bigint() - context.vars.spinSentAt) / 1e6;
  events.emit("histogram", "livedraw.spin_ack_ms", ms);
  events.emit("counter", "livedraw.spins_acked", 1);
  return done();
}

module.exports = { playerToken, startSpin, endSpin };
