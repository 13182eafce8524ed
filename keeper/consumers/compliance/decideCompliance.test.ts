import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMPLIANCE_OPERATIONS, COMPLIANCE_REASON_CODES } from "../../bus/schemas.ts";
import { decideCompliance } from "./decideCompliance.ts";
import { assetRulesFrom } from "./rules.ts";
import type { AssetRules, ComplianceRequest, KycRecord, RecordLookup } from "./types.ts";

const NOW = 1_750_000_000n;
const ALICE = "0x00000000000000000000000000000000000a11ce";

const rules = (over: Partial<Parameters<typeof assetRulesFrom>[0]> = {}): AssetRules =>
  assetRulesFrom({
    id: "dusd",
    tokenDecimals: 6,
    blockedJurisdictions: ["IR", "KP"],
    minKycTier: { mint: 1, redeem: 2, transfer: 1 },
    qualifiedPartyThreshold: "1000000",
    ...over,
  });

const record = (over: Partial<KycRecord> = {}): KycRecord => ({
  recordId: "kyc-1",
  tier: 2,
  jurisdiction: "US",
  qualifiedParty: true,
  expiresAt: NOW + 3600n,
  verifiedAt: NOW - 60n,
  ...over,
});

const found = (over: Partial<KycRecord> = {}): RecordLookup => ({ type: "found", record: record(over) });
const request = (over: Partial<ComplianceRequest> = {}): ComplianceRequest => ({
  account: ALICE,
  assetId: "dusd",
  operation: "mint",
  amount: 1_000_000n,
  ...over,
});
const none = new Map<string, number[]>();
const decide = (
  lookup: RecordLookup = found(),
  req: Partial<ComplianceRequest> = {},
  r: AssetRules | undefined = rules(),
  paused: ReadonlyMap<string, readonly number[]> = none,
  now = NOW,
) => decideCompliance(request(req), lookup, r, paused, now);

