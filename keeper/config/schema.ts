import { parseUnits } from "viem";
import { z } from "zod";
import type { FeeConfig } from "../actions/fees.ts";
import { alertsConfigSchema } from "../alerts/config.ts";
import { cctpConfigSchema } from "../cctp/config.ts";
import { cctpServiceConfigSchema } from "../consumers/cctp/config.ts";
import { complianceConfigSchema } from "../consumers/compliance/config.ts";
import { custodyConfigSchema } from "../consumers/custody/config.ts";
import type { Policy } from "../engine/types.ts";
import { validatePolicy } from "../engine/validatePolicy.ts";
import {
  addressSchema,
  bigIntIn,
  describe,
  intIn,
  SLUG,
  signerConfigSchema,
  slug,
  urlWith,
} from "./fields.ts";

/**
 * THE keeper config: one zod schema for every setting. Conventions:
 * - every object is strict (unknown keys are errors);
 * - every leaf has a type, a range and either a default or is required;
 * - every leaf carries `.meta({ description, sensitive? })`; `sensitive: true` values (RPC URLs, which
 *   often embed API keys, and the SASL password) never appear in errors (`[sensitive]`) and are
 *   redacted by `redactConfig` before anything logs or prints the config;
 * - cross-references (chain names, duplicates, threshold order, fee caps, signer vs actions) are one
 *   root check that runs even when fields are invalid, so a run reports EVERY problem at once.
 *
 * Parsed values: block numbers and block counts, ratios/seconds of the policy and fees are bigint
 * (the engine's units); durations in ms and chain ids are numbers; addresses are EIP-55 checksummed.
 *
 * Decision on verifiers: a deployment on the feed chain is NOT required to list a `verifier`. The keeper
 * reads the PoR feed itself (the proxy, `feed.proxy`) and pauses through the breaker's keeper role;
 * the on-chain ReserveVerifier only powers the permissionless `trip()` and is optional metadata here.
 * Real PoR feeds often live on a chain where the token has no verifier (or no deployment at all).
 */

export type { ConfigFieldMeta } from "./fields.ts";
export { addressSchema } from "./fields.ts";

// ---------------------------------------------------------------------------------------------
// Leaf types (the shared ones are in fields.ts)
// ---------------------------------------------------------------------------------------------

const BROKER = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):([0-9]{1,5})$/;

/** Largest fee cap accepted, in gwei (a typo guard: 1,000,000 gwei per gas is 0.001 ETH per gas). */
export const MAX_FEE_CAP_GWEI = 1_000_000;
export const DEFAULT_MAX_FEE_GWEI = "100";
export const DEFAULT_EMERGENCY_MAX_FEE_GWEI = "500";
/** Upper bound of every basis-point setting (1000 %). */
export const MAX_BPS = 100_000;

const GWEI_RULE = `must be a number of gwei greater than 0 and at most ${MAX_FEE_CAP_GWEI}, with at most 9 decimals (e.g. 30 or "1.5")`;

/** Gwei (number or decimal string, at most 9 decimals, in (0, MAX_FEE_CAP_GWEI]) → wei; undefined if invalid. */
export function parseGwei(value: unknown): bigint | undefined {
  if (typeof value !== "number" && typeof value !== "string") return undefined;
  const text = typeof value === "number" ? String(value) : value.trim();
  if (!/^[0-9]+(\.[0-9]{1,9})?$/.test(text)) return undefined;
  const wei = parseUnits(text, 9);
  return wei > 0n && wei <= BigInt(MAX_FEE_CAP_GWEI) * 10n ** 9n ? wei : undefined;
}

/** Gwei as a number or a decimal string (at most 9 decimals), parsed to bigint wei. */
function gweiToWei() {
  return z.union([z.number(), z.string()], { error: GWEI_RULE }).transform((value, ctx) => {
    const wei = parseGwei(value);
    if (wei === undefined) {
      ctx.addIssue({ code: "custom", message: GWEI_RULE });
      return z.NEVER;
    }
    return wei;
  });
}

// ---------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------

