/**
 * The one options object for every role (socket node, worker, demo). Each option has a documented
 * default and an environment variable; `loadConfig` validates everything at start-up, refuses a bad
 * value with a message naming the variable and what is allowed, and returns a frozen object.
 * The table in README.md ("Configuration") lists the same options.
 */
import os from "node:os";
import { z } from "zod";
import { parseDataKeys } from "../core/privacy.js";
import { parseAllowList } from "../core/webhook-policy.js";
import { hostListProblem } from "../server/host-accounts.js";

const bool = z.enum(["1", "0", "true", "false", "yes", "no"]).transform((v) => v === "1" || v === "true" || v === "yes");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** `LIVEDRAW_TRUST_PROXY`: `false`/`no` (0), `true`/`yes` (1), or a hop count 0-10 (`1` stays "true"). */
const proxyHops = z
  .string()
  .regex(/^(true|false|yes|no|10|[0-9])$/i, "must be false, true or a number of proxy hops from 0 to 10")
  .transform((v) => (/^(true|yes)$/i.test(v) ? 1 : /^(false|no)$/i.test(v) ? 0 : Number(v)));
const hostListRefinement = (value: string, ctx: z.RefinementCtx) => {
  const problem = hostListProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
};

const dataKeysRefinement = (value: string, ctx: z.RefinementCtx) => {
  const keys = parseDataKeys(value);
  if (typeof keys === "string") ctx.addIssue({ code: "custom", message: keys });
};

const allowListRefinement = (value: string, ctx: z.RefinementCtx) => {
  const list = parseAllowList(value);
  if (typeof list === "string") ctx.addIssue({ code: "custom", message: list });
};

/** The placeholder join URL: a node using it logs a warning (set LIVEDRAW_JOIN_URL). */
export const DEFAULT_JOIN_URL = "https://example.com/join?campaign={campaignId}";

