/**
 * No host read stalls a node (issue 17, item 3), on a real node process and real Redis:
 *
 * - 100,000 wins, recorded by the resolver's own Lua step (SpinStore.resolveBatch over 100,000 spin
 *   intents): `GET …/wins` pages (limit 100) answer in < 50 ms each, oldest first, and a cursor walk
 *   returns every win exactly once in win-id order; a `status=` walk is exact with bounded pages.
 * - Three winners exports of 100,000 wins each, at once: they complete while the node's event-loop
 *   delay p99 (prom-client's `monitorEventLoopDelay` gauge, read inside the node from /metrics) stays
 *   < 50 ms and its RSS (sampled from /proc) grows < 100 MB. A second export of one campaign meanwhile
 *   is refused with E_BUSY and a retry-after.
 * - The first proof build of a 50,000-entrant draw keeps the node's event-loop delay p99 < 50 ms.
 *
 * The 2-core machine these run on is shared, so each bound has a baseline measured in the same test
 * and printed beside it: each page try is preceded by a /healthz round trip (a page may exceed 50 ms
 * only by what that trivial request took beyond 10 ms); each event-loop window is preceded by an idle
 * window of the same node (when the idle p99 is already >= 25 ms, the loaded p99 may exceed the idle
 * one by < 50 ms instead; the test prints that it did so). RSS growth is counted after the node's
 * heavy-reads thread has started (its one-time start is printed as `threadStartMb`).
 */
import { readFileSync } from "node:fs";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyBundle, type ProofBundle } from "@livedraw/fairness";
import type { DrawCountdown, DrawSnapshot } from "@livedraw/protocol";
import { DrawStore } from "../core/draw-store.js";
import { createRedis, expandIncludes } from "../core/redis.js";
import { campaignKeys } from "../core/redis-keys.js";
import { SpinStore } from "../core/spin-store.js";
import { QrSigner, WinStore, winOrderMember } from "../core/wins.js";
import { WINNER_COLUMNS } from "../server/csv-export.js";
import { CLAIM, liveCampaign } from "./fixtures.js";
import { Harness, http, metricsText, uniqueId, type NodeProcess } from "./harness.js";

const WINS = 100_000;
const PLAYERS = 2_000;
const ENTRANTS = 50_000;
/** The issue's bounds. */
const PAGE_MS = 50;
const LOOP_P99_MS = 50;
const RSS_GROWTH_MB = 100;
/** A /healthz round trip above this says the machine, not the request, is slow right now. */
const HEALTHZ_QUIET_MS = 10;

interface WinsPage {
  total: number;
  wins: { winId: string; status: string; wonAt: number }[];
  nextCursor: string | null;
}

/** Win ids in their order: by the stream time, then the sequence number. */
const byId = (a: string, b: string): number => {
  const [am, as] = a.split("-").map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split("-").map(BigInt) as [bigint, bigint];
  return am === bm ? (as < bs ? -1 : as > bs ? 1 : 0) : am < bm ? -1 : 1;
};

/**
 * The event-loop bound a loaded window is held to: the issue's 50 ms when the node's idle p99 (the
 * same node, a window just before, nothing asked of it) shows a machine quiet enough to judge it —
 * below half the bound. On a machine so busy that an idle node already misses timers by 25 ms or
 * more, the load may add at most 50 ms to that idle figure instead; the test says so in its output.
 */
function loopBound(idle: { p99: number }, what: string): number {
  if (idle.p99 < LOOP_P99_MS / 2) return LOOP_P99_MS;
  console.warn(`${what}: the machine is busy (idle event-loop p99 ${idle.p99} ms): judged as idle + ${LOOP_P99_MS} ms, not < ${LOOP_P99_MS} ms`);
  return idle.p99 + LOOP_P99_MS;
}

/** The node's event-loop delay since the last scrape (prom-client resets its histogram on each scrape), ms. */
async function loopDelay(url: string): Promise<{ p99: number; max: number }> {
  const text = await metricsText(url);
  const read = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1] ?? NaN) * 1000;
  return { p99: +read("nodejs_eventloop_lag_p99_seconds").toFixed(1), max: +read("nodejs_eventloop_lag_max_seconds").toFixed(1) };
}

