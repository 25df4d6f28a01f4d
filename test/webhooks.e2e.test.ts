/**
 * Webhook prizes that cannot reach inside (issue 17, item 4), across real processes and real HTTP
 * partners on 127.0.0.1:
 * - every address class a probe got accepted (metadata, loopback, private, unspecified, decimal
 *   127.0.0.1 …) is refused when a campaign is saved, with E_POLICY_VIOLATION naming rule
 *   `webhook-address`;
 * - a partner answering 302 is not followed (the redirect target gets nothing) and the host sees
 *   a generic failure, not the partner's status;
 * - a partner that hangs does not delay another campaign's delivery by more than 1 s;
 * - a URL saved while allowed is checked again at delivery: a worker without the exception refuses
 *   it and nothing is sent.
 * The local partners are allowed by LIVEDRAW_WEBHOOK_ALLOW_HOSTS=127.0.0.1 where a test needs them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveDrawClient } from "@livedraw/client-sdk";
import type { PublishedRules, Win } from "@livedraw/protocol";
import { campaignKeys } from "../core/redis-keys.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, http, uniqueId, type NodeProcess } from "./harness.js";

type ErrorBody = { error: { code: string; message: string } };
const WEBHOOK_SECRET = "test-webhook-secret-0123456789-abcdefghijkl";
const GENERIC = /^the partner did not confirm the prize after \d+ attempts? \(details in the operator log\)$/;

const baseEnv = {
  LIVEDRAW_TIER_MAX_PROBABILITY: "1", // a tier that always wins
  LIVEDRAW_SPINS_PER_SECOND_PER_PLAYER: "10000",
  LIVEDRAW_SOCKET_MESSAGES_PER_SECOND: "10000",
  LIVEDRAW_INTENTS_PER_SECOND_PER_DEVICE: "0",
  LIVEDRAW_SPIN_SHED_LAG_MS: "0",
  LIVEDRAW_WEBHOOK_SECRET: WEBHOOK_SECRET,
  LIVEDRAW_ISSUE_INTERVAL_MS: "50",
};

/** A local partner: counts requests, answers with `handle` (or never, when it returns without answering). */
class Partner {
  requests = 0;
  /** Requests received and not answered yet. */
  open = 0;
  maxOpen = 0;
  private readonly server: Server;
  private readonly waiters: { n: number; resolve: (at: number) => void }[] = [];
  url = "";

