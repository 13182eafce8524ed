/**
 * Values that cross the engine boundary: Observations in (from sources/), Decisions out (to
 * runtime/). Every amount, answer, round id, timestamp and block number is a bigint.
 * Amounts inside Observations are RAW (token / feed units); amounts inside Decisions are
 * normalised to CANONICAL_DECIMALS (18) by normalizeAmount, the one conversion point.
 */

export type Hex = `0x${string}`;
export type Address = `0x${string}`;

/** A block on one chain; `hash` makes the reference reorg-safe. */
export type BlockRef = {
  readonly number: bigint;
  readonly hash: Hex;
};

/** event: live log; reconcile: periodic eth_call (the truth); backfill: catch-up from checkpoint. */
export type ObservationSource = "event" | "reconcile" | "backfill";

// ---------------------------------------------------------------------------------------------
// Observations
// ---------------------------------------------------------------------------------------------

/** One Proof-of-Reserve round, read from the feed (proxy) or its aggregator's AnswerUpdated log. */
export type ReserveObserved = {
  readonly type: "reserve.observed";
  readonly assetId: string;
  /** Chain the PoR feed lives on. */
  readonly chainId: number;
  /** The proxy address consumers read (stable across aggregator upgrades). */
  readonly feed: Address;
  /** `proxy.aggregator()` at the time of the observation. */
  readonly aggregator: Address;
  /** PHASE-ENCODED proxy round id `(phaseId << 64) | aggregatorRoundId`, so it grows across upgrades. */
  readonly roundId: bigint;
  /** Raw answer in feed units (int256; <= 0 means the feed reports invalid data). */
  readonly answer: bigint;
  readonly feedDecimals: number;
  /** Unix seconds the answer was computed (latestRoundData().updatedAt). */
  readonly updatedAt: bigint;
  /** Block the value was read at / the log was included in. */
  readonly block: BlockRef;
  readonly logIndex?: number;
  readonly source: ObservationSource;
};

/** The asset's total supply on one chain at one block. */
export type SupplyObserved = {
  readonly type: "supply.observed";
  readonly assetId: string;
  readonly chainId: number;
  readonly token: Address;
  /** Raw totalSupply() in token units. */
  readonly totalSupply: bigint;
  readonly tokenDecimals: number;
  readonly block: BlockRef;
  /** Set for event-derived values (state right after that log); absent = state at end of block. */
  readonly logIndex?: number;
  /**
   * Cross-chain transfer flow this log carries (raw token units, signed), set only on mint/burn logs
   * of a bridge transaction (CCTP): +amount for a burn into a transfer (now in flight), −amount for a
   * mint out of one. The engine folds it into the asset's in-flight amount together with this
   * reading, so a transfer never looks like a supply drop or a double count.
   */
  readonly bridged?: bigint;
  readonly source: ObservationSource;
};

/**
 * Bridge flows of one chain before the keeper's start position, summed (raw token units, signed:
 * burns into transfers minus mints out of them, over [fromBlock, block]). Emitted by backfill at start
 * so transfers burned before a restart and received after it are counted exactly once.
 */
export type BridgeBaseline = {
  readonly type: "bridge.baseline";
  readonly assetId: string;
  readonly chainId: number;
  readonly token: Address;
  readonly tokenDecimals: number;
  /** Signed sum of burns into minus mints out of cross-chain transfers. */
  readonly flow: bigint;
  /** First block summed. */
  readonly fromBlock: bigint;
  /** Last block summed: flows of later blocks arrive on supply readings. */
  readonly block: BlockRef;
};

/** Blocks that left the canonical chain; observations made in them must be retracted. */
export type BlockReorged = {
  readonly type: "block.reorged";
  readonly chainId: number;
  readonly dropped: readonly BlockRef[];
  readonly newHead: BlockRef;
};

/** A heartbeat watchdog fired: no new round for the feed within heartbeat + grace. */
export type FeedHeartbeatMissed = {
  readonly type: "feed.heartbeat_missed";
  readonly assetId: string;
  readonly chainId: number;
  readonly feed: Address;
  /** Unix seconds. */
  readonly now: bigint;
};

