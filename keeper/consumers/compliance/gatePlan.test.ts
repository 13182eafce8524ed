import type { Address } from "viem";
import { describe, expect, it } from "vitest";
import { decideCompliance } from "./decideCompliance.ts";
import {
  countDifferences,
  type DesiredRecordInput,
  desiredGateState,
  type GateState,
  jurisdictionsToCheck,
  planGateChanges,
  UINT256_MAX,
} from "./gatePlan.ts";
import { expectedGateAnswer, GATE_REASONS, gateReasonCode } from "./gateReason.ts";
import { assetRulesFrom } from "./rules.ts";

const A = "0x00000000000000000000000000000000000000a1" as Address;
const B = "0x00000000000000000000000000000000000000b2" as Address;
const C = "0x00000000000000000000000000000000000000c3" as Address;

const rules = assetRulesFrom({
  id: "dusd",
  tokenDecimals: 6,
  blockedJurisdictions: ["IR"],
  minKycTier: { mint: 1, redeem: 2, transfer: 1 },
  qualifiedPartyThreshold: "1000",
});

const rec = (over: Partial<DesiredRecordInput> = {}): DesiredRecordInput => ({
  tier: 2,
  jurisdiction: "US",
  qualifiedParty: true,
  expiresAt: 2_000_000_000n,
  ...over,
});

/** A freshly deployed gate: no records, nothing blocked, tier 1 everywhere, QP disabled. */
const fresh = (accounts: Address[], codes: string[]): GateState => ({
  records: new Map(accounts.map((a) => [a, undefined])),
  blocked: new Map(codes.map((c) => [c, false])),
  minKycTier: { mint: 1, redeem: 1, transfer: 1 },
  qualifiedPartyThreshold: UINT256_MAX,
});

describe("planGateChanges", () => {
  const records = new Map<Address, DesiredRecordInput | undefined>([
    [A, rec()],
    [B, rec({ jurisdiction: "IR", qualifiedParty: false })],
    [C, undefined],
  ]);
  const codes = jurisdictionsToCheck(rules, records);
  const desired = desiredGateState(rules, records, codes);

  it("plans every difference against a fresh gate, and nothing for accounts without a record there", () => {
    expect(codes).toEqual(["IR", "US"]);
    const changes = planGateChanges(desired, fresh([A, B, C], codes));
    expect(changes).toEqual([
      {
        type: "records",
        entries: [
          [A, { kycTier: 2, jurisdiction: "US", qualifiedParty: true, expiresAt: 2_000_000_000n }],
          [B, { kycTier: 2, jurisdiction: "IR", qualifiedParty: false, expiresAt: 2_000_000_000n }],
        ],
      },
      { type: "jurisdictions", codes: ["IR"], blocked: true },
      { type: "min_tier", operation: "redeem", tier: 2 },
      { type: "qp_threshold", amount: 1_000_000_000n },
    ]);
    expect(countDifferences(changes)).toBe(5);
  });

  it("plans nothing when the gate already equals the desired state (idempotent)", () => {
    expect(planGateChanges(desired, desired)).toEqual([]);
  });

  it("clears a record the provider dropped, unblocks a code no longer blocked, updates a changed expiry", () => {
    const observed: GateState = {
      ...desired,
      records: new Map([
        [A, { kycTier: 2, jurisdiction: "US", qualifiedParty: true, expiresAt: 1n }],
        [B, desired.records.get(B)],
        [C, { kycTier: 1, jurisdiction: "DE", qualifiedParty: false, expiresAt: 5n }],
      ]),
      blocked: new Map([
        ["IR", true],
        ["US", true],
      ]),
    };
    expect(planGateChanges(desired, observed)).toEqual([
      { type: "records", entries: [[A, desired.records.get(A)]] },
      { type: "clear_records", accounts: [C] },
      { type: "jurisdictions", codes: ["US"], blocked: false },
    ]);
  });

  it("blocks the in-use jurisdictions outside an allow-list (the gate has none)", () => {
    const allowList = assetRulesFrom({
      id: "dusd",
      tokenDecimals: 6,
      allowedJurisdictions: ["US"],
      blockedJurisdictions: [],
      minKycTier: { mint: 1, redeem: 1, transfer: 1 },
    });
    const recs = new Map<Address, DesiredRecordInput | undefined>([[A, rec({ jurisdiction: "FR" })]]);
    const cs = jurisdictionsToCheck(allowList, recs);
    expect(cs).toEqual(["FR", "US"]);
    expect(desiredGateState(allowList, recs, cs).blocked).toEqual(
      new Map([
        ["FR", true],
        ["US", false],
      ]),
    );
    expect(desiredGateState(allowList, recs, cs).qualifiedPartyThreshold).toBe(UINT256_MAX);
  });
});

describe("gate reasons", () => {
  it("maps the gate's Reason enum (contract order) to the service's codes", () => {
    expect(GATE_REASONS.map((_, i) => gateReasonCode(i))).toEqual([
      undefined,
      "NO_RECORD",
      "RECORD_EXPIRED",
      "KYC_TIER_TOO_LOW",
      "JURISDICTION_BLOCKED",
      "QUALIFIED_PARTY_REQUIRED",
    ]);
  });

  it("expects the gate's first failing rule, ignoring off-chain-only reasons", () => {
    const now = 1_000n;
    const verdict = (lookup: Parameters<typeof decideCompliance>[1], amount = 1n, paused = false) =>
      decideCompliance(
        { account: A, assetId: "dusd", operation: "redeem", amount },
        lookup,
        rules,
        new Map(paused ? [["dusd", [1]]] : []),
        now,
      );
    const r = { recordId: "x", tier: 1, jurisdiction: "IR", qualifiedParty: false, expiresAt: 10n };
    // expired + blocked + tier too low: the gate reports RecordExpired first.
    expect(expectedGateAnswer(verdict({ type: "found", record: r }))).toEqual({
      allowed: false,
      reason: "RecordExpired",
    });
    expect(
      expectedGateAnswer(verdict({ type: "found", record: { ...r, expiresAt: 5_000n } }, 10n ** 12n)),
    ).toEqual({ allowed: false, reason: "JurisdictionBlocked" });
    expect(expectedGateAnswer(verdict({ type: "not_found" }))).toEqual({
      allowed: false,
      reason: "NoRecord",
    });
    const ok = { ...r, tier: 2, jurisdiction: "US", expiresAt: 5_000n };
    expect(expectedGateAnswer(verdict({ type: "found", record: ok }, 10n ** 12n))).toEqual({
      allowed: false,
      reason: "QualifiedPartyRequired",
    });
    // A pause is off-chain only (the breaker, not the gate, stops the minter).
    expect(expectedGateAnswer(verdict({ type: "found", record: ok }, 1n, true))).toEqual({
      allowed: true,
      reason: "None",
    });
  });
});
