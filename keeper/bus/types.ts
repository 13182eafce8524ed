/**
 * Values the bus carries. Observations and Decisions come from the engine, breaker.observed from the
 * sources; the pause lifecycle is declared here (actions/ reports what it did through these) and the
 * checkpoint is the keeper's own progress record. All amounts and block numbers are bigint.
 */
import type {
  Address,
  BlockReorged,
  BridgeBaseline,
  ClockTick,
  Decision,
  FeedHeartbeatMissed,
  Hex,
  ReserveObserved,
  SupplyObserved,
} from "../engine/types.ts";
import type { BreakerObserved } from "../sources/types.ts";

export type { BreakerObserved } from "../sources/types.ts";

// ---------------------------------------------------------------------------------------------
// Pause lifecycle (topic breakerEvents, key = assetId)
//
// The shapes actions/ reports through `PauseExecutorArgs.onEvent` (keeper/actions/pauseExecutor.ts
// PauseEvent), so the runtime can publish those events as they are; pauseEvents.test.ts fails if the
// two drift apart.
// ---------------------------------------------------------------------------------------------

/** Fields every pause lifecycle event carries: which breaker, and the decision that asked for it. */
type PauseCommon = {
  readonly assetId: string;
  /** Envelope id of the Decision that asked for the pause (correlation + deterministic ids). */
  readonly decisionId: string;
  readonly chainId: number;
  readonly breaker: Address;
};

/** The runtime asked actions/ to pause the breaker on one chain. */
export type PauseRequested = PauseCommon & {
  readonly type: "pause.requested";
};

/** A pause transaction was broadcast. */
export type PauseSent = PauseCommon & {
  readonly type: "pause.sent";
  readonly txHash: Hex;
  readonly nonce: number;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  /** 1 for the first broadcast, +1 per replacement. */
  readonly attempt: number;
  /** Decision → broadcast, ms (diagnostic). */
  readonly sinceDecisionMs?: number;
  /** "exact": after the pause's own simulation; "primed": on a per-head simulation. */
  readonly simulation?: "exact" | "primed";
};

/** A pending pause transaction was replaced (fee bump, same nonce). */
export type PauseReplaced = PauseCommon & {
  readonly type: "pause.replaced";
  readonly txHash: Hex;
  readonly replacedTxHash?: Hex | undefined;
  readonly nonce: number;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly attempt: number;
};

/** The pause cannot be bumped further for now (fee cap, attempt limit, nonce taken). */
export type PauseWaiting = PauseCommon & {
  readonly type: "pause.waiting";
  readonly reason: "fee_cap" | "max_attempts" | "nonce_occupied";
  readonly txHash?: Hex | undefined;
  readonly nonce: number;
  readonly maxFeePerGas: bigint;
  readonly capPerGas: bigint;
};

/** The pause transaction was included. */
export type PauseMined = PauseCommon & {
  readonly type: "pause.mined";
  readonly txHash: Hex;
  readonly blockNumber: bigint;
  readonly nonce?: number;
  /** Transactions broadcast in total (first + replacements). */
  readonly attempts?: number;
};

/** The breaker was already paused: success, nothing (more) to send. */
export type PauseAlreadyPaused = PauseCommon & {
  readonly type: "pause.already_paused";
  readonly via?: "simulation" | "noop_tx" | "nonce_consumed" | "reverted_after_pause";
  readonly txHash?: Hex | undefined;
  readonly blockNumber?: bigint | undefined;
};

/** The pause could not be done. */
export type PauseFailed = PauseCommon & {
  readonly type: "pause.failed";
  /** One sentence (an error's shortMessage; never secrets). */
  readonly reason: string;
  /** KeeperError code (e.g. "RPC_TIMEOUT"). */
  readonly code?: string;
  readonly txHash?: Hex | undefined;
  readonly nonce?: number | undefined;
};

export type PauseLifecycleEvent =
  | PauseRequested
  | PauseSent
  | PauseReplaced
  | PauseWaiting
  | PauseMined
  | PauseAlreadyPaused
  | PauseFailed;