/** Periodic wake-up so time-based rules (staleness) fire without new chain data. */
export type ClockTick = {
  readonly type: "clock.tick";
  /** Unix seconds. */
  readonly now: bigint;
};

export type Observation =
  | ReserveObserved
  | SupplyObserved
  | BridgeBaseline
  | BlockReorged
  | FeedHeartbeatMissed
  | ClockTick;
export type ObservationType = Observation["type"];

// ---------------------------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------------------------

export type StaleAction = "alert" | "pause";

/** Thresholds for one asset. Ratios are reserves/supply in integer basis points (10_000 = 100 %). */
export type Policy = {
  /** Below this ratio: warning. Must be >= pauseRatioBps. */
  readonly warnRatioBps: bigint;
  /** Below this ratio: breach (pause). */
  readonly pauseRatioBps: bigint;
  /** Once warning/breach, the ratio must reach threshold + hysteresisBps to improve. >= 0. */
  readonly hysteresisBps: bigint;
  /** The feed's heartbeat in seconds (> 0). */
  readonly heartbeatSeconds: bigint;
  /** Extra tolerance before calling the feed stale (>= 0). */
  readonly graceSeconds: bigint;
  /** What a stale feed does: alert only, or pause as well. */
  readonly staleAction: StaleAction;
  /** Reserve margin required on top of supply, reported as requiredReserves (>= 0). */
  readonly marginBps: bigint;
  /** How far updatedAt may be ahead of `now` before it counts as "in the future" (default 0). */
  readonly clockSkewSeconds?: bigint;
};

// ---------------------------------------------------------------------------------------------
// Delta (computeDelta output)
// ---------------------------------------------------------------------------------------------

export type ChainSupply = {
  readonly chainId: number;
  /** Normalised to CANONICAL_DECIMALS. */
  readonly supply: bigint;
};

/** All amounts at CANONICAL_DECIMALS (18). */
export type Delta = {
  readonly reserves: bigint;
  /** Sum over chains. */
  readonly supply: bigint;
  /** reserves - supply; negative = shortfall. */
  readonly delta: bigint;
  /** floor(reserves * 10_000 / supply), capped at MAX_RATIO_BPS; supply == 0 → MAX_RATIO_BPS. */
  readonly ratioBps: bigint;
  /** ceil(supply * (10_000 + marginBps) / 10_000). */
  readonly requiredReserves: bigint;
  readonly perChain: readonly ChainSupply[];
  /**
   * Burned on a source chain, not yet minted on the destination (cross-chain transfers in flight),
   * already included in `supply`. Signed: negative while a mint was seen before its burn.
   */
  readonly inFlight: bigint;
};

// ---------------------------------------------------------------------------------------------
// Decisions
// ---------------------------------------------------------------------------------------------

/** Ordered from best to worst; the levels hysteresis works on. */
export type RatioLevel = "healthy" | "warning" | "breach";

export type DecisionReason =
  | { readonly type: "reserve.missing" }
  | { readonly type: "supply.missing"; readonly chainId: number }
  | { readonly type: "reserve.answer_not_positive"; readonly answer: bigint; readonly roundId: bigint }
  | {
      readonly type: "reserve.updated_in_future";
      readonly updatedAt: bigint;
      readonly now: bigint;
      readonly clockSkewSeconds: bigint;
    }
  | { readonly type: "reserve.stale"; readonly ageSeconds: bigint; readonly maxAgeSeconds: bigint }
  | { readonly type: "ratio.below_pause"; readonly ratioBps: bigint; readonly pauseRatioBps: bigint }
  | { readonly type: "ratio.below_warn"; readonly ratioBps: bigint; readonly warnRatioBps: bigint }
  | {
      /** The ratio improved, but not past threshold + hysteresis: the worse level is held. */
      readonly type: "hysteresis.held";
      readonly level: RatioLevel;
      readonly ratioBps: bigint;
      readonly releaseAtBps: bigint;
    };
export type DecisionReasonType = DecisionReason["type"];