const chainSchema = z.strictObject({
  name: describe(slug(), "Chain name, referenced by assets (feed.chain, deployments[].chain)."),
  id: describe(intIn(1, Number.MAX_SAFE_INTEGER), "EIP-155 chain id; checked against eth_chainId."),
  rpc: z.strictObject({
    http: describe(urlWith(["http", "https"]), "HTTP(S) JSON-RPC URL (may embed an API key).", true),
    ws: describe(
      urlWith(["ws", "wss"]).optional(),
      "WebSocket JSON-RPC URL for live heads/logs; without it the keeper polls over HTTP.",
      true,
    ),
  }),
  confirmations: describe(
    bigIntIn(0, 1_000).prefault(0),
    "Blocks on top of an observation's block before a pause may act on it.",
  ),
  pollIntervalMs: describe(intIn(50, 600_000).prefault(1_000), "HTTP polling interval for heads, ms."),
  reorgWindow: describe(
    bigIntIn(1, 10_000).prefault(64),
    "Blocks of unfinalized history kept to detect reorgs.",
  ),
  maxLogRange: describe(bigIntIn(1, 1_000_000).prefault(2_000), "Blocks per eth_getLogs request (backfill)."),
  reconcileIntervalMs: describe(
    intIn(1_000, 86_400_000).prefault(15_000),
    "Interval of eth_call reconciliation (latestRoundData, totalSupply, aggregator), ms.",
  ),
});

const deploymentSchema = z.strictObject({
  chain: describe(slug(), "Name of the chain (chains[].name) this deployment lives on."),
  token: describe(addressSchema, "The asset's token on this chain (totalSupply is read here)."),
  breaker: describe(addressSchema, "The asset's ReserveCircuitBreaker on this chain (the keeper pauses it)."),
  verifier: describe(addressSchema.optional(), "ReserveVerifier on this chain, if any (optional)."),
  gate: describe(addressSchema.optional(), "ComplianceGate on this chain, if any (compliance service)."),
  minter: describe(
    addressSchema.optional(),
    "StablecoinMinter (Secure Mint) on this chain, if any (compliance on-ramp).",
  ),
  redeemer: describe(addressSchema.optional(), "StablecoinRedeemer on this chain, if any (optional)."),
  cctpMessengers: describe(
    z.array(addressSchema).max(8).prefault([]),
    "CCTP TokenMessengers (V1/V2) that burn and mint the token on this chain: their transfers count as in flight, not as supply changes.",
  ),
  deployedAtBlock: describe(
    bigIntIn(0, Number.MAX_SAFE_INTEGER).optional(),
    "Block the contracts were deployed at: where backfill starts when there is no checkpoint.",
  ),
});

const thresholdsSchema = z.strictObject({
  warnRatioBps: describe(
    bigIntIn(0, MAX_BPS).prefault(10_100),
    "Reserves/supply ratio (bps) below which the asset is in warning.",
  ),
  pauseRatioBps: describe(
    bigIntIn(0, MAX_BPS).prefault(10_000),
    "Ratio (bps) below which the asset is in breach and breakers are paused. <= warnRatioBps.",
  ),
  hysteresisBps: describe(
    bigIntIn(0, MAX_BPS).prefault(25),
    "Once in warning/breach, the ratio must reach threshold + hysteresis to improve.",
  ),
});

const assetSchema = z.strictObject({
  id: describe(slug(), "Asset id (message keys, metrics label, checkpoint key)."),
  symbol: describe(z.string().min(1).max(32), "Token symbol, for humans."),
  feed: z.strictObject({
    chain: describe(slug(), "Name of the chain the Proof-of-Reserve feed lives on."),
    proxy: describe(addressSchema, "The PoR feed proxy (AggregatorV3Interface) consumers read."),
  }),
  heartbeatSeconds: describe(bigIntIn(1, 31_536_000), "The feed's heartbeat in seconds (> 0)."),
  graceSeconds: describe(
    bigIntIn(0, 604_800).prefault(60),
    "Extra tolerance after the heartbeat before calling the feed stale.",
  ),
  staleAction: describe(
    z.enum(["alert", "pause"]).prefault("alert"),
    "What a stale feed does: alert only, or pause as well.",
  ),
  thresholds: thresholdsSchema.prefault({}),
  marginBps: describe(
    bigIntIn(0, MAX_BPS).prefault(0),
    "Reserve margin on top of supply, reported as requiredReserves.",
  ),
  clockSkewSeconds: describe(
    bigIntIn(0, 3_600).prefault(0),
    "How far the feed's updatedAt may be ahead of the keeper's clock before it counts as invalid.",
  ),
  deployments: describe(z.array(deploymentSchema).min(1), "Where the asset lives: one entry per chain."),
});

const signerSchema = signerConfigSchema("RESERVE_KEEPER_SIGNER_KEY");

