import { describe, expect, it } from "vitest";
import { DRAND_MAINNET_DEFAULT, DRAND_QUICKNET, parseDrandChainInfo, verifyDrandBeacon } from "./drand.js";

/*
 * Real beacons of drand's League of Entropy production chains, recorded by others (never invented):
 *
 * quicknet chain info (bls-unchained-g1-rfc9380): drand/tlock, networks/fixed/fixed_test.go
 *   (the "quicknet" `/info` JSON).
 * quicknet rounds 1000 and 20791007 with signature and randomness: Bas3d-Labs/drand-quicknet-evm,
 *   contracts/test/fixtures/quicknet-kat.json (responses of api.drand.sh and api2.drand.sh).
 *
 * default mainnet chain info (pedersen-bls-chained): drand/drand-client, test/data.ts
 *   (`validTestChainInfo`, "a chain info taken from the mainnet").
 * default mainnet round 1 and round 1000 (with previous signatures; randomness of round 1 and
 *   round 1000): drand/drand-client, test/data.ts (`validTestBeacon`, `validV2BeaconResponse`,
 *   `validV2BeaconNormalised`).
 * default mainnet round 72785: noislabs/drand-verify, src/verify.rs (`verify_works`,
 *   "curl -sS https://drand.cloudflare.com/public/72785").
 * default mainnet round 2634945: drand/drand, crypto/schemes_test.go (`TestVerifyBeacon`).
 */
const QUICKNET_INFO = {
  public_key:
    "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
  period: 3,
  genesis_time: 1692803367,
  genesis_seed: "f477d5c89f21a17c863a7f937c6a6d15859414d2be09cd448d4279af331c5d3e",
  chain_hash: "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
  scheme: "bls-unchained-g1-rfc9380",
  beacon_id: "quicknet",
};
const QUICKNET_ROUNDS = [
  {
    round: 1000,
    signature: "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39",
    randomness: "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd",
  },
  {
    round: 20791007,
    signature: "8d2c8bbc37170dbacc5e280a21d4e195cff5f32a19fd6a58633fa4e4670478b5fb39bc13dd8f8c4372c5a76191198ac5",
    randomness: "f4ad45db792e14676c62891989b804504e09bf0029cd472143d958649ab3c88a",
  },
];

const MAINNET_INFO = {
  public_key: "868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31",
  period: 30,
  genesis_time: 1595431050,
  hash: "8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce",
  groupHash: "176f93498eac9ca337150b46d21dd58673ea4e3581185f869672e59fa4cb390a",
  schemeID: "pedersen-bls-chained",
  metadata: { beaconID: "default" },
};
const MAINNET_ROUNDS = [
  {
    round: 1,
    randomness: "101297f1ca7dc44ef6088d94ad5fb7ba03455dc33d53ddb412bbc4564ed986ec",
    signature:
      "8d61d9100567de44682506aea1a7a6fa6e5491cd27a0a0ed349ef6910ac5ac20ff7bc3e09d7c046566c9f7f3c6f3b10104990e7cb424998203d8f7de586fb7fa5f60045417a432684f85093b06ca91c769f0e7ca19268375e659c2a2352b4655",
    previous_signature: "176f93498eac9ca337150b46d21dd58673ea4e3581185f869672e59fa4cb390a",
  },
  {
    round: 1000,
    randomness: "a40d3e0e7e3c71f28b7da2fd339f47f0bcf10910309f5253d7c323ec8cea3212",
    signature:
      "99bf96de133c3d3937293cfca10c8152b18ab2d034ccecf115658db324d2edc00a16a2044cd04a8a38e2a307e5ecff3511315be8d282079faf24098f283e0ed2c199663b334d2e84c55c032fe469b212c5c2087ebb83a5b25155c3283f5b79ac",
    previous_signature:
      "af0d93299a363735fe847f5ea241442c65843dc1bd3a7b79646b3b10072e908bf034d35cd69d378e3341f139100cd4cd03030399864ef8803a5a4f5e64fccc20bbae36d1ca22a6ddc43d2630c41105e90598fab11e5c7456df3925d4b577b113",
  },
  {
    round: 72785,
    randomness: null,
    signature:
      "82f5d3d2de4db19d40a6980e8aa37842a0e55d1df06bd68bddc8d60002e8e959eb9cfa368b3c1b77d18f02a54fe047b80f0989315f83b12a74fd8679c4f12aae86eaf6ab5690b34f1fddd50ee3cc6f6cdf59e95526d5a5d82aaa84fa6f181e42",
    previous_signature:
      "a609e19a03c2fcc559e8dae14900aaefe517cb55c840f6e69bc8e4f66c8d18e8a609685d9917efbfb0c37f058c2de88f13d297c7e19e0ab24813079efe57a182554ff054c7638153f9b26a60e7111f71a0ff63d9571704905d3ca6df0b031747",
  },
  {
    round: 2634945,
    randomness: null,
    signature:
      "814778ed1e480406beb43b74af71ce2f0373e0ea1bfdfea8f9ed62c876c20fcbc7f0163860e3da42ed2148756015f4551451898ffe06d384b4d002245025571b6b7a752f7158b40ad92b13b6d703ad31922a617f2c7f6d960b84d56cf1d79eef",
    previous_signature:
      "8bd96294383b4d1e04e736360bd7a487f9f409f1e7bd800b720656a310d577b3bdb1e1631af6c5782a1d8979c502f395036181eff4058960fc40bb7034cdae1991d3eda518ab204a077d2f7e724974cf87b407e549bd815cf0b8e5a3832f675d",
  },
];

