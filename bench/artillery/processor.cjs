// Artillery processor for spin.yml: times each `spin` from emit to acknowledgement.
// (artillery-engine-socketio-v3 1.2.0 reports no latency metric under Artillery 2, only counters.)
"use strict";

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

module.exports = { startSpin, endSpin };
