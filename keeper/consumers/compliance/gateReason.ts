/**
 * The ComplianceGate's enums (contracts/interfaces/IComplianceGate.sol) and how they map to the
 * service's reason codes, so off-chain and on-chain answers can be compared.
 */
import type { ComplianceReasonCode, ComplianceVerdict } from "./types.ts";

/** IComplianceGate.Reason, in enum order. */
export const GATE_REASONS = [
  "None",
  "NoRecord",
  "RecordExpired",
  "KycTierTooLow",
  "JurisdictionBlocked",
  "QualifiedPartyRequired",
] as const;
export type GateReason = (typeof GATE_REASONS)[number];

/** The gate's reason as a service code (None → undefined). */
export function gateReasonCode(reason: number): ComplianceReasonCode | undefined {
  switch (GATE_REASONS[reason]) {
    case "NoRecord":
      return "NO_RECORD";
    case "RecordExpired":
      return "RECORD_EXPIRED";
    case "KycTierTooLow":
      return "KYC_TIER_TOO_LOW";
    case "JurisdictionBlocked":
      return "JURISDICTION_BLOCKED";
    case "QualifiedPartyRequired":
      return "QUALIFIED_PARTY_REQUIRED";
    default:
      return undefined;
  }
}

/** check() evaluates these in this order and reports the first failing one. */
const GATE_ORDER: readonly (readonly [GateReason, readonly ComplianceReasonCode[]])[] = [
  ["NoRecord", ["NO_RECORD"]],
  ["RecordExpired", ["RECORD_EXPIRED"]],
  // The gate has no allow-list: gate sync blocks the non-allowed codes in use (gatePlan.ts).
  ["JurisdictionBlocked", ["JURISDICTION_BLOCKED", "JURISDICTION_NOT_ALLOWED"]],
  ["KycTierTooLow", ["KYC_TIER_TOO_LOW"]],
  ["QualifiedPartyRequired", ["QUALIFIED_PARTY_REQUIRED"]],
];

/**
 * The (allowed, reason) a synced gate's check() must return for an off-chain verdict, considering only
 * the reasons the gate can express (BREAKER_PAUSED, PROVIDER_UNAVAILABLE, RECORD_TOO_OLD and the ip
 * reasons are off-chain only).
 */
export function expectedGateAnswer(verdict: ComplianceVerdict): { allowed: boolean; reason: GateReason } {
  for (const [reason, codes] of GATE_ORDER) {
    if (codes.some((c) => verdict.reasons.includes(c))) return { allowed: false, reason };
  }
  return { allowed: true, reason: "None" };
}
