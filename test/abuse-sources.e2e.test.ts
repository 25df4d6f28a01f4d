/**
 * Admission and abuse control across nodes, with real node and worker processes and raw
 * socket.io-client sockets:
 *   (a) 1,000 accounts entering one live draw from one client address are flagged past the
 *       threshold (exactly the entries past it, each stored and acknowledged; the hosts see the
 *       count and the source), an address under the threshold is not, and a device is counted too;
 *   (b) one player on 100 sockets over 2 nodes, spinning as fast as the nodes let each socket,
 *       cannot exceed the campaign's caps (counted from Redis), and the per-player spin rate holds
 *       across both nodes (Redis-backed limiter);
 *   (c) the hosts' blocklist: E_BLOCKED on entries and spins for a blocked player, address or
 *       device, the list round-trips, changes are audited without raw addresses, scope is enforced;
 *   (d) entries refused with E_BUSY and `retryAfterMs` while a node is at its in-flight bound, and
 *       every retried entry stored once.
 */
import { Redis } from "ioredis";
import { io as rawIo, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ack, DrawCountdown, DrawSnapshot, EnterResult, SpinAck, SpinResult } from "@livedraw/protocol";
import { campaignKeys } from "../core/redis-keys.js";
import { liveCampaign } from "./fixtures.js";
import { Harness, http, pseudonym, tokens, uniqueId, type NodeProcess } from "./harness.js";

const THRESHOLD = 50; // accounts per address per window on the proxied node
const DEVICE_THRESHOLD = 3;
const ACCOUNTS = 1000;
const BATCH = 125; // sockets open at once
const SPIN_RATE = 10; // spins per player per second, across nodes
const SPIN_RUN_MS = 3000;
const SOCKET_RATE = 20; // the default per-socket message rate: each spinning socket sends at it
const CAPS = { spinsPerDay: 12, spinsPerCampaign: 12, winsPerCampaign: 2 };

