/**
 * One zod schema per bus message `type`, each a two-way codec: `z.encode` turns a typed payload into
 * JSON-safe data (bigints as decimal strings), `z.decode` validates wire data and gives the typed value
 * back (decimal strings to bigint). Objects are strict: an unknown field is an error, never ignored.
 */
import { z } from "zod";
import type { Address, Hex } from "../engine/types.ts";
import type {
  AdminActionName,
  AdminActionOutcome,
  ComplianceOperation,
  ComplianceReasonCode,
  MessageType,
} from "./types.ts";

// ---------------------------------------------------------------------------------------------
// Primitives
// ---------------------------------------------------------------------------------------------

const DECIMAL = /^-?(0|[1-9][0-9]*)$/;
/** 2^256 has 78 digits; anything much longer is not an amount. */
const MAX_DIGITS = 100;

const decimalString = z
  .string()
  .max(MAX_DIGITS, { error: `expected at most ${MAX_DIGITS} digits` })
  .regex(DECIMAL, { error: "expected a decimal integer string" });

/** Any integer: decimal string on the wire, bigint in memory. */
export const bigintCodec = z.codec(decimalString, z.bigint(), {
  decode: (s) => BigInt(s),
  encode: (b) => b.toString(10),
});

/** A non-negative integer (amounts, block numbers, timestamps, round ids). */
export const uintCodec = z.codec(
  decimalString,
  z.bigint().min(0n, { error: "expected a non-negative integer" }),
  {
    decode: (s) => BigInt(s),
    encode: (b) => b.toString(10),
  },
);

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;

export const addressSchema = z.custom<Address>((v) => typeof v === "string" && ADDRESS.test(v), {
  error: "expected a 20-byte 0x-prefixed hex address",
});
export const hashSchema = z.custom<Hex>((v) => typeof v === "string" && HASH.test(v), {
  error: "expected a 32-byte 0x-prefixed hex hash",
});

const chainId = z.int().positive();
const decimals = z.int().min(0).max(36);
const logIndex = z.int().min(0);
const nonEmpty = z.string().min(1);

export const blockRefSchema = z.strictObject({ number: uintCodec, hash: hashSchema });
const observationSource = z.enum(["event", "reconcile", "backfill"]);

// ---------------------------------------------------------------------------------------------
// Observations (keeper/engine/types.ts)
// ---------------------------------------------------------------------------------------------

export const reserveObservedSchema = z.strictObject({
  type: z.literal("reserve.observed"),
  assetId: nonEmpty,
  chainId,
  feed: addressSchema,
  aggregator: addressSchema,
  roundId: uintCodec,
  /** int256: <= 0 is legal on the wire (the feed reporting invalid data is itself an observation). */
  answer: bigintCodec,
  feedDecimals: decimals,
  updatedAt: uintCodec,
  block: blockRefSchema,
  logIndex: logIndex.optional(),
  source: observationSource,
});

export const supplyObservedSchema = z.strictObject({
  type: z.literal("supply.observed"),
  assetId: nonEmpty,
  chainId,
  token: addressSchema,
  totalSupply: uintCodec,
  tokenDecimals: decimals,
  block: blockRefSchema,
  logIndex: logIndex.optional(),
  /** Signed cross-chain transfer flow of this log (raw token units); absent for non-bridge logs. */
  bridged: bigintCodec.optional(),
  source: observationSource,
});

export const bridgeBaselineSchema = z.strictObject({
  type: z.literal("bridge.baseline"),
  assetId: nonEmpty,
  chainId,
  token: addressSchema,
  tokenDecimals: decimals,
  flow: bigintCodec,
  fromBlock: uintCodec,
  block: blockRefSchema,
});

export const blockReorgedSchema = z.strictObject({
  type: z.literal("block.reorged"),
  chainId,
  dropped: z.array(blockRefSchema),
  newHead: blockRefSchema,
});

export const feedHeartbeatMissedSchema = z.strictObject({
  type: z.literal("feed.heartbeat_missed"),
  assetId: nonEmpty,
  chainId,
  feed: addressSchema,
  now: uintCodec,
});

export const clockTickSchema = z.strictObject({
  type: z.literal("clock.tick"),
  now: uintCodec,
});

// ---------------------------------------------------------------------------------------------
// Decisions (keeper/engine/types.ts)
// ---------------------------------------------------------------------------------------------

