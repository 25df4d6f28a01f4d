/**
 * One socket node: Socket.IO on uWebSockets.js (or on node:http with the `ws` engine when the native
 * module is unavailable), joined to every other node by the Redis adapter, with the HTTP API beside it.
 */
import { LoadShedder } from "./load-shedder.js";
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { createAdapter } from "@socket.io/redis-adapter";
import { Queue } from "bullmq";
import { Gauge } from "prom-client";
import { Server } from "socket.io";
import type { Config } from "../config/options.js";
import { RedisClock } from "../core/clock.js";
import { DrawStore } from "../core/draw-store.js";
import type { WorkerJob } from "../core/jobs.js";
import { LeaderboardStore } from "../core/leaderboard-store.js";
import { TicketLedger } from "../core/ticket-ledger.js";
import { DrawClaims } from "../core/draw-claims.js";
import { QrSigner, WinStore } from "../core/wins.js";
import { SpinStore } from "../core/spin-store.js";
import type { Logger } from "../core/logger.js";
import { BULL_PREFIX, QUEUE_NAME, SOCKET_IO_CHANNEL_PREFIX } from "../core/redis-keys.js";
import { catchPublishErrors, checkRedisServer, createRedis, waitReady } from "../core/redis.js";
import { TokenService } from "./auth.js";
import { ProfileStore, deriveKey, privacyFromConfig } from "../core/privacy.js";
import { PhoneCodes, TokenRevocations, smsSenderFromConfig } from "./login.js";
import { DEFAULT_JOIN_URL } from "../config/options.js";
import { HostAccounts } from "./host-accounts.js";
import { HostAuth } from "./host-session.js";
import type { IoServer, NodeContext } from "./context.js";
import { createNodeHttpServer } from "./http-node.js";
import { mountOnUws } from "./http-uws.js";
import { backlogSampler, createMetrics, observeRevealFanout } from "./metrics.js";
import { startMetricsListener, timedBroadcaster } from "../core/metrics.js";
import { createRoutes } from "./routes.js";
import { createPages } from "./pages-serve.js";
import { registerSocketHandlers, secureEngineHeaders } from "./sockets.js";
import { uwsBackpressureFor, watchSlowConsumers } from "./slow-consumers.js";
import { SpinCampaigns } from "./spin-campaigns.js";
import { startLeaderboardPusher } from "./leaderboard-pusher.js";
import { CampaignExistence } from "./campaign-exists.js";
import { deliverPersonalResults, nodeBroadcaster } from "./personal-results.js";
import { BeaconService } from "../core/beacon.js";
import { LiveDraws } from "../core/live-draw.js";
import { startTicker } from "./ticker.js";
import { startOnlineCounter } from "./online.js";
import { selectEngine } from "./transport.js";
import { TransportConnections, descriptorWarning, openFilesLimit, transportsPerAddress } from "./connection-limit.js";
import { UpgradeGate, gateNodeServer, gateUwsApp } from "./upgrade-gate.js";

export interface SocketNode {
  port: number;
  engine: "uws" | "ws";
  /** Graceful drain: stop accepting, let in-flight messages finish (up to shutdownGraceMs), close. */
  close(): Promise<void>;
}