/** A process's resident set, MB (0 once it is gone). */
function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Samples a process's resident set from /proc every 25 ms; `stop` gives the peak, MB. */
function sampleRss(pid: number): { stop(): number } {
  const read = () => rssMb(pid);
  let peak = read();
  const timer = setInterval(() => (peak = Math.max(peak, read())), 25);
  return {
    stop: () => {
      clearInterval(timer);
      return +Math.max(peak, read()).toFixed(1);
    },
  };
}

/**
 * Writes wins the way the resolver's Lua step does (core/lua/resolveSpins-15.lua): the record
 * encoded by cjson with the resolver's fields, the time index through the project's own
 * `includes/win-order` fragment, the winner's list, the issuance, delay-notice and claim-deadline
 * sets and the funnel's count. One EVAL per 10,000 wins, so the work stays in Redis.
 */
const SEED_LUA = expandIncludes(`--- @include "includes/win-order"
local campaignId, from, count, wonAt, players = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local claimMs = tonumber(ARGV[6])
for i = from, from + count - 1 do
  local id = (wonAt - 3600000 + math.floor(i / 20)) .. '-' .. (i % 20)
  local coupon = i % 10 >= 7
  local player = 'seed-player-' .. (i % players)
  local kind = coupon and 'coupon' or 'onsite'
  redis.call('HSET', KEYS[1], id, cjson.encode({
    winId = id, campaignId = campaignId, playerId = player, tierId = coupon and 'cpn' or 'desk', tierName = coupon and '¥5 coupon' or 'Prize desk gift',
    prizeKind = kind, value = coupon and 5 or 10, status = 'pending', wonAt = wonAt,
    expiresAt = wonAt + claimMs, points = cjson.null, variant = cjson.null,
  }))
  redis.call('ZADD', KEYS[2], wonAt, id)
  redis.call('ZADD', KEYS[3], wonAt + 600000, id)
  redis.call('ZADD', KEYS[4], wonAt + claimMs, id)
  redis.call('RPUSH', KEYS[5] .. player, id)
  redis.call('ZADD', KEYS[6], 0, winOrderMember(id))
end
redis.call('HINCRBY', KEYS[7], 'wins:pending', count)
return count`);

/**
 * `count` wins as the resolver records them (SEED_LUA), with ids that are stream ids with up to 20
 * per millisecond, so ids like `…-2` and `…-10` exercise the index's ordering. `sample` (a win the
 * real resolver recorded in the same campaign) must have exactly the same fields. Returns the win
 * ids, oldest first.
 */
async function seedWins(redis: Redis, campaignId: string, count: number, sample: Record<string, unknown>): Promise<string[]> {
  const k = campaignKeys(campaignId);
  const wonAt = Date.now() - 60_000;
  const claimMs = CLAIM.windowHours * 3_600_000;
  for (let from = 0; from < count; from += 10_000) {
    const n = Math.min(10_000, count - from);
    await redis.eval(SEED_LUA, 7, k.wins, k.issuePending, k.issueDue, k.winsExpiry, k.winsPlayerPrefix, k.winsOrder, k.funnel, campaignId, from, n, wonAt, PLAYERS, claimMs);
  }
  const ids = Array.from({ length: count }, (_, i) => `${wonAt - 3_600_000 + Math.floor(i / 20)}-${i % 20}`);
  const first = JSON.parse((await redis.hget(k.wins, ids[0]!))!) as Record<string, unknown>;
  expect(Object.keys(first).sort()).toEqual(Object.keys(sample).sort());
  return ids;
}

/** One win recorded by the real resolver (SpinStore.resolveBatch over one spin intent as admitSpins appends it), as stored. */
async function resolverWin(redis: Redis, spins: SpinStore, campaignId: string): Promise<{ winId: string; record: Record<string, unknown> }> {
  const k = campaignKeys(campaignId);
  await redis.xadd(k.spins, "*", "p", "sample-player", "k", "sample-key");
  const { results } = await spins.resolveBatch(campaignId, 10, 5);
  const winId = results[0]!.result.intentId;
  expect(results[0]!.result.outcome).toBe("won");
  return { winId, record: JSON.parse((await redis.hget(k.wins, winId))!) as Record<string, unknown> };
}

