import { createHash } from "node:crypto";
import { parseUnits } from "viem";
import type { ComplianceAssetConfig } from "./config.ts";
import { ComplianceSetupError } from "./errors.ts";
import type { AssetRules } from "./types.ts";

/** "1000000.5" whole tokens → base units of a token with `decimals`; undefined when it has more decimals. */
export function tokenUnitsToBase(amount: string, decimals: number): bigint | undefined {
  const fraction = amount.split(".")[1] ?? "";
  if (fraction.length > decimals) return undefined;
  return parseUnits(amount, decimals);
}

/** 16 hex digits of sha256 over the rules' canonical JSON (bigints as decimal strings). */
function rulesHash(rules: Omit<AssetRules, "hash">): string {
  const canonical = JSON.stringify(
    {
      assetId: rules.assetId,
      tokenDecimals: rules.tokenDecimals,
      allowedJurisdictions: rules.allowedJurisdictions ?? null,
      blockedJurisdictions: rules.blockedJurisdictions,
      minKycTier: [rules.minKycTier.mint, rules.minKycTier.redeem, rules.minKycTier.transfer],
      qualifiedPartyThreshold: rules.qualifiedPartyThreshold?.toString() ?? null,
      maxRecordAgeSeconds: rules.maxRecordAgeSeconds?.toString() ?? null,
    },
    null,
    0,
  );
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}

/** The rules of one asset from its config entry (QP threshold in base units, lists sorted, hash). */
export function assetRulesFrom(asset: ComplianceAssetConfig): AssetRules {
  const threshold =
    asset.qualifiedPartyThreshold === undefined
      ? undefined
      : tokenUnitsToBase(asset.qualifiedPartyThreshold, asset.tokenDecimals);
  if (asset.qualifiedPartyThreshold !== undefined && threshold === undefined) {
    throw new ComplianceSetupError({
      problems: [
        `compliance.assets[${asset.id}].qualifiedPartyThreshold "${asset.qualifiedPartyThreshold}" has more than ${asset.tokenDecimals} decimals`,
      ],
    });
  }
  const sorted = (codes: readonly string[]) => [...new Set(codes)].sort();
  const rules: Omit<AssetRules, "hash"> = {
    assetId: asset.id,
    tokenDecimals: asset.tokenDecimals,
    allowedJurisdictions:
      asset.allowedJurisdictions === undefined ? undefined : sorted(asset.allowedJurisdictions),
    blockedJurisdictions: sorted(asset.blockedJurisdictions),
    minKycTier: { ...asset.minKycTier },
    qualifiedPartyThreshold: threshold,
    maxRecordAgeSeconds:
      asset.maxRecordAgeSeconds === undefined ? undefined : BigInt(asset.maxRecordAgeSeconds),
  };
  return { ...rules, hash: rulesHash(rules) };
}
