import { z } from "zod";
import { bigIntIn, describe, ENV_NAME, intIn, SLUG } from "../../config/fields.ts";
import type { ConfigProblem } from "../../internal/errors.ts";
import { httpUrl, isoTimestamp, sha256Hex } from "./report.ts";

/**
 * The `custody:` section of the keeper config (optional: without it there is no custody service),
 * written the way keeper/config/schema.ts writes its sections: strict objects, every leaf with a range
 * and a default (or required), `.meta({ description })` on every leaf. Nothing here is a secret: the
 * provider's bearer token comes from the environment variable named by `provider.tokenEnv`, and the
 * provider URL may not carry credentials (rejected).
 *
 * Cross-references with the rest of the config (custody.assets[].id must be an assets[].id; pausing
 * needs a signer) are `checkCustodyReferences`, run by the service and `custody serve`.
 */

const TYPE_DOC = "Provider type: http (the custodian's JSON API) or file (a JSON file; devnet).";

const httpProviderSchema = z.strictObject({
  type: describe(z.literal("http"), TYPE_DOC),
  url: describe(
    httpUrl(),
    "Base URL of the custodian API (http/https, no credentials); reports are read from <url>/v1/reports/<assetId>.",
  ),
  tokenEnv: describe(
    z
      .string()
      .regex(ENV_NAME, { error: "must be an environment variable name (letters, digits and '_')" })
      .optional(),
    "Name of the environment variable holding the bearer token (sent as Authorization: Bearer …). Optional.",
  ),
  timeoutMs: describe(intIn(100, 120_000).prefault(10_000), "Timeout of one request, ms."),
  maxAttempts: describe(
    intIn(1, 10).prefault(3),
    "Requests per poll (the first included) on network errors, timeouts, 429 and 5xx.",
  ),
  backoffBaseMs: describe(
    intIn(0, 60_000).prefault(500),
    "First retry delay, ms; doubles per attempt, with jitter.",
  ),
  backoffMaxMs: describe(
    intIn(0, 600_000).prefault(10_000),
    "Largest retry delay, ms (also caps a Retry-After).",
  ),
  maxResponseBytes: describe(
    intIn(1_024, 16_777_216).prefault(1_048_576),
    "Largest report body accepted, bytes.",
  ),
});

const fileProviderSchema = z.strictObject({
  type: describe(z.literal("file"), TYPE_DOC),
  path: describe(
    z.string().min(1),
    "JSON file holding an array of report documents (one per asset), read at every poll.",
  ),
});

const linkSchema = z.strictObject({
  url: describe(httpUrl(), "Public URL of the attestation or audit document (http/https)."),
  auditor: describe(z.string().trim().min(1).max(200), "Who attested (the audit firm)."),
  period: z.strictObject({
    start: describe(isoTimestamp(), "First day the document covers (ISO-8601 date or date-time)."),
    end: describe(isoTimestamp(), "Last day the document covers (ISO-8601 date or date-time)."),
  }),
  sha256: describe(sha256Hex(), "Expected SHA-256 of the document's bytes (64 hex characters)."),
});

const assetSchema = z.strictObject({
  id: describe(
    z.string().regex(SLUG, { error: "must be an asset id (assets[].id)" }),
    "Asset id (assets[].id) whose custodian reports are watched.",
  ),
  attestations: describe(
    z.array(linkSchema).max(100).prefault([]),
    "Attestation links pinned by operators (verified besides those the custodian's report lists).",
  ),
});

function checkAssets(value: unknown, ctx: z.core.$RefinementCtx<unknown>) {
  if (typeof value !== "object" || value === null) return;
  const assets = (value as { assets?: unknown }).assets;
  if (!Array.isArray(assets)) return;
  const seen = new Map<string, number>();
  assets.forEach((asset, i) => {
    const id = typeof asset === "object" && asset !== null ? (asset as { id?: unknown }).id : undefined;
    if (typeof id !== "string") return;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else
      ctx.addIssue({
        code: "custom",
        path: ["assets", i, "id"],
        message: `duplicate asset id "${id}" (also assets[${first}])`,
      });
  });
}