describe("decideCompliance: each rule", () => {
  it("allows a KYC'd account in an allowed jurisdiction, with no reasons", () => {
    expect(decide()).toEqual({ allowed: true, reasons: [] });
  });

  it("UNKNOWN_ASSET without rules (or rules of another asset), and nothing else", () => {
    expect(decideCompliance(request(), found(), undefined, none, NOW)).toEqual({
      allowed: false,
      reasons: ["UNKNOWN_ASSET"],
    });
    expect(decide(found(), { assetId: "eurx" })).toEqual({ allowed: false, reasons: ["UNKNOWN_ASSET"] });
  });

  it("BREAKER_PAUSED while any chain of the asset is paused; other assets' pauses do not count", () => {
    expect(decide(found(), {}, rules(), new Map([["dusd", [31338]]]))).toEqual({
      allowed: false,
      reasons: ["BREAKER_PAUSED"],
    });
    expect(decide(found(), {}, rules(), new Map([["eurx", [1]]]))).toEqual({ allowed: true, reasons: [] });
    expect(decide(found(), {}, rules(), new Map([["dusd", []]])).allowed).toBe(true);
  });

  it("PROVIDER_UNAVAILABLE when the lookup failed: fails closed", () => {
    expect(decide({ type: "unavailable", code: "KYC_PROVIDER_UNAVAILABLE" })).toEqual({
      allowed: false,
      reasons: ["PROVIDER_UNAVAILABLE"],
    });
  });

  it("NO_RECORD without a record, and for the gate's all-zero record", () => {
    expect(decide({ type: "not_found" }).reasons).toEqual(["NO_RECORD"]);
    expect(decide(found({ tier: 0, expiresAt: 0n })).reasons).toEqual(["NO_RECORD"]);
  });

  it("RECORD_EXPIRED at and after expiresAt (as the gate: block.timestamp >= expiresAt)", () => {
    expect(decide(found({ expiresAt: NOW + 1n })).allowed).toBe(true);
    expect(decide(found({ expiresAt: NOW })).reasons).toEqual(["RECORD_EXPIRED"]);
    expect(decide(found({ expiresAt: NOW - 1n })).reasons).toEqual(["RECORD_EXPIRED"]);
  });

  it("RECORD_TOO_OLD beyond maxRecordAgeSeconds, and without verifiedAt when a max age is set", () => {
    const aged = rules({ maxRecordAgeSeconds: 3600 });
    expect(decide(found({ verifiedAt: NOW - 3600n }), {}, aged).allowed).toBe(true);
    expect(decide(found({ verifiedAt: NOW - 3601n }), {}, aged).reasons).toEqual(["RECORD_TOO_OLD"]);
    expect(decide(found({ verifiedAt: undefined }), {}, aged).reasons).toEqual(["RECORD_TOO_OLD"]);
    expect(decide(found({ verifiedAt: undefined })).allowed).toBe(true);
  });

  it("JURISDICTION_BLOCKED for a blocked record jurisdiction", () => {
    expect(decide(found({ jurisdiction: "IR" })).reasons).toEqual(["JURISDICTION_BLOCKED"]);
  });

  it("JURISDICTION_NOT_ALLOWED outside the allow-list (blocked wins when both would apply)", () => {
    const allowList = rules({ allowedJurisdictions: ["US", "CH"], blockedJurisdictions: ["KP"] });
    expect(decide(found({ jurisdiction: "CH" }), {}, allowList).allowed).toBe(true);
    expect(decide(found({ jurisdiction: "DE" }), {}, allowList).reasons).toEqual([
      "JURISDICTION_NOT_ALLOWED",
    ]);
    expect(decide(found({ jurisdiction: "KP" }), {}, allowList).reasons).toEqual(["JURISDICTION_BLOCKED"]);
  });

  it("IP_JURISDICTION_BLOCKED / _NOT_ALLOWED for the request's ip country, whatever the record says", () => {
    expect(decide(found(), { ipCountry: "KP" }).reasons).toEqual(["IP_JURISDICTION_BLOCKED"]);
    expect(decide(found(), { ipCountry: "US" }).allowed).toBe(true);
    const allowList = rules({ allowedJurisdictions: ["US"] });
    expect(decide(found(), { ipCountry: "FR" }, allowList).reasons).toEqual(["IP_JURISDICTION_NOT_ALLOWED"]);
    // Even without a record, the ip reason is reported along with NO_RECORD.
    expect(decide({ type: "not_found" }, { ipCountry: "IR" }).reasons).toEqual([
      "NO_RECORD",
      "IP_JURISDICTION_BLOCKED",
    ]);
  });

  it("KYC_TIER_TOO_LOW below the operation's minimum tier", () => {
    expect(decide(found({ tier: 1 }), { operation: "mint" }).allowed).toBe(true);
    expect(decide(found({ tier: 1 }), { operation: "redeem" }).reasons).toEqual(["KYC_TIER_TOO_LOW"]);
    expect(decide(found({ tier: 2 }), { operation: "redeem" }).allowed).toBe(true);
  });

  it("QUALIFIED_PARTY_REQUIRED at and above the threshold (base units), never without a threshold", () => {
    const threshold = 1_000_000n * 10n ** 6n;
    const nonQp = found({ qualifiedParty: false });
    expect(decide(nonQp, { amount: threshold - 1n }).allowed).toBe(true);
    expect(decide(nonQp, { amount: threshold }).reasons).toEqual(["QUALIFIED_PARTY_REQUIRED"]);
    expect(decide(found(), { amount: threshold * 10n }).allowed).toBe(true);
    expect(decide(nonQp, { amount: 10n ** 40n }, rules({ qualifiedPartyThreshold: undefined })).allowed).toBe(
      true,
    );
    expect(decide(nonQp, { amount: 0n }, rules({ qualifiedPartyThreshold: "0" })).reasons).toEqual([
      "QUALIFIED_PARTY_REQUIRED",
    ]);
  });
});