const ratioLevel = z.enum(["healthy", "warning", "breach"]);
export const DECISION_TYPES = ["healthy", "warning", "breach", "stale", "unknown"] as const;
const decisionType = z.enum(DECISION_TYPES);

export const decisionReasonSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("reserve.missing") }),
  z.strictObject({ type: z.literal("supply.missing"), chainId }),
  z.strictObject({ type: z.literal("reserve.answer_not_positive"), answer: bigintCodec, roundId: uintCodec }),
  z.strictObject({
    type: z.literal("reserve.updated_in_future"),
    updatedAt: uintCodec,
    now: uintCodec,
    clockSkewSeconds: uintCodec,
  }),
  z.strictObject({ type: z.literal("reserve.stale"), ageSeconds: bigintCodec, maxAgeSeconds: uintCodec }),
  z.strictObject({ type: z.literal("ratio.below_pause"), ratioBps: uintCodec, pauseRatioBps: uintCodec }),
  z.strictObject({ type: z.literal("ratio.below_warn"), ratioBps: uintCodec, warnRatioBps: uintCodec }),
  z.strictObject({
    type: z.literal("hysteresis.held"),
    level: ratioLevel,
    ratioBps: uintCodec,
    releaseAtBps: uintCodec,
  }),
]);

const reserveInputSchema = z.strictObject({
  chainId,
  feed: addressSchema,
  aggregator: addressSchema,
  roundId: uintCodec,
  answer: bigintCodec,
  feedDecimals: decimals,
  updatedAt: uintCodec,
  block: blockRefSchema,
});

const supplyInputSchema = z.strictObject({
  chainId,
  token: addressSchema,
  totalSupply: uintCodec,
  tokenDecimals: decimals,
  block: blockRefSchema,
});

const decisionCommon = {
  assetId: nonEmpty,
  decidedAt: uintCodec,
  reasons: z.array(decisionReasonSchema),
  inputs: z.strictObject({ reserve: reserveInputSchema.optional(), supplies: z.array(supplyInputSchema) }),
  previousType: decisionType.optional(),
  changed: z.boolean(),
};

const decisionFigures = {
  reserves: uintCodec,
  supply: uintCodec,
  delta: bigintCodec,
  ratioBps: uintCodec,
  requiredReserves: uintCodec,
  perChain: z.array(z.strictObject({ chainId, supply: uintCodec })),
  inFlight: bigintCodec,
};

const noFigure = z.undefined().optional();

export const decisionSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("healthy"),
    shouldPause: z.literal(false),
    ...decisionCommon,
    ...decisionFigures,
  }),
  z.strictObject({
    type: z.literal("warning"),
    shouldPause: z.literal(false),
    ...decisionCommon,
    ...decisionFigures,
  }),
  z.strictObject({
    type: z.literal("breach"),
    shouldPause: z.literal(true),
    ...decisionCommon,
    ...decisionFigures,
  }),
  z.strictObject({
    type: z.literal("stale"),
    shouldPause: z.boolean(),
    ageSeconds: bigintCodec,
    maxAgeSeconds: uintCodec,
    ...decisionCommon,
    ...decisionFigures,
  }),
  z.strictObject({
    type: z.literal("unknown"),
    shouldPause: z.literal(false),
    ...decisionCommon,
    reserves: noFigure,
    supply: noFigure,
    delta: noFigure,
    ratioBps: noFigure,
    requiredReserves: noFigure,
    perChain: noFigure,
    inFlight: noFigure,
  }),
]);

// ---------------------------------------------------------------------------------------------
// breaker.observed (keeper/sources/types.ts)
// ---------------------------------------------------------------------------------------------

/** What event args may hold (viem-decoded log args): scalars, bigints, arrays and plain objects. */
export type ArgValue =
  | bigint
  | string
  | number
  | boolean
  | null
  | readonly ArgValue[]
  | { readonly [k: string]: ArgValue };

/**
 * Wire form of one arg: tagged, so a bigint comes back as a bigint and a decimal-looking string stays a
 * string. `{ t: "bigint", v: "123" }`, `{ t: "string", v: "x" }`, `{ t: "array", v: [...] }`, …
 */
