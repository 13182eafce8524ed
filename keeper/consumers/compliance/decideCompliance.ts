import { COMPLIANCE_REASON_CODES } from "../../bus/schemas.ts";
import { UnhandledVariantError } from "../../internal/errors.ts";
import type {
  AssetRules,
  ComplianceReasonCode,
  ComplianceRequest,
  ComplianceVerdict,
  PausedAssets,
  RecordLookup,
} from "./types.ts";

const ORDER = new Map<ComplianceReasonCode, number>(COMPLIANCE_REASON_CODES.map((c, i) => [c, i]));

/**
 * THE compliance rule evaluation: pure (no I/O, no clock), so the API, the on-ramp and the tests share
 * it. Returns EVERY reason that applies, in the stable order of COMPLIANCE_REASON_CODES; allowed only
 * when there is none.
 *
 * - UNKNOWN_ASSET: no rules for the asset (nothing else is evaluated).
 * - BREAKER_PAUSED: the asset is paused on any of its chains (per asset, not per chain).
 * - PROVIDER_UNAVAILABLE: the record lookup failed: fail closed, never allow on error.
 * - NO_RECORD: no record, or a record with tier 0 and expiresAt 0 (the gate's "no record").
 * - RECORD_EXPIRED: now >= expiresAt (as ComplianceGate.check).
 * - RECORD_TOO_OLD: maxRecordAgeSeconds is set and the record was verified longer ago, or has no
 *   verifiedAt (off-chain only).
 * - JURISDICTION_BLOCKED / JURISDICTION_NOT_ALLOWED: the record's jurisdiction is blocked / outside
 *   the allow-list.
 * - IP_JURISDICTION_BLOCKED / IP_JURISDICTION_NOT_ALLOWED: the same for the country the request's ip
 *   resolved to (a request from a blocked country is refused whatever the record says).
 * - KYC_TIER_TOO_LOW: tier < minKycTier[operation].
 * - QUALIFIED_PARTY_REQUIRED: amount >= qualifiedPartyThreshold and the account is not a QP.
 *
 * `now` is unix seconds.
 */
export function decideCompliance(
  request: ComplianceRequest,
  record: RecordLookup,
  rules: AssetRules | undefined,
  pausedState: PausedAssets,
  now: bigint,
): ComplianceVerdict {
  if (rules === undefined || rules.assetId !== request.assetId) {
    return { allowed: false, reasons: ["UNKNOWN_ASSET"] };
  }
  const reasons = new Set<ComplianceReasonCode>();
  if ((pausedState.get(request.assetId)?.length ?? 0) > 0) reasons.add("BREAKER_PAUSED");

  const jurisdictionReason = (
    code: string,
    blocked: ComplianceReasonCode,
    notAllowed: ComplianceReasonCode,
  ) => {
    if (rules.blockedJurisdictions.includes(code)) reasons.add(blocked);
    else if (rules.allowedJurisdictions !== undefined && !rules.allowedJurisdictions.includes(code)) {
      reasons.add(notAllowed);
    }
  };
  if (request.ipCountry !== undefined) {
    jurisdictionReason(request.ipCountry, "IP_JURISDICTION_BLOCKED", "IP_JURISDICTION_NOT_ALLOWED");
  }

  switch (record.type) {
    case "unavailable":
      reasons.add("PROVIDER_UNAVAILABLE");
      break;
    case "not_found":
      reasons.add("NO_RECORD");
      break;
    case "found": {
      const r = record.record;
      if (r.tier === 0 && r.expiresAt === 0n) {
        reasons.add("NO_RECORD");
        break;
      }
      if (now >= r.expiresAt) reasons.add("RECORD_EXPIRED");
      if (rules.maxRecordAgeSeconds !== undefined) {
        if (r.verifiedAt === undefined || now - r.verifiedAt > rules.maxRecordAgeSeconds) {
          reasons.add("RECORD_TOO_OLD");
        }
      }
      jurisdictionReason(r.jurisdiction, "JURISDICTION_BLOCKED", "JURISDICTION_NOT_ALLOWED");
      if (r.tier < rules.minKycTier[request.operation]) reasons.add("KYC_TIER_TOO_LOW");
      if (
        rules.qualifiedPartyThreshold !== undefined &&
        request.amount >= rules.qualifiedPartyThreshold &&
        !r.qualifiedParty
      ) {
        reasons.add("QUALIFIED_PARTY_REQUIRED");
      }
      break;
    }
    default:
      throw new UnhandledVariantError({ subject: "record lookup", value: record satisfies never });
  }
  const sorted = [...reasons].sort((a, b) => (ORDER.get(a) ?? 0) - (ORDER.get(b) ?? 0));
  return { allowed: sorted.length === 0, reasons: sorted };
}
