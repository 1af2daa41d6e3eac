import { BlockList, isIP } from "node:net";

export type AddressFamily = "ipv4" | "ipv6";

/** One TRUST_PROXY entry: an address (prefix 32 or 128) or a CIDR block. */
export interface AddressRange {
  network: string;
  prefix: number;
  family: AddressFamily;
}

interface ParsedAddress {
  /** Canonical text: dotted IPv4, or IPv6 as eight lower-case hex groups. */
  address: string;
  family: AddressFamily;
}

/**
 * Parses one IP address. IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket reports for
 * IPv4 clients) becomes the IPv4 address, so one client has one spelling; an IPv6 zone is dropped.
 * Exported for its test.
 */
export function parseAddress(text: string): ParsedAddress | undefined {
  const bare = text.trim();
  const kind = isIP(bare);
  if (kind === 4) return { address: bare, family: "ipv4" };
  if (kind !== 6) return undefined;
  const groups = ipv6Groups(bare.replace(/%.*$/, ""));
  if (!groups) return undefined;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return { address: [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join("."), family: "ipv4" };
  }
  return { address: groups.map((g) => g.toString(16)).join(":"), family: "ipv6" };
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address; undefined when it is neither. */
export function parseAddressRange(text: string): AddressRange | undefined {
  const match = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!match) return undefined;
  const parsed = parseAddress(match[1]!);
  if (!parsed) return undefined;
  const mapped = parsed.family === "ipv4" && isIP(match[1]!.trim()) === 6;
  let prefix = match[2] === undefined ? (parsed.family === "ipv4" ? 32 : 128) : Number(match[2]);
  // `::ffff:10.0.0.0/104` is the IPv4 block 10.0.0.0/8.
  if (mapped && match[2] !== undefined) prefix -= 96;
  if (prefix < 0 || prefix > (parsed.family === "ipv4" ? 32 : 128)) return undefined;
  return { network: parsed.address, prefix, family: parsed.family };
}

/** The proxies named in TRUST_PROXY; empty by default, so X-Forwarded-For is believed from nobody. */
export class TrustedProxies {
  private readonly list = new BlockList();
  private readonly empty: boolean;

  constructor(ranges: readonly AddressRange[]) {
    for (const range of ranges) this.list.addSubnet(range.network, range.prefix, range.family);
    this.empty = ranges.length === 0;
  }

  has(address: ParsedAddress): boolean {
    return !this.empty && this.list.check(address.address, address.family);
  }
}

/**
 * The address a request came from: the socket's peer, unless that peer is a trusted proxy. Then
 * X-Forwarded-For is read from the right (each proxy appends the address it saw), skipping trusted
 * proxies: the first untrusted hop is the client, as entries left of it may be forged by the
 * client. A malformed entry ends the walk at the last good hop; if every hop is trusted, the
 * leftmost is the client.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): string | undefined {
  let client = peer === undefined ? undefined : parseAddress(peer);
  if (!client || !trusted.has(client)) return client?.address;
  const hops = [forwardedFor ?? []].flat().join(",").split(",").reverse();
  for (const hop of hops) {
    const next = parseForwardedHop(hop);
    if (!next) break;
    client = next;
    if (!trusted.has(client)) break;
  }
  return client.address;
}

/**
 * What failures are counted under: the IPv4 address, or the IPv6 /64 (one subscriber or host
 * usually holds a whole /64, so counting single IPv6 addresses would not count anyone).
 */
export function limiterKey(address: string): string {
  if (isIP(address) !== 6) return address;
  return `${address.split(":").slice(0, 4).join(":")}::/64`;
}

/** An X-Forwarded-For entry; some proxies add a port (`1.2.3.4:5678`, `[2001:db8::1]:443`). */
function parseForwardedHop(hop: string): ParsedAddress | undefined {
  const text = hop.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) return isIP(bracketed[1]!) === 6 ? parseAddress(bracketed[1]!) : undefined;
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
  return parseAddress(withPort ? withPort[1]! : text);
}

/** The eight 16-bit groups of an address that isIP() already accepted as IPv6. */
function ipv6Groups(text: string): number[] | undefined {
  let tail: number[] = [];
  let head = text;
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted) {
    const bytes = dotted[1]!.split(".").map(Number);
    tail = [(bytes[0]! << 8) | bytes[1]!, (bytes[2]! << 8) | bytes[3]!];
    head = text.slice(0, -dotted[1]!.length);
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const halves = head.split("::");
  const part = (s: string | undefined) => (s ? s.split(":").map((g) => parseInt(g, 16)) : []);
  const left = part(halves[0]);
  const right = [...part(halves[1]), ...tail];
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 0) return undefined;
  const groups = [...left, ...Array<number>(missing).fill(0), ...right];
  return groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}