export type TaggedArg =
  | { t: "bigint"; v: string }
  | { t: "string"; v: string }
  | { t: "number"; v: number }
  | { t: "boolean"; v: boolean }
  | { t: "null" }
  | { t: "array"; v: TaggedArg[] }
  | { t: "object"; v: { [k: string]: TaggedArg } };

const taggedArg: z.ZodType<TaggedArg> = z.lazy(() =>
  z.discriminatedUnion("t", [
    z.strictObject({ t: z.literal("bigint"), v: decimalString }),
    z.strictObject({ t: z.literal("string"), v: z.string() }),
    z.strictObject({ t: z.literal("number"), v: z.number() }),
    z.strictObject({ t: z.literal("boolean"), v: z.boolean() }),
    z.strictObject({ t: z.literal("null") }),
    z.strictObject({ t: z.literal("array"), v: z.array(taggedArg) }),
    z.strictObject({ t: z.literal("object"), v: z.record(z.string(), taggedArg) }),
  ]),
);

const argValue: z.ZodType<ArgValue> = z.lazy(() =>
  z.union([
    z.bigint(),
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(argValue),
    z.record(z.string(), argValue),
  ]),
);

function toTagged(value: ArgValue): TaggedArg {
  if (typeof value === "bigint") return { t: "bigint", v: value.toString(10) };
  if (typeof value === "string") return { t: "string", v: value };
  if (typeof value === "number") return { t: "number", v: value };
  if (typeof value === "boolean") return { t: "boolean", v: value };
  if (value === null) return { t: "null" };
  if (Array.isArray(value)) return { t: "array", v: value.map(toTagged) };
  return {
    t: "object",
    v: Object.fromEntries(
      Object.entries(value as Record<string, ArgValue>).map(([k, x]) => [k, toTagged(x as ArgValue)]),
    ),
  };
}

function fromTagged(arg: TaggedArg): ArgValue {
  switch (arg.t) {
    case "bigint":
      return BigInt(arg.v);
    case "string":
    case "number":
    case "boolean":
      return arg.v;
    case "null":
      return null;
    case "array":
      return arg.v.map(fromTagged);
    case "object":
      return Object.fromEntries(Object.entries(arg.v).map(([k, x]) => [k, fromTagged(x)]));
    default: {
      const never: never = arg;
      throw new Error(`Unhandled tagged arg ${(never as { t: string }).t}`);
    }
  }
}

const argsCodec = z.codec(z.record(z.string(), taggedArg), z.record(z.string(), argValue), {
  decode: (wire) => Object.fromEntries(Object.entries(wire).map(([k, x]) => [k, fromTagged(x)])),
  encode: (args) => Object.fromEntries(Object.entries(args).map(([k, x]) => [k, toTagged(x as ArgValue)])),
});

export const breakerObservedSchema = z.strictObject({
  type: z.literal("breaker.observed"),
  assetId: nonEmpty,
  chainId,
  breaker: addressSchema,
  kind: z.enum(["paused", "tripped", "unpaused", "signers_changed"]),
  by: addressSchema,
  txHash: hashSchema,
  block: blockRefSchema,
  logIndex,
  args: argsCodec,
  source: z.enum(["event", "backfill"]),
});

// ---------------------------------------------------------------------------------------------
// Pause lifecycle (keeper/bus/types.ts)
// ---------------------------------------------------------------------------------------------

const pauseCommon = { assetId: nonEmpty, decisionId: nonEmpty, chainId, breaker: addressSchema };
const attempt = z.int().positive();
const nonce = z.int().min(0);

