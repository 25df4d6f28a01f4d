/**
 * Prizes after the spin, across real processes (2 socket nodes, 2 workers racing each other's
 * issuers, real SDK clients, a real HTTP webhook receiver):
 * - 10,000 concurrent coupon wins against a pool of 5,000 codes: each code issued at most once,
 *   exactly 5,000 in total, the rest pending until codes arrive (then issued too);
 * - a webhook receiver failing half its requests: every win ends issued exactly once, every delivery
 *   signed (HMAC-SHA256 over timestamp and body);
 * - a redemption code redeemed from both nodes in parallel succeeds once; a second, a forged QR
 *   and an expired prize are refused with their codes;
 * - a physical prize: the claim form sealed at rest, masked for hosts, shipped with tracking.
 */
import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveDrawClient } from "@livedraw/client-sdk";
import type { PublishedRules, Win } from "@livedraw/protocol";
import { campaignKeys, workIndexKeys } from "../core/redis-keys.js";
import { tokens } from "./harness.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, collect, http, pseudonym, uniqueId, type NodeProcess } from "./harness.js";

type ErrorBody = { error: { code: string; message: string } };
const WEBHOOK_SECRET = "test-webhook-secret-0123456789-abcdefghijkl";

describe("prizes: issuance, webhooks, redemption (2 nodes, 2 workers)", () => {
  const h = new Harness();
  let nodes: NodeProcess[];
  let redis: Redis;
  let hostToken: string;

  const create = (body: unknown) => http<PublishedRules & ErrorBody>(`${nodes[0]!.url}/v1/campaigns`, { token: hostToken, body });
  /** Every win:status push a client gets, by win id (the latest). */
  const watch = (client: LiveDrawClient, into: Map<string, Win>, onPush?: (w: Win) => void) =>
    client.on("win:status", (w) => {
      into.set(w.winId, w);
      onPush?.(w);
    });

  beforeAll(async () => {
    await h.startRedis();
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
    const env = {
      LIVEDRAW_TIER_MAX_PROBABILITY: "1", // a tier that always wins: every spin is a win here
      LIVEDRAW_SPINS_PER_SECOND_PER_PLAYER: "10000",
      LIVEDRAW_SOCKET_MESSAGES_PER_SECOND: "10000",
      LIVEDRAW_INTENTS_PER_SECOND_PER_DEVICE: "0",
      LIVEDRAW_HTTP_REQUESTS_PER_SECOND_PER_IP: "100000",
      LIVEDRAW_SPIN_SHED_LAG_MS: "0",
      LIVEDRAW_WEBHOOK_SECRET: WEBHOOK_SECRET,
      // The test partner listens on 127.0.0.1: an operator's exception to rule webhook-address.
      LIVEDRAW_WEBHOOK_ALLOW_HOSTS: "127.0.0.1",
      LIVEDRAW_WEBHOOK_ATTEMPTS: "40",
      LIVEDRAW_WEBHOOK_BACKOFF_MS: "5",
      LIVEDRAW_WEBHOOK_BACKOFF_MAX_MS: "100",
      LIVEDRAW_ISSUE_INTERVAL_MS: "50",
      LIVEDRAW_OPERATOR_HOSTS: "ops-1",
    };
    nodes = await Promise.all([h.startNode(env), h.startNode(env)]);
    await Promise.all([h.startWorker(env), h.startWorker(env)]);
    hostToken = await h.hostToken();
  });
  afterAll(() => h.cleanup());

  it("10,000 concurrent wins against 5,000 coupon codes: each code at most once, exactly 5,000 issued", async () => {
    const campaignId = uniqueId("coupons");
    const PLAYERS = 100;
    const SPINS_EACH = 100;
    const created = await create(liveCampaign(campaignId, {
      tiers: [{ tierId: "coupon", name: "¥10 coupon", probability: 1, inventory: PLAYERS * SPINS_EACH, value: 10, prize: { kind: "coupon" } }],
      limits: { spinsPerDay: SPINS_EACH, spinsPerCampaign: SPINS_EACH, winsPerCampaign: SPINS_EACH },
      freeSpins: SPINS_EACH,
    }));
    expect(created.status).toBe(201);
    const codes = Array.from({ length: 5000 }, (_, i) => `CPN-${String(i).padStart(6, "0")}`);
    // In loads of 500 (a body must fit LIVEDRAW_MAX_PAYLOAD_BYTES); one code twice, to be skipped.
    let added = 0;
    for (let i = 0; i < codes.length; i += 500) {
      const r = await http<{ added: number; duplicates: number }>(`${nodes[i % 2]!.url}/v1/campaigns/${campaignId}/coupons`, { token: hostToken, body: { tierId: "coupon", codes: [...codes.slice(i, i + 500), codes[0]!] } });
      expect(r.status).toBe(200);
      added += r.body.added;
    }
    expect(added).toBe(5000);

    const clients = await Promise.all(Array.from({ length: PLAYERS }, (_, i) => h.player(nodes[i % 2]!.url, `cp${i}`)));
    const pushed = new Map<string, Win>();
    const issuedPushes = collect<Win>("issued coupon pushes", 5000, 120_000);
    const seenIssued = new Set<string>();
    let sink = issuedPushes; // the refill below gets its own collector
    for (const c of clients) watch(c, pushed, (w) => {
      if (w.status === "issued" && !seenIssued.has(w.winId)) {
        seenIssued.add(w.winId);
        sink.add(w);
      }
    });
    const results = await Promise.all(clients.flatMap((c, p) => Array.from({ length: SPINS_EACH }, (_, s) => c.spin(campaignId, { idempotencyKey: `cp-${p}-${s}-key`, timeoutMs: 120_000 }))));
    expect(results.filter((r) => r.outcome === "won")).toHaveLength(PLAYERS * SPINS_EACH);
    const issued = await issuedPushes.done;

    // Exactly 5,000 issued, each code once, every code from the pool; the pool is empty; the rest wait.
    const k = campaignKeys(campaignId);
    const records = Object.values(await redis.hgetall(k.wins)).map((j) => JSON.parse(j) as { status: string; coupon?: string });
    expect(records).toHaveLength(10_000);
    const issuedCodes = records.filter((r) => r.status === "issued").map((r) => r.coupon!);
    expect(issuedCodes).toHaveLength(5000);
    expect(new Set(issuedCodes).size).toBe(5000);
    expect(issuedCodes.every((c) => c.startsWith("CPN-"))).toBe(true);
    expect(new Set(issued.map((w) => w.coupon)).size).toBe(5000);
    expect(records.filter((r) => r.status === "pending" && r.coupon === undefined)).toHaveLength(5000);
    expect(await redis.llen(`${k.couponPoolPrefix}coupon`)).toBe(0);
    // Each issued prize carries a one-time redemption code and a QR payload.
    expect(issued.every((w) => /^[0-9A-Z]{12}$/.test(w.redemptionCode ?? "") && (w.qr ?? "").startsWith("ldq1."))).toBe(true);

    // More codes arrive: that many more wins are issued, still never a code twice.
    const more = collect<Win>("issued after the refill", 50, 30_000);
    sink = more;
    const refill = await http<{ added: number; duplicates: number }>(`${nodes[1]!.url}/v1/campaigns/${campaignId}/coupons`, { token: hostToken, body: { tierId: "coupon", codes: [...codes.slice(0, 10), ...Array.from({ length: 50 }, (_, i) => `CPN-X${i}`)] } });
    expect(refill.body).toMatchObject({ added: 50, duplicates: 10 });
    await more.done;
    const after = Object.values(await redis.hgetall(k.wins)).map((j) => JSON.parse(j) as { status: string; coupon?: string }).filter((r) => r.status === "issued").map((r) => r.coupon!);
    expect(after).toHaveLength(5050);
    expect(new Set(after).size).toBe(5050);
    // The player sees the same on a fetch as pushed.
    const mine = await clients[0]!.wins(campaignId);
    expect(mine).toHaveLength(SPINS_EACH);
    for (const w of mine) if (w.status === "issued") expect(pushed.get(w.winId)?.coupon).toBe(w.coupon);
  });

  it("a webhook receiver failing 50% of the time: every win issued exactly once, every delivery signed", async () => {
    let requests = 0;
    let badSignatures = 0;
    const partnerIssued = new Set<string>(); // wins the partner issued (it dedupes by X-Livedraw-Win-Id)
    const acknowledged = new Set<string>(); // wins the partner answered 2xx for
    let afterAck = 0; // deliveries of a win after a 2xx for it: the server must never send one
    // Deterministic 50%: every other request fails, half of them after the partner already issued
    // (the answer lost on the way back), so the retry must not make the partner issue twice.
    const receiver: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const n = requests++;
        const sig = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers["x-livedraw-signature"] ?? ""));
        const want = sig && createHmac("sha256", WEBHOOK_SECRET).update(`${sig[1]}.${body}`).digest("hex");
        if (!sig || want !== sig[2]) badSignatures++;
        const winId = String(req.headers["x-livedraw-win-id"]);
        if ((JSON.parse(body) as { winId: string }).winId !== winId) badSignatures++;
        if (acknowledged.has(winId)) afterAck++;
        if (n % 4 === 1) return res.writeHead(500).end("flaky");
        partnerIssued.add(winId);
        if (n % 4 === 3) return res.writeHead(502).end("lost answer");
        acknowledged.add(winId);
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ reference: `partner-${winId}` }));
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    h.defer(() => new Promise((r) => receiver.close(r)));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/issue`;

    const campaignId = uniqueId("hooks");
    const WINS = 200;
    expect((await create(liveCampaign(campaignId, {
      tiers: [{ tierId: "vip", name: "Partner voucher", probability: 1, inventory: WINS, value: 50, prize: { kind: "webhook", url } }],
      limits: { spinsPerDay: 10, spinsPerCampaign: 10, winsPerCampaign: 10 },
      freeSpins: 10,
    }))).status).toBe(201);
    const clients = await Promise.all(Array.from({ length: 20 }, (_, i) => h.player(nodes[i % 2]!.url, `wh${i}`)));
    const issued = collect<Win>("webhook wins issued", WINS, 120_000);
    const seen = new Set<string>();
    for (const c of clients) c.on("win:status", (w) => w.status === "issued" && !seen.has(w.winId) && (seen.add(w.winId), issued.add(w)));
    await Promise.all(clients.flatMap((c, p) => Array.from({ length: 10 }, (_, s) => c.spin(campaignId, { idempotencyKey: `wh-${p}-${s}-key` }))));
    const wins = await issued.done;

    expect(new Set(wins.map((w) => w.winId)).size).toBe(WINS);
    expect(badSignatures).toBe(0);
    expect(requests).toBeGreaterThan(WINS); // failures were retried
    // Every win reached the partner and was acknowledged; none was delivered again after its 2xx;
    // the server recorded exactly one issuance per win.
    expect(partnerIssued.size).toBe(WINS);
    expect(acknowledged.size).toBe(WINS);
    expect(afterAck).toBe(0);
    const ledger = await redis.xrange(campaignKeys(campaignId).ledger, "-", "+");
    const issuedEntries = ledger.filter(([, f]) => f[1] === "issued").map(([, f]) => f[3]!);
    expect(issuedEntries).toHaveLength(WINS);
    expect(new Set(issuedEntries).size).toBe(WINS);
    const records = Object.values(await redis.hgetall(campaignKeys(campaignId).wins)).map((j) => JSON.parse(j) as { status: string; externalRef?: string; winId: string });
    expect(records.every((r) => r.status === "issued" && r.externalRef === `partner-${r.winId}`)).toBe(true);
    expect(await redis.xlen(campaignKeys(campaignId).issueDead)).toBe(0);
  });

  it("redeems a code from two nodes in parallel exactly once; refuses a second, a forged QR and an expired prize", async () => {
    const campaignId = uniqueId("redeem");
    expect((await create(liveCampaign(campaignId, {
      tiers: [{ tierId: "gift", name: "Gift at the desk", probability: 1, inventory: 10, value: 30 }],
      limits: { spinsPerDay: 3, spinsPerCampaign: 3, winsPerCampaign: 3 },
      freeSpins: 3,
    }))).status).toBe(201);
    const player = await h.player(nodes[0]!.url, "redeemer");
    const got = new Map<string, Win>();
    const issued = collect<Win>("onsite wins issued", 3, 30_000);
    watch(player, got, (w) => w.status === "issued" && issued.add(w));
    for (let i = 0; i < 3; i++) await player.spin(campaignId, { idempotencyKey: `redeem-${i}-key` });
    const [a, b, c] = await issued.done;
    const staff = await tokens.sign({ sub: "desk-1", role: "staff", campaigns: [campaignId] }, 600);
    const redeem = (node: NodeProcess, body: unknown, token = staff) => http<ErrorBody & { status: string; winId: string }>(`${node.url}/v1/campaigns/${campaignId}/redemptions`, { token, body });

    // Two nodes at once, 10 attempts each: one success.
    const attempts = await Promise.all(Array.from({ length: 20 }, (_, i) => redeem(nodes[i % 2]!, i % 3 === 0 ? { qr: a!.qr } : { code: a!.redemptionCode })));
    expect(attempts.filter((r) => r.status === 200)).toHaveLength(1);
    expect(attempts.filter((r) => r.status === 409).map((r) => r.body.error.code)).toEqual(Array(19).fill("E_ALREADY_REDEEMED"));
    const redeemedPush = await new Promise<Win>((resolve) => {
      const w = got.get(a!.winId);
      if (w?.status === "redeemed") return resolve(w);
      const off = player.on("win:status", (x) => x.winId === a!.winId && x.status === "redeemed" && (off(), resolve(x)));
    });
    expect(redeemedPush.redeemedAt).toBeGreaterThan(0);

    // A forged QR: b's payload with c's code swapped in, signature kept.
    const [v, body, mac] = b!.qr!.split(".");
    const forgedBody = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, "base64url").toString()), r: c!.redemptionCode })).toString("base64url");
    const forged = await redeem(nodes[1]!, { qr: `${v}.${forgedBody}.${mac}` });
    expect(forged.status).toBe(422);
    expect(forged.body.error.code).toBe("E_REDEMPTION_INVALID");
    expect((await redeem(nodes[0]!, { code: "ZZZZZZZZZZZZ" })).body.error.code).toBe("E_REDEMPTION_INVALID");
    // A staff token of another campaign, and a player token, may not redeem here.
    const otherStaff = await tokens.sign({ sub: "desk-2", role: "staff", campaigns: ["elsewhere"] }, 600);
    expect((await redeem(nodes[0]!, { code: b!.redemptionCode }, otherStaff)).status).toBe(403);
    expect((await redeem(nodes[0]!, { code: b!.redemptionCode }, await tokens.sign({ sub: "redeemer", role: "player" }, 600))).status).toBe(403);

    // Expired: c's claim deadline moved into the past (as if its 72 hours had run out).
    const k = campaignKeys(campaignId);
    const rec = JSON.parse((await redis.hget(k.wins, c!.winId))!) as Record<string, unknown>;
    await redis.hset(k.wins, c!.winId, JSON.stringify({ ...rec, expiresAt: Date.now() - 1000 }));
    const expired = await redeem(nodes[1]!, { code: c!.redemptionCode });
    expect(expired.status).toBe(410);
    expect(expired.body.error.code).toBe("E_REDEMPTION_EXPIRED");
    // b is still redeemable, once; the player's GET shows the statuses.
    expect((await redeem(nodes[1]!, { code: b!.redemptionCode })).status).toBe(200);
    const mine = await http<{ wins: Win[] }>(`${nodes[1]!.url}/v1/campaigns/${campaignId}/wins`, { token: await tokens.sign({ sub: "redeemer", role: "player" }, 600) });
    expect(mine.body.wins.map((w) => [w.winId, w.status])).toEqual([[a!.winId, "redeemed"], [b!.winId, "redeemed"], [c!.winId, "expired"]]);
  });

  it("a physical prize: claim form sealed at rest and masked for hosts, unmasked for operators (audited), shipped with tracking", async () => {
    const campaignId = uniqueId("goods");
    expect((await create(liveCampaign(campaignId, {
      tiers: [{ tierId: "kettle", name: "Electric kettle", probability: 1, inventory: 5, value: 199, prize: { kind: "physical" } }],
      limits: { spinsPerDay: 1, spinsPerCampaign: 1, winsPerCampaign: 1 },
      freeSpins: 1,
    }))).status).toBe(201);
    const winner = await h.player(nodes[1]!.url, "kettle-winner");
    const spun = await winner.spin(campaignId, { idempotencyKey: "kettle-spin-1" });
    const [win] = await winner.wins(campaignId);
    expect(win).toMatchObject({ winId: spun.intentId, status: "pending", prizeKind: "physical", claimed: false });
    const claimed = await winner.claimPrize({ campaignId, winId: win!.winId, name: "王小明", phone: "13812345678", address: "上海市浦东新区世纪大道100号" });
    expect(claimed.claimed).toBe(true);
    // At rest: no name, phone or address in the clear.
    const raw = (await redis.hget(campaignKeys(campaignId).wins, win!.winId))!;
    for (const plain of ["王小明", "13812345678", "世纪大道"]) expect(raw).not.toContain(plain);
    // Another player cannot claim it.
    const other = await h.player(nodes[0]!.url, "not-the-winner");
    await expect(other.claimPrize({ campaignId, winId: win!.winId, name: "x", phone: "13800000000", address: "somewhere far" })).rejects.toMatchObject({ code: "E_WIN_NOT_FOUND" });

    type Op = ErrorBody & { claimForm: { name: string; phone: string; address: string }; status: string; shipment: unknown };
    const masked = await http<Op>(`${nodes[0]!.url}/v1/campaigns/${campaignId}/wins?winId=${win!.winId}`, { token: hostToken });
    expect(masked.body.claimForm).toEqual({ name: "王**", phone: "138****5678", address: "上海市浦东新*********" });
    expect((await http<ErrorBody>(`${nodes[0]!.url}/v1/campaigns/${campaignId}/wins?winId=${win!.winId}&unmasked=1`, { token: hostToken })).body.error.code).toBe("E_FORBIDDEN");
    const ops = await h.hostToken("ops-1");
    const open = await http<Op>(`${nodes[0]!.url}/v1/campaigns/${campaignId}/wins?winId=${win!.winId}&unmasked=1`, { token: ops });
    expect(open.body.claimForm).toEqual({ name: "王小明", phone: "13812345678", address: "上海市浦东新区世纪大道100号" });
    const audit = await http<{ records: { type: string; data: { action?: string; hostId?: string } }[] }>(`${nodes[0]!.url}/v1/campaigns/${campaignId}/audit`);
    expect(audit.body.records.filter((r) => r.data.action === "view-unmasked").map((r) => r.data.hostId)).toEqual(["ops-1"]);

    const shippedPush = new Promise<Win>((resolve) => winner.on("win:status", (w) => w.status === "issued" && resolve(w)));
    const shipped = await http<Op>(`${nodes[1]!.url}/v1/campaigns/${campaignId}/shipments?winId=${win!.winId}`, { token: hostToken, body: { carrier: "SF Express", trackingNumber: "SF1234567890" } });
    expect(shipped.status).toBe(200);
    expect((await shippedPush).shipment).toEqual({ carrier: "SF Express", trackingNumber: "SF1234567890" });
    expect((await http<ErrorBody>(`${nodes[1]!.url}/v1/campaigns/${campaignId}/shipments?winId=${win!.winId}`, { token: hostToken, body: { carrier: "SF Express", trackingNumber: "SF1234567890" } })).body.error.code).toBe("E_WIN_STATE");
    expect(pseudonym("kettle-winner")).toBe(open.body && (open.body as unknown as { playerId: string }).playerId);
  });

  it("tells the winner when a prize is not issued in the promised time (the delay notice)", async () => {
    const campaignId = uniqueId("late");
    expect((await create(liveCampaign(campaignId, {
      tiers: [{ tierId: "coupon", name: "Coupon", probability: 1, inventory: 5, value: 5, prize: { kind: "coupon" } }],
      limits: { spinsPerDay: 1, spinsPerCampaign: 1, winsPerCampaign: 1 },
      freeSpins: 1,
      claim: { windowHours: 24, conditions: "In the app's card holder.", issueWithinSeconds: 1 },
    }))).status).toBe(201);
    const player = await h.player(nodes[0]!.url, "late-winner");
    const notice = new Promise<Win>((resolve) => player.on("win:status", (w) => w.delayed && resolve(w)));
    const spun = await player.spin(campaignId, { idempotencyKey: "late-spin-1" }); // the pool is empty: it waits
    const w = await notice;
    expect(w).toMatchObject({ winId: spun.intentId, status: "pending", delayed: true });
    expect((await player.wins(campaignId))[0]).toMatchObject({ delayed: true, status: "pending" });

    // Its claim deadline passes (moved into the past, as if the 24 hours had run out): the issuer
    // expires it, tells the winner, and the counts move from pending to expired.
    const k = campaignKeys(campaignId);
    const expiredPush = new Promise<Win>((resolve) => player.on("win:status", (x) => x.status === "expired" && resolve(x)));
    const rec = JSON.parse((await redis.hget(k.wins, w.winId))!) as Record<string, unknown>;
    await redis.hset(k.wins, w.winId, JSON.stringify({ ...rec, expiresAt: Date.now() - 1000 }));
    await redis.zadd(k.winsExpiry, Date.now() - 1000, w.winId);
    // The workers' index of due campaigns says the same (else only the minute safety-net sweep finds it).
    await redis.zadd(workIndexKeys(campaignId).issue, Date.now() - 1000, campaignId);
    expect(await expiredPush).toMatchObject({ winId: w.winId, status: "expired", failure: expect.stringMatching(/^claim deadline passed/) });
    expect(await redis.hmget(k.funnel, "wins:pending", "wins:expired")).toEqual(["0", "1"]);
    expect(await redis.zcard(k.issuePending)).toBe(0);
  });

  it("an issued prize not redeemed by its claim deadline expires, and the winner is told", async () => {
    const campaignId = uniqueId("lapse");
    expect((await create(liveCampaign(campaignId, {
      tiers: [{ tierId: "gift", name: "Gift", probability: 1, inventory: 5, value: 5 }],
      limits: { spinsPerDay: 1, spinsPerCampaign: 1, winsPerCampaign: 1 },
      freeSpins: 1,
    }))).status).toBe(201);
    const player = await h.player(nodes[1]!.url, "lapse-winner");
    const issued = new Promise<Win>((resolve) => player.on("win:status", (x) => x.status === "issued" && resolve(x)));
    await player.spin(campaignId, { idempotencyKey: "lapse-spin-1" });
    const w = await issued;
    const k = campaignKeys(campaignId);
    const expired = new Promise<Win>((resolve) => player.on("win:status", (x) => x.status === "expired" && resolve(x)));
    const rec = JSON.parse((await redis.hget(k.wins, w.winId))!) as Record<string, unknown>;
    await redis.hset(k.wins, w.winId, JSON.stringify({ ...rec, expiresAt: Date.now() - 1000 }));
    await redis.zadd(k.winsExpiry, Date.now() - 1000, w.winId);
    // The workers' index of due campaigns says the same (else only the minute safety-net sweep finds it).
    await redis.zadd(workIndexKeys(campaignId).issue, Date.now() - 1000, campaignId);
    expect(await expired).toMatchObject({ winId: w.winId, status: "expired", failure: "claim deadline passed", qr: null });
    expect(await redis.hmget(k.funnel, "wins:issued", "wins:expired")).toEqual(["0", "1"]);
    const staff = await tokens.sign({ sub: "desk-3", role: "staff" }, 600);
    expect((await http<ErrorBody>(`${nodes[0]!.url}/v1/campaigns/${campaignId}/redemptions`, { token: staff, body: { code: w.redemptionCode } })).body.error.code).toBe("E_REDEMPTION_EXPIRED");
  });
});
