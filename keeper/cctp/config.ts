import { z } from "zod";
import {
  addressSchema as address,
  bigIntIn,
  describe,
  httpsUrl,
  intIn,
  SLUG,
  SLUG_RULE,
} from "../config/fields.ts";

/**
 * The `cctp:` section of the keeper config: the CCTP transfer client and service (keeper/cctp/transfer,
 * keeper/consumers/cctp) and, on the devnet only, the local attestation service
 * (keeper/cctp/attestationService). Written the way keeper/config/schema.ts writes its sections: strict
 * objects, every leaf with a range and a default (or required), `.meta({ description })` on every leaf.
 * Nothing here is sensitive: the attestation API has no key, and the devnet attester keys come from the
 * devnet roles or an environment variable named on the command line, never from the file.
 *
 * Cross-references to the rest of the config (chain names, asset ids) are checked when the client or
 * service starts (`resolveCctpSetup` in keeper/cctp/transfer/setup.ts), which lists every problem at once.
 */

/** Token units as a decimal string, e.g. "1000000" or "0.5". */
const TOKEN_AMOUNT = /^(0|[1-9][0-9]{0,59})(\.[0-9]{1,36})?$/;

/** Circle's production attestation API (Iris); the sandbox (testnets) is https://iris-api-sandbox.circle.com. */
export const IRIS_MAINNET_URL = "https://iris-api.circle.com";
/** Largest CCTP domain id (uint32). */
export const MAX_DOMAIN = 0xffff_ffff;
/** Default port of the devnet attestation service. */
export const DEFAULT_ATTESTATION_SERVICE_PORT = 8_790;

/** Fee rate in basis points with at most 3 decimals (Circle's 1/1000-bps precision), parsed to millibps. */
function feeBps(max: number) {
  const rule = `must be a number of basis points from 0 to ${max} with at most 3 decimals`;
  return z
    .number({ error: rule })
    .min(0, { error: rule })
    .max(max, { error: rule })
    .refine(
      (v) => Number.isInteger(Math.round(v * 1000)) && Math.abs(v * 1000 - Math.round(v * 1000)) < 1e-6,
      {
        error: rule,
      },
    );
}

const tokenAmount = z
  .string()
  .regex(TOKEN_AMOUNT, { error: 'must be a decimal amount of tokens as a string, e.g. "1000000"' });

const attesterSetSchema = z
  .strictObject({
    addresses: describe(
      z.array(address).min(1).max(32),
      "Enabled attester addresses of the destination MessageTransmitters (attestations are verified against them before submitting).",
    ),
    threshold: describe(
      intIn(1, 32),
      "Signatures an attestation must carry (the transmitters' signatureThreshold).",
    ),
  })
  .superRefine((value, ctx) => {
    const seen = new Set<string>();
    value.addresses.forEach((a, i) => {
      if (seen.has(a))
        ctx.addIssue({ code: "custom", path: ["addresses", i], message: `duplicate attester ${a}` });
      seen.add(a);
    });
    if (value.threshold > value.addresses.length) {
      ctx.addIssue({
        code: "custom",
        path: ["threshold"],
        message: `must be <= the number of addresses (${value.addresses.length}), got ${value.threshold}`,
      });
    }
  });

const chainV2Schema = z.strictObject({
  tokenMessenger: describe(address, "TokenMessengerV2 (depositForBurn, depositForBurnWithHook)."),
  messageTransmitter: describe(address, "MessageTransmitterV2 (MessageSent, receiveMessage, usedNonces)."),
  hookExecutor: describe(
    address.optional(),
    "Hook executor on this chain (relay(message, attestation) runs the hook atomically with the mint); needed to receive transfers with hooks.",
  ),
});

const chainV1Schema = z.strictObject({
  tokenMessenger: describe(address, "TokenMessenger V1 (depositForBurn, depositForBurnWithCaller)."),
  messageTransmitter: describe(address, "MessageTransmitter V1 (MessageSent, receiveMessage, usedNonces)."),
});

const chainSchema = z
  .strictObject({
    chain: describe(z.string().regex(SLUG, { error: SLUG_RULE }), "Name of the chain (chains[].name)."),
    domain: describe(intIn(0, MAX_DOMAIN), "The chain's CCTP domain id (Ethereum 0, Base 6, …)."),
    versions: describe(
      z
        .array(z.union([z.literal(1), z.literal(2)], { error: "must be 1 or 2" }))
        .min(1)
        .max(2),
      "CCTP versions deployed on this chain; a route uses V2 when both ends list 2, else V1 when both list 1.",
    ),
    v2: describe(chainV2Schema.optional(), "V2 contracts (required when versions has 2)."),
    v1: describe(chainV1Schema.optional(), "V1 contracts (required when versions has 1)."),
    usdc: describe(address.optional(), "USDC on this chain (`--usdc` transfers); absent: no USDC here."),
    treasury: describe(
      address.optional(),
      "Treasury contract hooks credit (`--hook treasury:<account>`); absent: no treasury hook to this chain.",
    ),
    deployedAtBlock: describe(
      bigIntIn(0, Number.MAX_SAFE_INTEGER).prefault(0),
      "Block the CCTP contracts were deployed at (the attestation service backfills from here).",
    ),
  })
  .superRefine((value, ctx) => {
    if (new Set(value.versions).size !== value.versions.length) {
      ctx.addIssue({ code: "custom", path: ["versions"], message: "must not repeat a version" });
    }
    for (const v of [1, 2] as const) {
      const key = v === 1 ? "v1" : "v2";
      if (value.versions.includes(v) && value[key] === undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: `is required: versions lists ${v}` });
      }
    }
  });

