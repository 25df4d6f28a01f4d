/**
 * Anyone can no longer lock anyone out of the console (issue 17, item 6), against a real node and
 * Redis: an attacker's 100 wrong passwords from other addresses — and 30 more from one address,
 * some while the host signs in — do not stop the right password from an address without failures.
 * The host id is only slowed down (at most SIGN_IN_SLOWDOWN_MAX_MS), never refused.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostSignInKeys } from "../core/redis-keys.js";
import { hashPassword } from "../server/host-accounts.js";
import { SIGN_IN_SLOWDOWN_MAX_MS } from "../server/host-session.js";
import { Harness, type NodeProcess } from "./harness.js";

const PASSWORD = "correct horse battery staple";

describe("sign-in lock-outs", () => {
  const h = new Harness();
  let node: NodeProcess;
  let redis: Redis;

  beforeAll(async () => {
    const hash = await hashPassword(PASSWORD);
    await h.startRedis();
    redis = new Redis(h.redis.url);
    h.defer(() => redis.quit());
    node = await h.startNode({ LIVEDRAW_HOSTS: `victim:${hash},other:${hash}`, LIVEDRAW_TRUST_PROXY: "1" });
  });
  afterAll(() => h.cleanup());

  /** POST /v1/host/session from `ip` (the node trusts one proxy: X-Forwarded-For is the client). */
  async function signIn(hostId: string, password: string, ip: string): Promise<{ status: number; code?: string; ms: number }> {
    const started = performance.now();
    const res = await fetch(`${node.url}/v1/host/session`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": ip },
      body: JSON.stringify({ hostId, password }),
    });
    const body = (await res.json()) as { error?: { code: string } };
    return { status: res.status, ...(body.error ? { code: body.error.code } : {}), ms: performance.now() - started };
  }

  /** Runs `n` tasks, `width` at a time. */
  async function pool<T>(n: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
    const out: T[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (next < n) {
          const i = next++;
          out[i] = await task(i);
        }
      }),
    );
    return out;
  }

  it("an attacker's 100 wrong passwords from other addresses do not stop the right password from a clean address", async () => {
    // 100 wrong passwords, each from an address of its own: every one is answered 401, none is refused.
    const spread = await pool(100, 10, (i) => signIn("victim", `guess-${i}`, `203.0.113.${i + 1}`));
    expect(spread.map((r) => r.status)).toEqual(Array(100).fill(401));
    // 30 more from one address: after its five free failures it waits (429) — only it.
    const single = await pool(30, 10, (i) => signIn("victim", `again-${i}`, "198.51.100.7"));
    expect(single.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(5);
    expect(single.filter((r) => r.status === 429).length).toBeGreaterThan(15);
    expect(single.every((r) => r.status === 401 || (r.status === 429 && r.code === "E_RATE_LIMITED"))).toBe(true);
    expect(Number(await redis.get(hostSignInKeys.account("victim")))).toBeGreaterThanOrEqual(105);

    // The host, from an address with no failures: signed in, slowed down by at most the bound.
    const host = await signIn("victim", PASSWORD, "192.0.2.10");
    expect(host.status).toBe(200);
    expect(host.ms).toBeGreaterThanOrEqual(SIGN_IN_SLOWDOWN_MAX_MS - 50); // the account is under attack: the bounded slowdown applies
    console.log(`right password after 130 wrong ones: 200 in ${Math.round(host.ms)} ms (slowdown bound ${SIGN_IN_SLOWDOWN_MAX_MS} ms)`);

    // And while the attack goes on: the host signs in from fresh addresses in the middle of it.
    let attacking = true;
    const attack = pool(10, 10, async (w) => {
      for (let i = 0; attacking; i++) await signIn("victim", `live-${w}-${i}`, `198.18.${w}.${(i % 250) + 1}`);
    });
    const during = await Promise.all([signIn("victim", PASSWORD, "192.0.2.11"), signIn("victim", PASSWORD, "192.0.2.12")]);
    attacking = false;
    await attack;
    expect(during.map((r) => r.status)).toEqual([200, 200]);
    // Another host id is not touched by the attack on this one.
    expect(await redis.get(hostSignInKeys.account("other"))).toBeNull();
    expect((await signIn("other", PASSWORD, "192.0.2.13")).status).toBe(200);
  }, 300_000); // 130 scrypt checks (0.1 s each on an idle core), most of them slowed down by up to 2 s
});