const actionsSchema = z
  .strictObject({
    enabled: describe(
      z.boolean().prefault(true),
      "Send pause transactions (false: decide and publish only).",
    ),
    receiptTimeoutMs: describe(
      intIn(250, 600_000).prefault(4_000),
      "Wait per attempt for a receipt before replacing the transaction with a higher fee, ms.",
    ),
    feeBumpPercent: describe(
      intIn(10, 1_000).prefault(25),
      "Fee increase per replacement, percent (nodes require >= 10).",
    ),
    maxFeePerGasGwei: describe(gweiToWei().prefault(DEFAULT_MAX_FEE_GWEI), "Normal maxFeePerGas cap, gwei."),
    emergencyMaxFeePerGasGwei: describe(
      gweiToWei().prefault(DEFAULT_EMERGENCY_MAX_FEE_GWEI),
      "maxFeePerGas cap for pause transactions, gwei (>= maxFeePerGasGwei).",
    ),
    maxAttempts: describe(
      intIn(1, 100).prefault(8),
      "Broadcasts per pause (first send + fee-bumped replacements); after the last one the keeper stops bumping and keeps waiting for the pending transaction (it never abandons a nonce).",
    ),
    gasLimit: describe(
      bigIntIn(21_000, 30_000_000).optional(),
      "Fixed gas limit for pause transactions (default: estimate).",
    ),
  })
  .transform(({ maxFeePerGasGwei, emergencyMaxFeePerGasGwei, ...rest }) => ({
    ...rest,
    /** Normal fee cap in wei (parsed from maxFeePerGasGwei). */
    maxFeePerGasWei: maxFeePerGasGwei,
    /** Pause fee cap in wei (parsed from emergencyMaxFeePerGasGwei). */
    emergencyMaxFeePerGasWei: emergencyMaxFeePerGasGwei,
  }));

const busSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("inprocess") }),
  z.strictObject({
    type: z.literal("kafka"),
    brokers: describe(
      z.array(z.string().regex(BROKER, { error: "must be host:port" })).min(1),
      "Kafka bootstrap brokers, host:port.",
    ),
    clientId: describe(
      z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,255}$/, {
          error: "must be 1-255 characters: letters, digits, '.', '_', '-'",
        })
        .optional(),
      "Kafka client id (default: keeperId).",
    ),
    topicPrefix: describe(
      z
        .string()
        .regex(/^[a-z0-9._-]{0,100}$/, { error: "may only contain a-z, 0-9, '.', '_', '-' (at most 100)" })
        .prefault(""),
      "Prefix of every topic name.",
    ),
    ssl: describe(z.boolean().prefault(false), "Connect with TLS."),
    sasl: z
      .strictObject({
        mechanism: describe(z.enum(["plain", "scram-sha-256", "scram-sha-512"]), "SASL mechanism."),
        username: describe(z.string().min(1), "SASL username."),
        password: describe(z.string().min(1), "SASL password.", true),
      })
      .optional(),
  }),
]);

const checkpointSchema = z.strictObject({
  path: describe(
    z.string().min(1).prefault(".keeper/checkpoint.json"),
    "Checkpoint file (in-process bus mode), relative to the working directory.",
  ),
});

const telemetrySchema = z.strictObject({
  metricsPort: describe(intIn(1, 65_535).prefault(9_464), "Port of /metrics, /healthz and /readyz."),
  host: describe(z.string().min(1).prefault("127.0.0.1"), "Address the telemetry server binds to."),
  logLevel: describe(
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).prefault("info"),
    "pino log level.",
  ),
});

// ---------------------------------------------------------------------------------------------
// Cross-references (one root check that runs even when fields failed, so all problems surface)
// ---------------------------------------------------------------------------------------------

type Ctx = z.core.$RefinementCtx<unknown>;
type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
/** A parsed bigint field, or the raw integer when its object failed validation elsewhere. */
const big = (v: unknown): bigint | undefined =>
  typeof v === "bigint" ? v : Number.isSafeInteger(v) ? BigInt(v as number) : undefined;

function issue(ctx: Ctx, path: (string | number)[], message: string) {
  ctx.addIssue({ code: "custom", path, message });
}

function checkChains(chains: unknown[], ctx: Ctx) {
  const names = new Map<string, number>();
  const ids = new Map<number, number>();
  chains.forEach((chain, i) => {
    if (!isRec(chain)) return;
    const name = text(chain.name);
    if (name !== undefined) {
      const first = names.get(name);
      if (first === undefined) names.set(name, i);
      else issue(ctx, ["chains", i, "name"], `duplicate chain name "${name}" (also chains[${first}])`);
    }
    if (typeof chain.id === "number") {
      const first = ids.get(chain.id);
      if (first === undefined) ids.set(chain.id, i);
      else issue(ctx, ["chains", i, "id"], `duplicate chain id ${chain.id} (also chains[${first}])`);
    }
    const confirmations = big(chain.confirmations);
    const window = big(chain.reorgWindow);
    if (confirmations !== undefined && window !== undefined && confirmations > window) {
      issue(
        ctx,
        ["chains", i, "confirmations"],
        `must be <= reorgWindow (${window}), got ${confirmations}: blocks beyond the window are no longer tracked`,
      );
    }
  });
  return names;
}