describe("host reads of a campaign with 100,000 wins", () => {
  const h = new Harness();
  let node: NodeProcess;
  let redis: Redis;
  let wins: WinStore;
  let hostToken: string;
  const campaigns = [uniqueId("wins-a"), uniqueId("wins-b"), uniqueId("wins-c")];
  const seeded = new Map<string, string[]>();
  let issued: string[] = [];

  beforeAll(async () => {
    await h.startRedis();
    node = await h.startNode({ LIVEDRAW_TIER_MAX_PROBABILITY: "1", LIVEDRAW_HTTP_REQUESTS_PER_SECOND_PER_IP: "100000" });
    redis = createRedis(h.redis.url, { name: "host-reads-test" });
    h.defer(() => redis.quit());
    const spins = new SpinStore(redis);
    wins = new WinStore(redis, new QrSigner(Buffer.alloc(32, 1)));
    hostToken = await h.hostToken();
    const started = performance.now();
    for (const campaignId of campaigns) {
      const created = await http(`${node.url}/v1/campaigns`, {
        token: hostToken,
        body: liveCampaign(campaignId, {
          tiers: [
            { tierId: "desk", name: "Prize desk gift", probability: 0.7, inventory: 1_000_000, value: 10 },
            { tierId: "cpn", name: "¥5 coupon", probability: 0.3, inventory: 1_000_000, value: 5, prize: { kind: "coupon" } },
          ],
          limits: { spinsPerDay: 100_000, spinsPerCampaign: 1_000_000, winsPerCampaign: 1_000_000 },
          freeSpins: 1_000_000,
        }),
      });
      expect(created.status).toBe(201);
      // One win by the real resolver, then 99,999 like it: the resolver indexed its own win.
      const real = await resolverWin(redis, spins, campaignId);
      expect(await redis.zscore(campaignKeys(campaignId).winsOrder, winOrderMember(real.winId))).toBe("0");
      const ids = await seedWins(redis, campaignId, WINS - 1, real.record);
      seeded.set(campaignId, [...ids, real.winId]);
    }
    // A status mix on the first campaign: every 13th win at the prize desk issued (the issuer's Lua step).
    const first = campaigns[0]!;
    const records = await wins.records(first, seeded.get(first)!.filter((_, i) => i % 13 === 0));
    const desk = records.filter((r) => r.tierId === "desk").map((r) => r.winId);
    for (let i = 0; i < desk.length; i += 500) await wins.issue(first, desk.slice(i, i + 500));
    issued = desk;
    console.log(JSON.stringify({ seededWins: WINS * campaigns.length, seedMs: Math.round(performance.now() - started) }));
  }, 240_000);
  afterAll(() => h.cleanup());

  it("lists 100,000 wins a page at a time: each page of 100 in < 50 ms, oldest first, every win once", async () => {
    const campaignId = campaigns[0]!;
    const ids = seeded.get(campaignId)!;
    const url = (q: string) => `${node.url}/v1/campaigns/${campaignId}/wins?${q}`;
    // Each try of a page is preceded by a /healthz round trip, the same node's answer to a request
    // that does no work: the baseline of that moment on this shared machine. A try passes when the
    // page takes < 50 ms, or, if that /healthz itself took more than HEALTHZ_QUIET_MS (the machine
    // stalled the node or the test), < 50 ms more than that /healthz. Up to 5 tries per page; a page
    // that reads the whole campaign (2.3 s at 100,000 wins before) fails every one.
    const timed = async (q: string) => {
      let best: { status: number; body: WinsPage; ms: number; over: number } | undefined;
      const all: [number, number][] = [];
      for (let attempt = 0; attempt < 5 && (best === undefined || best.over >= 0); attempt++) {
        const hzStart = performance.now();
        await fetch(`${node.url}/healthz`).then((r) => r.text());
        const hz = performance.now() - hzStart;
        const start = performance.now();
        const res = await http<WinsPage>(url(q), { token: hostToken });
        const ms = performance.now() - start;
        const over = ms - (PAGE_MS + Math.max(0, hz - HEALTHZ_QUIET_MS));
        all.push([+ms.toFixed(1), +hz.toFixed(1)]);
        if (best === undefined || over < best.over) best = { ...res, ms, over };
      }
      if (all.length > 1 || all[0]![1] > HEALTHZ_QUIET_MS) tries.push(all);
      return best!;
    };

    // The node idle, for comparison: /healthz round trips just before.
    const idle: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      await fetch(`${node.url}/healthz`).then((r) => r.text());
      idle.push(performance.now() - start);
    }

    // 100 pages from the start, 50 from the middle, 50 near the end.
    const times: number[] = [];
    const overs: number[] = [];
    const tries: [number, number][][] = [];
    const walked: string[] = [];
    for (const [start, pages] of [[null, 100], [ids[WINS / 2]!, 50], [ids[WINS - 4_900]!, 50]] as const) {
      let cursor: string | null = start;
      for (let p = 0; p < pages && (p === 0 || cursor !== null); p++) {
        const page: Awaited<ReturnType<typeof timed>> = await timed(`limit=100${cursor === null ? "" : `&cursor=${cursor}`}`);
        expect(page.status).toBe(200);
        expect(page.body.total).toBe(WINS);
        times.push(page.ms);
        overs.push(page.over);
        if (start === null) walked.push(...page.body.wins.map((w) => w.winId));
        cursor = page.body.nextCursor;
      }
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(JSON.stringify({ pages: times.length, pageMs: { p50: +sorted[times.length >> 1]!.toFixed(1), max: +sorted[times.length - 1]!.toFixed(1) }, pagesJudgedAgainstBusyHealthz: tries.length, triesMsAndHealthzMs: tries.slice(0, 12), slowest: times.map((ms, i) => [i, +ms.toFixed(1)]).sort((a, b) => b[1]! - a[1]!).slice(0, 3), idleHealthzMaxMs: +Math.max(...idle).toFixed(1) }));
    // "oldest first" with a limit: the first 10,000 wins in order.
    expect(walked).toEqual(ids.slice(0, 10_000));
    // Every page within 50 ms (of a quiet /healthz baseline; see `timed`).
    for (const over of overs) expect(over).toBeLessThan(0);

    // A whole walk (pages of 1000): every win exactly once, in win-id order, and a last page that says so.
    const all: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: WinsPage } = await http<WinsPage>(url(`limit=1000${cursor === null ? "" : `&cursor=${cursor}`}`), { token: hostToken });
      expect(page.status).toBe(200);
      all.push(...page.body.wins.map((w) => w.winId));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 200);
    expect(all).toHaveLength(WINS);
    expect(all).toEqual([...ids].sort(byId));
    expect(all).toEqual(ids); // the resolver's order is the ids' order

    // A status filter: each request reads a bounded slice of the index; the walk finds every issued win once.
    const found: string[] = [];
    const filterMs: number[] = [];
    cursor = null;
    pages = 0;
    do {
      const start = performance.now();
      const page: { status: number; body: WinsPage } = await http<WinsPage>(url(`status=issued&limit=1000${cursor === null ? "" : `&cursor=${cursor}`}`), { token: hostToken });
      filterMs.push(performance.now() - start);
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(issued.length);
      for (const w of page.body.wins) expect(w.status).toBe("issued");
      found.push(...page.body.wins.map((w) => w.winId));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 200);
    expect(found).toEqual(issued);
    expect(pages).toBeGreaterThanOrEqual(WINS / 2000); // at most 2,000 index entries read per request
    console.log(JSON.stringify({ statusPages: pages, statusPageMaxMs: +Math.max(...filterMs).toFixed(1) }));

    // Bad queries are refused with a reason.
    const bad = await http<{ error: { code: string; message: string } }>(url("cursor=nope"), { token: hostToken });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^cursor:/);
    expect((await http(url("limit=5000"), { token: hostToken })).status).toBe(400);
    expect((await http(url("status=won"), { token: hostToken })).status).toBe(400);
  }, 120_000);

  it("streams three 100,000-win exports at once while the node's event-loop delay p99 stays < 50 ms and RSS grows < 100 MB", async () => {
    const pid = node.child.pid!;
    // The node's heavy-reads thread starts on its first export or proof, once (an isolate with its
    // own Redis connection): started here with a small export, its one-time cost printed on its own,
    // so the bound below is what the three exports add.
    const beforeThread = rssMb(pid);
    const warm = await fetch(`${node.url}/v1/campaigns/${campaigns[0]}/export?what=tickets`, { headers: { authorization: `Bearer ${hostToken}` } });
    expect(warm.status).toBe(200);
    await warm.arrayBuffer();
    const threadStartMb = +(rssMb(pid) - beforeThread).toFixed(1);
    // Idle figures first: the same window length with nothing asked of the node.
    await loopDelay(node.url);
    await new Promise((r) => setTimeout(r, 2_000));
    const idle = await loopDelay(node.url);
    const rssBefore = rssMb(pid);
    const rss = sampleRss(pid);
    const started = performance.now();

    const exportOf = async (campaignId: string) => {
      const res = await fetch(`${node.url}/v1/campaigns/${campaignId}/export?what=winners`, { headers: { authorization: `Bearer ${hostToken}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      // Read as it streams; keep only the first cell of each line (the win id).
      const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
      let rest = "";
      const firstCells: string[] = [];
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const text = rest + decoder.decode(chunk, { stream: true });
        const lines = text.split("\r\n");
        rest = lines.pop()!;
        for (const line of lines) firstCells.push(line.slice(0, line.indexOf(",")));
      }
      expect(rest).toBe("");
      return firstCells;
    };
    const files = await Promise.all(campaigns.map(exportOf));
    const ms = performance.now() - started;
    const loaded = await loopDelay(node.url);
    const rssPeak = rss.stop();
    console.log(JSON.stringify({ threadStartMb, exportsMs: Math.round(ms), idleLoopDelayMs: idle, exportLoopDelayMs: loaded, rssBeforeMb: +rssBefore.toFixed(1), rssPeakMb: rssPeak }));

    files.forEach((cells, i) => {
      expect(cells[0]).toBe(`\uFEFF${WINNER_COLUMNS[0]}`);
      expect(cells.slice(1)).toEqual(seeded.get(campaigns[i]!)); // every win, oldest first
    });
    expect(loaded.p99).toBeLessThan(loopBound(idle, "exports"));
    expect(rssPeak - rssBefore).toBeLessThan(RSS_GROWTH_MB);
  }, 180_000);

  it("runs one export per campaign at a time: a second is refused with E_BUSY and a retry-after", async () => {
    const campaignId = campaigns[1]!;
    const url = `${node.url}/v1/campaigns/${campaignId}/export?what=winners`;
    const first = await fetch(url, { headers: { authorization: `Bearer ${hostToken}` } });
    expect(first.status).toBe(200);
    const reader = first.body!.getReader();
    await reader.read(); // started, and held open by a client that reads slowly

    const second = await fetch(url, { headers: { authorization: `Bearer ${hostToken}` } });
    expect(second.status).toBe(503);
    expect(second.headers.get("retry-after")).toBe("5");
    expect(await second.json()).toMatchObject({ error: { code: "E_BUSY", retryAfterMs: 5000 } });
    // Another campaign's export is not held up.
    const other = await fetch(`${node.url}/v1/campaigns/${campaigns[2]}/export?what=tickets`, { headers: { authorization: `Bearer ${hostToken}` } });
    expect(other.status).toBe(200);
    await other.arrayBuffer();

    // The first finishes; then the campaign exports again.
    while (!(await reader.read()).done);
    let again: Response;
    for (const until = Date.now() + 10_000; ; ) {
      again = await fetch(url, { headers: { authorization: `Bearer ${hostToken}` } });
      if (again.status === 200 || Date.now() > until) break;
      await again.arrayBuffer();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(again.status).toBe(200);
    await again.arrayBuffer();

    // A client that goes away mid-file releases the lease.
    const dropped = new AbortController();
    const cut = await fetch(url, { headers: { authorization: `Bearer ${hostToken}` }, signal: dropped.signal });
    expect(cut.status).toBe(200);
    await cut.body!.getReader().read();
    dropped.abort();
    for (const until = Date.now() + 10_000; ; ) {
      if ((await redis.exists(campaignKeys(campaignId).exportLease)) === 0) break;
      if (Date.now() > until) throw new Error("the export lease was not released after the client went away");
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 120_000);
});

describe("the first proof build of a 50,000-entrant draw", () => {
  const h = new Harness();
  let node: NodeProcess;
  let redis: Redis;
  let hostToken: string;
  const campaignId = uniqueId("proof");
  let drawId: string;

  beforeAll(async () => {
    await h.startRedis();
    const env = { LIVEDRAW_HTTP_REQUESTS_PER_SECOND_PER_IP: "100000", LIVEDRAW_DRAW_RESULTS_DELAY_MS: "0" };
    [node] = await Promise.all([h.startNode(env), h.startWorker(env)]);
    redis = createRedis(h.redis.url, { name: "proof-build-test" });
    h.defer(() => redis.quit());
    const store = new DrawStore(redis);
    hostToken = await h.hostToken();
    // Entries through the store's enter path (the Lua step a node runs for draw:enter); closed early; the worker draws and reveals.
    const opened = await http<DrawCountdown>(`${node.url}/v1/campaigns/${campaignId}/draws`, { token: hostToken, body: { durationMs: 600_000, winners: 3 } });
    expect(opened.status).toBe(201);
    drawId = opened.body.drawId;
    for (let from = 0; from < ENTRANTS; from += 2500) {
      await Promise.all(Array.from({ length: 2500 }, (_, i) => store.enter(campaignId, drawId, `player-${from + i}`, `p${from + i}*`)));
    }
    expect((await http(`${node.url}/v1/campaigns/${campaignId}/draws/${drawId}/close`, { token: hostToken, body: {} })).status).toBe(200);
    for (const until = Date.now() + 60_000; ; ) {
      const snap = await http<DrawSnapshot>(`${node.url}/v1/campaigns/${campaignId}/draws/${drawId}`);
      if (snap.body.phase === "done") break;
      if (Date.now() > until) throw new Error(`draw still ${snap.body.phase}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 180_000);
  afterAll(() => h.cleanup());

  it("is built off the node's event loop: its delay p99 stays < 50 ms, and the bundle verifies", async () => {
    await loopDelay(node.url);
    await new Promise((r) => setTimeout(r, 2_000));
    const idle = await loopDelay(node.url);
    const start = performance.now();
    const res = await fetch(`${node.url}/v1/campaigns/${campaignId}/draws/${drawId}/proof`);
    const body = Buffer.from(await res.arrayBuffer());
    const ms = performance.now() - start;
    const loaded = await loopDelay(node.url);
    console.log(JSON.stringify({ entrants: ENTRANTS, proofBuildMs: Math.round(ms), bundleBytes: body.length, idleLoopDelayMs: idle, buildLoopDelayMs: loaded }));
    expect(res.status).toBe(200);
    const bundle = JSON.parse(body.toString("utf8")) as ProofBundle;
    expect(bundle.entries).toHaveLength(ENTRANTS);
    expect(verifyBundle(bundle)).toMatchObject({ ok: true });
    expect(loaded.p99).toBeLessThan(loopBound(idle, "proof build"));
    // Served again from the node's memory, byte for byte.
    const again = Buffer.from(await (await fetch(`${node.url}/v1/campaigns/${campaignId}/draws/${drawId}/proof`)).arrayBuffer());
    expect(again.equals(body)).toBe(true);
  }, 120_000);
});
