import { describe, expect, it } from "vitest";
import { ID_PATTERN } from "@livedraw/protocol";
import { DataVault, PSEUDONYM_PATTERN, Pseudonymiser, SealError, SealedOpener, deriveKey, newPlayerKey, openForPlayer, parseDataKeys, privacyFromConfig, sealForPlayer, sealedWith } from "./privacy.js";

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

describe("per-player data keys (crypto-shredding)", () => {
  const ring = new DataVault([{ id: "k2", key: key(2) }, { id: "k1", key: key(1) }]);
  const player = "pAAAAAAAAAAAAAAAAAAAAAA";

  it("wrap with the ring's current key, bound to the player; unwrap with any ring key", () => {
    const pk = newPlayerKey();
    const wrapped = ring.wrap(player, pk);
    expect(wrapped).toMatch(/^k1\.[A-Za-z0-9_-]{11}\.k2\./);
    expect(wrapped).not.toContain(pk.key.toString("base64url"));
    expect(ring.unwrap(player, wrapped)).toEqual(pk);
    expect(ring.isStale(wrapped)).toBe(false);
    expect(() => ring.unwrap("pBBBBBBBBBBBBBBBBBBBBBB", wrapped)).toThrow(SealError);
    const old = new DataVault([{ id: "k1", key: key(1) }]).wrap(player, pk);
    expect(ring.isStale(old)).toBe(true);
    expect(ring.unwrap(player, old)).toEqual(pk);
    expect(() => new DataVault([{ id: "k9", key: key(9) }]).unwrap(player, wrapped)).toThrow(/not in LIVEDRAW_DATA_KEYS/);
  });

  it("seal values that only their own key opens", () => {
    const pk = newPlayerKey();
    const sealed = sealForPlayer(pk, "上海市浦东新区世纪大道100号", "aad");
    expect(sealedWith(sealed)).toEqual({ kind: "player", keyId: pk.id });
    expect(openForPlayer(pk, sealed, "aad")).toBe("上海市浦东新区世纪大道100号");
    expect(() => openForPlayer(pk, sealed, "other")).toThrow(/authentication/);
    expect(() => openForPlayer(newPlayerKey(), sealed, "aad")).toThrow(/another player key/);
    expect(() => openForPlayer({ id: pk.id, key: key(3) }, sealed, "aad")).toThrow(/authentication/);
    expect(sealedWith(ring.seal("x", "a"))).toEqual({ kind: "ring", keyId: "k2" });
    expect(sealedWith("plain")).toBeNull();
  });

  it("read as erased once the key is gone or replaced, never as an error", () => {
    const pk = newPlayerKey();
    const sealed = sealForPlayer(pk, "13912345001", "aad");
    expect(new SealedOpener(ring, new Map([[player, pk]])).open(player, sealed, "aad")).toEqual({ state: "open", text: "13912345001" });
    expect(new SealedOpener(ring, new Map([[player, null]])).open(player, sealed, "aad")).toEqual({ state: "erased" });
    expect(new SealedOpener(ring, new Map()).open(player, sealed, "aad")).toEqual({ state: "erased" });
    expect(new SealedOpener(ring, new Map([[player, newPlayerKey()]])).open(player, sealed, "aad")).toEqual({ state: "erased" });
    expect(new SealedOpener(ring, new Map([[player, pk]])).open(player, sealed, "wrong")).toEqual({ state: "unreadable" });
    // A key no ring key unwraps (a ring key left out of LIVEDRAW_DATA_KEYS) is not an erasure.
    expect(new SealedOpener(ring, new Map([[player, "unreadable" as const]])).open(player, sealed, "aad")).toEqual({ state: "unreadable" });
    // Values sealed by the ring itself (before per-player keys) still open.
    expect(new SealedOpener(ring, new Map()).open(player, ring.seal("legacy", "aad"), "aad")).toEqual({ state: "open", text: "legacy" });
    expect(new SealedOpener(ring, new Map()).open(player, "garbage", "aad")).toEqual({ state: "unreadable" });
  });
});
