/**
 * Values the bus carries. Observations and Decisions come from the engine, breaker.observed from the
 * sources; the pause lifecycle is declared here (actions/ reports what it did through these) and the
 * checkpoint is the keeper's own progress record. All amounts and block numbers are bigint.
 */
import type {
  Address,
  BlockReorged,
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
