import { describe, expect, it } from "vitest";
import { clientAddress, limiterKey, parseAddress, parseAddressRange, TrustedProxies } from "../../src/api/client-address.ts";

const ranges = (...entries: string[]) => entries.map((e) => parseAddressRange(e)!);
const proxies = new TrustedProxies(ranges("10.0.0.0/8", "192.0.2.7", "fd00::/8"));
const nobody = new TrustedProxies([]);

describe("parseAddress", () => {
  it.each([
    ["198.51.100.4", "198.51.100.4", "ipv4"],
    ["::ffff:198.51.100.4", "198.51.100.4", "ipv4"],
    ["::FFFF:c633:6404", "198.51.100.4", "ipv4"],
    ["0:0:0:0:0:ffff:198.51.100.4", "198.51.100.4", "ipv4"],
    ["2001:DB8::1", "2001:db8:0:0:0:0:0:1", "ipv6"],
    ["::1", "0:0:0:0:0:0:0:1", "ipv6"],
    ["::", "0:0:0:0:0:0:0:0", "ipv6"],
    ["fe80::1%eth0", "fe80:0:0:0:0:0:0:1", "ipv6"],
    ["64:ff9b::198.51.100.4", "64:ff9b:0:0:0:0:c633:6404", "ipv6"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", "ipv6"],
  ])("reads %s as %s", (text, address, family) => {
    expect(parseAddress(text)).toEqual({ address, family });
  });

  it.each(["", "unknown", "198.51.100", "198.51.100.256", "2001:db8:::1", "1:2:3:4:5:6:7:8:9", "example.com", "198.51.100.4:80"])("refuses %j", (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });
});

describe("parseAddressRange (TRUST_PROXY entries)", () => {
  it.each([
    ["10.0.0.0/8", { network: "10.0.0.0", prefix: 8, family: "ipv4" }],
    ["192.0.2.7", { network: "192.0.2.7", prefix: 32, family: "ipv4" }],
    ["fd00::/8", { network: "fd00:0:0:0:0:0:0:0", prefix: 8, family: "ipv6" }],
    ["::1", { network: "0:0:0:0:0:0:0:1", prefix: 128, family: "ipv6" }],
    ["::ffff:10.0.0.0/104", { network: "10.0.0.0", prefix: 8, family: "ipv4" }],
  ])("reads %s", (text, range) => {
    expect(parseAddressRange(text)).toEqual(range);
  });

  it.each(["10.0.0.0/33", "fd00::/129", "10.0.0.0/", "/8", "10.0.0.0/8/8", "proxy.internal", "10.0.0.*", "::ffff:10.0.0.0/95"])("refuses %j", (text) => {
    expect(parseAddressRange(text)).toBeUndefined();
  });
});

describe("clientAddress", () => {
  it("is the socket's peer when no proxy is trusted, whatever X-Forwarded-For says", () => {
    expect(clientAddress("198.51.100.4", "203.0.113.9", nobody)).toBe("198.51.100.4");
    expect(clientAddress("10.1.2.3", "203.0.113.9", nobody)).toBe("10.1.2.3");
  });

  it("ignores X-Forwarded-For from a peer that is not a trusted proxy", () => {
    expect(clientAddress("198.51.100.4", "203.0.113.9", proxies)).toBe("198.51.100.4");
  });

  it("normalises an IPv4-mapped peer, so a dual-stack socket's proxy is recognised", () => {
    expect(clientAddress("::ffff:10.1.2.3", "203.0.113.9", proxies)).toBe("203.0.113.9");
    expect(clientAddress("::ffff:198.51.100.4", undefined, nobody)).toBe("198.51.100.4");
  });

  it("takes the first untrusted hop from the right, skipping trusted proxies", () => {
    // A client may send any X-Forwarded-For; its proxies append, so only the right end is believed.
    expect(clientAddress("10.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2", proxies)).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.1", ["6.6.6.6, 203.0.113.9", "192.0.2.7"], proxies)).toBe("203.0.113.9");
    expect(clientAddress("fd00::1", "2001:db8::5, fd12::9", proxies)).toBe("2001:db8:0:0:0:0:0:5");
  });

  it("is the leftmost hop when every hop is a trusted proxy, and the peer when there is no header", () => {
    expect(clientAddress("10.0.0.1", "10.9.9.9, 192.0.2.7", proxies)).toBe("10.9.9.9");
    expect(clientAddress("10.0.0.1", undefined, proxies)).toBe("10.0.0.1");
    expect(clientAddress("10.0.0.1", "", proxies)).toBe("10.0.0.1");
  });

  it("stops at a malformed entry and keeps the last good hop", () => {
    expect(clientAddress("10.0.0.1", "203.0.113.9, bogus, 10.0.0.2", proxies)).toBe("10.0.0.2");
    expect(clientAddress("10.0.0.1", "203.0.113.9, unknown", proxies)).toBe("10.0.0.1");
    expect(clientAddress("10.0.0.1", "203.0.113.9,,10.0.0.2", proxies)).toBe("10.0.0.2");
  });

  it("reads hops that carry a port", () => {
    expect(clientAddress("10.0.0.1", "203.0.113.9:51234", proxies)).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.1", "[2001:db8::5]:443", proxies)).toBe("2001:db8:0:0:0:0:0:5");
    expect(clientAddress("10.0.0.1", "[2001:db8::5]", proxies)).toBe("2001:db8:0:0:0:0:0:5");
    expect(clientAddress("10.0.0.1", "[203.0.113.9]", proxies)).toBe("10.0.0.1");
  });

  it("trusts a whole block even when TRUST_PROXY writes it with host bits set", () => {
    const loose = new TrustedProxies(ranges("10.1.2.3/8", "fd00::5/8"));
    expect(clientAddress("10.200.0.1", "203.0.113.9", loose)).toBe("203.0.113.9");
    expect(clientAddress("fdff::1", "203.0.113.9", loose)).toBe("203.0.113.9");
    expect(clientAddress("11.0.0.1", "203.0.113.9", loose)).toBe("11.0.0.1");
  });

  it("is undefined without a peer (a socket already gone)", () => {
    expect(clientAddress(undefined, "203.0.113.9", proxies)).toBeUndefined();
  });
});

describe("limiterKey", () => {
  it("counts IPv4 per address and IPv6 per /64", () => {
    expect(limiterKey("198.51.100.4")).toBe("198.51.100.4");
    const key = (text: string) => limiterKey(parseAddress(text)!.address);
    expect(key("2001:db8:1:2::1")).toBe(key("2001:db8:1:2:ffff:ffff:ffff:ffff"));
    expect(key("2001:db8:1:2::1")).not.toBe(key("2001:db8:1:3::1"));
    expect(key("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(key("::ffff:198.51.100.4")).toBe("198.51.100.4");
  });
});
