/** fast-check arbitraries and fixed samples of every bus payload (tests only; not exported from index.ts). */
import { createHash } from "node:crypto";
import fc from "fast-check";
import type {
  Address,
  BlockRef,
  Decision,
  DecisionReason,
  Hex,
  Observation,
  ReserveInput,
  SupplyInput,
} from "../engine/types.ts";
import type { ArgValue } from "./schemas.ts";
import type {
  BreakerObserved,
  BusPayload,
  CctpTransferEvent,
  Checkpoint,
  PauseLifecycleEvent,
} from "./types.ts";

/** fc.record with plain prototypes (decoded values have Object.prototype; toStrictEqual compares it). */
function rec<T>(
  model: { [K in keyof T]: fc.Arbitrary<T[K]> },
  constraints: { requiredKeys?: (keyof T)[] } = {},
): fc.Arbitrary<T> {
  return fc.record(model, { ...constraints, noNullPrototype: true } as never) as fc.Arbitrary<T>;
}

const HEX = "0123456789abcdefABCDEF".split("");
const hexOf = (n: number) => fc.string({ unit: fc.constantFrom(...HEX), minLength: n, maxLength: n });
export const arbAddress: fc.Arbitrary<Address> = hexOf(40).map((s) => `0x${s}` as Address);
export const arbHash: fc.Arbitrary<Hex> = hexOf(64).map((s) => `0x${s}` as Hex);

const U256 = (1n << 256n) - 1n;
const I256 = 1n << 255n;
export const arbUint = fc.bigInt({ min: 0n, max: U256 });
export const arbInt = fc.bigInt({ min: -I256, max: I256 - 1n });
export const arbChainId = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const arbAssetId = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/);
const arbDecimals = fc.integer({ min: 0, max: 36 });
const arbLogIndex = fc.integer({ min: 0, max: 10_000 });
const arbSource = fc.constantFrom("event" as const, "reconcile" as const, "backfill" as const);

export const arbBlockRef: fc.Arbitrary<BlockRef> = rec({ number: arbUint, hash: arbHash });

const reserveObserved = rec(
  {
    type: fc.constant("reserve.observed" as const),
    assetId: arbAssetId,
    chainId: arbChainId,
    feed: arbAddress,
    aggregator: arbAddress,
    roundId: arbUint,
    answer: arbInt,
    feedDecimals: arbDecimals,
    updatedAt: arbUint,
    block: arbBlockRef,
    logIndex: arbLogIndex,
    source: arbSource,
  },
  {
    requiredKeys: [
      "type",
      "assetId",
      "chainId",
      "feed",
      "aggregator",
      "roundId",
      "answer",
      "feedDecimals",
      "updatedAt",
      "block",
      "source",
    ],
  },
);

const supplyObserved = rec(
  {
    type: fc.constant("supply.observed" as const),
    assetId: arbAssetId,
    chainId: arbChainId,
    token: arbAddress,
    totalSupply: arbUint,
    tokenDecimals: arbDecimals,
    block: arbBlockRef,
    logIndex: arbLogIndex,
    bridged: arbInt,
    source: arbSource,
  },
  {
    requiredKeys: ["type", "assetId", "chainId", "token", "totalSupply", "tokenDecimals", "block", "source"],
  },
);

export const arbObservation: fc.Arbitrary<Observation> = fc.oneof(
  reserveObserved,
  supplyObserved,
  rec({
    type: fc.constant("block.reorged" as const),
    chainId: arbChainId,
    dropped: fc.array(arbBlockRef, { maxLength: 4 }),
    newHead: arbBlockRef,
  }),
  rec({
    type: fc.constant("feed.heartbeat_missed" as const),
    assetId: arbAssetId,
    chainId: arbChainId,
    feed: arbAddress,
    now: arbUint,
  }),
  rec({ type: fc.constant("clock.tick" as const), now: arbUint }),
  rec({
    type: fc.constant("bridge.baseline" as const),
    assetId: arbAssetId,
    chainId: arbChainId,
    token: arbAddress,
    tokenDecimals: arbDecimals,
    flow: arbInt,
    fromBlock: arbUint,
    block: arbBlockRef,
  }),
);