function checkAssets(assets: unknown[], chainNames: Map<string, number>, ctx: Ctx) {
  const known = [...chainNames.keys()].join(", ") || "(none)";
  const ids = new Map<string, number>();
  assets.forEach((asset, i) => {
    if (!isRec(asset)) return;
    const id = text(asset.id);
    if (id !== undefined) {
      const first = ids.get(id);
      if (first === undefined) ids.set(id, i);
      else issue(ctx, ["assets", i, "id"], `duplicate asset id "${id}" (also assets[${first}])`);
    }
    const feedChain = isRec(asset.feed) ? text(asset.feed.chain) : undefined;
    if (feedChain !== undefined && SLUG.test(feedChain) && !chainNames.has(feedChain)) {
      issue(ctx, ["assets", i, "feed", "chain"], `unknown chain "${feedChain}"; chains are: ${known}`);
    }
    const seen = new Map<string, number>();
    list(asset.deployments).forEach((deployment, j) => {
      if (!isRec(deployment)) return;
      const chain = text(deployment.chain);
      if (chain === undefined || !SLUG.test(chain)) return;
      if (!chainNames.has(chain)) {
        issue(
          ctx,
          ["assets", i, "deployments", j, "chain"],
          `unknown chain "${chain}"; chains are: ${known}`,
        );
      }
      const first = seen.get(chain);
      if (first === undefined) seen.set(chain, j);
      else {
        issue(
          ctx,
          ["assets", i, "deployments", j, "chain"],
          `duplicate deployment on chain "${chain}" (also deployments[${first}])`,
        );
      }
    });
    if (isRec(asset.thresholds)) {
      const warn = big(asset.thresholds.warnRatioBps);
      const pause = big(asset.thresholds.pauseRatioBps);
      if (warn !== undefined && pause !== undefined && pause > warn) {
        issue(
          ctx,
          ["assets", i, "thresholds", "pauseRatioBps"],
          `must be <= warnRatioBps (${warn}), got ${pause}`,
        );
      }
    }
  });
}

function checkActionsAndSigner(root: Rec, ctx: Ctx) {
  const actions = isRec(root.actions) ? root.actions : undefined;
  // Renamed to …Wei when the whole section is valid; otherwise the field (wei if it parsed, else raw gwei).
  const fee = (wei: string, gwei: string, fallback: string) => {
    const value = actions?.[wei] ?? actions?.[gwei] ?? fallback;
    return typeof value === "bigint" ? value : parseGwei(value);
  };
  const normal = fee("maxFeePerGasWei", "maxFeePerGasGwei", DEFAULT_MAX_FEE_GWEI);
  const emergency = fee(
    "emergencyMaxFeePerGasWei",
    "emergencyMaxFeePerGasGwei",
    DEFAULT_EMERGENCY_MAX_FEE_GWEI,
  );
  if (normal !== undefined && emergency !== undefined && emergency < normal) {
    issue(
      ctx,
      ["actions", "emergencyMaxFeePerGasGwei"],
      "must be >= maxFeePerGasGwei: pauses must never be capped below normal transactions",
    );
  }
  const signerType = isRec(root.signer) ? root.signer.type : undefined;
  if (signerType === "none" && actions?.enabled === true) {
    issue(
      ctx,
      ["signer", "type"],
      '"none" cannot send pause transactions while actions.enabled is true; set actions.enabled: false for watch-only mode',
    );
  }
  const bus = isRec(root.bus) ? root.bus : undefined;
  if (bus?.type === "kafka" && isRec(bus.sasl) && bus.sasl.mechanism === "plain" && bus.ssl !== true) {
    issue(
      ctx,
      ["bus", "sasl", "mechanism"],
      "plain sends the password in clear text; set bus.ssl: true or use scram-sha-256/512",
    );
  }
}

function crossCheck(value: unknown, ctx: Ctx) {
  if (!isRec(value)) return;
  const chainNames = checkChains(list(value.chains), ctx);
  checkAssets(list(value.assets), chainNames, ctx);
  checkActionsAndSigner(value, ctx);
}

