import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../config/options.js";
import { STRICT_WEBHOOK_POLICY, addressProblem, checkedLookup, parseAllowList, resolveChecked, urlProblem, webhookPolicy, WebhookAddressError } from "./webhook-policy.js";

/** Every address class the probe got accepted, and the other spellings of them. */
const REFUSED = [
  ["http://169.254.169.254/latest/meta-data/", /link-local/],
  ["https://169.254.169.254/", /link-local/],
  ["https://metadata.google.internal/computeMetadata/v1/", /metadata service name/],
  ["https://metadata.google.internal./x", /metadata service name/],
  ["https://127.0.0.1:6379/", /loopback/],
  ["https://localhost/", /internal name/],
  ["https://LOCALHOST./", /internal name/],
  ["https://api.localhost/", /internal name/],
  ["https://[::1]/", /loopback/],
  ["https://0.0.0.0/", /unspecified/],
  ["https://0/", /unspecified/],
  ["https://10.0.0.5/", /private/],
  ["https://172.16.3.4/", /private/],
  ["https://192.168.1.1/", /private/],
  ["https://2130706433/", /loopback/], // decimal 127.0.0.1
  ["https://0177.0.0.1/", /loopback/], // octal
  ["https://0x7f.0x0.0x0.0x1/", /loopback/], // hex
  ["https://0x7f000001/", /loopback/],
  ["https://127.1/", /loopback/], // short form
  ["https://017700000001/", /loopback/], // octal, one number
  ["https://[::ffff:127.0.0.1]/", /IPv4-mapped loopback/],
  ["https://[::ffff:a9fe:a9fe]/", /IPv4-mapped link-local/], // ::ffff:169.254.169.254
  ["https://[::ffff:10.0.0.5]/", /IPv4-mapped private/],
  ["https://[64:ff9b::a9fe:a9fe]/", /NAT64-embedded link-local/],
  ["https://[::]/", /unspecified/],
  ["https://[fe80::1]/", /link-local/],
  ["https://[fd00:ec2::254]/", /unique-local/], // AWS IPv6 metadata
  ["https://[ff02::1]/", /multicast/],
  ["https://[::7f00:1]/", /outside global unicast/], // IPv4-compatible, deprecated
  ["https://224.0.0.1/", /multicast/],
  ["https://239.255.255.250:1900/", /multicast/],
  ["https://255.255.255.255/", /broadcast/],
  ["https://240.0.0.1/", /reserved/],
  ["https://192.0.2.10/", /reserved/],
  ["https://100.100.100.200/", /carrier-grade NAT/], // Alibaba Cloud metadata
  ["https://[2001:db8::1]/", /reserved/],
  ["https://redis:6379/", /single-label/],
  ["https://partner.corp/", /internal name/],
  ["https://printer.local/", /internal name/],
  ["http://partner.example.com/issue", /plain http/],
  ["ftp://partner.example.com/", /not allowed/],
  ["https://user:pw@partner.example.com/", /credentials/],
] as const;

