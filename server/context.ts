import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Server } from "socket.io";
import type { Config } from "../config/options.js";
import type { RedisClock } from "../core/clock.js";
import type { DrawStore } from "../core/draw-store.js";
import type { WorkerJob } from "../core/jobs.js";
import type { BeaconService } from "../core/beacon.js";
import type { LeaderboardStore } from "../core/leaderboard-store.js";
import type { LiveDraws } from "../core/live-draw.js";
import type { TicketLedger } from "../core/ticket-ledger.js";
import type { DrawClaims } from "../core/draw-claims.js";
import type { WinStore } from "../core/wins.js";
import type { DataVault } from "../core/privacy.js";
import type { SpinStore } from "../core/spin-store.js";
import type { LoadShedder } from "./load-shedder.js";
import type { Logger } from "../core/logger.js";
import type { ClientToServerEvents, InterServerEvents, ServerToClientEvents, SocketData } from "../core/protocol.js";
import type { TokenService } from "./auth.js";
import type { CampaignExistence } from "./campaign-exists.js";
import type { HostAuth } from "./host-session.js";
import type { Metrics } from "./metrics.js";
import type { PageServer } from "./pages-serve.js";
import type { SpinCampaigns } from "./spin-campaigns.js";
import type { ProfileStore, Pseudonymiser } from "../core/privacy.js";
import type { PhoneCodes, TokenRevocations } from "./login.js";

export type IoServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

/** What every handler of a socket node may use. */
export interface NodeContext {
  config: Config;
  log: Logger;
  redis: Redis;
  /** Every Redis connection of this node (commands, adapter pub/sub, queue, spins), for readiness and health. */
  redisConnections: Redis[];
  /** The intent batchers' connection (no auto-pipelining: server/intent-batcher.ts batches by itself). */
  intentRedis: Redis;
  store: DrawStore;
  clock: RedisClock;
  queue: Queue<WorkerJob>;
  spins: SpinStore;
  draws: LiveDraws;
  /** Claim windows of live-draw prizes. */
  drawClaims: DrawClaims;
  beacons: BeaconService;
  leaderboards: LeaderboardStore;
  /** The campaigns' ticket ledgers: tasks that earn tickets, host grants, balances. */
  tickets: TicketLedger;
  /** Prize records: issuance state, claim forms, redemption (core/wins.ts). */
  wins: WinStore;
  /** Seals personal fields (AES-256-GCM): profiles, claim forms. */
  vault: DataVault;
  campaigns: CampaignExistence;
  spinCampaigns: SpinCampaigns;
  /** Refuses spins while this node's event loop runs late (LIVEDRAW_SPIN_SHED_LAG_MS). */
  shedder: LoadShedder;
  io: IoServer;
  tokens: TokenService;
  /** Raw player ids (token `sub`) → pseudonyms; applied once, at the socket boundary. */
  pseudonyms: Pseudonymiser;
  /** Sealed (AES-256-GCM) names, phone numbers and addresses of players. */
  profiles: ProfileStore;
  /** Revoked player tokens (one by `jti`, or all of a player's before a time). */
  revocations: TokenRevocations;
  /** Phone sign-in codes; null when LIVEDRAW_SMS_SENDER is `none`. */
  phoneCodes: PhoneCodes | null;
  /** Host requests: Bearer host tokens or console sessions (cookie + CSRF token). */
  hostAuth: HostAuth;
  metrics: Metrics;
  /** The console and big-screen pages and their assets (server/pages-serve.ts). */
  pages: PageServer;
  engine: "uws" | "ws";
  engineReason: string;
  /** Set when the node starts draining: readiness fails, new work is refused with E_SHUTTING_DOWN. */
  draining: boolean;
  /** Socket messages being handled right now; shutdown waits for them. */
  inflight: number;
  startedAt: number;
}