const arbReason: fc.Arbitrary<DecisionReason> = fc.oneof(
  fc.constant({ type: "reserve.missing" as const }),
  rec({ type: fc.constant("supply.missing" as const), chainId: arbChainId }),
  rec({ type: fc.constant("reserve.answer_not_positive" as const), answer: arbInt, roundId: arbUint }),
  rec({
    type: fc.constant("reserve.updated_in_future" as const),
    updatedAt: arbUint,
    now: arbUint,
    clockSkewSeconds: arbUint,
  }),
  rec({ type: fc.constant("reserve.stale" as const), ageSeconds: arbInt, maxAgeSeconds: arbUint }),
  rec({ type: fc.constant("ratio.below_pause" as const), ratioBps: arbUint, pauseRatioBps: arbUint }),
  rec({ type: fc.constant("ratio.below_warn" as const), ratioBps: arbUint, warnRatioBps: arbUint }),
  rec({
    type: fc.constant("hysteresis.held" as const),
    level: fc.constantFrom("healthy" as const, "warning" as const, "breach" as const),
    ratioBps: arbUint,
    releaseAtBps: arbUint,
  }),
);

const arbReserveInput: fc.Arbitrary<ReserveInput> = rec({
  chainId: arbChainId,
  feed: arbAddress,
  aggregator: arbAddress,
  roundId: arbUint,
  answer: arbInt,
  feedDecimals: arbDecimals,
  updatedAt: arbUint,
  block: arbBlockRef,
});
const arbSupplyInput: fc.Arbitrary<SupplyInput> = rec({
  chainId: arbChainId,
  token: arbAddress,
  totalSupply: arbUint,
  tokenDecimals: arbDecimals,
  block: arbBlockRef,
});

const arbDecisionType = fc.constantFrom(
  "healthy" as const,
  "warning" as const,
  "breach" as const,
  "stale" as const,
  "unknown" as const,
);

const common = rec({
  assetId: arbAssetId,
  decidedAt: arbUint,
  reasons: fc.array(arbReason, { maxLength: 4 }),
  inputs: rec({
    reserve: fc.option(arbReserveInput, { nil: undefined }),
    supplies: fc.array(arbSupplyInput, { maxLength: 3 }),
  }),
  previousType: fc.option(arbDecisionType, { nil: undefined }),
  changed: fc.boolean(),
});
const figures = rec({
  reserves: arbUint,
  supply: arbUint,
  delta: arbInt,
  ratioBps: arbUint,
  requiredReserves: arbUint,
  perChain: fc.array(rec({ chainId: arbChainId, supply: arbUint }), { maxLength: 3 }),
  inFlight: arbInt,
});

export const arbDecision: fc.Arbitrary<Decision> = fc.oneof(
  fc
    .tuple(common, figures)
    .map(([c, f]) => ({ ...c, ...f, type: "healthy" as const, shouldPause: false as const })),
  fc
    .tuple(common, figures)
    .map(([c, f]) => ({ ...c, ...f, type: "warning" as const, shouldPause: false as const })),
  fc
    .tuple(common, figures)
    .map(([c, f]) => ({ ...c, ...f, type: "breach" as const, shouldPause: true as const })),
  fc
    .tuple(common, figures, fc.boolean(), arbInt, arbUint)
    .map(([c, f, shouldPause, ageSeconds, maxAgeSeconds]) => ({
      ...c,
      ...f,
      type: "stale" as const,
      shouldPause,
      ageSeconds,
      maxAgeSeconds,
    })),
  common.map((c) => ({
    ...c,
    type: "unknown" as const,
    shouldPause: false as const,
    reserves: undefined,
    supply: undefined,
    delta: undefined,
    ratioBps: undefined,
    requiredReserves: undefined,
    perChain: undefined,
    inFlight: undefined,
  })),
);

const arbKey = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,11}$/);
const { argValue: arbArgValue } = fc.letrec<{ argValue: ArgValue }>((tie) => ({
  argValue: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    arbInt,
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("argValue"), { maxLength: 3 }),
    fc.dictionary(arbKey, tie("argValue"), { maxKeys: 3, noNullPrototype: true }),
  ),
}));