// ---------------------------------------------------------------------------------------------
// Admin acts (topic adminActions, key = assetId, or "admin" without one)
//
// What `reserve-keeper admin …` did to a breaker (keeper/admin). Never carries keys, passwords or
// signatures: who acted, on which breaker, for which signed request, with which transaction and result.
// ---------------------------------------------------------------------------------------------

/** The admin act: a manual pause, a quorum-signed unpause, a quorum-signed signer-set/threshold change. */
export type AdminActionName = "pause" | "unpause" | "update_signers";

/**
 * How it ended: `succeeded` (mined), `noop` (nothing to do, e.g. already paused), `refused` (local
 * verification or simulation said no: nothing was sent), `failed` (sent and reverted, or the chain
 * could not be reached), `dry_run` (verified and simulated only).
 */
export type AdminActionOutcome = "succeeded" | "noop" | "refused" | "failed" | "dry_run";

/** One admin act on one breaker. */
export type AdminAction = {
  readonly type: "admin.action";
  readonly action: AdminActionName;
  readonly assetId?: string;
  readonly chainId?: number;
  readonly breaker?: Address;
  /** The account that acted: the pause signer, or the submitter of a signed request. */
  readonly actor: Address;
  /** EIP-712 digest of the signed request (unpause, update_signers). */
  readonly requestDigest?: Hex;
  /** The transaction sent, if any. */
  readonly txHash?: Hex;
  readonly outcome: AdminActionOutcome;
  /**
   * succeeded / noop / dry_run: the operators' reason (free text); refused / failed: why, naming the
   * failed checks. Never secrets.
   */
  readonly reason?: string;
};

// ---------------------------------------------------------------------------------------------
// Compliance decisions (topic complianceDecisions, key = assetId)
//
// The audit trail of keeper/consumers/compliance: every decision with the inputs it was taken on.
// No personal data beyond the provider's opaque record id: no names, no IP addresses (only the country
// an IP resolved to).
// ---------------------------------------------------------------------------------------------

/** A gated operation (the ComplianceGate's Operation enum, lower case). */
export type ComplianceOperation = "mint" | "redeem" | "transfer";

/** Why a compliance decision refused (stable codes; keeper/consumers/compliance/README.md). */
export type ComplianceReasonCode =
  | "UNKNOWN_ASSET"
  | "BREAKER_PAUSED"
  | "PROVIDER_UNAVAILABLE"
  | "NO_RECORD"
  | "RECORD_EXPIRED"
  | "RECORD_TOO_OLD"
  | "JURISDICTION_BLOCKED"
  | "JURISDICTION_NOT_ALLOWED"
  | "IP_JURISDICTION_BLOCKED"
  | "IP_JURISDICTION_NOT_ALLOWED"
  | "KYC_TIER_TOO_LOW"
  | "QUALIFIED_PARTY_REQUIRED";

/** One compliance decision and its inputs. */
export type ComplianceDecisionMade = {
  readonly type: "compliance.decision";
  /** Unique id of the decision (returned by the API as decisionId). */
  readonly decisionId: string;
  readonly assetId: string;
  readonly account: Address;
  readonly operation: ComplianceOperation;
  /** Token base units. */
  readonly amount: bigint;
  readonly allowed: boolean;
  /** Every reason that applied, in the stable order of the codes; empty when allowed. */
  readonly reasons: readonly ComplianceReasonCode[];
  /** The provider's opaque record id (absent without a record). */
  readonly recordId?: string | undefined;
  readonly kycTier?: number | undefined;
  /** ISO 3166-1 alpha-2 of the record. */
  readonly jurisdiction?: string | undefined;
  readonly qualifiedParty?: boolean | undefined;
  /** Country the request's IP resolved to (never the IP itself). */
  readonly ipCountry?: string | undefined;
  /** Digest of the asset's rules the decision applied (changes whenever the rules change). */
  readonly rulesHash: string;
  /** Chain ids where the asset's breaker was paused as the service saw it. */
  readonly pausedChainIds: readonly number[];
  /** What asked: the HTTP check API or an on-ramp order settlement. */
  readonly origin: "api" | "onramp";
  /** ISO-8601 time of the decision. */
  readonly decidedAt: string;
};

