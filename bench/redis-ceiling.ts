/** bench:spin's Redis Lua ceiling: redis-benchmark on the run's Redis, plus the real resolver driven from one caller. */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { Redis } from "ioredis";
import { projectRoot } from "../core/assets.js";
import { expandIncludes, loadScripts } from "../core/redis.js";
import { campaignKeys } from "../core/redis-keys.js";
import { SpinStore } from "../core/spin-store.js";
import { fmt, say } from "./log.js";

function runRedisBenchmark(args: string[], timeoutMs = 120_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-benchmark", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const m = /([\d.]+) requests per second/.exec(out.replace(/\r/g, "\n").split("\n").filter((l) => l.includes("requests per second")).pop() ?? "");
      if (code !== 0 || !m) reject(new Error(`redis-benchmark exited with ${code}: ${out.slice(-500)}`));
      else resolve(Number(m[1]));
    });
  });
}

export async function measureCeiling(redis: Redis, port: number) {
  const N = 200_000;
  const base = ["-h", "127.0.0.1", "-p", String(port), "-n", String(N), "-c", "50", "-P", "16", "-q"];
  const policy = { minTierProbability: 0.01, maxTierProbability: 0.5, maxTotalProbability: 1 };
  const store = new SpinStore(redis);
  const mkCampaign = async (id: string) => {
    const now = Date.now();
    await store.save("create", {
      campaignId: id, title: "ceiling", rules: "",
      schedule: { warmupAt: now - 60_000, liveAt: now - 30_000, longTailAt: now + 3_600_000, closedAt: now + 7_200_000 },
      tiers: [
        { tierId: "grand", name: "Grand prize", probability: 0.01, inventory: 1000 },
        { tierId: "coupon", name: "Coupon", probability: 0.05, inventory: 5000 },
        { tierId: "points", name: "Points", probability: 0.2, inventory: 10_000_000 },
      ],
      limits: { spinsPerDay: 100_000, spinsPerCampaign: 1_000_000, winsPerCampaign: 1_000_000 },
      freeSpins: 1_000_000,
    }, policy);
    return campaignKeys(id);
  };

  // 1. Single-intent resolution (bench/lua/resolveOne-8.lua), the figure asked for.
  const oneLua = expandIncludes(readFileSync(path.join(projectRoot(), "bench", "lua", "resolveOne-8.lua"), "utf8"));
  const oneSha = String(await redis.script("LOAD", oneLua));
  const c1 = await mkCampaign("bench-ceiling-one");
  const resolveOne = await runRedisBenchmark([
    ...base, "-r", "1000000", "evalsha", oneSha, "8", c1.config, c1.spins, c1.cursor, c1.inventory, c1.issued, c1.results, c1.players, c1.ledger,
    "p__rand_int__", "key__rand_int__", "__rand_int__", c1.historyPrefix, "100",
  ]);
  say(`  redis-benchmark resolveOne (evalsha, -c 50 -P 16): ${fmt(resolveOne)} resolutions/s`);

  // 2. The real append script (core/lua/appendSpin-2.lua), one intent per call.
  const appendLua = loadScripts().find((s) => s.name === "appendSpin")!.lua;
  const appendSha = String(await redis.script("LOAD", appendLua));
  const c2 = await mkCampaign("bench-ceiling-real");
  const append = await runRedisBenchmark([
    ...base, "-r", "100000000", "evalsha", appendSha, "2", c2.idempotency, c2.spins, "p__rand_int__", "key__rand_int__", "100000000",
  ]);
  say(`  redis-benchmark appendSpin (evalsha, -c 50 -P 16): ${fmt(append)} appends/s`);

  // 3. The real resolver (core/lua/resolveSpins-8.lua) draining what step 2 appended, 500 per call.
  const backlog = await redis.xlen(c2.spins);
  const batch = Number(process.env.LIVEDRAW_SPIN_BATCH_SIZE ?? 500);
  const t0 = performance.now();
  let resolved = 0;
  for (let i = 0; i < 10_000; i++) {
    const { read, results } = await store.resolveBatch("bench-ceiling-real", batch, 100);
    resolved += results.length;
    if (read < batch) break;
  }
  const realSeconds = (performance.now() - t0) / 1000;
  const realResolver = resolved / realSeconds;
  say(`  real resolver (resolveSpins-8, batch ${batch}, one caller incl. ioredis + JSON parsing): ${fmt(realResolver)} intents/s over ${fmt(resolved)} intents`);

  // Clean up the ceiling campaigns (not needed any more; keeps the AOF from growing further).
  for (const ck of [c1, c2]) {
    const histories = await redis.keys(`${ck.historyPrefix}*`);
    for (let i = 0; i < histories.length; i += 1000) await redis.unlink(...histories.slice(i, i + 1000));
    await redis.unlink(ck.config, ck.spins, ck.cursor, ck.inventory, ck.issued, ck.stocked, ck.results, ck.players, ck.ledger, ck.idempotency);
  }
  return {
    resolveOne: Math.round(resolveOne),
    resolveOne_command: `redis-benchmark -n ${N} -c 50 -P 16 -r 1000000 evalsha <sha of bench/lua/resolveOne-8.lua> 8 <keys> p__rand_int__ key__rand_int__ __rand_int__ <historyPrefix> 100`,
    appendSpin_per_s: Math.round(append),
    real_resolver_per_s: Math.round(realResolver),
    real_resolver_batch: batch,
    real_resolver_intents: resolved,
    real_resolver_backlog: backlog,
    /** One spin costs one append plus its share of a resolve batch, on the one Redis core. */
    combined_append_plus_real_resolver_per_s: Math.round(1 / (1 / append + 1 / realResolver)),
  };
}