export const arbBreakerObserved: fc.Arbitrary<BreakerObserved> = rec({
  type: fc.constant("breaker.observed" as const),
  assetId: arbAssetId,
  chainId: arbChainId,
  breaker: arbAddress,
  kind: fc.constantFrom(
    "paused" as const,
    "tripped" as const,
    "unpaused" as const,
    "signers_changed" as const,
  ),
  by: arbAddress,
  txHash: arbHash,
  block: arbBlockRef,
  logIndex: arbLogIndex,
  args: fc.dictionary(arbKey, arbArgValue, { maxKeys: 5, noNullPrototype: true }),
  source: fc.constantFrom("event" as const, "backfill" as const),
});

const pauseCommon = rec({
  assetId: arbAssetId,
  chainId: arbChainId,
  breaker: arbAddress,
  decisionId: fc.string({ minLength: 1, maxLength: 80 }),
});
const arbNonce = fc.integer({ min: 0, max: 2 ** 40 });
const arbAttempt = fc.integer({ min: 1, max: 50 });

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
/** Drops keys whose value is undefined (an absent optional field, as JSON has it). */
const compact = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export const arbPauseEvent: fc.Arbitrary<PauseLifecycleEvent> = fc.oneof(
  pauseCommon.map((c) => ({ ...c, type: "pause.requested" as const })),
  fc
    .tuple(
      pauseCommon,
      arbHash,
      arbNonce,
      arbUint,
      arbUint,
      arbAttempt,
      optional(fc.double({ min: 0, max: 1e6, noNaN: true })),
      optional(fc.constantFrom("exact" as const, "primed" as const)),
    )
    .map(([c, txHash, nonce, maxFeePerGas, maxPriorityFeePerGas, attempt, sinceDecisionMs, simulation]) =>
      compact({
        ...c,
        type: "pause.sent" as const,
        txHash,
        nonce,
        maxFeePerGas,
        maxPriorityFeePerGas,
        attempt,
        sinceDecisionMs,
        simulation,
      }),
    ),
  fc
    .tuple(pauseCommon, optional(arbHash), arbHash, arbNonce, arbUint, arbUint, arbAttempt)
    .map(([c, replacedTxHash, txHash, nonce, maxFeePerGas, maxPriorityFeePerGas, attempt]) =>
      compact({
        ...c,
        type: "pause.replaced" as const,
        replacedTxHash,
        txHash,
        nonce,
        maxFeePerGas,
        maxPriorityFeePerGas,
        attempt,
      }),
    ),
  fc
    .tuple(
      pauseCommon,
      fc.constantFrom("fee_cap" as const, "max_attempts" as const, "nonce_occupied" as const),
      optional(arbHash),
      arbNonce,
      arbUint,
      arbUint,
    )
    .map(([c, reason, txHash, nonce, maxFeePerGas, capPerGas]) =>
      compact({ ...c, type: "pause.waiting" as const, reason, txHash, nonce, maxFeePerGas, capPerGas }),
    ),
  fc
    .tuple(pauseCommon, arbHash, arbUint, optional(arbNonce), optional(arbAttempt))
    .map(([c, txHash, blockNumber, nonce, attempts]) =>
      compact({ ...c, type: "pause.mined" as const, txHash, blockNumber, nonce, attempts }),
    ),
  fc
    .tuple(
      pauseCommon,
      optional(
        fc.constantFrom(
          "simulation" as const,
          "noop_tx" as const,
          "nonce_consumed" as const,
          "reverted_after_pause" as const,
        ),
      ),
      optional(arbHash),
      optional(arbUint),
    )
    .map(([c, via, txHash, blockNumber]) =>
      compact({ ...c, type: "pause.already_paused" as const, via, txHash, blockNumber }),
    ),
  fc
    .tuple(
      pauseCommon,
      fc.string({ minLength: 1 }),
      optional(fc.stringMatching(/^[A-Z_]{1,20}$/)),
      optional(arbHash),
      optional(arbNonce),
    )
    .map(([c, reason, code, txHash, nonce]) =>
      compact({ ...c, type: "pause.failed" as const, reason, code, txHash, nonce }),
    ),
);

