import { describe, expect, it } from "vitest";
import { ConfigError, describeOptions, loadConfig } from "./options.js";

const SECRET = "x".repeat(32);

describe("loadConfig", () => {
  it("applies documented defaults and freezes the result", () => {
    const config = loadConfig({ LIVEDRAW_JWT_SECRET: SECRET });
    expect(config).toMatchObject({ port: 3000, redisUrl: "redis://127.0.0.1:6379", transport: "auto", devTokens: false, tickIntervalMs: 1000 });
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow();
  });

  it("reads environment variables with their types", () => {
    const config = loadConfig({ LIVEDRAW_JWT_SECRET: SECRET, PORT: "8080", LIVEDRAW_DEV_TOKENS: "1", REDIS_URL: "redis://h:6380/2", LIVEDRAW_TRANSPORT: "ws" });
    expect(config.port).toBe(8080);
    expect(config.devTokens).toBe(true);
    expect(config.redisUrl).toBe("redis://h:6380/2");
    expect(config.transport).toBe("ws");
  });

  it("refuses bad values with a message naming the variable, the field and what is allowed", () => {
    const attempt = () => loadConfig({ LIVEDRAW_JWT_SECRET: "short", PORT: "eighty", LIVEDRAW_TRANSPORT: "quic", REDIS_URL: "http://x" });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      const { problems, message } = err as ConfigError;
      expect(problems).toHaveLength(4);
      expect(message).toContain("LIVEDRAW_JWT_SECRET (jwtSecret): must be at least 32 characters");
      expect(message).toContain("PORT (port)");
      expect(message).toContain('got "eighty"');
      expect(message).toMatch(/LIVEDRAW_TRANSPORT \(transport\).*"auto"/);
      expect(message).toContain("REDIS_URL (redisUrl): must start with redis://");
    }
  });

  it("requires the token secret", () => {
    expect(() => loadConfig({})).toThrow(/LIVEDRAW_JWT_SECRET \(jwtSecret\) is required/);
  });

  it("checks options against each other", () => {
    expect(() => loadConfig({ LIVEDRAW_JWT_SECRET: SECRET, LIVEDRAW_MIN_DURATION_MS: "5000", LIVEDRAW_MAX_DURATION_MS: "2000" })).toThrow(/must not exceed/);
  });

  it("validates typed overrides too", () => {
    expect(loadConfig({ LIVEDRAW_JWT_SECRET: SECRET }, { port: 0 }).port).toBe(0);
    expect(() => loadConfig({ LIVEDRAW_JWT_SECRET: SECRET }, { port: 70000 })).toThrow(/port/);
  });

  it("validates host accounts without echoing them, and defaults to none", async () => {
    const { hashPassword } = await import("../server/host-accounts.js");
    expect(loadConfig({ LIVEDRAW_JWT_SECRET: SECRET }).hosts).toBe("");
    const hash = await hashPassword("correct horse battery staple");
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(loadConfig({ LIVEDRAW_JWT_SECRET: SECRET, LIVEDRAW_HOSTS: `alice:${hash}, bob:${hash}` }).hosts).toContain("bob:");
    for (const [bad, why] of [
      [`alice:${hash},alice:${hash}`, /alice is listed twice/],
      ["alice", /entry 1: must be hostId:hash/],
      ["alice:plaintext-password", /entry 1 \(alice\): a hash must look like scrypt/],
      [`bad id:${hash}`, /entry 1: the host id/],
      [hash.replace("$32768$", "$1000$").replace(/^/, "alice:"), /power of 2/],
    ] as const) {
      let message = "";
      try {
        loadConfig({ LIVEDRAW_JWT_SECRET: SECRET, LIVEDRAW_HOSTS: bad });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/LIVEDRAW_HOSTS \(hosts\)/);
      expect(message).toMatch(why);
      expect(message).not.toContain("plaintext-password");
      expect(message).not.toContain(hash.split("$")[5]!);
    }
  });

  it("reads the session lifetime and the join URL template", () => {
    const config = loadConfig({ LIVEDRAW_JWT_SECRET: SECRET });
    expect(config.hostSessionTtlSeconds).toBe(43_200);
    expect(config.joinUrl).toBe("https://example.com/join?campaign={campaignId}");
    expect(loadConfig({ LIVEDRAW_JWT_SECRET: SECRET, LIVEDRAW_JOIN_URL: "https://m.example.cn/j/{campaignId}" }).joinUrl).toBe("https://m.example.cn/j/{campaignId}");
    expect(() => loadConfig({ LIVEDRAW_JWT_SECRET: SECRET, LIVEDRAW_JOIN_URL: "https://m.example.cn/j" })).toThrow(/LIVEDRAW_JOIN_URL \(joinUrl\): must contain \{campaignId\}/);
    expect(() => loadConfig({ LIVEDRAW_JWT_SECRET: SECRET, LIVEDRAW_HOST_SESSION_TTL_SECONDS: "5" })).toThrow(/LIVEDRAW_HOST_SESSION_TTL_SECONDS/);
  });

  it("lists every option with its environment variable", () => {
    const envs = describeOptions().map((o) => o.env);
    expect(envs).toContain("REDIS_URL");
    expect(new Set(envs).size).toBe(envs.length);
  });
});
