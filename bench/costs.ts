/**
 * `node dist/bench/costs.js` (a part of `npm run bench`): what one live-draw operation costs, for
 * docs/capacity.md. On a private stack (2 socket nodes, 1 worker), C players connect (raw protocol
 * clients in this process) and subscribe to one campaign; then, each phase measured on its own:
 *
 *   idle     nothing happens: the background cost (sweeps, clock sync, pollers);
 *   ticks    one draw is open and counting down: every node sends `draw:tick` to its members each
 *            interval; cost per *delivered* tick message;
 *   entries  every player enters that draw once, open-loop at C / ENTRY_S per second; cost per
 *            acknowledged entry (stored in Redis: the entrants hash is counted afterwards);
 *   finish   the host closes the draw: the worker draws and reveals, everyone gets `draw:closed`,
 *            `draw:reveal`, `draw:done` and each entrant its `draw:result`; cost per delivered message.
 *
 * CPU is read from /proc per process (nodes, worker, Redis; the bench process separately), Redis work
 * from INFO commandstats; each phase's figure subtracts the idle rate over the same time (and entries
 * also the ticks, which run meanwhile). Writes bench/results/costs.json. BENCH_QUICK=1: 1,000 players
 * and shorter phases (about 30 s in all).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../core/assets.js";
import { PROTOCOL_VERSION } from "@livedraw/protocol";
import { drawKeys } from "../core/redis-keys.js";
import { TokenService } from "../server/auth.js";
import { cpuBetween, cpuMark, rssByLabel, trackPid, type CpuMark } from "./cpu.js";
import { numEnv } from "./env.js";
import { guardProcess, onStop, runMain, stopAll } from "./lifecycle.js";
import { commitId, loadAvg, machine } from "./meta.js";
import { round, say, setLogTag } from "./log.js";
import { RawSocket } from "./raw-client.js";
import { commandStats } from "./redis-stats.js";
import { startStack, type Stack } from "./stack.js";

const QUICK = process.env.BENCH_QUICK === "1";
const CLIENTS = Math.round(numEnv("BENCH_CLIENTS", QUICK ? 1000 : 4000));
const IDLE_S = numEnv("BENCH_IDLE_S", QUICK ? 4 : 10);
const TICK_S = numEnv("BENCH_TICK_S", QUICK ? 4 : 10);
const ENTRY_S = numEnv("BENCH_ENTRY_S", QUICK ? 4 : 10);
const CAMPAIGN = `costs-${randomBytes(3).toString("hex")}`;

type Stats = Map<string, { calls: number; usec: number }>;
interface Mark {
  cpu: CpuMark;
  redis: Stats;
  delivered: number;
}


/**
 * Server CPU (nodes + workers + Redis) in µs, Redis's own CPU in µs, and the commands Redis executed
 * (INFO commandstats; commands run inside Lua scripts are counted too), between two marks.
 */
function between(a: Mark, b: Mark) {
  const cpu = cpuBetween(a.cpu, b.cpu);
  const serverPct = (cpu.by_role.node ?? 0) + (cpu.by_role.worker ?? 0) + (cpu.by_role.redis ?? 0);
  let calls = 0;
  const commands: { cmd: string; calls: number; usec: number }[] = [];
  for (const [cmd, v] of b.redis) {
    if (cmd === "info") continue; // our own measuring
    const c = { cmd, calls: v.calls - (a.redis.get(cmd)?.calls ?? 0), usec: v.usec - (a.redis.get(cmd)?.usec ?? 0) };
    calls += c.calls;
    if (c.calls > 0) commands.push(c);
  }
  commands.sort((x, y) => y.usec - x.usec);
  return {
    commands: commands.slice(0, 10),
    seconds: cpu.seconds,
    server_cpu_us: (serverPct / 100) * cpu.seconds * 1e6,
    by_role_pct: cpu.by_role,
    redis_calls: calls,
    redis_usec: ((cpu.by_role.redis ?? 0) / 100) * cpu.seconds * 1e6,
    delivered: b.delivered - a.delivered,
  };
}