// ---------------------------------------------------------------------------------------------
// CCTP transfer lifecycle (topic cctpTransfers, key = assetId; keeper/cctp/transfer, keeper/consumers/cctp)
//
// One envelope type, "cctp.transfer"; `event` says which step. Never carries keys or signatures:
// which transfer, its route, amounts, transactions and outcome.
// ---------------------------------------------------------------------------------------------

/** The steps of a CCTP transfer. */
export type CctpTransferEventName =
  | "burned"
  | "attested"
  | "received"
  | "already_received"
  | "held"
  | "resumed"
  | "failed";

/** Where a transfer stood when it was held, resumed or failed. */
export type CctpTransferStage = "burn" | "attestation" | "receive";

/** Fields every CCTP transfer event carries. */
type CctpTransferCommon = {
  readonly type: "cctp.transfer";
  /** The transfer: its request id, or `burn:<sourceChainId>:<burnTxHash>:<logIndex>` when resumed from a burn. */
  readonly transferId: string;
  /** Asset id, or "usdc". */
  readonly assetId: string;
  readonly version: 1 | 2;
  readonly speed: "fast" | "standard";
  readonly sourceChainId: number;
  readonly destinationChainId: number;
  readonly sourceDomain: number;
  readonly destinationDomain: number;
  /** Gross amount burned, token base units. */
  readonly amount: bigint;
};

export type CctpTransferEvent =
  | (CctpTransferCommon & {
      readonly event: "burned";
      readonly burnTxHash: Hex;
      readonly blockNumber: bigint;
      readonly logIndex: number;
      /** keccak256 of the source MessageSent bytes. */
      readonly sourceMessageHash: Hex;
      readonly maxFee: bigint;
      readonly hook: boolean;
    })
  | (CctpTransferCommon & {
      readonly event: "attested";
      readonly burnTxHash: Hex;
      /** V2: the 32-byte nonce Iris assigned; V1: the uint64 nonce as a decimal string. */
      readonly nonce: string;
      /** keccak256 of the attested message. */
      readonly messageHash: Hex;
      readonly feeExecuted: bigint;
      /** V2: 1000 (fast) or 2000 (standard); V1: 2000. */
      readonly finalityThresholdExecuted: number;
      /** Attestation API requests until complete. */
      readonly polls: number;
      readonly waitMs: number;
    })
  | (CctpTransferCommon & {
      readonly event: "received";
      readonly burnTxHash: Hex;
      readonly nonce: string;
      readonly receiveTxHash: Hex;
      readonly blockNumber: bigint;
      /** What the mint recipient got (amount - fee). */
      readonly received: bigint;
      readonly fee: bigint;
      readonly via: "transmitter" | "hook_executor";
    })
  | (CctpTransferCommon & {
      readonly event: "already_received";
      readonly burnTxHash: Hex;
      readonly nonce: string;
    })
  | (CctpTransferCommon & {
      readonly event: "held";
      readonly stage: CctpTransferStage;
      /** Chains where the asset's breaker is paused. */
      readonly pausedChainIds: readonly number[];
      /** 1 for the transfer's first hold, +1 per later hold. */
      readonly hold: number;
      readonly burnTxHash?: Hex | undefined;
    })
  | (CctpTransferCommon & {
      readonly event: "resumed";
      readonly stage: CctpTransferStage;
      readonly hold: number;
      readonly heldMs: number;
      readonly burnTxHash?: Hex | undefined;
    })
  | (CctpTransferCommon & {
      readonly event: "failed";
      readonly stage: CctpTransferStage;
      /** One sentence (an error's shortMessage; never secrets). */
      readonly reason: string;
      readonly code?: string | undefined;
      readonly burnTxHash?: Hex | undefined;
    });

