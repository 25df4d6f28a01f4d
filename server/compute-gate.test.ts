import { describe, expect, it } from "vitest";
import { AppError } from "../core/errors.js";
import { ComputeGate } from "./compute-gate.js";
import { Lru } from "./lru.js";

describe("ComputeGate", () => {
  it("runs each key once for all who ask at the same time, at most `limit` at once, and refuses the rest with E_BUSY", async () => {
    const gate = new ComputeGate(2, 250);
    let runs = 0;
    const release: (() => void)[] = [];
    const slow = (v: string) => () => new Promise<string>((resolve) => { runs++; release.push(() => resolve(v)); });
    const a = [gate.run("a", slow("A")), gate.run("a", slow("A2")), gate.run("a", slow("A3"))];
    const b = gate.run("b", slow("B"));
    const refused = await gate.run("c", slow("C")).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: "E_BUSY", retryAfterMs: 250 });
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
    expect(gate.busy).toBe(2);
    release.forEach((r) => r());
    expect(await Promise.all(a)).toEqual(["A", "A", "A"]);
    expect(await b).toBe("B");
    expect(gate.busy).toBe(0);
    // A failure is everyone's, and frees its place.
    await expect(gate.run("d", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await gate.run("d", async () => "again")).toBe("again");
  });
});

describe("Lru", () => {
  it("evicts the least recently used values beyond its budget and skips values over half of it", () => {
    const lru = new Lru<string>(10);
    lru.set("a", "a", 4);
    lru.set("b", "b", 4);
    expect(lru.get("a")).toBe("a"); // a is now the most recent
    lru.set("c", "c", 4); // 12 > 10: b goes
    expect(lru.get("b")).toBeUndefined();
    expect(lru.get("a")).toBe("a");
    expect(lru.get("c")).toBe("c");
    lru.set("big", "x", 6);
    expect(lru.get("big")).toBeUndefined();
    lru.set("a", "a2", 2);
    expect(lru.get("a")).toBe("a2");
    expect(lru.size).toBe(2);
  });
});