export async function startSocketNode(config: Config, log: Logger): Promise<SocketNode> {
  const selection = selectEngine(config.transport);
  if (selection.engine === "uws") log.info({ engine: "uws", reason: selection.reason }, "socket engine selected");
  else log.warn({ engine: "ws", reason: selection.reason }, "socket engine selected: native uWebSockets.js NOT in use");

  // Every connection of a node fails fast while Redis is away (core/redis.ts), so each intent is
  // answered E_UNAVAILABLE at once instead of waiting for Redis; ioredis reconnects by itself.
  const failFast = { commandTimeoutMs: config.redisCommandTimeoutMs };
  const redis = createRedis(config.redisUrl, { name: `${config.nodeId}:commands`, failFast });
  // No auto-pipelining on the adapter's publisher: a broadcast's PUBLISH is written at once, before
  // this node's own fan-out to its sockets (synchronous, tens of ms for a large room), so the other
  // nodes start theirs in parallel instead of after it.
  const pub = createRedis(config.redisUrl, { name: `${config.nodeId}:adapter-pub`, failFast, autoPipelining: false });
  // The subscriber only subscribes: a generous timeout; ioredis resubscribes after a reconnect.
  const sub = createRedis(config.redisUrl, { name: `${config.nodeId}:adapter-sub`, failFast: { commandTimeoutMs: 10_000 } });
  // A Queue (not a Worker) may fail fast too: queueing a close job fails at once (the host retries).
  const queueConnection = createRedis(config.redisUrl, { name: `${config.nodeId}:queue`, failFast });
  // The intent path's own connection, without auto-pipelining: the intent batchers already send one
  // script per campaign per event-loop turn, and auto-pipelining would only add a Pipeline object
  // (a copy of every script command) per flush.
  const intentRedis = createRedis(config.redisUrl, { name: `${config.nodeId}:intents`, failFast, autoPipelining: false });
  const connections = [redis, pub, sub, queueConnection, intentRedis];
  for (const c of connections) c.on("error", (err: Error) => log.warn({ err, connection: c.options.connectionName }, "redis connection error"));
  catchPublishErrors(pub, (err) => log.warn({ err }, "broadcast lost: Redis unreachable"));
  await Promise.all(connections.map((c) => waitReady(c)));
  await checkRedisServer(redis, (fields, msg) => log.warn(fields, msg), { allowNoAof: config.allowNoAof });

  const clock = new RedisClock();
  await clock.sync(redis);
  const clockTimer = setInterval(() => void clock.sync(redis).catch(() => undefined), 60_000);
  clockTimer.unref();

  const io: IoServer = new Server({
    serveClient: false,
    maxHttpBufferSize: config.maxPayloadBytes,
    // A connection that has not sent the Socket.IO CONNECT by then is closed (Socket.IO's default: 45 s).
    connectTimeout: config.connectTimeoutMs,
    adapter: createAdapter(pub, sub, { key: SOCKET_IO_CHANNEL_PREFIX }),
    ...(config.corsOrigin ? { cors: { origin: config.corsOrigin } } : {}),
  });
  const queue = new Queue<WorkerJob>(QUEUE_NAME, { connection: queueConnection, prefix: BULL_PREFIX });
  queue.on("error", (err) => log.warn({ err }, "queue error"));

  const metrics = createMetrics(config.nodeId, selection.engine);
  metrics.engine.set(1);
  metrics.setBacklogSource(backlogSampler(redis, queue, () => clock.now(), log));
  observeRevealFanout(io, () => clock.now(), metrics, log);
  const spins = new SpinStore(redis);
  const store = new DrawStore(redis);
  const tokens = new TokenService(config.jwtSecret);
  const privacy = privacyFromConfig(config);
  const sms = smsSenderFromConfig(config, log);
  for (const env of privacy.derived) log.warn({ env }, `${env} is not set: derived from LIVEDRAW_JWT_SECRET (set it before going live; see docs/operations.md, "Personal data")`);
  const hostAccounts = new HostAccounts(config.hosts);
  if (config.joinUrl === DEFAULT_JOIN_URL) log.warn({ joinUrl: config.joinUrl }, "LIVEDRAW_JOIN_URL is not set: the big screen's QR code points at a placeholder");
  const ctx: NodeContext = {
    config,
    log,
    redis,
    redisConnections: connections,
    intentRedis,
    store,
    draws: new LiveDraws(store, timedBroadcaster(nodeBroadcaster(io), () => clock.now(), metrics.revealEmit), () => clock.now(), { resultsDelayMs: config.drawResultsDelayMs }),
    beacons: new BeaconService(config),
    spins,
    leaderboards: new LeaderboardStore(redis),
    tickets: new TicketLedger(redis),
    drawClaims: new DrawClaims(redis),
    wins: new WinStore(redis, new QrSigner(deriveKey(config.jwtSecret, "redemption-qr"))),
    vault: privacy.vault,
    campaigns: new CampaignExistence(redis),
    spinCampaigns: new SpinCampaigns(spins, log),
    shedder: new LoadShedder(config.spinShedLagMs),
    clock,
    queue,
    io,
    tokens,
    pseudonyms: privacy.pseudonyms,
    profiles: new ProfileStore(redis, privacy.vault, { retentionDays: config.profileRetentionDays }),
    revocations: new TokenRevocations(redis),
    phoneCodes: sms === null ? null : new PhoneCodes(redis, privacy.pseudonyms, sms, config.jwtSecret, log),
    hostAuth: new HostAuth(redis, hostAccounts, tokens, { ttlSeconds: config.hostSessionTtlSeconds, trustProxy: config.trustProxy, trustProxyHops: config.trustProxyHops }),
    metrics,
    pages: createPages(),
    engine: selection.engine,
    engineReason: selection.reason,
    draining: false,
    inflight: 0,
    startedAt: Date.now(),
  };
  registerSocketHandlers(ctx);
  watchSlowConsumers(ctx);
  deliverPersonalResults(ctx);
  const routes = createRoutes(ctx);
  const onHttpError = (err: unknown) => log.error({ err }, "http handler crashed");

  // Transport connections are counted from the upgrade, per address and per node (server/upgrade-gate.ts).
  const descriptorProblem = descriptorWarning(openFilesLimit(), config.maxConnections);
  if (descriptorProblem !== null) log.warn({ openFilesLimit: openFilesLimit(), maxConnections: config.maxConnections }, descriptorProblem);
  const refusedLog = { address: 0, node: 0, last: 0 };
  const transports = new TransportConnections(transportsPerAddress(config.maxConnectionsPerAddress), config.maxConnections);
  new Gauge({
    name: "livedraw_transport_connections",
    help: "Transport connections (WebSocket upgrades and long-polling sessions) open on this node, counted from the upgrade.",
    registers: [metrics.registry],
    collect() {
      this.set(transports.open);
    },
  });
  new Gauge({
    name: "livedraw_transport_connections_peak_per_address",
    help: "The most transport connections one client address has held at once on this node since it started.",
    registers: [metrics.registry],
    collect() {
      this.set(transports.peakPerAddress);
    },
  });
  const gate = new UpgradeGate(transports, {
    trustProxyHops: config.trustProxyHops,
    pendingTimeoutMs: config.connectTimeoutMs * 2,
    onRefused(kind, address) {
      if (kind === "address") metrics.connectionsRefused.inc();
      refusedLog[kind]++;
      const now = Date.now();
      if (now - refusedLog.last < 10_000) return; // one line per 10 s, with the counts since the last
      log.warn({ byAddress: refusedLog.address, atCeiling: refusedLog.node, lastAddress: address }, "connections refused at the upgrade");
      refusedLog.address = 0;
      refusedLog.node = 0;
      refusedLog.last = now;
    },
  });

  let port: number;
  let stopListening: () => Promise<void>;
  if (selection.engine === "uws") {
    const uws = selection.uws;
    const app = uws.App();
    // Frames past uWS's backpressure limit are dropped silently: set it above our own bound, at
    // which watchSlowConsumers closes the socket instead.
    io.attachApp(gateUwsApp(app, gate), { maxBackpressure: uwsBackpressureFor(config.maxSocketBufferBytes) } as Parameters<typeof io.attachApp>[1]);
    gate.watch(io.engine);
    secureEngineHeaders(io);
    mountOnUws(app, routes, config.maxPayloadBytes, onHttpError);
    const listenSocket = await new Promise<unknown>((resolve, reject) => {
      app.listen(config.host, config.port, (token) => (token ? resolve(token) : reject(new Error(`cannot listen on ${config.host}:${config.port}`))));
    });
    port = uws.us_socket_local_port(listenSocket as Parameters<typeof uws.us_socket_local_port>[0]);
    stopListening = async () => uws.us_listen_socket_close(listenSocket as Parameters<typeof uws.us_listen_socket_close>[0]);
  } else {
    const http: HttpServer = createNodeHttpServer(routes, config.maxPayloadBytes, onHttpError);
    io.attach(http);
    gateNodeServer(http, gate);
    gate.watch(io.engine);
    secureEngineHeaders(io);
    await new Promise<void>((resolve, reject) => {
      http.once("error", reject);
      http.listen(config.port, config.host, () => resolve());
    });
    port = (http.address() as AddressInfo).port;
    stopListening = () => new Promise((resolve) => http.close(() => resolve()));
  }
  const stopTicker = startTicker(ctx);
  const stopPusher = startLeaderboardPusher(ctx);
  const stopOnline = startOnlineCounter(ctx);
  // GET /metrics on its own port (LIVEDRAW_METRICS_PORT), before "listening" so that line means both are up.
  const metricsListener = config.metricsPort >= 0 ? await startMetricsListener(config, metrics.registry, (err) => log.error({ err }, "metrics listener error")) : null;
  if (metricsListener) log.info({ port: metricsListener.port, host: config.metricsHost, token: config.metricsToken !== "" }, "metrics listening");
  log.info({ port, host: config.host, engine: selection.engine, hostAccounts: hostAccounts.size }, "listening");

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      ctx.draining = true;
      log.info({ inflight: ctx.inflight }, "draining");
      stopTicker();
      stopPusher();
      stopOnline();
      ctx.shedder.stop();
      clearInterval(clockTimer);
      const listening = stopListening();
      const until = Date.now() + config.shutdownGraceMs;
      while (ctx.inflight > 0 && Date.now() < until) await delay(20);
      // Tell clients this node is going (a DISCONNECT packet, not a dropped socket), so they
      // reconnect to another node at once and resync.
      io.local.disconnectSockets();
      io.close();
      await listening.catch(() => undefined);
      await metricsListener?.close();
      await queue.close();
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
      log.info("closed");
    })());

  return { port, engine: selection.engine, close };
}
