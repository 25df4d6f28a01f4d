/** Connection bounds (server/connection-limit.ts): counted from the upgrade, per address and per node. */
import { describe, expect, it } from "vitest";
import { DESCRIPTOR_RESERVE, TransportConnections, descriptorWarning, openFilesLimit, transportsPerAddress } from "./connection-limit.js";

describe("TransportConnections", () => {
  it("bounds one address, leaves others alone, and gives places back once", () => {
    const c = new TransportConnections(3, 0);
    const held = [c.acquire("a"), c.acquire("a"), c.acquire("a")];
    expect(held.every((r) => typeof r === "function")).toBe(true);
    expect(c.acquire("a")).toBe("address");
    expect(typeof c.acquire("b")).toBe("function");
    const release = held[0] as () => void;
    release();
    release(); // idempotent
    expect(c.held("a")).toBe(2);
    expect(typeof c.acquire("a")).toBe("function");
    expect(c.acquire("a")).toBe("address");
    expect(c.open).toBe(4);
    expect(c.peakPerAddress).toBe(3);
  });

  it("refuses at the node's ceiling before the address bound", () => {
    const c = new TransportConnections(0, 2);
    const a = c.acquire("a");
    expect(typeof c.acquire("b")).toBe("function");
    expect(c.acquire("c")).toBe("node");
    (a as () => void)();
    expect(typeof c.acquire("c")).toBe("function");
  });

  it("lets the connection one too many through the upgrade, so its CONNECT reads E_RATE_LIMITED", () => {
    expect(transportsPerAddress(0)).toBe(0);
    expect(transportsPerAddress(5)).toBe(13);
    expect(transportsPerAddress(500)).toBe(550);
  });
});

describe("descriptor limit", () => {
  const limits = (soft: string) => `Limit                     Soft Limit           Hard Limit           Units     \nMax open files            ${soft}                 524288               files     \n`;
  it("reads the soft open-file limit", () => {
    expect(openFilesLimit(limits("1024"))).toBe(1024);
    expect(openFilesLimit(limits("unlimited"))).toBe(Number.POSITIVE_INFINITY);
    expect(openFilesLimit("nothing here")).toBeNull();
  });
  it("warns when the limit leaves less than the reserve beside the ceiling", () => {
    expect(descriptorWarning(1024, 20_000)).toMatch(/ulimit -n 1024\) is below LIVEDRAW_MAX_CONNECTIONS \(20000\)/);
    expect(descriptorWarning(20_000 + DESCRIPTOR_RESERVE, 20_000)).toBeNull();
    expect(descriptorWarning(null, 20_000)).toBeNull();
    expect(descriptorWarning(1024, 0)).toMatch(/no ceiling/);
  });
});
