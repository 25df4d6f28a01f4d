import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { STRICT_WEBHOOK_POLICY, checkedLookup, webhookPolicy } from "../core/webhook-policy.js";
import { PartnerGate, partnerOf, postWebhook, webhookFailureText } from "./webhook-delivery.js";

describe("PartnerGate: per-partner concurrency and circuit breaker", () => {
  const gate = () => new PartnerGate({ concurrency: 2, failures: 3, cooldownMs: 10_000, maxBusyDelayMs: 1000 });

  it("lets `concurrency` deliveries through per partner, others are told when to come back", () => {
    const g = gate();
    expect(g.acquire("a", 0).ok).toBe(true);
    expect(g.acquire("a", 0).ok).toBe(true);
    const third = g.acquire("a", 0);
    expect(third).toMatchObject({ ok: false, reason: "busy" });
    expect(!third.ok && third.retryAt).toBeGreaterThanOrEqual(20);
    expect(g.acquire("b", 0).ok).toBe(true); // another partner is not held up
    g.release("a", true, 1);
    expect(g.acquire("a", 1).ok).toBe(true);
  });

  it("sends a busy partner's deliveries back for about one of its delivery times (20 ms to the maximum)", () => {
    // A fast partner (5 ms deliveries): back in 20–40 ms.
    const g = gate();
    g.acquire("p", 0);
    g.release("p", true, 5, 0); // the first sample sets the average
    g.acquire("p", 10);
    g.acquire("p", 10);
    const fast = g.acquire("p", 10);
    expect(!fast.ok && fast.retryAt - 10).toBeGreaterThanOrEqual(20);
    expect(!fast.ok && fast.retryAt - 10).toBeLessThan(40);
    // A hanging partner, before any of its deliveries ended: the age of the oldest in flight counts.
    const h = new PartnerGate({ concurrency: 1, failures: 100, cooldownMs: 10_000, maxBusyDelayMs: 1000 });
    expect(h.acquire("hang", 0).ok).toBe(true);
    const early = h.acquire("hang", 10);
    expect(!early.ok && early.retryAt - 10).toBeLessThan(40);
    const later = h.acquire("hang", 3000);
    expect(!later.ok && later.retryAt - 3000).toBeGreaterThanOrEqual(1000);
    expect(!later.ok && later.retryAt - 3000).toBeLessThan(2000);
    // Once it ended (8 s), the average says the same.
    h.release("hang", false, 8000, 0);
    h.acquire("hang", 8000);
    const after = h.acquire("hang", 8000);
    expect(!after.ok && after.retryAt - 8000).toBeGreaterThanOrEqual(1000);
  });

  it("opens after `failures` failures in a row, lets one trial through after the cool-down, closes on its success", () => {
    const g = gate();
    for (let i = 0; i < 2; i++) {
      expect(g.acquire("a", i).ok).toBe(true);
      expect(g.release("a", false, i)).toBe(false);
    }
    expect(g.acquire("a", 2).ok).toBe(true);
    expect(g.release("a", false, 2)).toBe(true); // the third opens it
    expect(g.isOpen("a", 3)).toBe(true);
    const held = g.acquire("a", 5000);
    expect(held).toMatchObject({ ok: false, reason: "open" });
    expect(!held.ok && held.retryAt).toBeGreaterThanOrEqual(10_002); // when it opened (2) + the cool-down
    expect(g.acquire("b", 5000).ok).toBe(true);
    // Half-open: one trial, the rest wait for it.
    expect(g.acquire("a", 10_003).ok).toBe(true);
    expect(g.acquire("a", 10_003)).toMatchObject({ ok: false, reason: "open" });
    // A failed trial opens it again for a full cool-down.
    expect(g.release("a", false, 10_004)).toBe(true);
    expect(g.acquire("a", 15_000).ok).toBe(false);
    expect(g.acquire("a", 20_005).ok).toBe(true);
    g.release("a", true, 20_006);
    expect(g.isOpen("a", 20_007)).toBe(false);
    expect(g.acquire("a", 20_007).ok).toBe(true);
    expect(g.acquire("a", 20_007).ok).toBe(true);
  });

  it("a success resets the count of failures", () => {
    const g = gate();
    for (const worked of [false, false, true, false, false]) {
      g.acquire("a", 0);
      g.release("a", worked, 0);
    }
    expect(g.isOpen("a", 1)).toBe(false);
  });

  it("a partner is its scheme, host and port", () => {
    expect(partnerOf("https://Partner.example.com/a?b")).toBe("https://partner.example.com");
    expect(partnerOf("http://127.0.0.1:8080/x")).not.toBe(partnerOf("http://127.0.0.1:8081/x"));
  });
});

describe("postWebhook against real local partners", () => {
  const servers: ReturnType<typeof createServer>[] = [];
  const hits = new Map<string, number>();
  async function partner(name: string, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
    const server = createServer((req, res) => {
      hits.set(name, (hits.get(name) ?? 0) + 1);
      req.resume();
      req.on("end", () => handle(req, res));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  const policy = webhookPolicy({ webhookAllowHosts: "127.0.0.1" });
  const agent = new Agent({ connect: { lookup: checkedLookup(policy) } });
  afterAll(() => agent.close());
  const post = (url: string, timeoutMs = 5000) => postWebhook(agent, policy, url, { "content-type": "application/json" }, "{}", timeoutMs);

  it("issues on 2xx with the partner's reference", async () => {
    const url = await partner("ok", (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ reference: "R-1" })));
    expect(await post(`${url}/issue`)).toEqual({ ok: true, reference: "R-1" });
  });

  it("never follows a redirect: a 302 is a failed attempt and its target gets nothing", async () => {
    const target = await partner("target", (_req, res) => res.end("stolen"));
    const url = await partner("redirector", (_req, res) => res.writeHead(302, { location: `${target}/steal` }).end());
    const result = await post(`${url}/issue`);
    expect(result).toMatchObject({ ok: false, permanent: false });
    expect(!result.ok && result.reason).toMatch(/^HTTP 302 redirect to .*\/steal not followed$/);
    expect(hits.get("redirector")).toBe(1);
    expect(hits.get("target") ?? 0).toBe(0);
  });

  it("gives up on a partner that never answers within the timeout", async () => {
    const url = await partner("hang", () => undefined);
    const started = performance.now();
    const result = await post(`${url}/issue`, 300);
    const took = performance.now() - started;
    expect(result.ok).toBe(false);
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(5000); // bounded by the timeout, not by the partner (generous for a busy machine)
  });

  it("refuses a URL outside the policy without any request, as a permanent failure", async () => {
    const url = await partner("internal", (_req, res) => res.end("ok"));
    const result = await postWebhook(agent, STRICT_WEBHOOK_POLICY, `${url}/issue`, {}, "{}", 1000);
    expect(result).toMatchObject({ ok: false, permanent: true });
    expect(!result.ok && result.reason).toMatch(/^rule webhook-address: 127\.0\.0\.1 is a loopback address/);
    expect(hits.get("internal") ?? 0).toBe(0);
  });

  it("the text hosts see names no status, address or error", () => {
    expect(webhookFailureText(8)).toBe("the partner did not confirm the prize after 8 attempts (details in the operator log)");
    expect(webhookFailureText(8)).not.toMatch(/\d{3}|HTTP|127|refused|timeout/i);
  });
});
