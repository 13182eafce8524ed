/**
 * Devnet config for the compliance service: the keeper's devnet config (keeper/config/fromDevnet.ts,
 * which fills each deployment's gate, minter and redeemer) plus a `compliance:` section, and a KYC
 * registry mirroring what `devnet up` seeds on the gates (alice, bob, carol: tier 2, US, qualified
 * party, one year). Written by `reserve-keeper compliance devnet-config` next to the manifest.
 *
 * DEVNET ONLY: the signers read raw keys from RESERVE_KEEPER_COMPLIANCE_KEY (compliance officer,
 * Hardhat account #3) and RESERVE_KEEPER_ISSUER_KEY (issuer, #2); `compliance serve --devnet-keys`
 * fills them from Hardhat's public test mnemonic.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import YAML from "yaml";
import { DEVNET_KYC_USERS } from "../../../deploy/devnet/accounts.ts";
import { type DevnetManifest, readDevnetManifest } from "../../../deploy/devnet/manifest.ts";
import { type ConfigOverrides, devnetKeeperConfigDocument } from "../../config/fromDevnet.ts";
import { parseConfig } from "../../config/load.ts";
import type { KeeperConfig, KeeperConfigInput } from "../../config/schema.ts";
import type { ComplianceConfigInput } from "./config.ts";
import type { KycRegistryInput } from "./kycRecordSchema.ts";

export const DEVNET_COMPLIANCE_CONFIG_NAME = "devnet.compliance.yaml";
export const DEVNET_KYC_REGISTRY_NAME = "devnet.kyc.json";
export const DEVNET_COMPLIANCE_KEY_ENV = "RESERVE_KEEPER_COMPLIANCE_KEY";
export const DEVNET_ISSUER_KEY_ENV = "RESERVE_KEEPER_ISSUER_KEY";
/** Jurisdictions the devnet blocks for every asset. */
export const DEVNET_BLOCKED_JURISDICTIONS = ["CU", "IR", "KP", "SY"] as const;

const ONE_YEAR = 365 * 24 * 3600;

/** The devnet KYC registry: the seeded users with one-year records from `nowSeconds`. */
export function devnetKycRegistry(manifest: DevnetManifest, nowSeconds: number): KycRegistryInput {
  return {
    version: 1,
    records: DEVNET_KYC_USERS.flatMap((user) => {
      const account = manifest.accounts[user];
      return account === undefined
        ? []
        : [
            {
              account,
              recordId: `devnet-kyc-${user}`,
              tier: 2,
              jurisdiction: "US",
              qualifiedParty: true,
              expiresAt: nowSeconds + ONE_YEAR,
              verifiedAt: nowSeconds,
            },
          ];
    }),
  };
}

/** The `compliance:` section for a devnet manifest (file registry at `kycPath`, on-ramp with devnet settlement). */
export function devnetComplianceSection(
  manifest: DevnetManifest,
  { kycPath }: { kycPath: string },
): ComplianceConfigInput {
  return {
    kyc: { type: "file", path: kycPath, watch: true },
    assets: manifest.assets.map((a) => ({
      id: a.id,
      tokenDecimals: a.tokenDecimals,
      blockedJurisdictions: [...DEVNET_BLOCKED_JURISDICTIONS],
      minKycTier: { mint: 1, redeem: 1, transfer: 1 },
      qualifiedPartyThreshold: "1000000",
    })),
    signers: {
      complianceOfficer: { type: "env", variable: DEVNET_COMPLIANCE_KEY_ENV },
      issuer: { type: "env", variable: DEVNET_ISSUER_KEY_ENV },
    },
    gateSync: { enabled: true },
    onRamp: { enabled: true, settlement: "devnet", feeBps: 50 },
  };
}

/** The whole config document (keeper config + compliance section), file form. */
export function devnetComplianceConfigDocument(
  manifest: DevnetManifest,
  { kycPath, overrides = {} }: { kycPath: string; overrides?: ConfigOverrides },
): KeeperConfigInput {
  return devnetKeeperConfigDocument(manifest, {
    ...overrides,
    compliance: { ...devnetComplianceSection(manifest, { kycPath }), ...(overrides.compliance ?? {}) },
  } as ConfigOverrides);
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/**
 * Writes `devnet.compliance.yaml` and `devnet.kyc.json` next to the manifest (or at the given paths),
 * validating the config first.
 */
export async function writeDevnetComplianceConfig(
  manifestPath: string,
  {
    out = join(dirname(manifestPath), DEVNET_COMPLIANCE_CONFIG_NAME),
    kycOut = join(dirname(manifestPath), DEVNET_KYC_REGISTRY_NAME),
    nowSeconds = Math.floor(Date.now() / 1000),
  }: { out?: string; kycOut?: string; nowSeconds?: number } = {},
): Promise<{ configPath: string; kycPath: string; config: KeeperConfig }> {
  const manifest = await readDevnetManifest(manifestPath);
  const configPath = resolve(out);
  const kycPath = resolve(kycOut);
  const document = devnetComplianceConfigDocument(manifest, { kycPath });
  const { config } = parseConfig(document, { file: configPath });
  const header = [
    `# reserve-keeper compliance service config for the local devnet, generated from ${manifestPath}.`,
    `# DEVNET ONLY: signers read raw keys from $${DEVNET_COMPLIANCE_KEY_ENV} and $${DEVNET_ISSUER_KEY_ENV}`,
    "# (`reserve-keeper compliance serve --devnet-keys` fills them from Hardhat's public test mnemonic).",
    "",
  ].join("\n");
  await writeAtomically(kycPath, `${JSON.stringify(devnetKycRegistry(manifest, nowSeconds), null, 2)}\n`);
  await writeAtomically(configPath, header + YAML.stringify(document, { lineWidth: 0 }));
  return { configPath, kycPath, config };
}
