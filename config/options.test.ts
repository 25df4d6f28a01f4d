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

  it("lists every option with its environment variable", () => {
    const envs = describeOptions().map((o) => o.env);
    expect(envs).toContain("REDIS_URL");
    expect(new Set(envs).size).toBe(envs.length);
  });
});
