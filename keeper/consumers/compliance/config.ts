import { z } from "zod";
import {
  addressSchema as address,
  describe,
  envVarName,
  httpUrl,
  intIn,
  SLUG,
  SLUG_RULE,
  signerConfigSchema,
} from "../../config/fields.ts";

/**
 * The `compliance:` section of the keeper config (keeper/consumers/compliance), written the way
 * keeper/config/schema.ts writes its sections: strict objects, every leaf with a range and a default
 * (or required), `.meta({ description })` on every leaf. Nothing here is sensitive: the KYC provider's
 * bearer token and the signer keys come from environment variables named here, never from the file.
 *
 * Cross-references to the rest of the config (asset ids, chain names, deployments with a gate/minter)
 * are checked when the service starts (`resolveComplianceSetup`), which lists every problem at once.
 */

const COUNTRY = /^[A-Z]{2}$/;
/** Token units as a decimal string, e.g. "1000000" or "0.5". */
const TOKEN_AMOUNT = /^(0|[1-9][0-9]{0,59})(\.[0-9]{1,36})?$/;

const country = () =>
  z.string().regex(COUNTRY, { error: "must be an ISO 3166-1 alpha-2 code in upper case (e.g. US)" });

/** Same variants as the keeper's `signer` (keystore, env for devnet only, none). */
const signerSchema = signerConfigSchema();

const kycSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("file"),
    path: describe(
      z.string().min(1),
      "JSON registry of KYC records (format: keeper/consumers/compliance/README.md).",
    ),
    watch: describe(
      z.boolean().prefault(true),
      "Reload the registry when the file changes (it can always be reloaded on demand).",
    ),
  }),
  z.strictObject({
    type: z.literal("http"),
    url: describe(
      httpUrl(),
      "Base URL of the KYC provider (GET <url>/v1/records/<account>); no credentials in the URL.",
    ),
    tokenEnv: describe(
      envVarName().optional(),
      "Environment variable holding the provider's bearer token (sent as Authorization: Bearer).",
    ),
    timeoutMs: describe(intIn(50, 60_000).prefault(2_000), "Timeout of one request, ms."),
    maxAttempts: describe(
      intIn(1, 10).prefault(3),
      "Attempts per lookup (the first included) on timeouts, network errors, 429 and 5xx.",
    ),
    backoffBaseMs: describe(intIn(1, 60_000).prefault(100), "First retry delay, ms; doubles per attempt."),
  }),
]);

const minKycTierSchema = z.strictObject({
  mint: describe(intIn(0, 255).prefault(1), "Minimum KYC tier to receive a mint."),
  redeem: describe(intIn(0, 255).prefault(1), "Minimum KYC tier to redeem."),
  transfer: describe(intIn(0, 255).prefault(1), "Minimum KYC tier to transfer."),
});

const assetRulesSchema = z.strictObject({
  id: describe(z.string().regex(SLUG, { error: SLUG_RULE }), "Asset id (assets[].id of the keeper config)."),
  tokenDecimals: describe(
    intIn(0, 36),
    "Decimals of the asset's token (QP threshold conversion; checked against the chain at start).",
  ),
  allowedJurisdictions: describe(
    z.array(country()).min(1).max(300).optional(),
    "Allow-list of record jurisdictions (absent: every jurisdiction not blocked is allowed).",
  ),
  blockedJurisdictions: describe(
    z.array(country()).max(300).prefault([]),
    "Jurisdictions refused for every operation (written to every gate of the asset).",
  ),
  minKycTier: describe(minKycTierSchema.prefault({}), "Minimum KYC tier per operation."),
  qualifiedPartyThreshold: describe(
    z
      .string()
      .regex(TOKEN_AMOUNT, {
        error: 'must be a non-negative decimal number of tokens as a string (e.g. "1000000")',
      })
      .optional(),
    "Amount in whole tokens (decimal string) at or above which a qualified party is required (absent: never).",
  ),
  maxRecordAgeSeconds: describe(
    intIn(1, 3_153_600_000).optional(),
    "Refuse records verified longer ago than this (off-chain only; a record without verifiedAt is refused).",
  ),
});

const gateSyncSchema = z.strictObject({
  enabled: describe(
    z.boolean().prefault(true),
    "Keep every ComplianceGate of each asset equal to the provider's records and the asset rules.",
  ),
  intervalMs: describe(intIn(1_000, 86_400_000).prefault(60_000), "Time between two sync passes, ms."),
  batchSize: describe(
    intIn(1, 500).prefault(50),
    "Records (or jurisdictions) per setRecords / setJurisdictionsBlocked.",
  ),
  maxAttempts: describe(
    intIn(1, 100).prefault(5),
    "Attempts of a pass (the first included) on retryable failures.",
  ),
  backoffBaseMs: describe(
    intIn(1, 600_000).prefault(500),
    "First retry delay, ms; doubles per attempt, with jitter.",
  ),
  backoffMaxMs: describe(intIn(1, 3_600_000).prefault(30_000), "Largest retry delay, ms."),
  receiptTimeoutMs: describe(
    intIn(1_000, 600_000).prefault(60_000),
    "Wait for a sync transaction's receipt, ms.",
  ),
  accounts: describe(
    z.array(address).max(100_000).prefault([]),
    "Accounts synced besides the provider's listed ones (an HTTP provider lists none).",
  ),
});

