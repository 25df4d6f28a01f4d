#!/bin/sh
# Entrypoint of the livedraw image. One image serves every role; the first argument picks it:
#   server       (default) socket node: node dist/server/main.js, HTTP + Socket.IO on $PORT (default 3000)
#   worker       BullMQ worker: node dist/worker/main.js (no HTTP port)
#   healthcheck  used by the image's HEALTHCHECK, not a role: GET /healthz for a server, and
#                always healthy for a worker (it has no endpoint; the container ends if it exits)
# Any further arguments are passed on to node's script. The role process is exec'd, so it receives
# SIGTERM directly (from tini, PID 1) and drains gracefully (see core/run-role.ts).
set -eu

# The project root (holds dist/ — with dist/public, the pages — and core/lua/): the parent of this script's folder.
cd "$(dirname "$0")/.."

usage() {
  echo "usage: docker run IMAGE [server|worker]   (default: server)"
}

role="${1:-server}"
if [ "$#" -gt 0 ]; then shift; fi

case "$role" in
  server)
    exec node dist/server/main.js "$@"
    ;;
  worker)
    exec node dist/worker/main.js "$@"
    ;;
  healthcheck)
    # CommonJS (node -e); exits 0 when healthy, 1 otherwise (Docker reserves 2).
    exec node -e '
      const fs = require("node:fs");
      const http = require("node:http");
      // Worker role: a node process running dist/worker/main.js exists -> healthy.
      const isWorker = fs.readdirSync("/proc").some((pid) => {
        if (!/^\d+$/.test(pid) || Number(pid) === process.pid) return false;
        try {
          return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").some((arg) => arg.endsWith("dist/worker/main.js"));
        } catch {
          return false;
        }
      });
      if (isWorker) process.exit(0);
      // Server role: GET /healthz on the port and interface it listens on.
      const bind = process.env.LIVEDRAW_HOST;
      const host = !bind || bind === "0.0.0.0" || bind === "::" ? "127.0.0.1" : bind;
      const port = Number(process.env.PORT || 3000);
      const req = http.get({ host, port, path: "/healthz", timeout: 3000 }, (res) => {
        res.resume();
        if (res.statusCode !== 200) console.error(`healthcheck: GET /healthz answered ${res.statusCode}`);
        process.exit(res.statusCode === 200 ? 0 : 1);
      });
      req.on("timeout", () => req.destroy(new Error("timed out after 3000 ms")));
      req.on("error", (err) => {
        console.error(`healthcheck: GET http://${host}:${port}/healthz failed: ${err.message}`);
        process.exit(1);
      });
    '
    ;;
  -h | --help | help)
    usage
    exit 0
    ;;
  *)
    echo "livedraw: unknown role '$role'; expected 'server' (the default) or 'worker'." >&2
    usage >&2
    echo "(for a shell in the image: docker run --rm -it --entrypoint sh IMAGE)" >&2
    exit 64
    ;;
esac