describe("webhook-address: the URL itself", () => {
  it.each(REFUSED)("refuses %s", (url, why) => {
    expect(urlProblem(url, STRICT_WEBHOOK_POLICY)).toMatch(why);
  });

  it("accepts public https hosts and addresses", () => {
    for (const url of ["https://partner.example.com/issue", "https://93.184.216.34/x", "https://[2606:4700::1111]/", "https://[::ffff:93.184.216.34]/", "https://[64:ff9b::5db8:d822]/"]) {
      expect(urlProblem(url, STRICT_WEBHOOK_POLICY), url).toBeNull();
    }
  });

  it("lets the operator's allow list through, http included, and nothing else", () => {
    const policy = webhookPolicy({ webhookAllowHosts: "127.0.0.1, issuer.corp, 10.20.0.0/16" });
    expect(urlProblem("http://127.0.0.1:8080/hook", policy)).toBeNull();
    expect(urlProblem("http://2130706433:8080/hook", policy)).toBeNull(); // the same address, spelled in decimal
    expect(urlProblem("http://[::ffff:127.0.0.1]:8080/", policy)).toBeNull();
    expect(urlProblem("http://issuer.corp/hook", policy)).toBeNull();
    expect(urlProblem("https://10.20.3.4/hook", policy)).toBeNull();
    expect(urlProblem("https://127.0.0.2/", policy)).toMatch(/loopback/);
    expect(urlProblem("https://10.21.0.1/", policy)).toMatch(/private/);
    expect(urlProblem("http://partner.example.com/", policy)).toMatch(/plain http/);
    expect(urlProblem("http://partner.example.com/", webhookPolicy({ webhookAllowHttp: true }))).toBeNull();
    expect(urlProblem("http://10.0.0.5/", webhookPolicy({ webhookAllowHttp: true }))).toMatch(/private/);
  });

  it("parses the allow list and names a bad entry", () => {
    expect(parseAllowList("")).toEqual({ hosts: new Set(), ranges: [] });
    expect(parseAllowList("10.0.0.0/33")).toMatch(/not a CIDR range/);
    expect(parseAllowList("not a host!")).toMatch(/neither a host name/);
    const list = parseAllowList("A.Example., ::1, fd00::/8");
    expect(typeof list === "object" && [...list.hosts]).toEqual(["a.example"]);
  });

  it("LIVEDRAW_WEBHOOK_ALLOW_HOSTS is validated at start-up, naming the variable; empty and https-only by default", () => {
    const secret = { LIVEDRAW_JWT_SECRET: "test-secret-0123456789-abcdefghijklmnop" };
    expect(() => loadConfig({ ...secret, LIVEDRAW_WEBHOOK_ALLOW_HOSTS: "10.0.0.0/40" })).toThrow(/LIVEDRAW_WEBHOOK_ALLOW_HOSTS \(webhookAllowHosts\): "10.0.0.0\/40" is not a CIDR range/);
    const config = loadConfig(secret);
    expect(config.webhookAllowHosts).toBe("");
    expect(config.webhookAllowHttp).toBe(false);
    expect(webhookPolicy(config)).toMatchObject({ allowHttp: false, ranges: [] });
  });

  it("classifies literal addresses", () => {
    expect(addressProblem("8.8.8.8", STRICT_WEBHOOK_POLICY)).toBeNull();
    expect(addressProblem("127.0.0.1", STRICT_WEBHOOK_POLICY)).toMatch(/loopback/);
    expect(addressProblem("::ffff:7f00:1", STRICT_WEBHOOK_POLICY)).toMatch(/IPv4-mapped loopback/);
  });
});

describe("webhook-address: DNS answers", () => {
  it("refuses a name that resolves to loopback (real resolver: localhost)", async () => {
    const err = await resolveChecked("localhost", STRICT_WEBHOOK_POLICY).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookAddressError);
    expect((err as WebhookAddressError).refused).toBe(true);
    expect((err as Error).message).toMatch(/^rule webhook-address: localhost resolves to .* loopback/);
  });

  it("refuses a name when any one of its addresses is internal (a mixed answer is the rebinding trick)", async () => {
    const mixed = (_h: string, _o: { all: true }, cb: (e: NodeJS.ErrnoException | null, a: { address: string; family: number }[]) => void) =>
      cb(null, [{ address: "93.184.216.34", family: 4 }, { address: "10.0.0.5", family: 4 }]);
    await expect(resolveChecked("partner.example.com", STRICT_WEBHOOK_POLICY, mixed)).rejects.toThrow(/rule webhook-address: partner.example.com resolves to 10.0.0.5 is a private address/);
  });

  it("a name that does not resolve is an error, not a refusal", async () => {
    const err = await resolveChecked("no-such-host.invalid", STRICT_WEBHOOK_POLICY).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookAddressError);
    expect((err as WebhookAddressError).refused).toBe(false);
  });
});

describe("webhook-address: the connection dials only checked addresses", () => {
  let port = 0;
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.end("ok");
  });
  beforeAll(() => new Promise<void>((r) => server.listen(0, "127.0.0.1", () => ((port = (server.address() as AddressInfo).port), r()))));
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("an undici Agent with checkedLookup never connects to a name resolving to loopback; allowed ranges connect", async () => {
    const strict = new Agent({ connect: { lookup: checkedLookup(STRICT_WEBHOOK_POLICY) } });
    const err = await request(`http://localhost:${port}/`, { dispatcher: strict }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).toMatch(/rule webhook-address/);
    expect(hits).toBe(0);
    await strict.close();

    const allowed = new Agent({ connect: { lookup: checkedLookup(webhookPolicy({ webhookAllowHosts: "127.0.0.0/8, ::1" })) } });
    const res = await request(`http://localhost:${port}/`, { dispatcher: allowed });
    expect(await res.body.text()).toBe("ok");
    expect(hits).toBe(1);
    await allowed.close();
  });
});