  constructor(private readonly handle: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
    this.server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        this.requests++;
        this.open++;
        this.maxOpen = Math.max(this.maxOpen, this.open);
        res.on("close", () => this.open--);
        const at = performance.now();
        for (const w of this.waiters.filter((x) => x.n <= this.requests)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(at);
        }
        this.handle(req, res, body);
      });
    });
  }

  async start(h: Harness): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    h.defer(() => {
      this.server.closeAllConnections();
      return new Promise((r) => this.server.close(r));
    });
    return this;
  }

  /** Resolves with the time (performance.now()) the `n`th request arrived. */
  request(n: number, timeoutMs = 60_000): Promise<number> {
    if (this.requests >= n) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`partner ${this.url}: ${this.requests} of ${n} requests within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ n, resolve: (at) => (clearTimeout(timer), resolve(at)) });
    });
  }
}

/** The next win:status push for one of the client's wins with this status. */
function nextStatus(client: LiveDrawClient, status: Win["status"], timeoutMs = 60_000): Promise<Win> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`no win:status ${status} within ${timeoutMs} ms`))), timeoutMs);
    const off = client.on("win:status", (w) => {
      if (w.status !== status) return;
      clearTimeout(timer);
      off();
      resolve(w);
    });
  });
}

const webhookCampaign = (campaignId: string, url: string, inventory = 100) =>
  liveCampaign(campaignId, {
    tiers: [{ tierId: "vip", name: "Partner voucher", probability: 1, inventory, value: 50, prize: { kind: "webhook", url } }],
    limits: { spinsPerDay: 100, spinsPerCampaign: 100, winsPerCampaign: 100 },
    freeSpins: 100,
  });

describe("webhook URLs are checked where a campaign is saved (a node with no exceptions)", () => {
  const h = new Harness();
  let node: NodeProcess;
  let hostToken: string;
  beforeAll(async () => {
    await h.startRedis();
    node = await h.startNode(baseEnv);
    hostToken = await h.hostToken();
  });
  afterAll(() => h.cleanup());

  // What the issue's probe got accepted, and more spellings of the same places.
  const refused = [
    "http://169.254.169.254/",
    "https://169.254.169.254/latest/meta-data/iam/",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://127.0.0.1:6379/",
    "https://localhost/",
    "https://[::1]/",
    "https://0.0.0.0/",
    "https://10.0.0.5/",
    "https://2130706433/",
    "https://0177.0.0.1/",
    "https://0x7f.1/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:169.254.169.254]/",
    "https://[fd00:ec2::254]/",
    "https://[fe80::1]/",
    "https://224.0.0.1/",
    "https://240.0.0.1/",
    "https://100.100.100.200/",
    "https://192.168.0.1/",
    "https://redis:6379/",
    "http://93.184.216.34/issue", // public, but plain http
  ];

  it.each(refused)("refuses %s with E_POLICY_VIOLATION naming rule webhook-address", async (url) => {
    const r = await http<PublishedRules & ErrorBody>(`${node.url}/v1/campaigns`, { token: hostToken, body: webhookCampaign(uniqueId("bad"), url) });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe("E_POLICY_VIOLATION");
    expect(r.body.error.message).toMatch(/^rule webhook-address: tier vip \("Partner voucher"\): prize\.url: /);
  });

  it("accepts a public https partner, and refuses replacing it with an internal one", async () => {
    const campaignId = uniqueId("good");
    // Not live yet, so it may still be replaced (a live campaign is locked: E_CAMPAIGN_LOCKED).
    const later = (url: string) => {
      const c = webhookCampaign(campaignId, url);
      const inAnHour = Date.now() + 3_600_000;
      return { ...c, schedule: { warmupAt: inAnHour, liveAt: inAnHour + 60_000, longTailAt: inAnHour + 120_000, closedAt: inAnHour + 180_000 } };
    };
    const ok = await http<PublishedRules & ErrorBody>(`${node.url}/v1/campaigns`, { token: hostToken, body: later("https://93.184.216.34/issue") });
    expect(ok.status).toBe(201);
    const good = await http<ErrorBody>(`${node.url}/v1/campaigns/${campaignId}`, { method: "PUT", token: hostToken, body: later("https://93.184.216.34/v2/issue") });
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    const replaced = await http<ErrorBody>(`${node.url}/v1/campaigns/${campaignId}`, { method: "PUT", token: hostToken, body: later("https://169.254.169.254/") });
    expect(replaced.status).toBe(422);
    expect(replaced.body.error.message).toMatch(/rule webhook-address: .*link-local/);
  });
});

describe("webhook delivery (1 node, 1 worker; the local partners allow-listed)", () => {
  const h = new Harness();
  let node: NodeProcess;
  let redis: Redis;
  let hostToken: string;
  const env = {
    ...baseEnv,
    LIVEDRAW_WEBHOOK_ALLOW_HOSTS: "127.0.0.1",
    LIVEDRAW_WEBHOOK_ATTEMPTS: "2",
    LIVEDRAW_WEBHOOK_BACKOFF_MS: "5",
    LIVEDRAW_WEBHOOK_BACKOFF_MAX_MS: "50",
    // Long enough that a delivery stuck behind a hanging partner would show: 8 s against the 1 s bound.
    LIVEDRAW_WEBHOOK_TIMEOUT_MS: "8000",
    LIVEDRAW_WEBHOOK_CONCURRENCY: "16",
    LIVEDRAW_WEBHOOK_HOST_CONCURRENCY: "4",
  };
  const create = async (campaignId: string, url: string) => {
    const r = await http<PublishedRules & ErrorBody>(`${node.url}/v1/campaigns`, { token: hostToken, body: webhookCampaign(campaignId, url) });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  };

  beforeAll(async () => {
    await h.startRedis();
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
    node = await h.startNode(env);
    await h.startWorker(env);
    hostToken = await h.hostToken();
  });
  afterAll(() => h.cleanup());

  it("a 302 is not followed: its target gets nothing, the win fails with a generic text for hosts", async () => {
    const target = await new Partner((_req, res) => res.end("{}")).start(h);
    const redirector = await new Partner((_req, res) => res.writeHead(302, { location: `${target.url}/steal` }).end()).start(h);
    const campaignId = uniqueId("redirect");
    await create(campaignId, `${redirector.url}/issue`);
    const player = await h.player(node.url, "redirected");
    const failed = nextStatus(player, "failed");
    expect((await player.spin(campaignId, { idempotencyKey: "redirect-spin-1" })).outcome).toBe("won");
    const win = await failed;

    expect(redirector.requests).toBe(2); // both attempts went to the partner named in the campaign
    expect(target.requests).toBe(0); // and never to where it pointed
    expect(win.failure).toMatch(GENERIC);
    expect(win.failure).not.toMatch(/302|HTTP|redirect|127\.0\.0\.1/);
    // What a host reads says the same.
    const listed = await http<{ wins: { winId: string; failure: string | null }[] }>(`${node.url}/v1/campaigns/${campaignId}/wins`, { token: hostToken });
    expect(listed.status).toBe(200);
    expect(listed.body.wins.find((w) => w.winId === win.winId)?.failure).toMatch(GENERIC);
    expect(await redis.xlen(campaignKeys(campaignId).issueDead)).toBe(1);
  });

  it("a hanging partner does not delay another campaign's delivery by more than 1 s", async () => {
    const hanging = await new Partner(() => undefined).start(h); // reads the request, never answers
    const fast = await new Partner((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"reference":"ok"}')).start(h);
    const slowCampaign = uniqueId("hang");
    const otherCampaign = uniqueId("other");
    await create(slowCampaign, `${hanging.url}/issue`);
    await create(otherCampaign, `${fast.url}/issue`);
    const other = await h.player(node.url, "other-player");

    // Baseline, nothing hanging: spin answered → the partner has the delivery. Three runs, the median.
    const deliver = async (n: number) => {
      const t0 = performance.now();
      const arrived = fast.request(n);
      expect((await other.spin(otherCampaign, { idempotencyKey: `other-spin-${n}` })).outcome).toBe("won");
      return (await arrived) - t0;
    };
    const baseline = [await deliver(1), await deliver(2), await deliver(3)].sort((a, b) => a - b)[1]!;

    // 24 wins for the hanging partner: more than the worker's 16 delivery slots.
    const slowPlayer = await h.player(node.url, "slow-player");
    const spins = await Promise.all(Array.from({ length: 24 }, (_, i) => slowPlayer.spin(slowCampaign, { idempotencyKey: `hang-spin-${i}` })));
    expect(spins.every((s) => s.outcome === "won")).toBe(true);
    await hanging.request(4); // the partner is holding deliveries now

    const loaded = await deliver(4);
    console.log(`delivery to another partner: baseline ${baseline.toFixed(0)} ms, with a hanging partner ${loaded.toFixed(0)} ms; the hanging partner held ${hanging.maxOpen} at once`);
    expect(loaded).toBeLessThan(baseline + 1000);
    // Per-partner concurrency: the hanging partner never had more than LIVEDRAW_WEBHOOK_HOST_CONCURRENCY at once.
    expect(hanging.maxOpen).toBeLessThanOrEqual(4);
  });
});

describe("webhook URLs are checked again at delivery (saved while allowed, delivered by a worker without the exception)", () => {
  const h = new Harness();
  let node: NodeProcess;
  beforeAll(async () => {
    await h.startRedis();
    node = await h.startNode({ ...baseEnv, LIVEDRAW_WEBHOOK_ALLOW_HOSTS: "127.0.0.1" });
    await h.startWorker({ ...baseEnv, LIVEDRAW_WEBHOOK_ATTEMPTS: "3", LIVEDRAW_WEBHOOK_BACKOFF_MS: "5" });
  });
  afterAll(() => h.cleanup());

  it("the worker refuses the loopback partner: nothing is sent, the win fails with the generic text", async () => {
    const partner = await new Partner((_req, res) => res.end("{}")).start(h);
    const campaignId = uniqueId("recheck");
    const created = await http<ErrorBody>(`${node.url}/v1/campaigns`, { token: await h.hostToken(), body: webhookCampaign(campaignId, `${partner.url}/issue`) });
    expect(created.status).toBe(201);
    const player = await h.player(node.url, "rechecked");
    const failed = nextStatus(player, "failed");
    expect((await player.spin(campaignId, { idempotencyKey: "recheck-spin-1" })).outcome).toBe("won");
    const win = await failed;
    expect(win.failure).toMatch(GENERIC);
    expect(partner.requests).toBe(0);
  });
});