const cctpCommon = rec({
  type: fc.constant("cctp.transfer" as const),
  transferId: fc.string({ minLength: 1, maxLength: 40 }),
  assetId: fc.constantFrom("dusd", "usdc"),
  version: fc.constantFrom(1 as const, 2 as const),
  speed: fc.constantFrom("fast" as const, "standard" as const),
  sourceChainId: arbChainId,
  destinationChainId: arbChainId,
  sourceDomain: fc.integer({ min: 0, max: 0xffff_ffff }),
  destinationDomain: fc.integer({ min: 0, max: 0xffff_ffff }),
  amount: arbUint,
});
const arbCctpNonce = fc.oneof(arbHash, fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String));
const arbCctpStage = fc.constantFrom("burn" as const, "attestation" as const, "receive" as const);

/** cctp.transfer events (keeper/cctp/transfer), one arbitrary per `event`. */
export const arbCctpTransfer: fc.Arbitrary<CctpTransferEvent> = fc.oneof(
  fc
    .tuple(cctpCommon, arbHash, arbUint, arbLogIndex, arbHash, arbUint, fc.boolean())
    .map(([c, burnTxHash, blockNumber, logIndex, sourceMessageHash, maxFee, hook]) => ({
      ...c,
      event: "burned" as const,
      burnTxHash,
      blockNumber,
      logIndex,
      sourceMessageHash,
      maxFee,
      hook,
    })),
  fc
    .tuple(
      cctpCommon,
      arbHash,
      arbCctpNonce,
      arbHash,
      arbUint,
      fc.constantFrom(1000, 2000),
      fc.nat(),
      fc.nat(),
    )
    .map(([c, burnTxHash, nonce, messageHash, feeExecuted, finalityThresholdExecuted, polls, waitMs]) => ({
      ...c,
      event: "attested" as const,
      burnTxHash,
      nonce,
      messageHash,
      feeExecuted,
      finalityThresholdExecuted,
      polls,
      waitMs,
    })),
  fc
    .tuple(cctpCommon, arbHash, arbCctpNonce, arbHash, arbUint, arbUint, arbUint)
    .map(([c, burnTxHash, nonce, receiveTxHash, blockNumber, received, fee]) => ({
      ...c,
      event: "received" as const,
      burnTxHash,
      nonce,
      receiveTxHash,
      blockNumber,
      received,
      fee,
      via: "transmitter" as const,
    })),
  fc
    .tuple(cctpCommon, arbHash, arbCctpNonce)
    .map(([c, burnTxHash, nonce]) => ({ ...c, event: "already_received" as const, burnTxHash, nonce })),
  fc
    .tuple(cctpCommon, arbCctpStage, fc.array(arbChainId, { maxLength: 3 }), fc.integer({ min: 1, max: 100 }))
    .map(([c, stage, pausedChainIds, hold]) => ({
      ...c,
      event: "held" as const,
      stage,
      pausedChainIds,
      hold,
    })),
  fc
    .tuple(cctpCommon, arbCctpStage, fc.integer({ min: 1, max: 100 }), fc.nat(), optional(arbHash))
    .map(([c, stage, hold, heldMs, burnTxHash]) =>
      compact({ ...c, event: "resumed" as const, stage, hold, heldMs, burnTxHash }),
    ),
  fc
    .tuple(cctpCommon, arbCctpStage, fc.string({ minLength: 1, maxLength: 80 }), optional(arbHash))
    .map(([c, stage, reason, burnTxHash]) =>
      compact({ ...c, event: "failed" as const, stage, reason, burnTxHash }),
    ),
);

export const arbBusPayload: fc.Arbitrary<BusPayload> = fc.oneof(
  arbObservation,
  arbDecision,
  arbBreakerObserved,
  arbPauseEvent,
  arbCctpTransfer,
);