/** The reserve round a decision used (raw values, for audit/replay). */
export type ReserveInput = {
  readonly chainId: number;
  readonly feed: Address;
  readonly aggregator: Address;
  readonly roundId: bigint;
  readonly answer: bigint;
  readonly feedDecimals: number;
  readonly updatedAt: bigint;
  readonly block: BlockRef;
};

/** The supply reading per chain a decision used (raw values). */
export type SupplyInput = {
  readonly chainId: number;
  readonly token: Address;
  readonly totalSupply: bigint;
  readonly tokenDecimals: number;
  readonly block: BlockRef;
};

export type DecisionInputs = {
  readonly reserve: ReserveInput | undefined;
  /** Only chains that have been observed. */
  readonly supplies: readonly SupplyInput[];
};

type DecisionCommon = {
  readonly assetId: string;
  /** Unix seconds (the `now` decide was given). */
  readonly decidedAt: bigint;
  readonly reasons: readonly DecisionReason[];
  readonly inputs: DecisionInputs;
  /** Type of the previous decision for this asset (undefined on the first one). */
  readonly previousType: DecisionType | undefined;
  /** type !== previousType (true on the first decision). */
  readonly changed: boolean;
};

/** Normalised figures (CANONICAL_DECIMALS), present whenever reserves and all supplies are known and valid. */
type DecisionFigures = {
  readonly reserves: bigint;
  readonly supply: bigint;
  readonly delta: bigint;
  readonly ratioBps: bigint;
  readonly requiredReserves: bigint;
  readonly perChain: readonly ChainSupply[];
  readonly inFlight: bigint;
};

export type HealthyDecision = DecisionCommon &
  DecisionFigures & { readonly type: "healthy"; readonly shouldPause: false };
export type WarningDecision = DecisionCommon &
  DecisionFigures & { readonly type: "warning"; readonly shouldPause: false };
export type BreachDecision = DecisionCommon &
  DecisionFigures & { readonly type: "breach"; readonly shouldPause: true };
/** The reserve answer is older than heartbeat + grace; figures are computed from that old answer. */
export type StaleDecision = DecisionCommon &
  DecisionFigures & {
    readonly type: "stale";
    /** policy.staleAction === "pause", or the (old) ratio is below pauseRatioBps. */
    readonly shouldPause: boolean;
    readonly ageSeconds: bigint;
    readonly maxAgeSeconds: bigint;
  };
/** Reserves or some chain's supply never observed (or retracted), or the answer is invalid. */
export type UnknownDecision = DecisionCommon & {
  readonly type: "unknown";
  /** Only for an unusable answer (<= 0 or from the future) with staleAction = "pause"; never for missing data. */
  readonly shouldPause: boolean;
  readonly reserves: undefined;
  readonly supply: undefined;
  readonly delta: undefined;
  readonly ratioBps: undefined;
  readonly requiredReserves: undefined;
  readonly perChain: undefined;
  readonly inFlight: undefined;
};

export type Decision = HealthyDecision | WarningDecision | BreachDecision | StaleDecision | UnknownDecision;
export type DecisionType = Decision["type"];

/** What decide carries from one call to the next for one asset. */
export type DecisionState = {
  /** Type of the last decision. */
  readonly lastType: DecisionType;
  /** Last ratio-based level (kept through stale/unknown spells); hysteresis is anchored on it. */
  readonly level: RatioLevel | undefined;
};

// ---------------------------------------------------------------------------------------------
// Asset view (what decide reads)
// ---------------------------------------------------------------------------------------------

/** The latest accepted reserve round and supply per configured chain of one asset. */
export type AssetSnapshot = {
  readonly assetId: string;
  readonly reserve: ReserveObserved | undefined;
  /** One entry per configured supply chain; `observation` undefined = never seen (or retracted). */
  readonly supplies: readonly {
    readonly chainId: number;
    readonly observation: SupplyObserved | undefined;
  }[];
  /** Cross-chain transfers in flight (CANONICAL_DECIMALS, signed); absent = 0 (no bridges). */
  readonly inFlight?: bigint;
};