// ---------------------------------------------------------------------------------------------
// Custody (keeper/consumers/custody, key = assetId): attestation checks and custody health on topic
// custodyEvents; the dual-source reserve comparison (custodian balance vs PoR answer) on topic
// decisions, as its own message types beside the keeper's Decision. Never carries the custodian API's
// URL or token (attestation URLs are public documents).
// ---------------------------------------------------------------------------------------------

/** Outcome of one verification of one attestation link. */
export type CustodyAttestationOutcome = "verified" | "hash_mismatch" | "unreachable" | "too_large";

/** One verification of one public attestation/audit document. */
export type CustodyAttestationChecked = {
  readonly type: "custody.attestation_checked";
  readonly assetId: string;
  readonly url: string;
  readonly auditor: string;
  /** Period the document covers, unix seconds. */
  readonly periodStart: bigint;
  readonly periodEnd: bigint;
  /** config: pinned by operators; report: listed by the custodian's latest report. */
  readonly source: "config" | "report";
  readonly outcome: CustodyAttestationOutcome;
  /** Lowercase hex SHA-256 the document should have. */
  readonly expectedSha256: string;
  /** SHA-256 of the bytes received (verified, hash_mismatch). */
  readonly actualSha256?: string | undefined;
  readonly bytes?: number | undefined;
  readonly httpStatus?: number | undefined;
  /** One sentence (unreachable, too_large). */
  readonly detail?: string | undefined;
  /** Unix seconds. */
  readonly checkedAt: bigint;
  /** floor(checkedAt / verifyIntervalSeconds): the verification round (part of the message id). */
  readonly bucket: bigint;
};

/** Custody health of one asset, published when provider, report or SOC state changes. */
export type CustodyHealthChanged = {
  readonly type: "custody.health";
  readonly assetId: string;
  readonly status: "healthy" | "warning" | "unhealthy";
  readonly provider: "up" | "down";
  readonly report: "fresh" | "stale" | "invalid" | "missing";
  readonly soc: "valid" | "expiring" | "expired" | "missing";
  readonly custodian?: string | undefined;
  /** asOf of the last valid report, unix seconds. */
  readonly reportAsOf?: bigint | undefined;
  readonly reportAgeSeconds?: bigint | undefined;
  /** expiresAt of the last valid report's SOC report, unix seconds. */
  readonly socExpiresAt?: bigint | undefined;
  /** One sentence per problem (empty when healthy). */
  readonly reasons: readonly string[];
  /** Unix seconds. */
  readonly checkedAt: bigint;
};

/** Both reserve figures of one comparison, in one unit. */
type ReserveSourcesFigures = {
  readonly assetId: string;
  readonly custodian: string;
  /** Unit of the amounts: max(custodian decimals, feed decimals) (both scaled up exactly). */
  readonly decimals: number;
  readonly custodianAmount: bigint;
  readonly porAmount: bigint;
  /** |custodianAmount - porAmount|. */
  readonly difference: bigint;
  /** ceil(difference * 10000 / max(custodianAmount, porAmount)): > toleranceBps iff they disagree. */
  readonly diffBps: bigint;
  readonly toleranceBps: bigint;
  readonly direction: "custodian_below" | "custodian_above" | "equal";
  /** The custodian report's asOf, unix seconds. */
  readonly custodianAsOf: bigint;
  /** The PoR answer's updatedAt (unix seconds), round and chain. */
  readonly porUpdatedAt: bigint;
  readonly porRoundId: bigint;
  readonly porChainId: number;
  /** Unix seconds. */
  readonly comparedAt: bigint;
};

/** The custodian balance and the PoR answer differ by more than the tolerance. */
export type ReserveSourcesDisagree = ReserveSourcesFigures & {
  readonly type: "reserve.sources_disagree";
  /** The configured action: alert only, or pause the asset's breakers (custody.dualSource.onDisagree). */
  readonly action: "alert" | "pause";
};

/** The custodian balance and the PoR answer agree (again) within the tolerance: disagreement alerts resolve. */
export type ReserveSourcesAgree = ReserveSourcesFigures & { readonly type: "reserve.sources_agree" };