/** Flips one bit of a hex string (bit 0 of the byte at `byteIndex`). */
function flipBit(hex: string, byteIndex: number): string {
  const byte = parseInt(hex.slice(byteIndex * 2, byteIndex * 2 + 2), 16) ^ 0x01;
  return hex.slice(0, byteIndex * 2) + byte.toString(16).padStart(2, "0") + hex.slice(byteIndex * 2 + 2);
}

describe("drand quicknet (bls-unchained-g1-rfc9380)", () => {
  it("reads the recorded /info and matches the built-in chain", () => {
    const chain = parseDrandChainInfo(QUICKNET_INFO);
    expect(chain).toEqual(DRAND_QUICKNET);
  });

  it.each(QUICKNET_ROUNDS)("verifies real round $round and derives its published randomness", ({ round, signature, randomness }) => {
    expect(verifyDrandBeacon(QUICKNET_INFO, round, signature)).toEqual({ ok: true, randomness });
  });

  it("rejects a flipped signature bit, a wrong round and a wrong public key", () => {
    const { round, signature } = QUICKNET_ROUNDS[0]!;
    for (const byteIndex of [0, 20, 47]) expect(verifyDrandBeacon(QUICKNET_INFO, round, flipBit(signature, byteIndex)).ok).toBe(false);
    expect(verifyDrandBeacon(QUICKNET_INFO, round + 1, signature).ok).toBe(false);
    expect(verifyDrandBeacon(QUICKNET_INFO, QUICKNET_ROUNDS[1]!.round, signature).ok).toBe(false);
    // another valid-looking key: flip a bit of the real one (usually not even a curve point) ...
    expect(verifyDrandBeacon({ ...QUICKNET_INFO, public_key: flipBit(QUICKNET_INFO.public_key, 95) }, round, signature).ok).toBe(false);
    // ... and the real key of another chain, used with this scheme's lengths refused outright
    expect(verifyDrandBeacon({ ...QUICKNET_INFO, public_key: MAINNET_INFO.public_key }, round, signature).ok).toBe(false);
  });
});

describe("drand default mainnet (pedersen-bls-chained)", () => {
  it("reads the recorded /info and matches the built-in chain", () => {
    expect(parseDrandChainInfo(MAINNET_INFO)).toEqual(DRAND_MAINNET_DEFAULT);
  });

  it.each(MAINNET_ROUNDS)("verifies real round $round", ({ round, signature, previous_signature, randomness }) => {
    const result = verifyDrandBeacon(MAINNET_INFO, round, signature, previous_signature);
    expect(result.ok).toBe(true);
    if (randomness !== null) expect(result).toEqual({ ok: true, randomness });
  });

  it("rejects a flipped bit, a wrong round, a wrong previous signature, a missing one and a wrong key", () => {
    const { round, signature, previous_signature } = MAINNET_ROUNDS[2]!;
    expect(verifyDrandBeacon(MAINNET_INFO, round, flipBit(signature, 50), previous_signature).ok).toBe(false);
    expect(verifyDrandBeacon(MAINNET_INFO, 321, signature, previous_signature).ok).toBe(false);
    expect(verifyDrandBeacon(MAINNET_INFO, round, signature, flipBit(previous_signature, 0)).ok).toBe(false);
    expect(verifyDrandBeacon(MAINNET_INFO, round, signature).ok).toBe(false);
    // a real signature of another round (round 1's) is a valid point but not this round's signature
    expect(verifyDrandBeacon(MAINNET_INFO, round, MAINNET_ROUNDS[0]!.signature, previous_signature).ok).toBe(false);
    expect(verifyDrandBeacon({ ...MAINNET_INFO, public_key: flipBit(MAINNET_INFO.public_key, 47) }, round, signature, previous_signature).ok).toBe(false);
  });
});

describe("chain info", () => {
  it("refuses unknown schemes and malformed keys", () => {
    expect(parseDrandChainInfo({ ...QUICKNET_INFO, scheme: "bls-bn254-unchained-on-g1" })).toMatch(/unsupported/);
    expect(parseDrandChainInfo({ ...QUICKNET_INFO, public_key: "00" })).toMatch(/public key/);
    expect(parseDrandChainInfo(null)).toMatch(/object/);
    expect(verifyDrandBeacon(QUICKNET_INFO, 0, QUICKNET_ROUNDS[0]!.signature).ok).toBe(false);
  });
});
