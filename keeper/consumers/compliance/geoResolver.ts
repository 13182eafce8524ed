/**
 * GeoResolver: the record's jurisdiction, plus — when a request carries an ip and a CIDR table is
 * configured — the country of that ip by longest-prefix match over IPv4 and IPv6 networks.
 *
 * Table file: one `cidr,country` per line (`192.0.2.0/24,US`, `2001:db8::/32,DE`), `#` comments and
 * blank lines ignored. IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) are looked up as IPv4. An ip that
 * matches no network resolves to no country (the record's jurisdiction then decides alone).
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { ComplianceSetupError } from "./errors.ts";
import type { GeoResolver, KycRecord } from "./types.ts";

type Family = 4 | 6;
const BITS: Record<Family, number> = { 4: 32, 6: 128 };

/** An ip as (family, 32/128-bit integer), or undefined when it is not an ip. */
export function parseIp(text: string): { family: Family; value: bigint } | undefined {
  const ip = text.trim();
  const kind = isIP(ip);
  if (kind === 4) {
    return { family: 4, value: ip.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n) };
  }
  if (kind !== 6) return undefined;
  let head = ip;
  let v4Tail: bigint | undefined;
  const lastColon = ip.lastIndexOf(":");
  if (ip.slice(lastColon + 1).includes(".")) {
    v4Tail = parseIp(ip.slice(lastColon + 1))?.value;
    head = `${ip.slice(0, lastColon + 1)}0:0`;
  }
  const [left = "", right] = head.split("::");
  const leftParts = left === "" ? [] : left.split(":");
  const rightParts = right === undefined || right === "" ? [] : right.split(":");
  const missing = 8 - leftParts.length - rightParts.length;
  const groups = [...leftParts, ...(right === undefined ? [] : Array(missing).fill("0")), ...rightParts];
  let value = groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
  if (v4Tail !== undefined) value = (value & ~0xffffffffn) | v4Tail;
  // IPv4-mapped (::ffff:a.b.c.d) → IPv4.
  if (value >> 32n === 0xffffn) return { family: 4, value: value & 0xffffffffn };
  return { family: 6, value };
}

export type CidrTable = {
  /** Country of `ip` (longest prefix), or undefined. */
  lookup(ip: string): string | undefined;
  readonly size: number;
};

/** Builds a longest-prefix table from `cidr,country` lines; throws ComplianceSetupError naming bad lines. */
export function parseCidrTable(text: string, source = "(inline)"): CidrTable {
  // Per family: prefix length → (network → country), prefix lengths tried longest first.
  const byFamily: Record<Family, Map<number, Map<bigint, string>>> = { 4: new Map(), 6: new Map() };
  const problems: string[] = [];
  let size = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") return;
    const where = `${source}:${i + 1}`;
    const [cidr = "", country = "", ...rest] = line.split(",").map((s) => s.trim());
    const [addr = "", lenText] = cidr.split("/");
    const parsed = parseIp(addr);
    const isMapped = addr.includes(":") && parsed?.family === 4;
    if (!parsed || rest.length > 0) {
      problems.push(`${where}: expected "cidr,country"`);
      return;
    }
    if (!/^[A-Z]{2}$/.test(country)) {
      problems.push(`${where}: country must be an ISO 3166-1 alpha-2 code in upper case`);
      return;
    }
    const bits = BITS[parsed.family];
    let len = lenText === undefined ? bits : Number(lenText);
    if (isMapped && lenText !== undefined) len -= 96;
    if (
      !Number.isInteger(len) ||
      len < 0 ||
      len > bits ||
      (lenText !== undefined && !/^\d+$/.test(lenText))
    ) {
      problems.push(`${where}: prefix length must be 0-${bits}`);
      return;
    }
    const mask = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(bits - len);
    const table = byFamily[parsed.family];
    let nets = table.get(len);
    if (!nets) {
      nets = new Map();
      table.set(len, nets);
    }
    nets.set(parsed.value & mask, country);
    size++;
  });
  if (problems.length > 0) throw new ComplianceSetupError({ problems });
  const lengths: Record<Family, number[]> = {
    4: [...byFamily[4].keys()].sort((a, b) => b - a),
    6: [...byFamily[6].keys()].sort((a, b) => b - a),
  };
  return {
    size,
    lookup(ip) {
      const parsed = parseIp(ip);
      if (!parsed) return undefined;
      const bits = BITS[parsed.family];
      for (const len of lengths[parsed.family]) {
        const mask = len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(bits - len);
        const hit = byFamily[parsed.family].get(len)?.get(parsed.value & mask);
        if (hit !== undefined) return hit;
      }
      return undefined;
    },
  };
}

/** GeoResolver from an optional CIDR table (file path or parsed table). */
export function createGeoResolver({
  cidrTable,
}: {
  cidrTable?: string | CidrTable | undefined;
} = {}): GeoResolver & {
  readonly tableSize: number;
} {
  const table = typeof cidrTable === "string" ? parseCidrTable(readTable(cidrTable), cidrTable) : cidrTable;
  return {
    tableSize: table?.size ?? 0,
    resolve({ record, ip }: { record: KycRecord | undefined; ip?: string | undefined }) {
      return {
        jurisdiction: record?.jurisdiction,
        ipCountry: ip === undefined || table === undefined ? undefined : table.lookup(ip),
      };
    },
  };
}

function readTable(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? "unknown error";
    throw new ComplianceSetupError({
      problems: [`compliance.geo.cidrTable ${path} is not readable (${code})`],
    });
  }
}