/** Mount as `custody: custodyConfigSchema.optional()` in keeper/config/schema.ts. */
export const custodyConfigSchema = z
  .strictObject({
    provider: describe(
      z.discriminatedUnion("type", [httpProviderSchema, fileProviderSchema]),
      "Where custodian reports come from: http (the custodian's JSON API) or file (devnet).",
    ),
    pollIntervalMs: describe(
      intIn(100, 86_400_000).prefault(60_000),
      "How often each asset's custodian report is fetched (and health re-evaluated), ms.",
    ),
    maxReportAgeSeconds: describe(
      bigIntIn(1, 31_536_000).prefault(86_400),
      "A report whose asOf is older than this is stale (health: report stale).",
    ),
    maxFutureSkewSeconds: describe(
      bigIntIn(0, 86_400).prefault(300),
      "A report whose asOf is further than this in the future is rejected as invalid.",
    ),
    socWarnDays: describe(
      intIn(0, 365).prefault(30),
      "Warn this many days before the custodian's SOC report expires (health: soc expiring).",
    ),
    attestations: z
      .strictObject({
        verifyIntervalSeconds: describe(
          intIn(1, 604_800).prefault(3_600),
          "How often every attestation link is fetched and hashed again, seconds (also the message-id time bucket).",
        ),
        timeoutMs: describe(intIn(100, 300_000).prefault(15_000), "Timeout of one document download, ms."),
        maxBytes: describe(
          intIn(1, 268_435_456).prefault(20_971_520),
          "Documents larger than this are not hashed (outcome too_large), bytes.",
        ),
      })
      .prefault({}),
    dualSource: z
      .strictObject({
        toleranceBps: describe(
          bigIntIn(0, 10_000).prefault(50),
          "Largest accepted difference between the custodian balance and the PoR answer, in bps of the larger of the two.",
        ),
        maxAsOfSkewSeconds: describe(
          bigIntIn(0, 31_536_000).prefault(86_400),
          "Only a custodian report and a PoR answer whose as-of times are at most this far apart are compared (else not_comparable).",
        ),
        onDisagree: describe(
          z.enum(["alert", "pause"]).prefault("alert"),
          "What a disagreement does: alert only (message, metric, alert rule), or pause the asset's breakers as well.",
        ),
        pauseOn: describe(
          z.enum(["custodian_below", "any"]).prefault("custodian_below"),
          "With onDisagree pause: pause only when the custodian reports less than the PoR answer (the feed overstates reserves), or on any disagreement.",
        ),
      })
      .prefault({}),
    server: z
      .strictObject({
        host: describe(z.string().min(1).prefault("127.0.0.1"), "Address the custody HTTP server binds to."),
        port: describe(
          intIn(0, 65_535).prefault(9_471),
          "Port of /v1/attestations, /v1/custody, /healthz and /metrics (0 = any free port).",
        ),
      })
      .prefault({}),
    assets: describe(z.array(assetSchema).min(1).max(100), "The assets whose custody is watched."),
  })
  .superRefine(checkAssets, { when: () => true });

/** The parsed `custody:` section. */
export type CustodyConfig = z.output<typeof custodyConfigSchema>;
export type CustodyProviderConfig = CustodyConfig["provider"];
export type CustodyAssetConfig = CustodyConfig["assets"][number];
/** What a config file may contain under `custody:`. */
export type CustodyConfigInput = z.input<typeof custodyConfigSchema>;

/** The parts of the keeper config the cross-check reads. */
export type CustodyReferenceContext = {
  readonly assets: readonly { readonly id: string }[];
  readonly signer: { readonly type: string };
  readonly actions: { readonly enabled: boolean };
};

/**
 * Problems between `custody:` and the rest of the config: every custody asset must be an assets[].id;
 * onDisagree pause needs a signer (not none) and actions.enabled. Paths are config paths.
 */
export function checkCustodyReferences(
  custody: CustodyConfig,
  config: CustodyReferenceContext,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const known = config.assets.map((a) => a.id);
  custody.assets.forEach((a, i) => {
    if (!known.includes(a.id)) {
      problems.push({
        path: `custody.assets[${i}].id`,
        message: `unknown asset "${a.id}"; assets are: ${known.join(", ") || "(none)"}`,
      });
    }
  });
  if (custody.dualSource.onDisagree === "pause") {
    if (config.signer.type === "none") {
      problems.push({
        path: "custody.dualSource.onDisagree",
        message: '"pause" needs a signer with KEEPER_ROLE; signer.type is none',
      });
    } else if (!config.actions.enabled) {
      problems.push({
        path: "custody.dualSource.onDisagree",
        message: '"pause" sends pause transactions, but actions.enabled is false',
      });
    }
  }
  return problems;
}
