import { describe, expect, it } from "vitest";
import { ComplianceSetupError } from "./errors.ts";
import { createGeoResolver, parseCidrTable, parseIp } from "./geoResolver.ts";

const TABLE = `
# cidr,country
10.0.0.0/8,US
10.1.0.0/16,DE
10.1.2.3/32,KP
0.0.0.0/0,ZZ
2001:db8::/32,CH
2001:db8:abcd::/48,IR
::ffff:192.0.2.0/120,FR
`;

describe("parseIp", () => {
  it("parses IPv4, IPv6 (compressed, full, embedded IPv4) and maps ::ffff:a.b.c.d to IPv4", () => {
    expect(parseIp("10.1.2.3")).toEqual({ family: 4, value: 0x0a010203n });
    expect(parseIp("2001:db8::1")).toEqual({ family: 6, value: (0x20010db8n << 96n) | 1n });
    expect(parseIp("2001:0db8:0000:0000:0000:0000:0000:0001")).toEqual(parseIp("2001:db8::1"));
    expect(parseIp("::ffff:192.0.2.7")).toEqual({ family: 4, value: 0xc0000207n });
    expect(parseIp("::")).toEqual({ family: 6, value: 0n });
    expect(parseIp("not-an-ip")).toBeUndefined();
    expect(parseIp("300.1.1.1")).toBeUndefined();
  });
});

describe("parseCidrTable", () => {
  const table = parseCidrTable(TABLE);

  it("resolves by longest prefix, IPv4 and IPv6", () => {
    expect(table.size).toBe(7);
    expect(table.lookup("10.9.9.9")).toBe("US");
    expect(table.lookup("10.1.9.9")).toBe("DE");
    expect(table.lookup("10.1.2.3")).toBe("KP");
    expect(table.lookup("8.8.8.8")).toBe("ZZ");
    expect(table.lookup("2001:db8:1::5")).toBe("CH");
    expect(table.lookup("2001:db8:abcd:12::5")).toBe("IR");
    expect(table.lookup("2001:db9::1")).toBeUndefined();
    expect(table.lookup("192.0.2.44")).toBe("FR");
    expect(table.lookup("::ffff:10.1.2.3")).toBe("KP");
  });

  it("names every bad line", () => {
    try {
      parseCidrTable("10.0.0.0/33,US\nnonsense\n10.0.0.0/8,usa\n", "geo.csv");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ComplianceSetupError);
      expect((err as ComplianceSetupError).problems).toEqual([
        "geo.csv:1: prefix length must be 0-32",
        'geo.csv:2: expected "cidr,country"',
        "geo.csv:3: country must be an ISO 3166-1 alpha-2 code in upper case",
      ]);
    }
  });
});

describe("createGeoResolver", () => {
  const record = { recordId: "r", tier: 2, jurisdiction: "US", qualifiedParty: true, expiresAt: 1n };

  it("takes the jurisdiction from the record and the country from the ip", () => {
    const geo = createGeoResolver({ cidrTable: parseCidrTable(TABLE) });
    expect(geo.resolve({ record, ip: "10.1.2.3" })).toEqual({ jurisdiction: "US", ipCountry: "KP" });
    expect(geo.resolve({ record: undefined, ip: "2001:db8::9" })).toEqual({
      jurisdiction: undefined,
      ipCountry: "CH",
    });
    expect(geo.resolve({ record })).toEqual({ jurisdiction: "US", ipCountry: undefined });
  });

  it("resolves no country without a table", () => {
    expect(createGeoResolver().resolve({ record, ip: "10.1.2.3" })).toEqual({
      jurisdiction: "US",
      ipCountry: undefined,
    });
  });

  it("names an unreadable table file", () => {
    expect(() => createGeoResolver({ cidrTable: "/nonexistent/geo.csv" })).toThrow(ComplianceSetupError);
  });
});
