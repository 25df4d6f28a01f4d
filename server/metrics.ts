import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/** Prometheus metrics of one socket node, served at GET /metrics. */
export function createMetrics(nodeId: string, engine: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    engine: new Gauge({ name: "livedraw_engine_info", help: "Socket engine in use (1 for the active one).", labelNames: ["engine"], registers: [registry] }).labels(engine),
    sockets: new Gauge({ name: "livedraw_sockets", help: "Connected sockets on this node.", registers: [registry] }),
    intents: new Counter({ name: "livedraw_intents_total", help: "Enter intents by outcome.", labelNames: ["outcome"], registers: [registry] }),
    errors: new Counter({ name: "livedraw_errors_total", help: "Errors returned to clients, by code.", labelNames: ["code"], registers: [registry] }),
    rooms: new Gauge({ name: "livedraw_rooms", help: "Socket.IO rooms on this node, by kind (campaign, leaderboard, player, other).", labelNames: ["kind"], registers: [registry] }),
    connectionsRefused: new Counter({ name: "livedraw_connections_refused_total", help: "Handshakes refused by a per-address connection limit.", registers: [registry] }),
    forcedDisconnects: new Counter({ name: "livedraw_forced_disconnects_total", help: "Sockets this node disconnected, by reason.", labelNames: ["reason"], registers: [registry] }),
    drawsOpened: new Counter({ name: "livedraw_draws_opened_total", help: "Live draws opened through this node.", registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
