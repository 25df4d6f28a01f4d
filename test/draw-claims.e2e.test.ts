/**
 * Claim windows of live-draw prizes (1 node, 1 worker, SDK players): a winner claims within the
 * window counted from their tier's reveal; the host may redraw only a winner whose window ended
 * unclaimed (a claimed prize, or one still in its window, is refused with its code); a late claim is
 * refused. Draws without a window keep the immediate redraw (covered by the other draw tests).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DrawSnapshot } from "@livedraw/protocol";
import { Harness, http, uniqueId, type NodeProcess } from "./harness.js";

type ErrorBody = { error: { code: string; message: string } };

describe("live-draw claim windows", () => {
  const h = new Harness();
  let node: NodeProcess;
  let hostToken: string;

  beforeAll(async () => {
    await h.startRedis();
    node = await h.startNode({ LIVEDRAW_MIN_DURATION_MS: "300" });
    await h.startWorker();
    hostToken = await h.hostToken();
  });
  afterAll(() => h.cleanup());

  /** Opens a draw, enters the players, waits until it is done (auto-reveal); returns the winners' entries and whose they are. */
  async function runDraw(campaignId: string, winners: number, claimWindowSeconds: number) {
    const drawId = uniqueId("d");
    const opened = await http(`${node.url}/v1/campaigns/${campaignId}/draws`, { token: hostToken, body: { drawId, durationMs: 400, winners, claimWindowSeconds } });
    expect(opened.status).toBe(201);
    const players = await Promise.all(Array.from({ length: 6 }, (_, i) => h.player(node.url, `${drawId}-p${i}`)));
    const done = Promise.all(players.map((p) => new Promise<void>((resolve) => p.on("draw:done", () => resolve()))));
    await Promise.all(players.map((p) => p.subscribe(campaignId)));
    const entries = await Promise.all(players.map((p) => p.enter(campaignId, drawId)));
    await done;
    const snap = (await http<DrawSnapshot>(`${node.url}/v1/campaigns/${campaignId}/draws/${drawId}`)).body;
    const winnerIds = snap.revealed.flatMap((t) => t.winners.map((w) => w.intentId));
    const owner = (intentId: string) => players[entries.findIndex((e) => e.intentId === intentId)]!;
    const loser = players[entries.findIndex((e) => !winnerIds.includes(e.intentId))]!;
    return { drawId, tierId: snap.revealed[0]!.tierId, winnerIds, owner, loser };
  }

  const redraw = (campaignId: string, drawId: string, tierId: string, replaces: string) =>
    http<ErrorBody>(`${node.url}/v1/campaigns/${campaignId}/draws/${drawId}/redraw`, { token: hostToken, body: { tierId, replaces } });

  it("a claimed prize cannot be redrawn; an unclaimed one only after its window; a late claim is refused", async () => {
    const campaignId = uniqueId("stage");
    const d = await runDraw(campaignId, 2, 2);
    const [claimedId, idleId] = d.winnerIds as [string, string];

    // The first winner claims (twice: the same answer); a loser cannot.
    const claim = await d.owner(claimedId).claimDrawPrize(campaignId, d.drawId);
    expect(claim).toMatchObject({ campaignId, drawId: d.drawId, intentId: claimedId, tierId: d.tierId });
    expect(claim.deadline! - claim.claimedAt).toBeLessThanOrEqual(2000);
    expect(await d.owner(claimedId).claimDrawPrize(campaignId, d.drawId)).toEqual(claim);
    await expect(d.loser.claimDrawPrize(campaignId, d.drawId)).rejects.toMatchObject({ code: "E_NOT_A_WINNER" });

    // Within the window: neither can be redrawn.
    const early = await redraw(campaignId, d.drawId, d.tierId, idleId);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe("E_CLAIM_WINDOW_OPEN");
    expect((await redraw(campaignId, d.drawId, d.tierId, claimedId)).body.error.code).toBe("E_PRIZE_CLAIMED");

    // The window ends (a deadline, not an event: wait it out).
    await new Promise((r) => setTimeout(r, Math.max(0, claim.deadline! - Date.now()) + 300));
    await expect(d.owner(idleId).claimDrawPrize(campaignId, d.drawId)).rejects.toMatchObject({ code: "E_CLAIM_WINDOW_CLOSED" });
    expect((await redraw(campaignId, d.drawId, d.tierId, claimedId)).body.error.code).toBe("E_PRIZE_CLAIMED");
    const late = await redraw(campaignId, d.drawId, d.tierId, idleId);
    expect(late.status).toBe(200);
    const after = (await http<DrawSnapshot>(`${node.url}/v1/campaigns/${campaignId}/draws/${d.drawId}`)).body;
    const now = after.revealed.flatMap((t) => t.winners.map((w) => w.intentId));
    expect(now).toContain(claimedId);
    expect(now).not.toContain(idleId);
    // The winner the redraw picked has a full window of their own, from the redraw.
    const picked = now.find((id) => id !== claimedId)!;
    const theirs = await d.owner(picked).claimDrawPrize(campaignId, d.drawId);
    expect(theirs.deadline! - theirs.claimedAt).toBeGreaterThan(1000);
  });
});