export const arbCheckpoint: fc.Arbitrary<Checkpoint> = rec(
  {
    keeperId: fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/),
    chains: fc
      .array(fc.tuple(arbChainId, rec({ blockNumber: arbUint, blockHash: arbHash })), { maxLength: 4 })
      .map((entries) => Object.fromEntries(entries)),
    savedAt: fc
      .date({
        min: new Date("2000-01-01T00:00:00Z"),
        max: new Date("2100-01-01T00:00:00Z"),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString()),
    publishedAbove: fc.array(fc.string({ minLength: 1, maxLength: 90 }), { maxLength: 5 }),
  },
  { requiredKeys: ["keeperId", "chains", "savedAt"] },
);

// ---------------------------------------------------------------------------------------------
// Fixed samples
// ---------------------------------------------------------------------------------------------

export const SAMPLE_FEED = "0x00000000000000000000000000000000000000fe" as const;

/** A stable per-asset address (each asset has its own feed, token and breaker). */
export function addressFor(assetId: string, role: "feed" | "token" | "breaker"): Address {
  return `0x${createHash("sha256").update(`${role}:${assetId}`).digest("hex").slice(0, 40)}` as Address;
}

export function sampleHash(n: bigint, fork = 0): Hex {
  return `0x${fork.toString(16).padStart(2, "0")}${n.toString(16).padStart(62, "0")}` as Hex;
}

/** A reserve observation of `assetId` at block `n` (each asset's AnswerUpdated has its own log index). */
export function sampleReserve(
  assetId: string,
  n: bigint,
  logIndex = Number.parseInt(createHash("sha256").update(assetId).digest("hex").slice(0, 4), 16),
  chainId = 31337,
): Observation {
  return {
    type: "reserve.observed",
    assetId,
    chainId,
    feed: assetId === "dusd" ? SAMPLE_FEED : addressFor(assetId, "feed"),
    aggregator: assetId === "dusd" ? SAMPLE_FEED : addressFor(assetId, "feed"),
    roundId: (1n << 64n) | n,
    answer: 1_000_000n * 10n ** 8n + n,
    feedDecimals: 8,
    updatedAt: 1_700_000_000n + n,
    block: { number: n, hash: sampleHash(n) },
    logIndex,
    source: "event",
  };
}

/** A supply observation of `assetId` at block `n`. */
export function sampleSupply(assetId: string, n: bigint, chainId = 31337): Observation {
  return {
    type: "supply.observed",
    assetId,
    chainId,
    token: addressFor(assetId, "token"),
    totalSupply: 900_000n * 10n ** 6n + n,
    tokenDecimals: 6,
    block: { number: n, hash: sampleHash(n) },
    source: "reconcile",
  };
}

/** A breach decision of `assetId` taken at `decidedAt`. */
export function sampleBreach(assetId: string, decidedAt: bigint): Decision {
  return {
    type: "breach",
    shouldPause: true,
    assetId,
    decidedAt,
    reasons: [{ type: "ratio.below_pause", ratioBps: 9_000n, pauseRatioBps: 10_000n }],
    inputs: { reserve: undefined, supplies: [] },
    previousType: "healthy",
    changed: true,
    reserves: 900n * 10n ** 18n,
    supply: 1_000n * 10n ** 18n,
    delta: -100n * 10n ** 18n,
    ratioBps: 9_000n,
    requiredReserves: 1_010n * 10n ** 18n,
    perChain: [{ chainId: 31337, supply: 1_000n * 10n ** 18n }],
    inFlight: 0n,
  };
}

export function samplePauseSent(assetId: string, decisionId: string, attempt = 1): PauseLifecycleEvent {
  return {
    type: "pause.sent",
    assetId,
    chainId: 31337,
    breaker: addressFor(assetId, "breaker"),
    decisionId,
    txHash: `0x${createHash("sha256").update(`${decisionId}:${attempt}`).digest("hex")}` as Hex,
    nonce: 7,
    maxFeePerGas: 30_000_000_000n * BigInt(attempt),
    maxPriorityFeePerGas: 1_000_000_000n * BigInt(attempt),
    attempt,
  };
}
