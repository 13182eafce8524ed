/**
 * The desired state of a ComplianceGate (from the provider's records and the asset rules), the state
 * read from the chain, and the difference between them as gate changes. Pure.
 *
 * How rules map onto the gate:
 * - records: tier, jurisdiction, QP flag and expiresAt exactly as the provider says (expiresAt equal);
 *   an account whose record disappeared is cleared;
 * - blocked jurisdictions: every configured blocked code, plus — when the asset has an allow-list —
 *   every jurisdiction of a known record that is outside it (the gate has no allow-list; blocking the
 *   codes actually in use gives the same check() answer for every known account);
 * - min tier per operation; QP threshold in base units (no threshold → type(uint256).max, disabled).
 * Off-chain only (no gate equivalent): max record age, ip geofence, provider failures, breaker pauses.
 */
import type { Address } from "viem";
import type { GateChange, GateOperationName, GateRecordValue } from "../../actions/complianceGateSync.ts";
import type { AssetRules } from "./types.ts";

export const UINT256_MAX = 2n ** 256n - 1n;
const OPERATIONS: readonly GateOperationName[] = ["mint", "redeem", "transfer"];

/** A gate's state for the accounts and codes a sync looks at. */
export type GateState = {
  /** undefined = no record (the gate's all-zero record). */
  readonly records: ReadonlyMap<Address, GateRecordValue | undefined>;
  readonly blocked: ReadonlyMap<string, boolean>;
  readonly minKycTier: Readonly<Record<GateOperationName, number>>;
  readonly qualifiedPartyThreshold: bigint;
};

/** A desired record: the provider's record with the QP verifier's answer. */
export type DesiredRecordInput = {
  readonly tier: number;
  readonly jurisdiction: string;
  readonly qualifiedParty: boolean;
  readonly expiresAt: bigint;
};

/** Jurisdiction codes a sync reads and writes: blocked ∪ allowed ∪ the records' ∪ `extra`. */
export function jurisdictionsToCheck(
  rules: AssetRules,
  records: ReadonlyMap<Address, DesiredRecordInput | undefined>,
  extra: Iterable<string> = [],
): string[] {
  const codes = new Set<string>([
    ...rules.blockedJurisdictions,
    ...(rules.allowedJurisdictions ?? []),
    ...extra,
  ]);
  for (const r of records.values()) if (r) codes.add(r.jurisdiction);
  return [...codes].sort();
}

/** Whether the gate should block `code` under `rules`. */
export function shouldBlock(rules: AssetRules, code: string): boolean {
  if (rules.blockedJurisdictions.includes(code)) return true;
  return rules.allowedJurisdictions !== undefined && !rules.allowedJurisdictions.includes(code);
}

/** The state the gate should have for these accounts and codes. */
export function desiredGateState(
  rules: AssetRules,
  records: ReadonlyMap<Address, DesiredRecordInput | undefined>,
  codes: readonly string[],
): GateState {
  const desiredRecords = new Map<Address, GateRecordValue | undefined>();
  for (const [account, r] of records) {
    desiredRecords.set(
      account,
      r === undefined || (r.tier === 0 && r.expiresAt === 0n)
        ? undefined
        : {
            kycTier: r.tier,
            jurisdiction: r.jurisdiction,
            qualifiedParty: r.qualifiedParty,
            expiresAt: r.expiresAt,
          },
    );
  }
  return {
    records: desiredRecords,
    blocked: new Map(codes.map((c) => [c, shouldBlock(rules, c)])),
    minKycTier: { ...rules.minKycTier },
    qualifiedPartyThreshold: rules.qualifiedPartyThreshold ?? UINT256_MAX,
  };
}

const sameRecord = (a: GateRecordValue | undefined, b: GateRecordValue | undefined) =>
  a === undefined || b === undefined
    ? a === b
    : a.kycTier === b.kycTier &&
      a.jurisdiction === b.jurisdiction &&
      a.qualifiedParty === b.qualifiedParty &&
      a.expiresAt === b.expiresAt;

/** The changes that turn `observed` into `desired` (only differences; empty when in sync). */
export function planGateChanges(desired: GateState, observed: GateState): GateChange[] {
  const changes: GateChange[] = [];
  const set: [Address, GateRecordValue][] = [];
  const clear: Address[] = [];
  for (const [account, want] of desired.records) {
    const have = observed.records.get(account);
    if (sameRecord(want, have)) continue;
    if (want === undefined) clear.push(account);
    else set.push([account, want]);
  }
  if (set.length > 0) changes.push({ type: "records", entries: set });
  if (clear.length > 0) changes.push({ type: "clear_records", accounts: clear });
  const block: string[] = [];
  const unblock: string[] = [];
  for (const [code, want] of desired.blocked) {
    if ((observed.blocked.get(code) ?? false) === want) continue;
    (want ? block : unblock).push(code);
  }
  if (block.length > 0) changes.push({ type: "jurisdictions", codes: block, blocked: true });
  if (unblock.length > 0) changes.push({ type: "jurisdictions", codes: unblock, blocked: false });
  for (const operation of OPERATIONS) {
    if (desired.minKycTier[operation] !== observed.minKycTier[operation]) {
      changes.push({ type: "min_tier", operation, tier: desired.minKycTier[operation] });
    }
  }
  if (desired.qualifiedPartyThreshold !== observed.qualifiedPartyThreshold) {
    changes.push({ type: "qp_threshold", amount: desired.qualifiedPartyThreshold });
  }
  return changes;
}

/** Number of individual differences in a plan (records, codes, tiers, threshold). */
export function countDifferences(changes: readonly GateChange[]): number {
  let n = 0;
  for (const c of changes) {
    switch (c.type) {
      case "records":
        n += c.entries.length;
        break;
      case "clear_records":
        n += c.accounts.length;
        break;
      case "jurisdictions":
        n += c.codes.length;
        break;
      case "min_tier":
      case "qp_threshold":
        n += 1;
        break;
      default:
        return c satisfies never;
    }
  }
  return n;
}
