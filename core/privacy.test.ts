import { describe, expect, it } from "vitest";
import { ID_PATTERN } from "@livedraw/protocol";
import { DataVault, PSEUDONYM_PATTERN, Pseudonymiser, SealError, deriveKey, parseDataKeys, privacyFromConfig } from "./privacy.js";

const key = (fill: number) => Buffer.alloc(32, fill);

describe("pseudonyms", () => {
  it("are stable, keyed, valid ids, and never contain the raw id", () => {
    const a = new Pseudonymiser(key(1));
    const b = new Pseudonymiser(key(2));
    const id = a.player("13800138000");
    expect(id).toMatch(PSEUDONYM_PATTERN);
    expect(id).toMatch(ID_PATTERN);
    expect(a.player("13800138000")).toBe(id);
    expect(b.player("13800138000")).not.toBe(id);
    expect(a.player("13800138001")).not.toBe(id);
    expect(id).not.toContain("138");
    const many = new Set(Array.from({ length: 10_000 }, (_, i) => a.player(`u${i}`)));
    expect(many.size).toBe(10_000);
  });

  it("refuse a short key", () => {
    expect(() => new Pseudonymiser(Buffer.alloc(16))).toThrow(/at least 32 bytes/);
  });
});

describe("sealed values (AES-256-GCM)", () => {
  const vault = new DataVault([{ id: "k2", key: key(2) }, { id: "k1", key: key(1) }]);

  it("round-trip, differ every time, and hide the plain text", () => {
    const a = vault.seal("张三 13800138000", "aad");
    const b = vault.seal("张三 13800138000", "aad");
    expect(a).not.toBe(b);
    expect(a.startsWith("s1.k2.")).toBe(true);
    expect(a).not.toContain("138");
    expect(vault.open(a, "aad")).toBe("张三 13800138000");
  });

  it("refuse another player's or field's AAD, a flipped bit and an unknown key", () => {
    const sealed = vault.seal("13800138000", "p1/phone");
    expect(() => vault.open(sealed, "p2/phone")).toThrow(SealError);
    const parts = sealed.split(".");
    const body = Buffer.from(parts[3]!, "base64url");
    body[0] = body[0]! ^ 1;
    expect(() => vault.open([...parts.slice(0, 3), body.toString("base64url")].join("."), "p1/phone")).toThrow(/authentication/);
    const other = new DataVault([{ id: "k9", key: key(9) }]);
    expect(() => other.open(sealed, "p1/phone")).toThrow(/key "k2"/);
    expect(() => vault.open("plain", "x")).toThrow(/not a sealed value/);
  });

  it("opens values of an older key after a rotation and says they are stale", () => {
    const old = new DataVault([{ id: "k1", key: key(1) }]);
    const sealed = old.seal("addr", "a");
    expect(vault.open(sealed, "a")).toBe("addr");
    expect(vault.isStale(sealed)).toBe(true);
    expect(vault.isStale(vault.seal("addr", "a"))).toBe(false);
  });
});

describe("key configuration", () => {
  it("parses key rings and explains bad ones", () => {
    const b64 = key(3).toString("base64");
    expect(parseDataKeys(`new:${b64}, old:${key(4).toString("base64url")}`)).toMatchObject([{ id: "new" }, { id: "old" }]);
    expect(parseDataKeys("")).toMatch(/at least one/);
    expect(parseDataKeys(`k:${Buffer.alloc(16).toString("base64")}`)).toMatch(/16 bytes; AES-256 needs 32/);
    expect(parseDataKeys(`k:${b64},k:${b64}`)).toMatch(/appears twice/);
    expect(parseDataKeys("nocolon")).toMatch(/not id:base64key/);
  });

  it("derives separate keys from the token secret only when none are configured", () => {
    const secret = "s".repeat(32);
    expect(deriveKey(secret, "a").equals(deriveKey(secret, "b"))).toBe(false);
    const derived = privacyFromConfig({ jwtSecret: secret, pseudonymKey: "", dataKeys: "" });
    expect(derived.derived).toEqual(["LIVEDRAW_PSEUDONYM_KEY", "LIVEDRAW_DATA_KEYS"]);
    const configured = privacyFromConfig({ jwtSecret: secret, pseudonymKey: "p".repeat(32), dataKeys: `k:${key(5).toString("base64")}` });
    expect(configured.derived).toEqual([]);
    expect(configured.vault.currentKeyId).toBe("k");
    expect(configured.pseudonyms.player("x")).not.toBe(derived.pseudonyms.player("x"));
  });
});