describe("decideCompliance: combinations", () => {
  it("reports every reason that applies, in the stable code order", () => {
    const verdict = decide(
      found({
        tier: 1,
        jurisdiction: "IR",
        qualifiedParty: false,
        expiresAt: NOW,
        verifiedAt: NOW - 10_000n,
      }),
      { operation: "redeem", amount: 5_000_000n * 10n ** 6n, ipCountry: "KP" },
      rules({ maxRecordAgeSeconds: 60 }),
      new Map([["dusd", [31337, 31338]]]),
    );
    expect(verdict).toEqual({
      allowed: false,
      reasons: [
        "BREAKER_PAUSED",
        "RECORD_EXPIRED",
        "RECORD_TOO_OLD",
        "JURISDICTION_BLOCKED",
        "IP_JURISDICTION_BLOCKED",
        "KYC_TIER_TOO_LOW",
        "QUALIFIED_PARTY_REQUIRED",
      ],
    });
  });

  it("pause + provider failure, pause + no record", () => {
    const paused = new Map([["dusd", [1]]]);
    expect(decide({ type: "unavailable", code: "X" }, {}, rules(), paused).reasons).toEqual([
      "BREAKER_PAUSED",
      "PROVIDER_UNAVAILABLE",
    ]);
    expect(decide({ type: "not_found" }, {}, rules(), paused).reasons).toEqual([
      "BREAKER_PAUSED",
      "NO_RECORD",
    ]);
  });

  const arbRecord = fc.record({
    recordId: fc.constant("kyc-x"),
    tier: fc.integer({ min: 0, max: 4 }),
    jurisdiction: fc.constantFrom("US", "CH", "IR", "KP", "DE"),
    qualifiedParty: fc.boolean(),
    expiresAt: fc.bigInt({ min: NOW - 10n, max: NOW + 10n }),
    verifiedAt: fc.option(fc.bigInt({ min: NOW - 100n, max: NOW }), { nil: undefined }),
  });
  const arbLookup: fc.Arbitrary<RecordLookup> = fc.oneof(
    arbRecord.map((record) => ({ type: "found" as const, record })),
    fc.constant({ type: "not_found" as const }),
    fc.constant({ type: "unavailable" as const, code: "X" }),
  );
  const arbRules = fc
    .record({
      allowedJurisdictions: fc.option(fc.subarray(["US", "CH", "DE"], { minLength: 1 }), { nil: undefined }),
      blockedJurisdictions: fc.subarray(["IR", "KP"]),
      minKycTier: fc.record({
        mint: fc.integer({ min: 0, max: 3 }),
        redeem: fc.integer({ min: 0, max: 3 }),
        transfer: fc.integer({ min: 0, max: 3 }),
      }),
      qualifiedPartyThreshold: fc.option(fc.constantFrom("0", "1", "1000000"), { nil: undefined }),
      maxRecordAgeSeconds: fc.option(fc.integer({ min: 1, max: 200 }), { nil: undefined }),
    })
    .map((r) => rules(r));
  const arbRequest = fc.record({
    account: fc.constant(ALICE as `0x${string}`),
    assetId: fc.constant("dusd"),
    operation: fc.constantFrom(...COMPLIANCE_OPERATIONS),
    amount: fc.bigInt({ min: 0n, max: 10n ** 14n }),
    ipCountry: fc.option(fc.constantFrom("US", "KP", "FR"), { nil: undefined }),
  });

  it("property: a paused asset is never allowed, and BREAKER_PAUSED is always among the reasons", () => {
    fc.assert(
      fc.property(
        arbRequest,
        arbLookup,
        arbRules,
        fc.array(fc.constantFrom(31337, 31338, 1), { minLength: 1, maxLength: 3 }),
        (req, lookup, r, pausedChains) => {
          const verdict = decideCompliance(req, lookup, r, new Map([["dusd", pausedChains]]), NOW);
          expect(verdict.allowed).toBe(false);
          expect(verdict.reasons).toContain("BREAKER_PAUSED");
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("property: allowed iff no reasons; reasons are unique, known and ordered; a failed lookup never allows", () => {
    fc.assert(
      fc.property(arbRequest, arbLookup, arbRules, (req, lookup, r) => {
        const verdict = decideCompliance(req, lookup, r, none, NOW);
        expect(verdict.allowed).toBe(verdict.reasons.length === 0);
        const positions = verdict.reasons.map((c) => COMPLIANCE_REASON_CODES.indexOf(c));
        expect(positions.every((p) => p >= 0)).toBe(true);
        expect([...positions].sort((a, b) => a - b)).toEqual(positions);
        expect(new Set(positions).size).toBe(positions.length);
        if (lookup.type !== "found") expect(verdict.allowed).toBe(false);
      }),
      { numRuns: 2_000 },
    );
  });

  it("is pure: the same inputs give the same verdict (no clock, no state)", () => {
    const a = decide(found({ tier: 1 }), { operation: "redeem" });
    const b = decide(found({ tier: 1 }), { operation: "redeem" });
    expect(a).toEqual(b);
  });
});

describe("rules", () => {
  it("converts the QP threshold from whole tokens to base units and hashes the rules", () => {
    const r = rules({ qualifiedPartyThreshold: "1000000.5" });
    expect(r.qualifiedPartyThreshold).toBe(1_000_000_500_000n);
    expect(r.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(rules().hash).toBe(rules().hash);
    expect(rules({ blockedJurisdictions: ["KP", "IR"] }).hash).toBe(rules().hash); // sorted first
    expect(rules({ blockedJurisdictions: ["KP"] }).hash).not.toBe(rules().hash);
  });

  it("refuses a threshold with more decimals than the token", () => {
    expect(() => rules({ qualifiedPartyThreshold: "0.0000001" })).toThrow(/more than 6 decimals/);
  });
});