const routeFeeSchema = z.strictObject({
  sourceDomain: describe(intIn(0, MAX_DOMAIN), "Source domain of the route."),
  destinationDomain: describe(intIn(0, MAX_DOMAIN), "Destination domain of the route."),
  fastFeeBps: describe(feeBps(10_000), "Fast-transfer fee of this route, bps."),
});

/** The devnet attestation service (a stand-in for Circle's Iris; never run it for a real network). */
export const attestationServiceConfigSchema = z.strictObject({
  host: describe(z.string().min(1).prefault("127.0.0.1"), "Address the service binds to."),
  port: describe(
    intIn(0, 65_535).prefault(DEFAULT_ATTESTATION_SERVICE_PORT),
    "TCP port (0 = any free port).",
  ),
  pollIntervalMs: describe(
    intIn(50, 60_000).prefault(250),
    "How often each chain is polled for new blocks, ms.",
  ),
  fastConfirmations: describe(
    bigIntIn(1, 1_000).prefault(1),
    "Confirmations (1 = the burn's own block) before a fast (minFinalityThreshold <= 1000) message is signed.",
  ),
  standardConfirmations: describe(
    bigIntIn(1, 1_000).prefault(3),
    "Confirmations before a standard message (and every V1 message) is signed.",
  ),
  fastFeeBps: describe(feeBps(10_000).prefault(1), "Fast-transfer fee (minimumFee at finality 1000), bps."),
  routeFees: describe(
    z.array(routeFeeSchema).max(1_000).prefault([]),
    "Per-route fast fees overriding fastFeeBps.",
  ),
  fastAllowance: describe(
    tokenAmount.prefault("10000000"),
    "Fast-transfer allowance in whole tokens (6 decimals): fast burns consume it; a burn above what is left falls back to standard.",
  ),
  expirationBlocks: describe(
    bigIntIn(0, 1_000_000).prefault(0),
    "Fast attestations expire this many destination blocks after signing (0 = never).",
  ),
});

/** Mount as `cctp: cctpConfigSchema.optional()` in keeper/config/schema.ts. */
export const cctpConfigSchema = z
  .strictObject({
    attestationApi: z
      .strictObject({
        url: describe(
          httpsUrl({ rejectCredentials: true }).prefault(IRIS_MAINNET_URL),
          "Base URL of the attestation API (Circle Iris: https://iris-api.circle.com, sandbox https://iris-api-sandbox.circle.com; the devnet attestation service locally).",
        ),
        pollIntervalMs: describe(
          intIn(50, 600_000).prefault(2_000),
          "First poll interval of an attestation, ms.",
        ),
        maxPollIntervalMs: describe(
          intIn(50, 3_600_000).prefault(30_000),
          "Longest poll interval (the interval doubles after errors and grows while pending), ms.",
        ),
        timeoutMs: describe(
          intIn(1_000, 7 * 86_400_000).prefault(3_600_000),
          "Deadline for an attestation to complete, ms (standard V2 transfers from Ethereum take ~15 minutes).",
        ),
        requestTimeoutMs: describe(intIn(100, 120_000).prefault(10_000), "Timeout of one API request, ms."),
      })
      .prefault({}),
    attesters: z.strictObject({
      v2: describe(
        attesterSetSchema.optional(),
        "Attesters of the V2 transmitters (required for V2 routes).",
      ),
      v1: describe(
        attesterSetSchema.optional(),
        "Attesters of the V1 transmitters (required for V1 routes).",
      ),
    }),
    chains: describe(z.array(chainSchema).min(1).max(64), "Every chain with CCTP contracts."),
    maxFastFeeBps: describe(
      feeBps(10_000).prefault(100),
      "Refuse a fast transfer whose fee rate (from the fees endpoint) is above this, bps.",
    ),
    receiptTimeoutMs: describe(
      intIn(1_000, 3_600_000).prefault(120_000),
      "Wait for a burn, approve or receive transaction's receipt, ms.",
    ),
    attestationService: describe(
      attestationServiceConfigSchema.optional(),
      "DEVNET ONLY: the local attestation service (reserve-keeper cctp attestation-service).",
    ),
  })
  .superRefine((value, ctx) => {
    const names = new Map<string, number>();
    const domains = new Map<number, number>();
    value.chains.forEach((c, i) => {
      const n = names.get(c.chain);
      if (n === undefined) names.set(c.chain, i);
      else
        ctx.addIssue({
          code: "custom",
          path: ["chains", i, "chain"],
          message: `duplicate chain "${c.chain}" (also chains[${n}])`,
        });
      const d = domains.get(c.domain);
      if (d === undefined) domains.set(c.domain, i);
      else
        ctx.addIssue({
          code: "custom",
          path: ["chains", i, "domain"],
          message: `duplicate domain ${c.domain} (also chains[${d}])`,
        });
    });
    for (const v of [1, 2] as const) {
      const key = v === 1 ? "v1" : "v2";
      if (value.chains.some((c) => c.versions.includes(v)) && value.attesters[key] === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["attesters", key],
          message: `is required: a chain lists version ${v}`,
        });
      }
    }
  });

/** The parsed `cctp:` section. */
export type CctpConfig = z.output<typeof cctpConfigSchema>;
export type CctpChainConfig = CctpConfig["chains"][number];
export type AttesterSetConfig = NonNullable<CctpConfig["attesters"]["v2"]>;
export type AttestationServiceConfig = z.output<typeof attestationServiceConfigSchema>;
/** What a config file may contain under `cctp:`. */
export type CctpConfigInput = z.input<typeof cctpConfigSchema>;

/** A fee rate in bps (number, ≤ 3 decimals) as integer millibps (1 bps = 1000). */
export function toMilliBps(bps: number): bigint {
  return BigInt(Math.round(bps * 1000));
}
