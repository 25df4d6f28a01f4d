import { describe, expect, it } from "vitest";
import { COMPLIANCE_RULES, compliancePolicy, parseCampaign, type CompliancePolicy } from "./campaign.js";
import { AppError } from "./errors.js";
import { CLAIM, liveCampaign } from "../test/fixtures.js";

const POLICY: CompliancePolicy = {
  minTierProbability: 0.01,
  maxTierProbability: 0.5,
  maxTotalProbability: 1,
  prizeValueCapYuan: 50_000,
  requirePrizeTerms: true,
  defaultPlatform: "web",
  defaultInviteTickets: 1,
};

function refusal(raw: unknown, policy = POLICY): AppError {
  try {
    parseCampaign(raw, policy);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("the campaign was accepted");
}

const withTier = (value: number | undefined) =>
  liveCampaign("c1", { tiers: [{ tierId: "car", name: "A car", probability: 0.01, inventory: 1, ...(value === undefined ? {} : { value }) }] });

describe("compliance policy", () => {
  it("refuses a top prize over the cap, naming rule prize-value-cap and the tier", () => {
    const err = refusal(withTier(50_000.01));
    expect(err.code).toBe("E_POLICY_VIOLATION");
    expect(err.message).toBe('rule prize-value-cap: tier car ("A car"): value ¥50,000.01 exceeds the cap of ¥50,000 per prize');
    // At the cap is allowed; a higher cap (or 0, off) lets it through.
    expect(parseCampaign(withTier(50_000), POLICY).stored.tiers[0]!.value).toBe(50_000);
    expect(parseCampaign(withTier(80_000), { ...POLICY, prizeValueCapYuan: 100_000 }).stored.tiers[0]!.value).toBe(80_000);
    expect(parseCampaign(withTier(80_000), { ...POLICY, prizeValueCapYuan: 0 }).stored.tiers[0]!.value).toBe(80_000);
  });

  it("requires prize values and claim conditions (rule prize-terms-published), and publishes them", () => {
    expect(refusal(withTier(undefined)).message).toBe('rule prize-terms-published: tier car ("A car"): give the prize\'s value in yuan (value)');
    const { claim: _claim, ...noClaim } = liveCampaign("c1");
    expect(refusal(noClaim).message).toBe("rule prize-terms-published: claim: give the claim conditions (windowHours, conditions)");
    // Off by policy: accepted, published as unknown.
    expect(parseCampaign(noClaim, { ...POLICY, requirePrizeTerms: false }).stored.claim).toBeNull();
    const { stored } = parseCampaign(liveCampaign("c1"), POLICY);
    expect(stored.claim).toEqual({ ...CLAIM, issueWithinSeconds: 600 });
    expect(stored.tiers.map((t) => [t.tierId, t.value, t.prize.kind])).toEqual([["gold", 500, "onsite"], ["silver", 20, "onsite"]]);
  });

  it("on platform=wechat refuses tickets for shares and invites (rule wechat-no-tickets-for-sharing), allows points", () => {
    const share = refusal(liveCampaign("c1", { platform: "wechat", tasks: { share: { tickets: 1 } } }));
    expect(share.code).toBe("E_POLICY_VIOLATION");
    expect(share.message).toMatch(/^rule wechat-no-tickets-for-sharing: tasks\.share\.tickets is 1: /);
    const invite = refusal(liveCampaign("c1", { platform: "wechat", tasks: { invite: { tickets: 2 } } }));
    expect(invite.message).toMatch(/^rule wechat-no-tickets-for-sharing: tasks\.invite\.tickets is 2: /);
    // The node's default platform counts too.
    expect(refusal(liveCampaign("c1", { tasks: { share: { tickets: 1 } } }), { ...POLICY, defaultPlatform: "wechat" }).message).toContain("rule wechat-no-tickets-for-sharing");
    // Points for shares are fine, and the default invite reward on WeChat is 0 tickets (elsewhere the node's default).
    const ok = parseCampaign(liveCampaign("c1", { platform: "wechat", tasks: { share: { points: 5 } } }), POLICY).stored;
    expect(ok.tasks).toEqual({ checkin: { tickets: 1, streakBonus: null }, share: { tickets: 0, points: 5, perDay: 3 }, invite: { tickets: 0 } });
    expect(parseCampaign(liveCampaign("c1", { tasks: { share: { tickets: 1 } } }), POLICY).stored.tasks.invite.tickets).toBe(1);
  });

  it("lists every problem at once, each with its rule", () => {
    const err = refusal(
      liveCampaign("c1", {
        platform: "wechat",
        tasks: { share: { tickets: 1 } },
        tiers: [
          { tierId: "a", name: "A", probability: 0.9, inventory: 1, value: 1 },
          { tierId: "b", name: "B", probability: 0.3, inventory: 1, value: 60_000 },
        ],
      }),
    );
    const rules = [...err.message.matchAll(/rule ([a-z-]+):/g)].map((m) => m[1]);
    expect(rules).toEqual(["tier-probability-bounds", "prize-value-cap", "total-probability-cap", "wechat-no-tickets-for-sharing"]);
    for (const r of rules) expect(Object.keys(COMPLIANCE_RULES)).toContain(r);
  });
});

describe("rule webhook-address", () => {
  const hook = (url: string) =>
    liveCampaign("c1", { tiers: [{ tierId: "vip", name: "Voucher", probability: 0.1, inventory: 1, value: 10, prize: { kind: "webhook", url } }] });
  const withHooks = { ...POLICY, webhookPrizes: true };
  const CONFIG = { tierMinProbability: 0.01, tierMaxProbability: 0.5, maxTotalProbability: 1, prizeValueCapYuan: 50_000, requirePrizeTerms: true, platform: "web" as const, ticketsPerAssist: 1 };

  it("refuses an internal partner URL in parseCampaign, naming the rule, the tier and the address class", () => {
    const err = refusal(hook("http://169.254.169.254/latest/meta-data/"), withHooks);
    expect(err.code).toBe("E_POLICY_VIOLATION");
    expect(err.message).toBe('rule webhook-address: tier vip ("Voucher"): prize.url: 169.254.169.254 is a link-local address (169.254.0.0/16, cloud metadata)');
    expect(Object.keys(COMPLIANCE_RULES)).toContain("webhook-address");
  });

  it("accepts a public https partner; the operator's allow list admits a local one", () => {
    expect(parseCampaign(hook("https://partner.example.com/issue"), withHooks).stored.tiers[0]!.prize).toEqual({ kind: "webhook", url: "https://partner.example.com/issue" });
    expect(refusal(hook("http://127.0.0.1:8080/issue"), withHooks).message).toMatch(/^rule webhook-address: .*loopback/);
    const local = compliancePolicy({ ...CONFIG, webhookSecret: "x".repeat(32), webhookAllowHosts: "127.0.0.1" });
    expect(parseCampaign(hook("http://127.0.0.1:8080/issue"), local).stored.tiers[0]!.prize.kind).toBe("webhook");
  });
});