export const pauseRequestedSchema = z.strictObject({
  type: z.literal("pause.requested"),
  ...pauseCommon,
});
export const pauseSentSchema = z.strictObject({
  type: z.literal("pause.sent"),
  ...pauseCommon,
  txHash: hashSchema,
  nonce,
  maxFeePerGas: uintCodec,
  maxPriorityFeePerGas: uintCodec,
  attempt,
  sinceDecisionMs: z.number().min(0).optional(),
  simulation: z.enum(["exact", "primed"]).optional(),
});
export const pauseReplacedSchema = z.strictObject({
  type: z.literal("pause.replaced"),
  ...pauseCommon,
  txHash: hashSchema,
  replacedTxHash: hashSchema.optional(),
  nonce,
  maxFeePerGas: uintCodec,
  maxPriorityFeePerGas: uintCodec,
  attempt,
});
export const pauseWaitingSchema = z.strictObject({
  type: z.literal("pause.waiting"),
  ...pauseCommon,
  reason: z.enum(["fee_cap", "max_attempts", "nonce_occupied"]),
  txHash: hashSchema.optional(),
  nonce,
  maxFeePerGas: uintCodec,
  capPerGas: uintCodec,
});
export const pauseMinedSchema = z.strictObject({
  type: z.literal("pause.mined"),
  ...pauseCommon,
  txHash: hashSchema,
  blockNumber: uintCodec,
  nonce: nonce.optional(),
  attempts: z.int().min(0).optional(),
});
export const pauseAlreadyPausedSchema = z.strictObject({
  type: z.literal("pause.already_paused"),
  ...pauseCommon,
  via: z.enum(["simulation", "noop_tx", "nonce_consumed", "reverted_after_pause"]).optional(),
  txHash: hashSchema.optional(),
  blockNumber: uintCodec.optional(),
});
export const pauseFailedSchema = z.strictObject({
  type: z.literal("pause.failed"),
  ...pauseCommon,
  reason: nonEmpty,
  code: z.string().optional(),
  txHash: hashSchema.optional(),
  nonce: nonce.optional(),
});

// ---------------------------------------------------------------------------------------------
// Admin acts (keeper/bus/types.ts AdminAction)
// ---------------------------------------------------------------------------------------------

export const ADMIN_ACTIONS = [
  "pause",
  "unpause",
  "update_signers",
] as const satisfies readonly AdminActionName[];
export const ADMIN_ACTION_OUTCOMES = [
  "succeeded",
  "noop",
  "refused",
  "failed",
  "dry_run",
] as const satisfies readonly AdminActionOutcome[];

export const adminActionSchema = z.strictObject({
  type: z.literal("admin.action"),
  action: z.enum(ADMIN_ACTIONS),
  assetId: nonEmpty.optional(),
  chainId: chainId.optional(),
  breaker: addressSchema.optional(),
  actor: addressSchema,
  requestDigest: hashSchema.optional(),
  txHash: hashSchema.optional(),
  outcome: z.enum(ADMIN_ACTION_OUTCOMES),
  reason: z.string().min(1).max(4_000).optional(),
});

// ---------------------------------------------------------------------------------------------
// Compliance decisions (keeper/bus/types.ts ComplianceDecisionMade)
// ---------------------------------------------------------------------------------------------

export const COMPLIANCE_OPERATIONS = [
  "mint",
  "redeem",
  "transfer",
] as const satisfies readonly ComplianceOperation[];

/** Every reason code, in the stable order decisions list them. */
export const COMPLIANCE_REASON_CODES = [
  "UNKNOWN_ASSET",
  "BREAKER_PAUSED",
  "PROVIDER_UNAVAILABLE",
  "NO_RECORD",
  "RECORD_EXPIRED",
  "RECORD_TOO_OLD",
  "JURISDICTION_BLOCKED",
  "JURISDICTION_NOT_ALLOWED",
  "IP_JURISDICTION_BLOCKED",
  "IP_JURISDICTION_NOT_ALLOWED",
  "KYC_TIER_TOO_LOW",
  "QUALIFIED_PARTY_REQUIRED",
] as const satisfies readonly ComplianceReasonCode[];

const countryCode = z.string().regex(/^[A-Z]{2}$/, { error: "expected an ISO 3166-1 alpha-2 code" });

export const complianceDecisionSchema = z.strictObject({
  type: z.literal("compliance.decision"),
  decisionId: z.string().min(1).max(128),
  assetId: nonEmpty,
  account: addressSchema,
  operation: z.enum(COMPLIANCE_OPERATIONS),
  amount: uintCodec,
  allowed: z.boolean(),
  reasons: z.array(z.enum(COMPLIANCE_REASON_CODES)).max(COMPLIANCE_REASON_CODES.length),
  recordId: z.string().min(1).max(128).optional(),
  kycTier: z.int().min(0).max(255).optional(),
  jurisdiction: countryCode.optional(),
  qualifiedParty: z.boolean().optional(),
  ipCountry: countryCode.optional(),
  rulesHash: z.string().regex(/^[0-9a-f]{16}$/, { error: "expected 16 hex digits" }),
  pausedChainIds: z.array(chainId),
  origin: z.enum(["api", "onramp"]),
  decidedAt: z.iso.datetime({ offset: true }),
});

