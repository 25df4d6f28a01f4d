/**
 * Host tokens scoped to campaigns (the `campaigns` claim): such a token runs draws and campaigns it
 * names and is refused (E_FORBIDDEN, nothing changes) everywhere else; an unscoped host token still
 * acts on every campaign.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveCampaign } from "./fixtures.js";
import { Harness, http, tokens, uniqueId, type NodeProcess } from "./harness.js";

describe("host token scope", () => {
  const h = new Harness();
  let node: NodeProcess;
  beforeAll(async () => {
    await h.startRedis();
    node = await h.startNode();
  });
  afterAll(() => h.cleanup());

  it("acts only on the campaigns the token names", async () => {
    const mine = uniqueId("mine");
    const theirs = uniqueId("theirs");
    const scoped = await tokens.sign({ sub: "host-scoped", role: "host", campaigns: [mine] }, 600);
    const draw = { durationMs: 5000, winners: 1, title: "Scoped" };
    // A campaign with no draw and no configuration does not exist (404): it has no draws.
    const list = async (c: string) => {
      const res = await http<{ draws: unknown[] }>(`${node.url}/v1/campaigns/${c}/draws`);
      return res.status === 404 ? 0 : res.body.draws.length;
    };

    expect((await http(`${node.url}/v1/campaigns/${mine}/draws`, { token: scoped, body: draw })).status).toBe(201);
    const refused = await http<{ error: { code: string; message: string } }>(`${node.url}/v1/campaigns/${theirs}/draws`, { token: scoped, body: draw });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("E_FORBIDDEN");
    expect(refused.body.error.message).toContain(`only on campaigns ${mine}, not ${theirs}`);
    expect(await list(theirs)).toBe(0);

    // Instant-win campaigns: creating one outside the scope is refused before anything is stored.
    const created = await http<{ error: { code: string } }>(`${node.url}/v1/campaigns`, { token: scoped, body: liveCampaign(theirs) });
    expect(created.status).toBe(403);
    expect((await http(`${node.url}/v1/campaigns/${theirs}/rules`)).status).toBe(404);
    expect((await http(`${node.url}/v1/campaigns`, { token: scoped, body: liveCampaign(mine) })).status).toBe(201);
    expect((await http(`${node.url}/v1/campaigns/${theirs}/stats`, { token: scoped })).status).toBe(403);

    // An unscoped host token acts on both.
    const global = await h.hostToken();
    expect((await http(`${node.url}/v1/campaigns/${theirs}/draws`, { token: global, body: draw })).status).toBe(201);
    expect(await list(theirs)).toBe(1);
  });
});
