import { describe, expect, it } from "vitest";
import { campaignKeys, campaignTag, drawKeys, openDrawsMember, parseOpenDrawsMember, parsePlayerTag, playerKeyKey, playerSealedKey, profileKey } from "./redis-keys.js";

/** The hash tag Redis Cluster hashes: the text between the first `{` and the next `}`. */
const hashTag = (key: string) => key.slice(key.indexOf("{") + 1, key.indexOf("}"));

describe("redis keys", () => {
  it("puts every key of a campaign under one hash tag", () => {
    const d = drawKeys("c42", "d1");
    const keys = [d.state, d.entrants, d.intents, campaignKeys("c42").draws];
    expect(new Set(keys.map(hashTag))).toEqual(new Set(["campaign:c42"]));
    expect(new Set(keys).size).toBe(keys.length);
    expect(d.state).toBe("ld:{campaign:c42}:draw:d1:state");
    expect(campaignTag("c42")).toBe("ld:{campaign:c42}");
  });

  it("keeps different draws and campaigns apart", () => {
    expect(drawKeys("c1", "d1").state).not.toBe(drawKeys("c1", "d2").state);
    expect(hashTag(drawKeys("c1", "d1").state)).not.toBe(hashTag(drawKeys("c2", "d1").state));
  });

  it("refuses ids that could break out of the key layout", () => {
    for (const bad of ["", "a:b", "a}b", "{x}", "a b", "x".repeat(65)]) {
      expect(() => drawKeys(bad, "d")).toThrow(/invalid campaign id/);
      expect(() => drawKeys("c", bad)).toThrow(/invalid draw id/);
    }
  });

  it("round-trips open-draw index members", () => {
    expect(parseOpenDrawsMember(openDrawsMember("c-1", "d_2"))).toEqual({ campaignId: "c-1", drawId: "d_2" });
    expect(parseOpenDrawsMember("a/b/c")).toBeNull();
    expect(parseOpenDrawsMember("nope")).toBeNull();
  });

  it("keeps a player's profile, data key and sealed-value index on one slot (erasure deletes them in one transaction)", () => {
    const p = "pAbCdEfGhIjKlMnOpQrStUv";
    const keys = [profileKey(p), playerKeyKey(p), playerSealedKey(p)];
    expect(new Set(keys.map(hashTag))).toEqual(new Set([p]));
    for (const k of keys) expect(parsePlayerTag(k)).toBe(p);
    expect(parsePlayerTag(`${campaignTag("c")}:wins`)).toBeNull();
  });
});
