/**
 * Where a webhook prize may be delivered (rule `webhook-address`, docs/operations.md "Webhooks"):
 * only to public internet hosts, so a campaign's URL can never make a worker reach into the network
 * it runs in (cloud metadata, Redis, admin ports).
 *
 * Checked twice: when a campaign is saved (the URL's own host: scheme, literal address in any
 * spelling, internal names; then its DNS answer) and at every delivery, where the worker connects
 * only to addresses this module has passed (`checkedLookup`, the undici dispatcher's `lookup`), so a
 * DNS answer that changes between check and connect (rebinding) changes nothing.
 *
 * Address classes come from ipaddr.js. IPv4: only its `unicast` class passes (not loopback,
 * private, link-local (169.254.169.254, the metadata service), carrier-grade NAT (100.100.100.200,
 * Alibaba Cloud's metadata service), multicast, broadcast, unspecified (0.0.0.0) or reserved).
 * IPv6: only global unicast (2000::/3) that ipaddr.js calls `unicast`; IPv4-mapped (::ffff:a.b.c.d)
 * and NAT64 (64:ff9b::/96) addresses are judged by the IPv4 address inside. Decimal, octal and hex
 * IPv4 spellings (`2130706433`, `0177.1`, `0x7f.1`) are normalised by the WHATWG URL parser first,
 * which is also what the delivery uses, so the check sees the address that would be dialled.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

/** The rule id every refusal names (core/campaign.ts COMPLIANCE_RULES). */
export const WEBHOOK_ADDRESS_RULE = "webhook-address";

/** Exceptions an operator named (LIVEDRAW_WEBHOOK_ALLOW_HOSTS) and whether plain http is allowed. */
export interface WebhookPolicy {
  /** Host names allowed whatever they resolve to (lower case, no trailing dot); http allowed to them. */
  readonly hosts: ReadonlySet<string>;
  /** Address ranges allowed although not public; http allowed to literal addresses in them. */
  readonly ranges: readonly (readonly [ipaddr.IPv4 | ipaddr.IPv6, number])[];
  /** Plain http to any permitted host (LIVEDRAW_WEBHOOK_ALLOW_HTTP); https only otherwise, in every environment. */
  readonly allowHttp: boolean;
}

/** No exceptions, https only: the policy when nothing is configured. */
export const STRICT_WEBHOOK_POLICY: WebhookPolicy = Object.freeze({ hosts: new Set<string>(), ranges: [], allowHttp: false });

/**
 * Parses LIVEDRAW_WEBHOOK_ALLOW_HOSTS: comma-separated host names, IP addresses and CIDR ranges
 * (`partner.corp.example, 10.20.0.0/16, 127.0.0.1`). Returns the problem text for a bad entry.
 */
export function parseAllowList(text: string): Pick<WebhookPolicy, "hosts" | "ranges"> | string {
  const hosts = new Set<string>();
  const ranges: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const raw of text.split(",")) {
    const entry = raw.trim().toLowerCase();
    if (entry === "") continue;
    if (entry.includes("/")) {
      try {
        ranges.push(ipaddr.parseCIDR(entry));
      } catch {
        return `"${entry}" is not a CIDR range (e.g. 10.20.0.0/16 or fd00::/8)`;
      }
    } else if (ipaddr.isValid(entry.replace(/^\[|\]$/g, ""))) {
      const addr = ipaddr.parse(entry.replace(/^\[|\]$/g, ""));
      ranges.push([addr, addr.kind() === "ipv4" ? 32 : 128]);
    } else if (/^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/.test(entry)) {
      hosts.add(entry.replace(/\.$/, ""));
    } else {
      return `"${entry}" is neither a host name, an IP address nor a CIDR range`;
    }
  }
  return { hosts, ranges };
}

/** The policy of a configuration (config/options.ts). An allow list that does not parse allows nothing. */
export function webhookPolicy(config: { webhookAllowHosts?: string; webhookAllowHttp?: boolean }): WebhookPolicy {
  const list = parseAllowList(config.webhookAllowHosts ?? "");
  return typeof list === "string"
    ? STRICT_WEBHOOK_POLICY
    : Object.freeze({ ...list, allowHttp: config.webhookAllowHttp === true });
}

/**
 * Names that only mean something inside a network: refused whatever they resolve to here, since they
 * may resolve differently on the worker (search domains, split DNS, the metadata server's own name).
 */