// ---------------------------------------------------------------------------------------------
// CCTP transfer lifecycle (keeper/bus/types.ts CctpTransferEvent)
// ---------------------------------------------------------------------------------------------

const cctpDomain = z.int().min(0).max(0xffff_ffff);
const cctpStage = z.enum(["burn", "attestation", "receive"]);
const cctpCommon = {
  type: z.literal("cctp.transfer"),
  transferId: z.string().min(1).max(256),
  assetId: nonEmpty,
  version: z.union([z.literal(1), z.literal(2)]),
  speed: z.enum(["fast", "standard"]),
  sourceChainId: chainId,
  destinationChainId: chainId,
  sourceDomain: cctpDomain,
  destinationDomain: cctpDomain,
  amount: uintCodec,
};
/** V2: a bytes32 nonce; V1: a uint64 as a decimal string. */
const cctpNonce = z.string().regex(/^(0x[0-9a-fA-F]{64}|0|[1-9][0-9]{0,19})$/, {
  error: "expected a 32-byte hex nonce or a decimal uint64",
});

export const cctpTransferSchema = z.discriminatedUnion("event", [
  z.strictObject({
    ...cctpCommon,
    event: z.literal("burned"),
    burnTxHash: hashSchema,
    blockNumber: uintCodec,
    logIndex,
    sourceMessageHash: hashSchema,
    maxFee: uintCodec,
    hook: z.boolean(),
  }),
  z.strictObject({
    ...cctpCommon,
    event: z.literal("attested"),
    burnTxHash: hashSchema,
    nonce: cctpNonce,
    messageHash: hashSchema,
    feeExecuted: uintCodec,
    finalityThresholdExecuted: z.int().min(0).max(0xffff_ffff),
    polls: z.int().min(0),
    waitMs: z.number().min(0),
  }),
  z.strictObject({
    ...cctpCommon,
    event: z.literal("received"),
    burnTxHash: hashSchema,
    nonce: cctpNonce,
    receiveTxHash: hashSchema,
    blockNumber: uintCodec,
    received: uintCodec,
    fee: uintCodec,
    via: z.enum(["transmitter", "hook_executor"]),
  }),
  z.strictObject({
    ...cctpCommon,
    event: z.literal("already_received"),
    burnTxHash: hashSchema,
    nonce: cctpNonce,
  }),
  z.strictObject({
    ...cctpCommon,
    event: z.literal("held"),
    stage: cctpStage,
    pausedChainIds: z.array(chainId),
    hold: z.int().positive(),
    burnTxHash: hashSchema.optional(),
  }),
  z.strictObject({
    ...cctpCommon,
    event: z.literal("resumed"),
    stage: cctpStage,
    hold: z.int().positive(),
    heldMs: z.number().min(0),
    burnTxHash: hashSchema.optional(),
  }),
  z.strictObject({
    ...cctpCommon,
    event: z.literal("failed"),
    stage: cctpStage,
    reason: z.string().min(1).max(4_000),
    code: z.string().optional(),
    burnTxHash: hashSchema.optional(),
  }),
]);

// ---------------------------------------------------------------------------------------------
// Custody (keeper/bus/types.ts CustodyAttestationChecked, CustodyHealthChanged, ReserveSources*)
// ---------------------------------------------------------------------------------------------

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, { error: "expected 64 lowercase hex characters" });

export const custodyAttestationCheckedSchema = z.strictObject({
  type: z.literal("custody.attestation_checked"),
  assetId: nonEmpty,
  url: z.url({ protocol: /^https?$/, error: "expected an http or https URL" }).max(2_048),
  auditor: z.string().min(1).max(200),
  periodStart: uintCodec,
  periodEnd: uintCodec,
  source: z.enum(["config", "report"]),
  outcome: z.enum(["verified", "hash_mismatch", "unreachable", "too_large"]),
  expectedSha256: sha256Hex,
  actualSha256: sha256Hex.optional(),
  bytes: z.int().min(0).optional(),
  httpStatus: z.int().min(100).max(599).optional(),
  detail: z.string().min(1).max(500).optional(),
  checkedAt: uintCodec,
  bucket: uintCodec,
});