// ---------------------------------------------------------------------------------------------
// The schema
// ---------------------------------------------------------------------------------------------

const baseSchema = z
  .strictObject({
    keeperId: describe(
      z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
          error: "must be 1-64 characters: letters, digits, '.', '_', '-' (starting with a letter or digit)",
        })
        .prefault("keeper-1"),
      "This keeper's id: Kafka client id (unless bus.clientId) and checkpoint key.",
    ),
    chains: describe(z.array(chainSchema).min(1), "Every chain the keeper reads or writes."),
    assets: describe(z.array(assetSchema).min(1), "Every asset the keeper watches."),
    signer: describe(signerSchema, "Who signs pause transactions: keystore, env (devnet only) or none."),
    actions: actionsSchema.prefault({}),
    bus: describe(busSchema.prefault({ type: "inprocess" }), "Where observations and decisions go."),
    checkpoint: checkpointSchema.prefault({}),
    telemetry: telemetrySchema.prefault({}),
    alerts: alertsConfigSchema.prefault({}),
    compliance: describe(
      complianceConfigSchema.optional(),
      "The compliance service (reserve-keeper compliance serve); absent: not configured.",
    ),
    cctp: describe(
      cctpConfigSchema.optional(),
      "CCTP transfers (reserve-keeper cctp …): attestation API, attesters, CCTP contracts per chain; absent: not configured.",
    ),
    cctpService: describe(
      cctpServiceConfigSchema.optional(),
      "The CCTP transfer service (reserve-keeper cctp serve): HTTP API, breaker re-reads, shutdown; absent: the defaults.",
    ),
    custody: describe(
      custodyConfigSchema.optional(),
      "The custody service (reserve-keeper custody serve): custodian reports, attestation links, dual-source reserve check; absent: not configured.",
    ),
  })
  .superRefine(crossCheck, { when: () => true });

type BaseConfig = z.output<typeof baseSchema>;
type KafkaBusBase = Extract<BaseConfig["bus"], { type: "kafka" }>;

export type KafkaBusConfig = Omit<KafkaBusBase, "clientId"> & { readonly clientId: string };
export type InprocessBusConfig = Extract<BaseConfig["bus"], { type: "inprocess" }>;
export type BusConfig = InprocessBusConfig | KafkaBusConfig;

/** The parsed, validated config (what the keeper runs on). */
export type KeeperConfig = Omit<BaseConfig, "bus"> & { readonly bus: BusConfig };
export type ChainConfig = KeeperConfig["chains"][number];
export type AssetConfig = KeeperConfig["assets"][number];
export type DeploymentConfig = AssetConfig["deployments"][number];
export type SignerConfig = KeeperConfig["signer"];
export type ActionsConfig = KeeperConfig["actions"];
export type CheckpointConfig = KeeperConfig["checkpoint"];
export type TelemetryConfig = KeeperConfig["telemetry"];
export type AlertsConfig = KeeperConfig["alerts"];

/** The schema of the config file (input side of every field, defaults optional). */
export const keeperConfigSchema = baseSchema.transform(
  (config): KeeperConfig =>
    config.bus.type === "kafka"
      ? { ...config, bus: { ...config.bus, clientId: config.bus.clientId ?? config.keeperId } }
      : (config as KeeperConfig),
);

/** What a config file may contain (defaults optional, gwei as numbers or strings). */
export type KeeperConfigInput = z.input<typeof keeperConfigSchema>;

/** The engine Policy of one asset (validated again by the engine's own rules). */
export function policyFor(asset: AssetConfig): Policy {
  return validatePolicy({
    warnRatioBps: asset.thresholds.warnRatioBps,
    pauseRatioBps: asset.thresholds.pauseRatioBps,
    hysteresisBps: asset.thresholds.hysteresisBps,
    heartbeatSeconds: asset.heartbeatSeconds,
    graceSeconds: asset.graceSeconds,
    staleAction: asset.staleAction,
    marginBps: asset.marginBps,
    clockSkewSeconds: asset.clockSkewSeconds,
  });
}

/** The pause executor's fee settings from `actions` (one mapping for the keeper and the admin CLI). */
export function feeConfigFor(actions: ActionsConfig): FeeConfig {
  return {
    receiptTimeoutMs: actions.receiptTimeoutMs,
    feeBumpPercent: actions.feeBumpPercent,
    maxFeePerGas: actions.maxFeePerGasWei,
    emergencyMaxFeePerGas: actions.emergencyMaxFeePerGasWei,
    maxAttempts: actions.maxAttempts,
    gasLimit: actions.gasLimit,
  };
}