/** Every option: its environment variable, its schema (parsing the variable's text) and its default. */
const SPEC = {
  /** TCP port the socket node listens on; 0 picks a free port (logged). @default 3000 */
  port: { env: "PORT", schema: int(0, 65535), default: 3000 },
  /**
   * Key of the player pseudonyms (HMAC-SHA256 of the token's `sub`), at least 32 characters. Never
   * change it on a running deployment: every player would get a new id. Empty: derived from
   * LIVEDRAW_JWT_SECRET (with a warning; refused when NODE_ENV=production). @default ""
   */
  pseudonymKey: { env: "LIVEDRAW_PSEUDONYM_KEY", schema: z.string().min(32, "must be at least 32 characters"), default: "", sensitive: true },
  /**
   * AES-256-GCM key ring for phone numbers, names and addresses at rest: comma-separated
   * `id:base64key` (32-byte keys, e.g. `openssl rand -base64 32`); the first seals, all open (rotation:
   * put the new key first, run `npm run privacy:reseal`, then drop the old one). Empty: one key derived
   * from LIVEDRAW_JWT_SECRET (with a warning; refused when NODE_ENV=production). @default ""
   */
  dataKeys: { env: "LIVEDRAW_DATA_KEYS", schema: z.string().superRefine(dataKeysRefinement), default: "", sensitive: true },
  /** Interface the socket node binds. @default "0.0.0.0" */
  host: { env: "LIVEDRAW_HOST", schema: z.string().min(1), default: "0.0.0.0" },
  /** Redis connection URL. @default "redis://127.0.0.1:6379" */
  redisUrl: { env: "REDIS_URL", schema: z.string().regex(/^rediss?:\/\//, "must start with redis:// or rediss://"), default: "redis://127.0.0.1:6379" },
  /**
   * Longest a socket node waits for one Redis command before answering E_UNAVAILABLE, in ms (a hung
   * or partitioned Redis; a closed connection fails at once). @default 500
   */
  redisCommandTimeoutMs: { env: "LIVEDRAW_REDIS_COMMAND_TIMEOUT_MS", schema: int(50, 60_000), default: 500 },
  /**
   * Start against a Redis with AOF off (a managed service or replicas that persist another way). Off:
   * nodes and workers refuse to start (exit 2), since an acknowledged intent must survive a restart. @default false
   */
  allowNoAof: { env: "LIVEDRAW_ALLOW_NO_AOF", schema: bool, default: false },
  /** Name of this process in logs and metrics. @default "<hostname>-<pid>" */
  nodeId: { env: "LIVEDRAW_NODE_ID", schema: z.string().regex(/^[\w.-]{1,64}$/, "must be 1-64 of letters, digits, '_', '.', '-'"), default: `${os.hostname()}-${process.pid}` },
  /** HS256 secret that signs and verifies player and host tokens; at least 32 characters. Required. */
  jwtSecret: { env: "LIVEDRAW_JWT_SECRET", schema: z.string().min(32, "must be at least 32 characters"), default: undefined },
  /** Enables `POST /dev/token`, which issues tokens to anyone. For local use only. @default false */
  devTokens: { env: "LIVEDRAW_DEV_TOKENS", schema: bool, default: false },
  /** Socket engine: `auto` uses native uWebSockets.js when it loads, else Socket.IO's `ws`. @default "auto" */
  transport: { env: "LIVEDRAW_TRANSPORT", schema: z.enum(["auto", "uws", "ws"]), default: "auto" },
  /** pino log level. @default "info" */
  logLevel: { env: "LOG_LEVEL", schema: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]), default: "info" },
  /** Shortest entry window a host may open, in ms. @default 1000 */
  minDurationMs: { env: "LIVEDRAW_MIN_DURATION_MS", schema: int(100, 86_400_000), default: 1000 },
  /** Longest entry window a host may open, in ms. @default 3600000 (one hour) */
  maxDurationMs: { env: "LIVEDRAW_MAX_DURATION_MS", schema: int(1000, 7 * 86_400_000), default: 3_600_000 },
  /** Most winners one draw may pick. @default 1000 */
  maxWinners: { env: "LIVEDRAW_MAX_WINNERS", schema: int(1, 1_000_000), default: 1000 },
  /** Interval between countdown ticks each node sends to its own clients, in ms. @default 1000 */
  tickIntervalMs: { env: "LIVEDRAW_TICK_INTERVAL_MS", schema: int(100, 60_000), default: 1000 },
  /**
   * Pause between a draw's final reveal and its `draw:done` + personal results, in ms, so the reveal
   * (the moment everyone watches) fans out to every socket before one personal message per entrant
   * follows it. 0 sends them at once. @default 500
   */
  drawResultsDelayMs: { env: "LIVEDRAW_DRAW_RESULTS_DELAY_MS", schema: int(0, 10_000), default: 500 },
  /** How long a revealed draw's keys are kept in Redis, in seconds. @default 604800 (7 days) */
  drawRetentionSeconds: { env: "LIVEDRAW_DRAW_RETENTION_SECONDS", schema: int(60, 365 * 86_400), default: 7 * 86_400 },
  /**
   * How long a closed campaign's keys stay in Redis after its close, in days (instant-win: the
   * schedule's `closedAt`; live draws: the last draw's end). Workers set the expiry (core/retention.ts);
   * a campaign that is still live is never touched. @default 30
   */
  campaignRetentionDays: { env: "LIVEDRAW_CAMPAIGN_RETENTION_DAYS", schema: int(1, 3650), default: 30 },
  /**
   * How long a closed campaign's audit log (with its dedupe index and the set of its draw ids, so a
   * draw id is never reused while its records exist) stays in Redis after the close, in days; at
   * least LIVEDRAW_CAMPAIGN_RETENTION_DAYS. Export it (`GET …/audit`) to keep it longer. @default 365
   */
  auditRetentionDays: { env: "LIVEDRAW_AUDIT_RETENTION_DAYS", schema: int(1, 36_500), default: 365 },
  /**
   * How long a player's sealed profile and personal data key stay in Redis after the player's personal
   * data was last written (a sign-in whose token carries a name or phone, a claim form), in days. When
   * the key expires, everything sealed under it (claim forms in win records too) reads as erased.
   * @default 180
   */
  profileRetentionDays: { env: "LIVEDRAW_PROFILE_RETENTION_DAYS", schema: int(1, 3650), default: 180 },
  /** How often a worker runs the retention sweep over every campaign's keys, in ms. @default 3600000 (hourly) */
  retentionSweepMs: { env: "LIVEDRAW_RETENTION_SWEEP_MS", schema: int(1000, 86_400_000), default: 3_600_000 },
  /**
   * Bearer token that `GET /metrics` requires (`Authorization: Bearer <token>`, compared in constant
   * time), on the main port or on LIVEDRAW_METRICS_PORT; at least 16 characters. Empty: no token.
   * With neither this nor a metrics port, a node's `/metrics` answers 404 E_METRICS_DISABLED. @default ""
   */
  metricsToken: { env: "LIVEDRAW_METRICS_TOKEN", schema: z.string().min(16, "must be at least 16 characters"), default: "", sensitive: true },
  /**
   * Serve `GET /metrics` on this separate port (a plain node:http listener, on nodes and workers; `0`
   * picks a free one, logged as `metrics listening`) instead of the main port. Unset (-1): no separate
   * listener, and a worker serves no metrics. @default -1 (off)
   */
  metricsPort: { env: "LIVEDRAW_METRICS_PORT", schema: int(-1, 65535), default: -1 },
  /** Interface the metrics port binds. @default "127.0.0.1" */
  metricsHost: { env: "LIVEDRAW_METRICS_HOST", schema: z.string().min(1), default: "127.0.0.1" },
  /** Inbound messages one socket may send per second before it gets E_RATE_LIMITED. @default 20 */
  socketMessagesPerSecond: { env: "LIVEDRAW_SOCKET_MESSAGES_PER_SECOND", schema: int(1, 10_000), default: 20 },
  /** HTTP requests one client address may make per second (health, readiness and metrics exempt) before E_RATE_LIMITED. @default 50 */
  httpRequestsPerSecondPerIp: { env: "LIVEDRAW_HTTP_REQUESTS_PER_SECOND_PER_IP", schema: int(1, 100_000), default: 50 },
  /**
   * How many proxies you run in front of the nodes, whose `X-Forwarded-For` is trusted: `false` (0:
   * the peer's address is the client's), `true` (1) or a hop count N (0-10): the client address is
   * the Nth entry from the right of `X-Forwarded-For`, the one your outermost proxy saw; entries to
   * its left are the client's to choose and are ignored. `config.trustProxy` is `trustProxyHops > 0`.
   * @default 0 (false)
   */
  trustProxyHops: { env: "LIVEDRAW_TRUST_PROXY", schema: proxyHops, default: 0 },
  /**
   * Concurrent socket connections one client address may hold on one node (players, hosts and
   * viewers alike); the next handshake is refused with E_RATE_LIMITED. Venue Wi-Fi and mobile
   * carriers put many phones behind one address: size it for the largest crowd behind one NAT that
   * can land on one node. 0: no limit. @default 500
   */
  maxConnectionsPerAddress: { env: "LIVEDRAW_MAX_CONNECTIONS_PER_ADDRESS", schema: int(0, 1_000_000), default: 500 },
  /** Campaign and leaderboard rooms one socket may be subscribed to at once; more is E_TOO_MANY_SUBSCRIPTIONS. @default 20 */
  maxSubscriptionsPerSocket: { env: "LIVEDRAW_MAX_SUBSCRIPTIONS_PER_SOCKET", schema: int(1, 10_000), default: 20 },
  /** Largest accepted socket message or HTTP body, in bytes. @default 16384 */
  maxPayloadBytes: { env: "LIVEDRAW_MAX_PAYLOAD_BYTES", schema: int(256, 1_048_576), default: 16_384 },
  /** On SIGTERM, how long to wait for in-flight work before exiting anyway, in ms. @default 10000 */
  shutdownGraceMs: { env: "LIVEDRAW_SHUTDOWN_GRACE_MS", schema: int(0, 600_000), default: 10_000 },
  /** Jobs one worker process runs at once. @default 8 */
  workerConcurrency: { env: "LIVEDRAW_WORKER_CONCURRENCY", schema: int(1, 256), default: 8 },
  /**
   * Bytes that may wait in one socket's outbound buffer (a client that stopped reading) before the
   * node closes it instead of letting frames be dropped; `0`: off. @default 1048576
   */
  maxSocketBufferBytes: { env: "LIVEDRAW_MAX_SOCKET_BUFFER_BYTES", schema: int(0, 1_073_741_824), default: 1_048_576 },
  /**
   * How long a worker holds a job's lock between renewals (BullMQ lockDuration); a job whose worker
   * died is taken over after at most about twice this (the stall check runs every half of it).
   * @default 5000
   */
  workerLockMs: { env: "LIVEDRAW_WORKER_LOCK_MS", schema: int(1000, 600_000), default: 5000 },
  /** Compliance policy: lowest probability a prize tier may have. @default 0.01 */
  tierMinProbability: { env: "LIVEDRAW_TIER_MIN_PROBABILITY", schema: z.coerce.number().gt(0).lte(1), default: 0.01 },
  /** Compliance policy: highest probability a prize tier may have. @default 0.5 */
  tierMaxProbability: { env: "LIVEDRAW_TIER_MAX_PROBABILITY", schema: z.coerce.number().gt(0).lte(1), default: 0.5 },
  /** Compliance policy: highest total probability of all tiers. @default 1 */
  maxTotalProbability: { env: "LIVEDRAW_MAX_TOTAL_PROBABILITY", schema: z.coerce.number().gt(0).lte(1), default: 1 },
  /**
   * Highest value of one prize of a lottery-style campaign, in yuan (rule `prize-value-cap`). PRC law
   * (Anti-Unfair Competition Law, art. 10) caps it at ¥50,000; 0 turns the rule off. @default 50000
   */
  prizeValueCapYuan: { env: "LIVEDRAW_PRIZE_VALUE_CAP_YUAN", schema: z.coerce.number().nonnegative().max(100_000_000), default: 50_000 },
  /** Require every tier's value and the claim conditions, so the published rules state them (rule `prize-terms-published`). @default true */
  requirePrizeTerms: { env: "LIVEDRAW_REQUIRE_PRIZE_TERMS", schema: bool, default: true },
  /** Platform of campaigns that name none (`wechat`, `alipay`, `douyin`, `web`); on `wechat` shares and invites never earn tickets. @default "web" */
  platform: { env: "LIVEDRAW_PLATFORM", schema: z.enum(["wechat", "alipay", "douyin", "web"]), default: "web" },
  /**
   * Spin intents one player may send per second to one campaign, counted in Redis across all nodes
   * by the script that stores them (server/intent-batcher.ts), before E_RATE_LIMITED. @default 10
   */
  spinsPerSecondPerPlayer: { env: "LIVEDRAW_SPINS_PER_SECOND_PER_PLAYER", schema: int(1, 10_000), default: 10 },
  /** Live-draw entries (`draw:enter`) one player may send per second to one campaign, across nodes, before E_RATE_LIMITED. @default 5 */
  entriesPerSecondPerPlayer: { env: "LIVEDRAW_ENTRIES_PER_SECOND_PER_PLAYER", schema: int(1, 10_000), default: 5 },
  /**
   * Entries from one client address per second, and, counted apart, its spins, per campaign across
   * nodes (server/intent-batcher.ts). Many phones share
   * one venue or carrier NAT address: size it for the largest crowd behind one address. 0: no limit. @default 1000
   */
  intentsPerSecondPerAddress: { env: "LIVEDRAW_INTENTS_PER_SECOND_PER_ADDRESS", schema: int(0, 1_000_000), default: 1000 },
  /** Entries from one device (`auth.device`) per second, and, counted apart, its spins, per campaign across nodes. 0: no limit. @default 20 */
  intentsPerSecondPerDevice: { env: "LIVEDRAW_INTENTS_PER_SECOND_PER_DEVICE", schema: int(0, 100_000), default: 20 },
  /** Window of the concentrated-source counts (distinct accounts per address and per device, per campaign), in seconds. @default 600 */
  sourceWindowSeconds: { env: "LIVEDRAW_SOURCE_WINDOW_SECONDS", schema: int(10, 86_400), default: 600 },
  /**
   * Distinct accounts one client address may enter or spin with in one campaign per window before its
   * further accounts' intents are flagged (see LIVEDRAW_FLAGGED_SOURCE_ACTION). A venue's Wi-Fi puts
   * hundreds behind one address, so the default action only flags. 0: not counted. @default 50
   */
  accountsPerAddress: { env: "LIVEDRAW_ACCOUNTS_PER_ADDRESS", schema: int(0, 10_000_000), default: 50 },
  /** Distinct accounts one device (`auth.device`) may use in one campaign per window before it is flagged. 0: not counted. @default 5 */
  accountsPerDevice: { env: "LIVEDRAW_ACCOUNTS_PER_DEVICE", schema: int(0, 1_000_000), default: 5 },
  /**
   * What happens to an intent from a flagged source (above LIVEDRAW_ACCOUNTS_PER_ADDRESS or
   * _PER_DEVICE): `flag` stores and acknowledges it, recorded as flagged for the hosts; `challenge`
   * refuses it with E_CHALLENGE_REQUIRED (until the challenge hook accepts `auth.challenge`); `block`
   * refuses it with E_BLOCKED. Ignored when LIVEDRAW_CHALLENGE_MODULE is set. @default "flag"
   */
  flaggedSourceAction: { env: "LIVEDRAW_FLAGGED_SOURCE_ACTION", schema: z.enum(["flag", "challenge", "block"]), default: "flag" },
  /** With `challenge`: the URL of the challenge page sent in E_CHALLENGE_REQUIRED (`challenge.url`); empty: none. @default "" */
  challengeUrl: { env: "LIVEDRAW_CHALLENGE_URL", schema: z.string().regex(/^(https?:\/\/\S+)?$/, "must be empty or an http(s) URL"), default: "" },
  /**
   * A module that decides about flagged sources instead of LIVEDRAW_FLAGGED_SOURCE_ACTION (a captcha
   * provider's check, say): a path or file URL of an ES module whose default export is a
   * `ChallengeHook` or a function `(config) => ChallengeHook` (server/challenge.ts). @default ""
   */
  challengeModule: { env: "LIVEDRAW_CHALLENGE_MODULE", schema: z.string(), default: "" },
  /**
   * Live-draw entries one node handles at once; past it (Redis slow to answer, a flash crowd) an
   * entry is refused at once with E_BUSY and `retryAfterMs` instead of queueing. @default 5000
   */
  maxInflightEntries: { env: "LIVEDRAW_MAX_INFLIGHT_ENTRIES", schema: int(1, 1_000_000), default: 5000 },
  /** Spin intents one worker resolves in one Lua call. @default 500 */
  spinBatchSize: { env: "LIVEDRAW_SPIN_BATCH_SIZE", schema: int(1, 5000), default: 500 },
  /**
   * How long a worker's resolver loop lets spin intents gather after one wakes it, before it resolves
   * them in one batch: a floor under a spin's latency, and fewer round trips per spin the longer it is. @default 2
   */
  spinGatherMs: { env: "LIVEDRAW_SPIN_GATHER_MS", schema: int(0, 1000), default: 2 },
  /**
   * A node whose event loop ran this many ms late in the last quarter second refuses new spins and
   * live-draw entries with E_BUSY at once (load shedding) instead of acknowledging them seconds later. 0 turns it off. @default 250
   */
  spinShedLagMs: { env: "LIVEDRAW_SPIN_SHED_LAG_MS", schema: int(0, 60_000), default: 250 },
  /** Unresolved spin intents per campaign above which nodes answer E_BUSY (load shedding). @default 200000 */
  maxPendingSpins: { env: "LIVEDRAW_MAX_PENDING_SPINS", schema: int(100, 100_000_000), default: 200_000 },
  /** Results kept in each player's spin history. @default 100 */
  spinHistoryLength: { env: "LIVEDRAW_SPIN_HISTORY_LENGTH", schema: int(1, 10_000), default: 100 },
  /** Tickets (spins) a player earns for each friend's assist. @default 1 */
  ticketsPerAssist: { env: "LIVEDRAW_TICKETS_PER_ASSIST", schema: int(0, 1000), default: 1 },
  /** Host ids (comma-separated) who are operators: they may see and export personal data unmasked (each time audited). @default "" */
  operatorHosts: { env: "LIVEDRAW_OPERATOR_HOSTS", schema: z.string().transform((v) => v.split(",").map((x) => x.trim()).filter(Boolean)), default: [] as string[] },
  /** How often a worker looks for wins to issue and delays to notify, in ms. @default 250 */
  issueIntervalMs: { env: "LIVEDRAW_ISSUE_INTERVAL_MS", schema: int(10, 60_000), default: 250 },
  /** A coupon tier's pool at or below this many codes makes the workers log a low-stock warning. @default 100 */
  couponLowStock: { env: "LIVEDRAW_COUPON_LOW_STOCK", schema: int(0, 100_000_000), default: 100 },
  /** Key that signs webhook prize deliveries (HMAC-SHA256; at least 32 characters); campaigns with webhook prizes need it. @default "" */
  webhookSecret: { env: "LIVEDRAW_WEBHOOK_SECRET", schema: z.string().min(32, "must be at least 32 characters").or(z.literal("")), default: "", sensitive: true },
  /** Delivery attempts of a webhook prize before it is dead-lettered (status `failed`). @default 8 */
  webhookAttempts: { env: "LIVEDRAW_WEBHOOK_ATTEMPTS", schema: int(1, 100), default: 8 },
  /** First retry delay of a webhook delivery, in ms; doubled each attempt. @default 2000 */
  webhookBackoffMs: { env: "LIVEDRAW_WEBHOOK_BACKOFF_MS", schema: int(1, 3_600_000), default: 2000 },
  /** Longest delay between two webhook deliveries of one win, in ms. @default 600000 */
  webhookBackoffMaxMs: { env: "LIVEDRAW_WEBHOOK_BACKOFF_MAX_MS", schema: int(1, 86_400_000), default: 600_000 },
  /** How long one webhook delivery may take, in ms. @default 5000 */
  webhookTimeoutMs: { env: "LIVEDRAW_WEBHOOK_TIMEOUT_MS", schema: int(100, 120_000), default: 5000 },
  /** Webhook deliveries one worker makes at once. @default 16 */
  webhookConcurrency: { env: "LIVEDRAW_WEBHOOK_CONCURRENCY", schema: int(1, 1000), default: 16 },
  /** Rows in a pushed leaderboard (top N). @default 10 */
  leaderboardSize: { env: "LIVEDRAW_LEADERBOARD_SIZE", schema: int(1, 100), default: 10 },
  /** Least time between two leaderboard pushes to a room, in ms (changes in between are coalesced). @default 1000 */
  leaderboardIntervalMs: { env: "LIVEDRAW_LEADERBOARD_INTERVAL_MS", schema: int(100, 60_000), default: 1000 },
  /** drand chain (hash) whose rounds hosts may name for a draw. @default quicknet */
  drandChainHash: { env: "LIVEDRAW_DRAND_CHAIN", schema: z.string().regex(/^[0-9a-f]{64}$/, "must be a 64-hex-digit chain hash"), default: "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971" },
  /** Base URL of a drand HTTP API (rounds at <url>/<chain>/public/<round>). @default "https://api.drand.sh" */
  drandUrl: { env: "LIVEDRAW_DRAND_URL", schema: z.string().regex(/^https?:\/\//, "must be an http(s) URL"), default: "https://api.drand.sh" },
  /** Least time between a draw's deadline and the publication of the drand round it names, in ms. @default 10000 */
  drandMinLeadMs: { env: "LIVEDRAW_DRAND_MIN_LEAD_MS", schema: int(0, 3_600_000), default: 10_000 },
  /** Accept beacon rounds published before the deadline. Only for replaying recorded rounds in tests; never in production. @default false */
  drandAllowPastRounds: { env: "LIVEDRAW_DRAND_ALLOW_PAST_ROUNDS", schema: bool, default: false },
  /** Value of Access-Control-Allow-Origin on the HTTP API and Socket.IO handshake; empty disables CORS. @default "" */
  corsOrigin: { env: "LIVEDRAW_CORS_ORIGIN", schema: z.string(), default: "" },
  /**
   * Host accounts of the console: comma-separated `hostId:hash` entries, each hash made by
   * `npm run host:hash` (scrypt, `scrypt$N$r$p$salt$hash`). Empty: no console sign-in, only Bearer
   * host tokens work. Never echoed in error messages. @default ""
   */
  hosts: { env: "LIVEDRAW_HOSTS", schema: z.string().superRefine(hostListRefinement), default: "", sensitive: true },
  /** WeChat mini-program AppID for `POST /v1/auth/wechat` (code2session). Empty: that sign-in is off. @default "" */
  wechatAppId: { env: "LIVEDRAW_WECHAT_APPID", schema: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, '_' or '-'"), default: "" },
  /** The mini-program's AppSecret, sent only to the code2session endpoint; never logged. @default "" */
  wechatSecret: { env: "LIVEDRAW_WECHAT_SECRET", schema: z.string().min(1).max(256), default: "", sensitive: true },
  /** The code2session endpoint (WeChat's, or a compatible one: Alipay/ByteDance adapters, a test fake). @default "https://api.weixin.qq.com/sns/jscode2session" */
  wechatCode2SessionUrl: { env: "LIVEDRAW_WECHAT_CODE2SESSION_URL", schema: z.string().regex(/^https?:\/\/\S+$/, "must be an http(s) URL"), default: "https://api.weixin.qq.com/sns/jscode2session" },
  /**
   * How one-time sign-in codes reach phones: `none` (phone sign-in off), `webhook` (POST to
   * LIVEDRAW_SMS_WEBHOOK_URL, signed with LIVEDRAW_SMS_WEBHOOK_SECRET: your SMS provider's adapter), or
   * `log` (the code is written to the node's log: local development only, refused when
   * NODE_ENV=production). @default "none"
   */
  smsSender: { env: "LIVEDRAW_SMS_SENDER", schema: z.enum(["none", "webhook", "log"]), default: "none" },
  /** Where `webhook` SMS sends go (JSON `{ phone, code, ttlSeconds }`). @default "" */
  smsWebhookUrl: { env: "LIVEDRAW_SMS_WEBHOOK_URL", schema: z.string().regex(/^https?:\/\/\S+$/, "must be an http(s) URL"), default: "" },
  /** HMAC-SHA256 key of the `x-livedraw-signature` header on SMS webhook calls, ≥ 32 characters. @default "" */
  smsWebhookSecret: { env: "LIVEDRAW_SMS_WEBHOOK_SECRET", schema: z.string().min(32, "must be at least 32 characters"), default: "", sensitive: true },
  /** Lifetime of the player tokens the sign-in endpoints issue, in seconds. @default 7200 */
  loginTokenTtlSeconds: { env: "LIVEDRAW_LOGIN_TOKEN_TTL_SECONDS", schema: int(60, 30 * 86_400), default: 7200 },
  /** Lifetime of a console session (the `ld_host` cookie), in seconds. @default 43200 (12 hours) */
  hostSessionTtlSeconds: { env: "LIVEDRAW_HOST_SESSION_TTL_SECONDS", schema: int(60, 30 * 86_400), default: 43_200 },
  /**
   * Where players join a campaign (the big screen shows it as a QR code): an http(s) URL template in
   * which `{campaignId}` is replaced. @default "https://example.com/join?campaign={campaignId}" (a placeholder)
   */
  joinUrl: {
    env: "LIVEDRAW_JOIN_URL",
    schema: z.string().regex(/^https?:\/\/[^\s]+$/, "must be an http(s) URL without spaces").refine((v) => v.includes("{campaignId}"), "must contain {campaignId}"),
    default: DEFAULT_JOIN_URL,
  },
  /**
   * Exceptions to rule `webhook-address` (webhook prizes reach public internet hosts only):
   * comma-separated host names, IP addresses and CIDR ranges a partner lives at inside your network
   * (`issuer.corp.example, 10.20.0.0/16`). Listed hosts may also be called over plain http. @default ""
   */
  webhookAllowHosts: { env: "LIVEDRAW_WEBHOOK_ALLOW_HOSTS", schema: z.string().superRefine(allowListRefinement), default: "" },
  /** Allow plain http webhook URLs to public hosts (https only otherwise, in every environment). @default false */
  webhookAllowHttp: { env: "LIVEDRAW_WEBHOOK_ALLOW_HTTP", schema: bool, default: false },
  /** Webhook deliveries one worker makes at once to one partner host (kept below LIVEDRAW_WEBHOOK_CONCURRENCY). @default 4 */
  webhookHostConcurrency: { env: "LIVEDRAW_WEBHOOK_HOST_CONCURRENCY", schema: int(1, 1000), default: 4 },
  /** Failed deliveries in a row to one partner host that open its circuit breaker. @default 5 */
  webhookBreakerFailures: { env: "LIVEDRAW_WEBHOOK_BREAKER_FAILURES", schema: int(1, 1000), default: 5 },
  /** How long an open breaker holds a partner's deliveries before one trial delivery, in ms. @default 30000 */
  webhookBreakerCooldownMs: { env: "LIVEDRAW_WEBHOOK_BREAKER_COOLDOWN_MS", schema: int(100, 3_600_000), default: 30_000 },
  /**
   * Transport connections (WebSocket upgrades and long-polling sessions, counted from the upgrade,
   * before any Socket.IO packet) one node takes; the next upgrade is answered 503 E_BUSY. Keep the
   * process's open-file limit (`ulimit -n`) above it plus 256: a node warns at start-up when it is
   * not. 0: no ceiling. @default 20000
   */
  maxConnections: { env: "LIVEDRAW_MAX_CONNECTIONS", schema: int(0, 10_000_000), default: 20_000 },
  /** How long a new connection may take to send its Socket.IO CONNECT before the node closes it, in ms. @default 5000 */
  connectTimeoutMs: { env: "LIVEDRAW_CONNECT_TIMEOUT_MS", schema: int(500, 60_000), default: 5000 },
} as const;

type Spec = typeof SPEC;

/** ` (got "<value>")` for a refused value, except for options whose values must not reach a log. */
function got(spec: Spec[keyof Spec], value: unknown): string {
  return "sensitive" in spec && spec.sensitive ? "" : ` (got ${JSON.stringify(value)})`;
}
export type Config = { readonly [K in keyof Spec]: z.output<Spec[K]["schema"]> } & {
  /** Derived from trustProxyHops (LIVEDRAW_TRUST_PROXY): whether any proxy's forwarded headers are trusted. */
  readonly trustProxy: boolean;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** The option names with their environment variables and defaults, for docs and `--help`. */
export function describeOptions(): { option: string; env: string; default: unknown }[] {
  return Object.entries(SPEC).map(([option, s]) => ({ option, env: s.env, default: s.default }));
}

/**
 * Builds the frozen configuration from the environment (and `overrides`, which win and are already
 * typed, for tests and the demo). Throws ConfigError naming every bad field.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(SPEC) as [keyof Spec, Spec[keyof Spec]][]) {
    if (name in overrides) {
      const parsed = spec.schema.safeParse(String(overrides[name]));
      if (!parsed.success) problems.push(`${name}: ${parsed.error.issues[0]?.message ?? "invalid"}${got(spec, overrides[name])}`);
      out[name] = overrides[name];
      continue;
    }
    const raw = env[spec.env];
    if (raw === undefined || raw === "") {
      if (spec.default === undefined) problems.push(`${spec.env} (${name}) is required`);
      out[name] = spec.default;
      continue;
    }
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) out[name] = parsed.data;
    else problems.push(`${spec.env} (${name}): ${parsed.error.issues[0]?.message ?? "invalid"}${got(spec, raw)}`);
  }
  if (problems.length === 0 && Number(out.tierMinProbability) > Number(out.tierMaxProbability)) {
    problems.push(`LIVEDRAW_TIER_MIN_PROBABILITY (tierMinProbability) must not exceed LIVEDRAW_TIER_MAX_PROBABILITY (tierMaxProbability)`);
  }
  if (problems.length === 0 && Number(out.minDurationMs) > Number(out.maxDurationMs)) {
    problems.push(`LIVEDRAW_MIN_DURATION_MS (minDurationMs) must not exceed LIVEDRAW_MAX_DURATION_MS (maxDurationMs)`);
  }
  if (problems.length === 0 && out.smsSender === "webhook" && (out.smsWebhookUrl === "" || out.smsWebhookSecret === "")) {
    problems.push("LIVEDRAW_SMS_SENDER=webhook needs LIVEDRAW_SMS_WEBHOOK_URL and LIVEDRAW_SMS_WEBHOOK_SECRET");
  }
  if (problems.length === 0 && out.wechatAppId !== "" && out.wechatSecret === "") problems.push("LIVEDRAW_WECHAT_APPID needs LIVEDRAW_WECHAT_SECRET");
  if (problems.length === 0 && env.NODE_ENV === "production") {
    if (out.pseudonymKey === "") problems.push("LIVEDRAW_PSEUDONYM_KEY (pseudonymKey) is required when NODE_ENV=production (player pseudonyms must not hang on the token secret)");
    if (out.smsSender === "log") problems.push("LIVEDRAW_SMS_SENDER=log writes sign-in codes to the log: refused when NODE_ENV=production");
    if (out.dataKeys === "") problems.push("LIVEDRAW_DATA_KEYS (dataKeys) is required when NODE_ENV=production (the key ring of personal data at rest)");
  }
  if (problems.length === 0 && Number(out.auditRetentionDays) < Number(out.campaignRetentionDays)) {
    problems.push(`LIVEDRAW_AUDIT_RETENTION_DAYS (auditRetentionDays) must not be less than LIVEDRAW_CAMPAIGN_RETENTION_DAYS (campaignRetentionDays)`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  // The boolean the HTTP side reads; an override of it alone (true = one hop) sets the hop count too.
  if (overrides.trustProxy !== undefined && overrides.trustProxyHops === undefined) out.trustProxyHops = overrides.trustProxy ? 1 : 0;
  out.trustProxy = Number(out.trustProxyHops) > 0;
  return Object.freeze(out) as Config;
}