async function main(): Promise<void> {
  setLogTag("costs");
  guardProcess(5 * 60_000);
  const loadStart = loadAvg();
  trackPid("bench", "bench", process.pid);
  const startedAt = new Date().toISOString();
  const stack: Stack = await startStack({ tag: "costs", runTag: randomBytes(3).toString("hex"), nodes: 2, workers: 1, serverEnv: { LIVEDRAW_SOCKET_MESSAGES_PER_SECOND: "10000" }, nodeIdPrefix: "costs-" });
  const tokens = new TokenService(stack.secret);
  let delivered = 0;
  const counts = new Map<string, number>();
  const mark = async (): Promise<Mark> => ({ cpu: cpuMark(), redis: await commandStats(stack.redis), delivered });
  const samples: { t: number; node: number; worker: number; redis: number; bench: number }[] = [];
  const t0 = Date.now();
  let last = cpuMark();
  const sampler = setInterval(() => {
    const now = cpuMark();
    const c = cpuBetween(last, now);
    last = now;
    samples.push({ t: round((Date.now() - t0) / 1000, 1), node: c.by_role.node ?? 0, worker: c.by_role.worker ?? 0, redis: c.by_role.redis ?? 0, bench: c.by_role.bench ?? 0 });
  }, 500);
  onStop("sampler", async () => clearInterval(sampler));

  // Players: raw protocol clients, alternating nodes, all subscribed to the campaign.
  say(`connecting ${CLIENTS} players`);
  const rssBefore = rssByLabel();
  const sockets: RawSocket[] = [];
  for (let i = 0; i < CLIENTS; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, CLIENTS - i) }, async (_, j) => {
        const n = i + j;
        const token = await tokens.sign({ sub: `costs-p${n}`, role: "player" }, 3600);
        const s = new RawSocket(stack.nodes[n % stack.nodes.length]!.url, { token, protocol: PROTOCOL_VERSION }, 20_000);
        await new Promise<void>((resolve, reject) => {
          s.once("connect", () => resolve());
          s.once("connect_error", (e: Error) => reject(e));
        });
        for (const event of ["draw:tick", "draw:closed", "draw:reveal", "draw:done", "draw:result", "draw:countdown"]) {
          s.on(event, () => {
            delivered++;
            counts.set(event, (counts.get(event) ?? 0) + 1);
          });
        }
        await new Promise<void>((resolve) => s.emit("campaign:subscribe", { campaignId: CAMPAIGN }, () => resolve()));
        sockets.push(s);
      }),
    );
  }
  onStop("players", async () => sockets.forEach((s) => s.close()));
  const rssWith = rssByLabel();
  const rssPerClientKb = (() => {
    let d = 0;
    for (const [label, mb] of Object.entries(rssWith)) if (label.startsWith("node")) d += (mb ?? 0) - (rssBefore[label] ?? 0);
    return round((d * 1024) / CLIENTS, 1);
  })();

  const phase = async (what: string, seconds: number, during?: () => Promise<unknown>) => {
    say(`${what}: ${seconds} s`);
    const a = await mark();
    const work = during ? during() : Promise.resolve();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    await work;
    return between(a, await mark());
  };

  const idle = await phase("idle", IDLE_S);

  const host = { "content-type": "application/json", authorization: `Bearer ${stack.hostToken}` };
  const opened = await fetch(`${stack.nodes[0]!.url}/v1/campaigns/${CAMPAIGN}/draws`, { method: "POST", headers: host, body: JSON.stringify({ durationMs: 600_000, winners: 10, title: "Costs" }) });
  if (opened.status !== 201) throw new Error(`opening the draw: HTTP ${opened.status} ${await opened.text()}`);
  const { drawId } = (await opened.json()) as { drawId: string };
  const ticks = await phase("ticks (a draw counting down)", TICK_S);

  const ackMs: number[] = [];
  let refused = 0;
  const entries = await phase("entries", ENTRY_S, async () => {
    const gap = (ENTRY_S * 1000 * 0.9) / CLIENTS;
    const started = performance.now();
    await Promise.all(
      sockets.map(
        (s, i) =>
          new Promise<void>((resolve) => {
            setTimeout(() => {
              const sent = performance.now();
              s.emit("draw:enter", { campaignId: CAMPAIGN, drawId }, ((ack: { ok: boolean }) => {
                if (ack?.ok) ackMs.push(performance.now() - sent);
                else refused++;
                resolve();
              }) as never);
            }, Math.max(0, i * gap - (performance.now() - started)));
          }),
      ),
    );
  });
  const stored = await stack.redis.hlen(drawKeys(CAMPAIGN, drawId).entrants);

  // Finish: close now; wait for every client's draw:done (results follow after LIVEDRAW_DRAW_RESULTS_DELAY_MS).
  const doneBefore = counts.get("draw:done") ?? 0;
  const resultsBefore = counts.get("draw:result") ?? 0;
  const finishStart = await mark();
  const finishT0 = performance.now();
  const closed = await fetch(`${stack.nodes[1]!.url}/v1/campaigns/${CAMPAIGN}/draws/${drawId}/close`, { method: "POST", headers: host, body: "{}" });
  if (closed.status !== 200) throw new Error(`closing the draw: HTTP ${closed.status} ${await closed.text()}`);
  for (const until = Date.now() + 60_000; Date.now() < until; ) {
    if ((counts.get("draw:done") ?? 0) - doneBefore >= CLIENTS && (counts.get("draw:result") ?? 0) - resultsBefore >= stored) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const finishMs = performance.now() - finishT0;
  const finish = between(finishStart, await mark());

  const idleCpuPerS = idle.server_cpu_us / idle.seconds;
  const idleCallsPerS = idle.redis_calls / idle.seconds;
  const idleUsecPerS = idle.redis_usec / idle.seconds;
  const tickCpuPerS = ticks.server_cpu_us / ticks.seconds;
  const tickCallsPerS = ticks.redis_calls / ticks.seconds;
  const tickUsecPerS = ticks.redis_usec / ticks.seconds;
  const per = (total: number, n: number) => (n > 0 ? round(total / n, 2) : null);
  ackMs.sort((x, y) => x - y);
  const pct = (q: number) => (ackMs.length ? round(ackMs[Math.min(ackMs.length - 1, Math.floor(q * ackMs.length))]!, 1) : null);
  const result = {
    clients: CLIENTS,
    engine: stack.health.engine,
    idle: { seconds: idle.seconds, server_cpu_pct: round(idleCpuPerS / 1e4, 1), redis_calls_per_s: round(idleCallsPerS, 1), by_role_pct: idle.by_role_pct },
    tick: {
      delivered_per_s: round(ticks.delivered / ticks.seconds, 1),
      server_cpu_us_per_delivered_tick: per(ticks.server_cpu_us - idleCpuPerS * ticks.seconds, ticks.delivered),
      redis_calls_per_s_for_ticks: round(tickCallsPerS - idleCallsPerS, 1),
      redis_us_per_s_for_ticks: round(tickUsecPerS - idleUsecPerS, 1),
    },
    entry: {
      offered: CLIENTS,
      acked: ackMs.length,
      refused,
      stored_in_redis: stored,
      ack_p50_ms: pct(0.5),
      ack_p99_ms: pct(0.99),
      server_cpu_us_per_entry: per(entries.server_cpu_us - tickCpuPerS * entries.seconds, stored),
      redis_calls_per_entry: per(entries.redis_calls - tickCallsPerS * entries.seconds, stored),
      redis_us_per_entry: per(entries.redis_usec - tickUsecPerS * entries.seconds, stored),
      /** Redis's own time per command over the entries phase (a script's row includes the commands it runs, which also have their own rows). */
      redis_commands_in_phase: entries.commands.map((c) => ({ cmd: c.cmd, per_entry: per(c.calls, stored), usec_per_call: per(c.usec, c.calls) })),
    },
    finish: {
      seconds_to_every_done_and_result: round(finishMs / 1000, 2),
      messages_delivered: finish.delivered,
      server_cpu_us_per_delivered_message: per(finish.server_cpu_us - idleCpuPerS * finish.seconds, finish.delivered),
      redis_calls: finish.redis_calls,
    },
    rss_per_connected_client_kb: rssPerClientKb,
    lost: Math.max(0, ackMs.length - stored),
    machine: machine(loadStart),
    date: startedAt,
    commit: commitId(),
    quick: QUICK,
    charts: [
      {
        id: "cpu",
        title: `CPU by role over the phases (idle, ticks, entries, finish), ${CLIENTS} players`,
        unit: "% of one core",
        x_label: "seconds since start",
        x: samples.map((s) => s.t),
        lines: (["node", "worker", "redis", "bench"] as const).map((role) => ({ name: role === "bench" ? "load (this process)" : role, y: samples.map((s) => s[role]) })),
      },
    ],
  };
  const dir = path.join(projectRoot(), "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "costs.json"), `${JSON.stringify(result, null, 2)}\n`);
  say(`entry: ${result.entry.server_cpu_us_per_entry} µs server CPU, ${result.entry.redis_calls_per_entry} Redis calls; tick: ${result.tick.server_cpu_us_per_delivered_tick} µs per delivered tick; finish: ${result.finish.server_cpu_us_per_delivered_message} µs per delivered message; wrote bench/results/costs.json`);
  await stopAll();
  process.exit(0);
}

runMain(main, "costs benchmark");