const INTERNAL_SUFFIXES = ["localhost", "local", "localdomain", "internal", "intranet", "lan", "home", "corp", "private", "home.arpa", "in-addr.arpa", "ip6.arpa"];
const INTERNAL_NAMES = new Set(["metadata", "metadata.goog", "metadata.google.internal", "instance-data", "instance-data.ec2.internal"]);

/** What class of address this is when it is not a public one (for the refusal text), or null when it is public. */
export function addressClass(address: ipaddr.IPv4 | ipaddr.IPv6): string | null {
  if (address.kind() === "ipv6") {
    const v6 = address as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) {
      const inner = addressClass(v6.toIPv4Address());
      return inner === null ? null : `IPv4-mapped ${inner}`;
    }
    const range = v6.range();
    if (range === "rfc6052") {
      // NAT64 (64:ff9b::/96): the gateway dials the IPv4 address in the last 32 bits.
      const p = v6.parts;
      const inner = addressClass(new ipaddr.IPv4([p[6]! >> 8, p[6]! & 0xff, p[7]! >> 8, p[7]! & 0xff]));
      return inner === null ? null : `NAT64-embedded ${inner}`;
    }
    if (range !== "unicast") return IPV6_CLASS_TEXT[range] ?? `${range} (not public)`;
    // ipaddr.js calls everything it has no name for `unicast`; only 2000::/3 is global unicast.
    if (!v6.match(GLOBAL_UNICAST)) return "IPv6 address outside global unicast 2000::/3 (reserved)";
    return null;
  }
  const range = (address as ipaddr.IPv4).range();
  if (range === "unicast") return null;
  return IPV4_CLASS_TEXT[range] ?? `${range} (not public)`;
}

const GLOBAL_UNICAST = ipaddr.parseCIDR("2000::/3");

const IPV4_CLASS_TEXT: Record<string, string> = {
  unspecified: "unspecified address (0.0.0.0/8)",
  broadcast: "broadcast address",
  multicast: "multicast address",
  linkLocal: "link-local address (169.254.0.0/16, cloud metadata)",
  loopback: "loopback address",
  carrierGradeNat: "carrier-grade NAT address (100.64.0.0/10, Alibaba Cloud metadata)",
  private: "private address (RFC 1918)",
  reserved: "reserved address",
  as112: "reserved address (AS112)",
  amt: "reserved address (AMT)",
};

const IPV6_CLASS_TEXT: Record<string, string> = {
  unspecified: "unspecified address (::)",
  linkLocal: "link-local address (fe80::/10)",
  multicast: "multicast address",
  loopback: "loopback address (::1)",
  uniqueLocal: "unique-local address (fc00::/7, private; fd00:ec2::254 is AWS metadata)",
  deprecatedSiteLocal: "site-local address (fec0::/10, private)",
  rfc6145: "IPv4-translated address (reserved)",
  "6to4": "6to4 address (reserved: it tunnels to an IPv4 address)",
  teredo: "Teredo address (reserved: it tunnels to an IPv4 address)",
  discard: "discard-only address (reserved)",
};

function inRanges(address: ipaddr.IPv4 | ipaddr.IPv6, policy: WebhookPolicy): boolean {
  const candidates = address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress() ? [address, (address as ipaddr.IPv6).toIPv4Address()] : [address];
  return candidates.some((a) => policy.ranges.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits)));
}

/** Why `address` (a literal IPv4 or IPv6 address) may not be dialled, or null when it may. */
export function addressProblem(address: string, policy: WebhookPolicy): string | null {
  const text = address.replace(/^\[|\]$/g, "");
  if (!ipaddr.isValid(text)) return `${address} is not an IP address`;
  const parsed = ipaddr.parse(text);
  if (inRanges(parsed, policy)) return null;
  const cls = addressClass(parsed);
  return cls === null ? null : `${address} is a ${cls}`;
}

/** The host of a URL as the delivery dials it: lower case, IPv6 without brackets, no trailing dot. */
function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
}

/**
 * The checks that need no DNS: scheme (https; http only to allow-listed hosts or with
 * LIVEDRAW_WEBHOOK_ALLOW_HTTP), a literal address in any spelling, internal and single-label names.
 * Returns the problem, or null.
 */
