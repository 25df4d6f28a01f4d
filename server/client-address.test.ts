import { describe, expect, it } from "vitest";
import { clientAddress } from "./client-address.js";
import { AddressConnections } from "./connection-limit.js";

describe("clientAddress", () => {
  it("is the peer unless proxies are trusted", () => {
    expect(clientAddress("10.0.0.1", "1.2.3.4", 0)).toBe("10.0.0.1");
    expect(clientAddress("10.0.0.1", "1.2.3.4", false)).toBe("10.0.0.1");
    expect(clientAddress("::ffff:10.0.0.1", undefined, 1)).toBe("10.0.0.1");
  });

  it("takes the entry N hops from the right, ignoring what the client put to its left", () => {
    expect(clientAddress("10.0.0.1", "1.2.3.4, 203.0.113.7", 1)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.1", "1.2.3.4, 203.0.113.7", true)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.1", "1.2.3.4, 203.0.113.7, 10.0.0.9", 2)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.1", ["1.2.3.4", "203.0.113.7"], 1)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.1", "203.0.113.7", 3)).toBe("203.0.113.7"); // fewer entries than hops: the leftmost
    expect(clientAddress("10.0.0.1", " , ", 1)).toBe("10.0.0.1");
  });
});

describe("AddressConnections", () => {
  it("refuses an address at its limit and gives places back once", () => {
    const limit = new AddressConnections(2);
    const a = limit.acquire("a")!;
    const b = limit.acquire("a")!;
    expect(limit.acquire("a")).toBeNull();
    expect(limit.acquire("b")).not.toBeNull();
    a();
    a(); // twice: still one place
    expect(limit.acquire("a")).not.toBeNull();
    expect(limit.acquire("a")).toBeNull();
    b();
    expect(new AddressConnections(0).acquire("x")).not.toBeNull();
  });
});

describe("LIVEDRAW_TRUST_PROXY", () => {
  const base = { LIVEDRAW_JWT_SECRET: "x".repeat(32) };
  it("takes false, true or a hop count, keeping 1/true as one hop and the boolean for the HTTP side", async () => {
    const { loadConfig } = await import("../config/options.js");
    for (const [raw, hops] of [[undefined, 0], ["false", 0], ["0", 0], ["no", 0], ["true", 1], ["1", 1], ["yes", 1], ["2", 2], ["10", 10]] as const) {
      const config = loadConfig(raw === undefined ? base : { ...base, LIVEDRAW_TRUST_PROXY: raw });
      expect([config.trustProxyHops, config.trustProxy]).toEqual([hops, hops > 0]);
    }
    expect(() => loadConfig({ ...base, LIVEDRAW_TRUST_PROXY: "11" })).toThrow(/LIVEDRAW_TRUST_PROXY \(trustProxyHops\): must be false, true or a number of proxy hops/);
    expect(loadConfig(base, { trustProxy: true }).trustProxyHops).toBe(1);
    expect(loadConfig(base).maxConnectionsPerAddress).toBe(500);
    expect(loadConfig(base).maxSubscriptionsPerSocket).toBe(20);
  });
});