/** The two figures could not be compared (as-of times too far apart, or a PoR answer <= 0). */
export type ReserveSourcesNotComparable = {
  readonly type: "reserve.sources_not_comparable";
  readonly assetId: string;
  readonly reason: "as_of_skew" | "por_answer_not_positive";
  readonly custodianAsOf: bigint;
  readonly porUpdatedAt: bigint;
  readonly porRoundId: bigint;
  readonly skewSeconds: bigint;
  readonly maxAsOfSkewSeconds: bigint;
  readonly comparedAt: bigint;
};

// ---------------------------------------------------------------------------------------------
// Checkpoint (topic checkpoints, key = keeperId)
// ---------------------------------------------------------------------------------------------

/** The last block per chain whose observations and decisions are published. */
export type ChainCheckpoint = {
  readonly blockNumber: bigint;
  readonly blockHash: Hex;
};

export type Checkpoint = {
  readonly keeperId: string;
  /** Keyed by chain id. */
  readonly chains: Readonly<Record<number, ChainCheckpoint>>;
  /** ISO-8601 time the checkpoint was taken. */
  readonly savedAt: string;
  /**
   * Ids of messages already published for blocks AFTER `chains` (e.g. not yet confirmed when the
   * checkpoint was taken), so a restart that replays from `chains` can skip them.
   */
  readonly publishedAbove?: readonly string[];
};

// ---------------------------------------------------------------------------------------------
// Message types and envelopes
// ---------------------------------------------------------------------------------------------

/** The payload carried by each envelope `type`. A Decision of any kind travels as type "decision". */
export type PayloadByType = {
  readonly "reserve.observed": ReserveObserved;
  readonly "supply.observed": SupplyObserved;
  readonly "bridge.baseline": BridgeBaseline;
  readonly "block.reorged": BlockReorged;
  readonly "feed.heartbeat_missed": FeedHeartbeatMissed;
  readonly "clock.tick": ClockTick;
  readonly decision: Decision;
  readonly "breaker.observed": BreakerObserved;
  readonly "pause.requested": PauseRequested;
  readonly "pause.sent": PauseSent;
  readonly "pause.replaced": PauseReplaced;
  readonly "pause.waiting": PauseWaiting;
  readonly "pause.mined": PauseMined;
  readonly "pause.already_paused": PauseAlreadyPaused;
  readonly "pause.failed": PauseFailed;
  readonly "admin.action": AdminAction;
  readonly "compliance.decision": ComplianceDecisionMade;
  readonly "cctp.transfer": CctpTransferEvent;
  readonly "custody.attestation_checked": CustodyAttestationChecked;
  readonly "custody.health": CustodyHealthChanged;
  readonly "reserve.sources_disagree": ReserveSourcesDisagree;
  readonly "reserve.sources_agree": ReserveSourcesAgree;
  readonly "reserve.sources_not_comparable": ReserveSourcesNotComparable;
  readonly "keeper.checkpoint": Checkpoint;
};

export type MessageType = keyof PayloadByType;

/** What a caller publishes (the checkpoint travels through `publish(…, { checkpoint })` instead). */
export type BusPayload = PayloadByType[Exclude<MessageType, "keeper.checkpoint">];

export const ENVELOPE_VERSION = 1;

export type EnvelopeProducer = {
  /** Service name, e.g. "reserve-keeper". */
  readonly name: string;
  readonly keeperId: string;
};

/** The versioned envelope of every bus message, discriminated by `type`. */
export type Envelope<T extends MessageType = MessageType> = {
  [K in T]: {
    readonly v: typeof ENVELOPE_VERSION;
    /** Deterministic: a replay of the same fact carries the same id. */
    readonly id: string;
    readonly type: K;
    /** Partition key (asset id, `chain:<id>`, `clock` or keeperId). */
    readonly key: string;
    readonly producer: EnvelopeProducer;
    /** ISO-8601 time the envelope was built. */
    readonly producedAt: string;
    readonly payload: PayloadByType[K];
  };
}[T];