export const custodyHealthSchema = z.strictObject({
  type: z.literal("custody.health"),
  assetId: nonEmpty,
  status: z.enum(["healthy", "warning", "unhealthy"]),
  provider: z.enum(["up", "down"]),
  report: z.enum(["fresh", "stale", "invalid", "missing"]),
  soc: z.enum(["valid", "expiring", "expired", "missing"]),
  custodian: z.string().min(1).max(200).optional(),
  reportAsOf: uintCodec.optional(),
  reportAgeSeconds: bigintCodec.optional(),
  socExpiresAt: uintCodec.optional(),
  reasons: z.array(z.string().min(1).max(500)).max(10),
  checkedAt: uintCodec,
});

const reserveSourcesFigures = {
  assetId: nonEmpty,
  custodian: z.string().min(1).max(200),
  decimals,
  custodianAmount: uintCodec,
  porAmount: uintCodec,
  difference: uintCodec,
  diffBps: uintCodec,
  toleranceBps: uintCodec,
  direction: z.enum(["custodian_below", "custodian_above", "equal"]),
  custodianAsOf: uintCodec,
  porUpdatedAt: uintCodec,
  porRoundId: uintCodec,
  porChainId: chainId,
  comparedAt: uintCodec,
};

export const reserveSourcesDisagreeSchema = z.strictObject({
  type: z.literal("reserve.sources_disagree"),
  ...reserveSourcesFigures,
  action: z.enum(["alert", "pause"]),
});

export const reserveSourcesAgreeSchema = z.strictObject({
  type: z.literal("reserve.sources_agree"),
  ...reserveSourcesFigures,
});

export const reserveSourcesNotComparableSchema = z.strictObject({
  type: z.literal("reserve.sources_not_comparable"),
  assetId: nonEmpty,
  reason: z.enum(["as_of_skew", "por_answer_not_positive"]),
  custodianAsOf: uintCodec,
  porUpdatedAt: uintCodec,
  porRoundId: uintCodec,
  skewSeconds: uintCodec,
  maxAsOfSkewSeconds: uintCodec,
  comparedAt: uintCodec,
});

// ---------------------------------------------------------------------------------------------
// Checkpoint
// ---------------------------------------------------------------------------------------------

export const checkpointSchema = z.strictObject({
  keeperId: nonEmpty,
  chains: z.record(
    z.string().regex(/^[1-9][0-9]*$/, { error: "expected a chain id" }),
    z.strictObject({ blockNumber: uintCodec, blockHash: hashSchema }),
  ),
  savedAt: z.iso.datetime({ offset: true }),
  publishedAbove: z.array(z.string().min(1)).max(100_000).optional(),
});

// ---------------------------------------------------------------------------------------------
// The registry
// ---------------------------------------------------------------------------------------------

/** The payload schema of every message type. */
export const PAYLOAD_SCHEMAS = {
  "reserve.observed": reserveObservedSchema,
  "supply.observed": supplyObservedSchema,
  "bridge.baseline": bridgeBaselineSchema,
  "block.reorged": blockReorgedSchema,
  "feed.heartbeat_missed": feedHeartbeatMissedSchema,
  "clock.tick": clockTickSchema,
  decision: decisionSchema,
  "breaker.observed": breakerObservedSchema,
  "pause.requested": pauseRequestedSchema,
  "pause.sent": pauseSentSchema,
  "pause.replaced": pauseReplacedSchema,
  "pause.waiting": pauseWaitingSchema,
  "pause.mined": pauseMinedSchema,
  "pause.already_paused": pauseAlreadyPausedSchema,
  "pause.failed": pauseFailedSchema,
  "admin.action": adminActionSchema,
  "compliance.decision": complianceDecisionSchema,
  "cctp.transfer": cctpTransferSchema,
  "custody.attestation_checked": custodyAttestationCheckedSchema,
  "custody.health": custodyHealthSchema,
  "reserve.sources_disagree": reserveSourcesDisagreeSchema,
  "reserve.sources_agree": reserveSourcesAgreeSchema,
  "reserve.sources_not_comparable": reserveSourcesNotComparableSchema,
  "keeper.checkpoint": checkpointSchema,
} as const satisfies Record<MessageType, z.ZodType>;

export const MESSAGE_TYPES = Object.keys(PAYLOAD_SCHEMAS) as MessageType[];

export function isMessageType(type: string): type is MessageType {
  return Object.hasOwn(PAYLOAD_SCHEMAS, type);
}
