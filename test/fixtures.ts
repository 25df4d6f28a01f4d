import type { CampaignInput } from "../core/campaign.js";

const HOUR = 3_600_000;

/** Claim conditions every test campaign publishes (rule `prize-terms-published`). */
export const CLAIM = { windowHours: 72, conditions: "Show the redemption code at the prize desk within 72 hours." };

/** An instant-win campaign that is live now (an hour in), with two tiers and generous limits. */
export function liveCampaign(campaignId: string, overrides: Partial<CampaignInput> = {}): CampaignInput {
  const now = Date.now();
  return {
    campaignId,
    title: "Spin to win",
    rules: "One spin a day.",
    schedule: { warmupAt: now - 2 * HOUR, liveAt: now - HOUR, longTailAt: now + HOUR, closedAt: now + 2 * HOUR },
    tiers: [
      { tierId: "gold", name: "Gold", probability: 0.01, inventory: 5, value: 500 },
      { tierId: "silver", name: "Silver", probability: 0.1, inventory: 100, value: 20 },
    ],
    claim: CLAIM,
    limits: { spinsPerDay: 1000, spinsPerCampaign: 1000, winsPerCampaign: 1000 },
    freeSpins: 1000,
    ...overrides,
  };
}