describe("admission and abuse control across nodes", () => {
  const h = new Harness();
  let proxied: NodeProcess; // behind one trusted proxy: each test picks its client addresses
  let spinNodes: NodeProcess[];
  let busyNode: NodeProcess;
  let redis: Redis;
  let hostToken: string;

  beforeAll(async () => {
    await h.startRedis();
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
    const common = { LIVEDRAW_INTENTS_PER_SECOND_PER_ADDRESS: "0", LIVEDRAW_SPIN_SHED_LAG_MS: "0" };
    const spinEnv = { ...common, LIVEDRAW_SPINS_PER_SECOND_PER_PLAYER: String(SPIN_RATE) };
    [proxied, busyNode, ...spinNodes] = await Promise.all([
      h.startNode({
        ...common,
        LIVEDRAW_TRUST_PROXY: "1",
        LIVEDRAW_MAX_CONNECTIONS_PER_ADDRESS: String(BATCH * 2),
        LIVEDRAW_ACCOUNTS_PER_ADDRESS: String(THRESHOLD),
        LIVEDRAW_ACCOUNTS_PER_DEVICE: String(DEVICE_THRESHOLD),
      }),
      h.startNode({ ...common, LIVEDRAW_MAX_INFLIGHT_ENTRIES: "1" }),
      h.startNode(spinEnv),
      h.startNode(spinEnv),
    ]);
    await h.startWorker();
    hostToken = await h.hostToken();
  });
  afterAll(() => h.cleanup());

  /** A raw player socket, connected (or the refusal: `{ message, data }`). */
  async function connect(node: NodeProcess, opts: { player?: string; forwardedFor?: string; device?: unknown; token?: string } = {}): Promise<Socket> {
    const token = opts.token ?? (await tokens.sign({ sub: opts.player ?? uniqueId("p"), role: "player" }, 600));
    const socket = rawIo(node.url, {
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
      auth: { token, ...(opts.device === undefined ? {} : { device: opts.device }) },
      extraHeaders: opts.forwardedFor === undefined ? {} : { "x-forwarded-for": opts.forwardedFor },
    });
    h.defer(() => socket.close());
    return new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(socket));
      socket.once("connect_error", (err: Error & { data?: unknown }) => {
        socket.close();
        reject(Object.assign(new Error(err.message), { data: err.data }));
      });
    });
  }

  const call = <T>(socket: Socket, event: string, payload: unknown) =>
    new Promise<Ack<T>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${event}: no ack within 10 s`)), 10_000);
      socket.emit(event, payload, (r: Ack<T>) => {
        clearTimeout(timer);
        resolve(r);
      });
    });

  async function openDraw(node: NodeProcess, campaignId: string): Promise<string> {
    const opened = await http<DrawCountdown>(`${node.url}/v1/campaigns/${campaignId}/draws`, { token: hostToken, body: { durationMs: 600_000, winners: 1, title: "Abuse" } });
    expect(opened.status).toBe(201);
    return opened.body.drawId;
  }

  /** Each account connects from `address` (optionally on `device`), enters, and disconnects; in batches. Returns the intent id per account. */
  async function enterMany(campaignId: string, drawId: string, accounts: string[], address: string, device?: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < accounts.length; i += BATCH) {
      const batch = accounts.slice(i, i + BATCH);
      await Promise.all(
        batch.map(async (player) => {
          const socket = await connect(proxied, { player, forwardedFor: address, ...(device === undefined ? {} : { device }) });
          const r = await call<EnterResult>(socket, "draw:enter", { campaignId, drawId });
          socket.close();
          if (!r.ok) throw new Error(`${player}: ${r.error.code} ${r.error.message}`);
          expect(r.data.duplicate).toBe(false);
          out.set(player, r.data.intentId);
        }),
      );
    }
    return out;
  }

  type Flagged = { count: number; entries: { intentId: string; playerId: string; reasons: { kind: string; accounts: number; threshold: number }[] }[] };

  it("(a) flags the entries of 1,000 accounts from one address past the threshold, and only those", async () => {
    const campaignId = uniqueId("flag");
    const drawId = await openDraw(proxied, campaignId);
    const crowd = "203.0.113.10";
    const quiet = "203.0.113.20";
    const started = Date.now();
    const crowdAccounts = Array.from({ length: ACCOUNTS }, (_, i) => `crowd-${i}`);
    const crowdIntents = await enterMany(campaignId, drawId, crowdAccounts, crowd);
    const quietIntents = await enterMany(campaignId, drawId, Array.from({ length: 20 }, (_, i) => `quiet-${i}`), quiet);
    const elapsed = Date.now() - started;

    // Every entry was stored and acknowledged, flagged or not.
    const snapshot = await http<DrawSnapshot>(`${proxied.url}/v1/campaigns/${campaignId}/draws/${drawId}`);
    expect(snapshot.body.entrants).toBe(ACCOUNTS + 20);

    // The hosts see exactly the entries past the threshold: one per account from the 51st on, each
    // with the count its account made (the counts are one MULTI, so each is seen exactly once).
    const flagged = await http<Flagged>(`${proxied.url}/v1/campaigns/${campaignId}/flagged-entries?drawId=${drawId}`, { token: hostToken });
    expect(flagged.status).toBe(200);
    expect(flagged.body.count).toBe(ACCOUNTS - THRESHOLD);
    expect(flagged.body.entries).toHaveLength(ACCOUNTS - THRESHOLD);
    const accounts = flagged.body.entries.map((e) => e.reasons[0]!.accounts).sort((a, b) => a - b);
    expect(accounts).toEqual(Array.from({ length: ACCOUNTS - THRESHOLD }, (_, i) => THRESHOLD + 1 + i));
    const byIntent = new Map([...crowdIntents].map(([player, intentId]) => [intentId, player]));
    for (const e of flagged.body.entries) {
      expect(e.reasons).toEqual([{ kind: "address", accounts: expect.any(Number), threshold: THRESHOLD }]);
      const player = byIntent.get(e.intentId);
      expect(player).toBeDefined(); // a crowd entry...
      expect(e.playerId).toBe(pseudonym(player!)); // ...listed under its account's pseudonym
    }
    // The address under the threshold: none of its entries is flagged.
    const flaggedIds = new Set(flagged.body.entries.map((e) => e.intentId));
    for (const intentId of quietIntents.values()) expect(flaggedIds.has(intentId)).toBe(false);

    // The flagged source, for the hosts; the quiet address is not one.
    const sources = await http<{ sources: { kind: string; value: string; accounts: number; threshold: number; action: string; flaggedIntents: number }[]; action: string }>(
      `${proxied.url}/v1/campaigns/${campaignId}/flagged-sources`,
      { token: hostToken },
    );
    expect(sources.status).toBe(200);
    expect(sources.body.action).toBe("flag");
    expect(sources.body.sources).toEqual([{ kind: "address", value: crowd, accounts: ACCOUNTS, threshold: THRESHOLD, action: "allow", flaggedIntents: ACCOUNTS - THRESHOLD, lastAt: expect.any(Number) }]);
    // Host-only: no token, or a player's, is refused.
    expect((await http(`${proxied.url}/v1/campaigns/${campaignId}/flagged-entries?drawId=${drawId}`)).status).toBe(401);
    expect((await http(`${proxied.url}/v1/campaigns/${campaignId}/flagged-sources`, { token: await tokens.sign({ sub: "crowd-1", role: "player" }, 60) })).status).toBe(403);
    expect((await http(`${proxied.url}/v1/campaigns/${campaignId}/flagged-entries`, { token: hostToken })).status).toBe(400); // drawId is required
    expect(elapsed).toBeLessThan(30_000);
  });

  it("(a) counts accounts per device too (auth.device), and refuses a malformed device id at the handshake", async () => {
    const campaignId = uniqueId("dev");
    const drawId = await openDraw(proxied, campaignId);
    const players = Array.from({ length: DEVICE_THRESHOLD + 2 }, (_, i) => `dev-player-${i}`);
    // One account at a time, so the order of the counts is the order of the players.
    for (const p of players) await enterMany(campaignId, drawId, [p], `198.51.100.${players.indexOf(p) + 1}`, "shared-phone-1");
    const flagged = await http<Flagged>(`${proxied.url}/v1/campaigns/${campaignId}/flagged-entries?drawId=${drawId}`, { token: hostToken });
    expect(flagged.body.count).toBe(2);
    expect(flagged.body.entries.map((e) => [e.playerId, e.reasons])).toEqual(
      players.slice(DEVICE_THRESHOLD).map((p, i) => [pseudonym(p), [{ kind: "device", accounts: DEVICE_THRESHOLD + 1 + i, threshold: DEVICE_THRESHOLD }]]),
    );
    for (const device of ["bad device!", 42, "x".repeat(65)]) {
      await expect(connect(proxied, { device, forwardedFor: "198.51.100.99" })).rejects.toMatchObject({ data: { code: "E_BAD_REQUEST", message: expect.stringContaining("auth.device") } });
    }
  });

  it("(a) counts spins too: a crowded device's spins past the threshold are flagged and still stored, each once", async () => {
    const campaignId = uniqueId("spinflag");
    expect((await http(`${proxied.url}/v1/campaigns`, { token: hostToken, body: liveCampaign(campaignId) })).status).toBe(201);
    const players = Array.from({ length: DEVICE_THRESHOLD + 3 }, (_, i) => `spin-dev-${i}`);
    const sockets = await Promise.all(players.map((player, i) => connect(proxied, { player, forwardedFor: `192.0.2.${i + 1}`, device: "shared-phone-2" })));
    // All at once: the node admits them in one or a few batch scripts; the counts are exact anyway.
    const acks = await Promise.all(sockets.map((socket, i) => call<SpinAck>(socket, "spin", { campaignId, idempotencyKey: `spin-dev-key-${i}` })));
    for (const a of acks) expect(a.ok ? "ok" : a.error.code).toBe("ok"); // the default action flags and lets them through
    const ids = acks.map((a) => (a.ok ? a.data.intentId : ""));
    expect(new Set(ids).size).toBe(players.length);
    // A retry of a flagged spin is the same intent.
    const again = await call<SpinAck>(sockets[players.length - 1]!, "spin", { campaignId, idempotencyKey: `spin-dev-key-${players.length - 1}` });
    expect(again).toEqual({ ok: true, data: { intentId: ids[players.length - 1], duplicate: true } });

    const sources = await http<{ sources: { kind: string; value: string; accounts: number; threshold: number; action: string; flaggedIntents: number }[] }>(
      `${proxied.url}/v1/campaigns/${campaignId}/flagged-sources`,
      { token: hostToken },
    );
    expect(sources.body.sources).toEqual([
      { kind: "device", value: "shared-phone-2", accounts: players.length, threshold: DEVICE_THRESHOLD, action: "allow", flaggedIntents: players.length - DEVICE_THRESHOLD + 1 /* the retry was counted and flagged again */, lastAt: expect.any(Number) },
    ]);
    // Every spin is in the campaign's stream or already resolved: stored exactly once each.
    const k = campaignKeys(campaignId);
    const idem = await redis.hgetall(k.idempotency);
    expect(Object.values(idem).sort()).toEqual([...ids].sort());
  });

  it("(b) one player on 100 sockets over 2 nodes stays within its caps and the cross-node spin rate", async () => {
    const campaignId = uniqueId("whale");
    const created = await http(`${spinNodes[0]!.url}/v1/campaigns`, {
      token: hostToken,
      body: liveCampaign(campaignId, {
        tiers: [
          { tierId: "gold", name: "Gold", probability: 0.3, inventory: 1000, value: 500 },
          { tierId: "silver", name: "Silver", probability: 0.3, inventory: 1000, value: 20 },
        ],
        limits: CAPS,
        freeSpins: 1000,
      }),
    });
    expect(created.status).toBe(201);
    const sockets = await Promise.all(Array.from({ length: 100 }, (_, i) => connect(spinNodes[i % 2]!, { player: "whale" })));
    // Every socket of the player receives every result of the player: one socket counts them.
    const results = new Map<string, SpinResult>();
    let onResult = () => undefined as void;
    sockets[0]!.on("spin:result", (r: SpinResult) => {
      results.set(r.intentId, r);
      onResult();
    });

    const accepted: { intentId: string; node: number }[] = [];
    const refused = new Map<string, number>();
    const until = Date.now() + SPIN_RUN_MS;
    let seq = 0;
    await Promise.all(
      sockets.map(async (socket, i) => {
        // As fast as the node lets one socket: one spin per 1/SOCKET_RATE s, each after the last ack.
        while (Date.now() < until) {
          const sent = Date.now();
          const r = await call<SpinAck>(socket, "spin", { campaignId, idempotencyKey: `whale-${i}-${seq++}` });
          if (r.ok) {
            expect(r.data.duplicate).toBe(false);
            accepted.push({ intentId: r.data.intentId, node: i % 2 });
          } else refused.set(r.error.code, (refused.get(r.error.code) ?? 0) + 1);
          await new Promise((res) => setTimeout(res, Math.max(0, 1000 / SOCKET_RATE - (Date.now() - sent))));
        }
      }),
    );
    // The limiter's windows are fixed, one second each from the player's first spin: a run of
    // SPIN_RUN_MS (plus the acks in flight at its end) touches at most SPIN_RUN_MS/1000 + 1 of them.
    // Tolerance: that one extra window. Per-node limiters would have let about twice as many in.
    const windows = Math.ceil(SPIN_RUN_MS / 1000) + 1;
    expect(accepted.length).toBeLessThanOrEqual(SPIN_RATE * windows);
    expect(accepted.length).toBeGreaterThanOrEqual(SPIN_RATE * (windows - 2)); // the limiter lets the rate through
    expect(new Set(accepted.map((a) => a.node))).toEqual(new Set([0, 1])); // both nodes took spins
    expect([...refused.keys()].every((code) => code === "E_RATE_LIMITED")).toBe(true);
    expect(refused.get("E_RATE_LIMITED")).toBeGreaterThan(accepted.length); // 100 sockets wanted far more

    // Every accepted spin is resolved; the caps hold, counted from Redis.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`resolved ${results.size} of ${accepted.length} spins within 20 s`)), 20_000);
      onResult = () => {
        if (accepted.every((a) => results.has(a.intentId))) {
          clearTimeout(timer);
          resolve();
        }
      };
      onResult();
    });
    const counters = await redis.hgetall(campaignKeys(campaignId).players);
    const whale = pseudonym("whale");
    const day = Object.entries(counters).filter(([f]) => f.startsWith(`${whale}:d:`));
    expect(Number(counters[`${whale}:used`])).toBe(CAPS.spinsPerCampaign); // more were accepted than the cap: the cap binds
    expect(Number(counters[`${whale}:wins`] ?? 0)).toBeLessThanOrEqual(CAPS.winsPerCampaign);
    expect(day).toHaveLength(1);
    expect(Number(day[0]![1])).toBeLessThanOrEqual(CAPS.spinsPerDay);
    const outcomes = [...results.values()];
    expect(outcomes.filter((r) => r.outcome !== "rejected")).toHaveLength(CAPS.spinsPerCampaign);
    expect(outcomes.filter((r) => r.outcome === "won").length).toBeLessThanOrEqual(CAPS.winsPerCampaign);
  });

  it("(c) a blocked player, address or device gets E_BLOCKED on entries and spins; the list round-trips and is audited", async () => {
    const campaignId = uniqueId("ban");
    expect((await http(`${proxied.url}/v1/campaigns`, { token: hostToken, body: liveCampaign(campaignId) })).status).toBe(201);
    const drawId = await openDraw(proxied, campaignId);
    const url = `${proxied.url}/v1/campaigns/${campaignId}/blocklist`;
    const badAddress = "198.51.100.77";

    // Validation and scope.
    expect((await http<{ error: { code: string } }>(url, { token: hostToken, body: { kind: "address", value: "not-an-ip" } })).body.error.code).toBe("E_BAD_REQUEST");
    expect((await http<{ error: { code: string } }>(url, { token: hostToken, body: { kind: "planet", value: "mars" } })).body.error.code).toBe("E_BAD_REQUEST");
    const otherScope = await tokens.sign({ sub: "host-2", role: "host", campaigns: ["someone-else"] }, 600);
    expect((await http<{ error: { code: string } }>(url, { token: otherScope, body: { kind: "player", value: "bad-player" } })).body.error.code).toBe("E_FORBIDDEN");
    expect((await http(url, { token: otherScope })).status).toBe(403);
    expect((await http(url)).status).toBe(401);

    const add = (kind: string, value: string, reason?: string) => http<{ added: boolean; entry: { kind: string; value: string } }>(url, { token: hostToken, body: { kind, value, ...(reason ? { reason } : {}) } });
    const added = await add("player", "bad-player", "bot");
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ added: true, entry: { kind: "player", value: pseudonym("bad-player") } }); // stored as the pseudonym
    expect((await add("address", `::ffff:${badAddress}`)).body.entry.value).toBe(badAddress); // normalised
    expect((await add("device", "bad-phone")).status).toBe(201);
    expect((await add("device", "bad-phone")).body.added).toBe(false); // again: no change
    const listed = await http<{ entries: { kind: string; value: string; reason: string; hostId: string; at: number }[] }>(url, { token: hostToken });
    expect(listed.body.entries.map((e) => [e.kind, e.value, e.reason, e.hostId]).sort()).toEqual(
      [
        ["address", badAddress, "blocked by a host", "host-1"],
        ["device", "bad-phone", "blocked by a host", "host-1"],
        ["player", pseudonym("bad-player"), "bot", "host-1"],
      ].sort(),
    );

    const blocked = async (socket: Socket) => {
      const enter = await call<EnterResult>(socket, "draw:enter", { campaignId, drawId });
      const spin = await call<SpinAck>(socket, "spin", { campaignId, idempotencyKey: uniqueId("spin-key") });
      return [enter.ok ? "ok" : enter.error.code, spin.ok ? "ok" : spin.error.code];
    };
    const badPlayer = await connect(proxied, { player: "bad-player", forwardedFor: "198.51.100.1" });
    expect(await blocked(badPlayer)).toEqual(["E_BLOCKED", "E_BLOCKED"]);
    expect(await blocked(await connect(proxied, { forwardedFor: badAddress }))).toEqual(["E_BLOCKED", "E_BLOCKED"]);
    expect(await blocked(await connect(proxied, { forwardedFor: "198.51.100.2", device: "bad-phone" }))).toEqual(["E_BLOCKED", "E_BLOCKED"]);
    expect(await blocked(await connect(proxied, { forwardedFor: "198.51.100.3", device: "good-phone" }))).toEqual(["ok", "ok"]);

    // Unblocked, the player gets in; removing what is not there changes nothing.
    const removed = await http<{ removed: boolean }>(url, { method: "DELETE", token: hostToken, body: { kind: "player", value: "bad-player" } });
    expect(removed.body.removed).toBe(true);
    expect((await http<{ removed: boolean }>(url, { method: "DELETE", token: hostToken, body: { kind: "player", value: "bad-player" } })).body.removed).toBe(false);
    expect(await blocked(badPlayer)).toEqual(["ok", "ok"]);
    expect((await http<{ entries: unknown[] }>(url, { token: hostToken })).body.entries).toHaveLength(2);

    // Audited as host actions (three blocks counted once each, one unblock), without the raw address or device id.
    const audit = await http<{ records: { type: string; data: { action: string; kind?: string; value?: string; ref?: string } }[] }>(`${proxied.url}/v1/campaigns/${campaignId}/audit`);
    const actions = audit.body.records.filter((r) => r.type === "host.action" && (r.data.action === "block" || r.data.action === "unblock")).map((r) => r.data);
    expect(actions.map((a) => [a.action, a.kind])).toEqual([
      ["block", "player"],
      ["block", "address"],
      ["block", "device"],
      ["block", "device"],
      ["unblock", "player"],
    ]);
    expect(actions[0]!.value).toBe(pseudonym("bad-player"));
    expect(actions[1]!.ref).toMatch(/^p[A-Za-z0-9_-]{22}$/);
    const raw = JSON.stringify(audit.body);
    expect(raw).not.toContain(badAddress);
    expect(raw).not.toContain("bad-phone");
  });

  it("(d) refuses entries with E_BUSY and retryAfterMs at the node's in-flight bound; retried, each is stored once", async () => {
    const campaignId = uniqueId("busy");
    const drawId = await openDraw(busyNode, campaignId);
    const sockets = await Promise.all(Array.from({ length: 100 }, () => connect(busyNode)));
    const intents = new Set<string>();
    const busyAnswers: unknown[] = [];
    // All at once; each refused one retried after `retryAfterMs` with jitter, as the SDK does.
    const unanswered = await Promise.all(
      sockets.map(async (socket) => {
        for (let attempt = 0; attempt < 40; attempt++) {
          const a = await call<EnterResult>(socket, "draw:enter", { campaignId, drawId });
          if (a.ok) {
            intents.add(a.data.intentId);
            return 0;
          }
          busyAnswers.push(a.error);
          await new Promise((r) => setTimeout(r, (a.error.retryAfterMs ?? 0) * (0.5 + Math.random())));
        }
        return 1;
      }),
    );
    const busy = busyAnswers.length;
    for (const e of busyAnswers) expect(e).toMatchObject({ code: "E_BUSY", retryAfterMs: 500, message: expect.stringContaining("retryAfterMs") });
    const pending = unanswered.filter((n) => n > 0);
    expect(busy).toBeGreaterThan(0);
    expect(pending).toHaveLength(0);
    expect(intents.size).toBe(100);
    const snapshot = await http<DrawSnapshot>(`${busyNode.url}/v1/campaigns/${campaignId}/draws/${drawId}`);
    expect(snapshot.body.entrants).toBe(100); // nothing was stored for a refused entry, nothing twice
  });
});
