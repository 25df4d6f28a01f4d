/**
 * Known-answer vector: the worked example of docs/fairness.md ("Proof bundle"), rebuilt from its
 * inputs. If this test fails, the algorithm changed — bump ALGORITHM_VERSION and the document.
 */
import { describe, expect, it } from "vitest";
import { appendAuditRecord, type AuditRecord } from "./audit.js";
import { fromHex } from "./bytes.js";
import { ALGORITHM_VERSION } from "./constants.js";
import { campaignCreatedData, drawClosedData, drawDrawnData, drawOpenedData, drawRedrawnData, drawRevealedData, drawTierRevealedData } from "./draw-audit.js";
import { tierCommitments } from "./tier-commitment.js";
import { DRAND_QUICKNET } from "./drand.js";
import { buildProofBundle, computeDraw } from "./prove.js";
import { applyRedraws } from "./redraw.js";
import { commitToSeed, pseudonymousEntryId } from "./seed.js";
import { verifyBundle } from "./verify.js";

// Salt and winnersHash of tiers grand and second, also recomputed independently (Python hashlib/hmac).
const PINNED_COMMITMENTS: [string, string][] = [
  ["32bf0113d3015b5ccd0c95597d2396c2d1db3e0825ac5d7290b51a1fdccac39d", "9dd723dccb278c8ac6a00daf22c2caae3d0024d430cb82bad16b53b2483af662"],
  ["8133875803ac9d26bfe48dd23b9bb8ee4fded01f76126af97ab2af5995abac2c", "c913d79b4168cab2554c4a3b0b98eae7819f76742e32f0db155c5e985899d7e7"],
];
// The chain's last hash, also recomputed independently (Python json with sorted keys + hashlib).
const PINNED_LAST_HASH = "dc05b979629d9479dc2af61d8adc994dcf64b712429668f76db31b8e0415f0db";

describe("the documented example", () => {
  it("reproduces every published value", () => {
    const key = new Uint8Array(32).fill(1);
    const drawId = "draw-1";
    const campaignId = "spring-gala";
    const serverSeed = "5e".repeat(32);
    const tiers = [{ tierId: "grand", count: 1 }, { tierId: "second", count: 1 }];
    // real quicknet round 1000: Bas3d-Labs/drand-quicknet-evm, contracts/test/fixtures/quicknet-kat.json
    const beacon = {
      chainHash: DRAND_QUICKNET.hash!,
      round: 1000,
      signature: "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39",
      randomness: "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd",
    };
    const entries = [0, 1, 2].map((i) => ({ id: pseudonymousEntryId(key, drawId, `p${i}`), tickets: i + 1 }));
    const log: AuditRecord[] = [];
    const add = (type: string, at: string, data: Parameters<typeof appendAuditRecord>[3]): void => void log.push(appendAuditRecord(log.at(-1) ?? null, type, at, data));
    add("campaign.created", "2023-08-23T15:00:00.000Z", campaignCreatedData(campaignId));
    add("draw.opened", "2023-08-23T15:20:00.000Z", drawOpenedData({ drawId, version: ALGORITHM_VERSION, commitment: commitToSeed(serverSeed), weighted: true, tiers, beacon }));
    const outcome = computeDraw({ drawId, serverSeed, weighted: true, entries, tiers, beaconRandomness: beacon.randomness });
    add("draw.closed", "2023-08-23T15:50:00.000Z", drawClosedData({ drawId, ...outcome }));
    const commitments = tierCommitments(serverSeed, drawId, outcome.winners);
    add("draw.drawn", "2023-08-23T16:00:00.000Z", drawDrawnData(drawId, commitments));
    add("draw.tier-revealed", "2023-08-23T16:05:00.000Z", drawTierRevealedData(drawId, commitments[0]!));
    add("draw.tier-revealed", "2023-08-23T16:10:00.000Z", drawTierRevealedData(drawId, commitments[1]!));
    const requests = [{ tierId: "second", replaces: outcome.winners[1]!.entryIds[0]! }];
    const { redraws } = applyRedraws(fromHex(outcome.drawSeed), outcome.entries, outcome.winners, requests);
    add("draw.redrawn", "2023-08-30T00:00:00.000Z", drawRedrawnData(drawId, redraws[0]!));
    add("draw.revealed", "2023-08-30T00:00:01.000Z", drawRevealedData({ drawId, serverSeed }));
    const bundle = buildProofBundle({ campaignId, drawId, serverSeed, weighted: true, entries, tiers, beacon, redraws: requests, audit: log });

    const A = "3282137330b1847da9b94c6e770f5d5c7010b234bb878f4d8eef7a8c54b2762d";
    const B = "396870e8704f7cfda3df269a5ac9599e775bf9851feec93f95cc48f04eddaf0a";
    const C = "4122bf374cb86d85fff2d3d0be5844bef1517b2b5275427b4691d8467e6fa96a";
    expect(bundle.commitment).toBe("9985b2e4b9b71b28ce59ea5ce77f0b110637b625c6d7f41e982c9510940a2056");
    expect(bundle.entries).toEqual([{ id: A, tickets: 3 }, { id: B, tickets: 1 }, { id: C, tickets: 2 }]);
    expect(bundle.merkleRoot).toBe("fa2eab7b1bcc225183134be3662a3395513fa12bf0ce046186926091f53d73d1");
    expect(bundle.drawSeed).toBe("d496ba9d6cc41f3c2d3993db7eeb817d9e6a7df35aad4fcf58fde0072b3e7e14");
    expect(bundle.winners).toEqual([{ tierId: "grand", entryIds: [A] }, { tierId: "second", entryIds: [C] }]);
    expect(bundle.redraws).toEqual([{ index: 0, tierId: "second", replaces: C, entryId: B }]);
    expect(commitments.map((c) => [c.salt, c.winnersHash])).toEqual(PINNED_COMMITMENTS);
    expect(bundle.audit.at(-1)!.hash).toBe(PINNED_LAST_HASH);
    expect(verifyBundle(bundle)).toMatchObject({ ok: true });
  });
});