const onRampSchema = z.strictObject({
  enabled: describe(z.boolean().prefault(false), "Serve the on-ramp endpoints (/v1/onramp/…)."),
  settlement: describe(
    z.enum(["devnet", "none"]).prefault("none"),
    "devnet: POST /v1/onramp/orders/{id}/settle simulates the fiat payment; none: no settlement endpoint.",
  ),
  fiatCurrency: describe(
    z
      .string()
      .regex(/^[A-Z]{3}$/, { error: "must be an ISO 4217 code (e.g. USD)" })
      .prefault("USD"),
    "Currency of quotes (ISO 4217).",
  ),
  feeBps: describe(intIn(0, 10_000).prefault(0), "On-ramp fee, bps of the fiat amount."),
  quoteTtlSeconds: describe(
    intIn(1, 86_400).prefault(300),
    "How long a quote can be turned into an order, s.",
  ),
  receiptTimeoutMs: describe(intIn(1_000, 600_000).prefault(60_000), "Wait for a mint's receipt, ms."),
});

function checkSection(value: unknown, ctx: z.core.$RefinementCtx<unknown>) {
  if (typeof value !== "object" || value === null) return;
  const v = value as Record<string, unknown>;
  const signers = (v.signers ?? {}) as Record<string, { type?: unknown } | undefined>;
  const gateSync = v.gateSync as { enabled?: unknown } | undefined;
  const onRamp = v.onRamp as { enabled?: unknown } | undefined;
  if (gateSync?.enabled !== false && (signers.complianceOfficer?.type ?? "none") === "none") {
    ctx.addIssue({
      code: "custom",
      path: ["signers", "complianceOfficer"],
      message: "is needed while gateSync.enabled is true (or set gateSync.enabled: false)",
    });
  }
  if (onRamp?.enabled === true && (signers.issuer?.type ?? "none") === "none") {
    ctx.addIssue({
      code: "custom",
      path: ["signers", "issuer"],
      message: "is needed while onRamp.enabled is true (the on-ramp mints through the Secure-Mint minter)",
    });
  }
  const assets = Array.isArray(v.assets) ? v.assets : [];
  const seen = new Map<string, number>();
  assets.forEach((asset, i) => {
    const id = (asset as { id?: unknown } | null)?.id;
    if (typeof id !== "string") return;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else {
      ctx.addIssue({
        code: "custom",
        path: ["assets", i, "id"],
        message: `duplicate asset id "${id}" (also assets[${first}])`,
      });
    }
    const allowed = (asset as { allowedJurisdictions?: unknown }).allowedJurisdictions;
    const blocked = (asset as { blockedJurisdictions?: unknown }).blockedJurisdictions;
    if (Array.isArray(allowed) && Array.isArray(blocked)) {
      const both = blocked.filter((c) => allowed.includes(c));
      if (both.length > 0) {
        ctx.addIssue({
          code: "custom",
          path: ["assets", i, "allowedJurisdictions"],
          message: `lists blocked jurisdictions too (${both.join(", ")}); a code is either allowed or blocked`,
        });
      }
    }
  });
}

/** Mount as `compliance: complianceConfigSchema.optional()` in keeper/config/schema.ts. */
export const complianceConfigSchema = z
  .strictObject({
    api: z
      .strictObject({
        host: describe(z.string().min(1).prefault("127.0.0.1"), "Address the compliance HTTP API binds to."),
        port: describe(
          intIn(0, 65_535).prefault(8_650),
          "Port of the compliance HTTP API (0 = any free port).",
        ),
        maxBodyBytes: describe(
          intIn(256, 1_048_576).prefault(16_384),
          "Largest request body accepted, bytes.",
        ),
      })
      .prefault({}),
    metricsPort: describe(
      intIn(0, 65_535).prefault(9_465),
      "Port of the service's /metrics, /healthz, /readyz (on telemetry.host; 0 = any free port).",
    ),
    kyc: describe(kycSchema, "Where KYC records come from: a JSON file registry or an HTTP provider."),
    qualifiedParty: z
      .strictObject({
        type: describe(z.literal("record").prefault("record"), "Qualified-party source."),
      })
      .prefault({}),
    geo: z
      .strictObject({
        cidrTable: describe(
          z.string().min(1).optional(),
          "CSV of `cidr,country` lines (IPv4 and IPv6) resolving a request's ip; absent: ips are not resolved.",
        ),
      })
      .prefault({}),
    pause: z
      .strictObject({
        reconcileIntervalMs: describe(
          intIn(1_000, 3_600_000).prefault(15_000),
          "Re-read paused() of every breaker this often, besides following breakerEvents, ms.",
        ),
      })
      .prefault({}),
    assets: describe(z.array(assetRulesSchema).min(1), "Compliance rules per asset."),
    signers: z
      .strictObject({
        complianceOfficer: describe(
          signerSchema.prefault({ type: "none" }),
          "Holder of COMPLIANCE_ROLE on the gates (gate sync).",
        ),
        issuer: describe(
          signerSchema.prefault({ type: "none" }),
          "Holder of ISSUER_ROLE on the minter (on-ramp mints).",
        ),
      })
      .prefault({}),
    gateSync: gateSyncSchema.prefault({}),
    onRamp: onRampSchema.prefault({}),
  })
  .superRefine(checkSection, { when: () => true });

/** The parsed `compliance:` section. */
export type ComplianceConfig = z.output<typeof complianceConfigSchema>;
export type ComplianceAssetConfig = ComplianceConfig["assets"][number];
export type ComplianceSignerConfig = ComplianceConfig["signers"]["issuer"];
export type KycConfig = ComplianceConfig["kyc"];
/** What a config file may contain under `compliance:`. */
export type ComplianceConfigInput = z.input<typeof complianceConfigSchema>;