export function urlProblem(rawUrl: string, policy: WebhookPolicy): string | null {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return "not a URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return `${url.protocol} is not allowed: use https`;
  if (url.username !== "" || url.password !== "") return "credentials in the URL are not allowed (the request is signed with LIVEDRAW_WEBHOOK_SECRET)";
  const host = hostOf(url);
  const literal = ipaddr.isValid(host) && (host.includes(":") || /^\d+\.\d+\.\d+\.\d+$/.test(host));
  const listed = literal ? inRanges(ipaddr.parse(host), policy) : policy.hosts.has(host);
  if (listed) return null;
  const where = literal ? addressProblem(host, policy) : nameProblem(host);
  if (where !== null) return where;
  if (url.protocol === "http:" && !policy.allowHttp) return `plain http to ${url.host} is not allowed: use https (or list the host in LIVEDRAW_WEBHOOK_ALLOW_HOSTS)`;
  return null;
}

function nameProblem(host: string): string | null {
  if (INTERNAL_NAMES.has(host)) return `${host} is a cloud metadata service name`;
  const suffix = INTERNAL_SUFFIXES.find((s) => host === s || host.endsWith(`.${s}`));
  if (suffix !== undefined) return `${host} is an internal name (.${suffix})`;
  if (!host.includes(".")) return `${host} is a single-label name (resolved through the worker's search domains): give the partner's public host name`;
  return null;
}

/** A lookup that gives up: a DNS server that never answers must not hold a delivery or a save. */
const LOOKUP_TIMEOUT_MS = 3000;

/**
 * A host that may not be dialled: `refused` when the policy forbids an address it has (the message
 * then reads `rule webhook-address: <detail>`), not refused when DNS gave no usable answer.
 */
export class WebhookAddressError extends Error {
  constructor(
    readonly refused: boolean,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(refused ? `rule ${WEBHOOK_ADDRESS_RULE}: ${detail}` : detail, options);
    this.name = "WebhookAddressError";
  }
}

type Lookup = (hostname: string, options: { all: true }, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * Resolves `hostname` and checks every address it has: any address that is not allowed refuses the
 * whole name (a DNS answer mixing public and internal addresses is the rebinding trick). Returns the
 * checked addresses, which are all the caller may dial. Allow-listed names are resolved, not checked.
 */
export async function resolveChecked(hostname: string, policy: WebhookPolicy, lookup: Lookup = dnsLookup as unknown as Lookup): Promise<LookupAddress[]> {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (ipaddr.isValid(host) && (host.includes(":") || /^\d+\.\d+\.\d+\.\d+$/.test(host))) {
    const problem = addressProblem(host, policy);
    if (problem !== null) throw new WebhookAddressError(true, problem);
    return [{ address: host, family: host.includes(":") ? 6 : 4 }];
  }
  const addresses = await new Promise<LookupAddress[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new WebhookAddressError(false, `DNS lookup of ${host} timed out after ${LOOKUP_TIMEOUT_MS} ms`)), LOOKUP_TIMEOUT_MS);
    lookup(host, { all: true }, (err, found) => {
      clearTimeout(timer);
      if (err) reject(new WebhookAddressError(false, `DNS lookup of ${host} failed: ${err.code ?? err.message}`, { cause: err }));
      else resolve(found);
    });
  });
  if (addresses.length === 0) throw new WebhookAddressError(false, `DNS lookup of ${host} found no address`);
  if (policy.hosts.has(host)) return addresses;
  for (const a of addresses) {
    const problem = addressProblem(a.address, policy);
    if (problem !== null) throw new WebhookAddressError(true, `${host} resolves to ${problem}`);
  }
  return addresses;
}

/**
 * A `lookup` for net/tls `connect` (undici's `connect.lookup`): the socket dials only addresses
 * resolveChecked passed, whatever the DNS says a moment later. Answers both the `all: true` form
 * (Node's happy-eyeballs connect) and the single-address form.
 */
export function checkedLookup(policy: WebhookPolicy, lookup?: Lookup): LookupFunction {
  return (hostname, options, callback) => {
    resolveChecked(hostname, policy, lookup).then(
      (addresses) => {
        const family = options.family === 4 || options.family === "IPv4" ? 4 : options.family === 6 || options.family === "IPv6" ? 6 : 0;
        const usable = family === 0 ? addresses : addresses.filter((a) => a.family === family);
        if (usable.length === 0) {
          callback(Object.assign(new WebhookAddressError(false, `${hostname} has no IPv${family} address`), { code: "ENOTFOUND" }), "");
        } else if (options.all === true) {
          callback(null, usable);
        } else {
          callback(null, usable[0]!.address, usable[0]!.family);
        }
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), ""),
    );
  };
}
