import type { Address, BlockRef, Hex, Observation } from "../engine/types.ts";
import { UnhandledVariantError } from "../internal/errors.ts";

/** A new canonical head on one chain (not an engine Observation: the runtime uses it for confirmations and lag). */
export type BlockHead = {
  readonly type: "block.head";
  readonly chainId: number;
  readonly block: BlockRef;
  readonly parentHash: Hex;
  /** Block timestamp, unix seconds. */
  readonly timestamp: bigint;
};

/** What an on-chain ReserveCircuitBreaker did, decoded from its logs. */
export type BreakerEventKind = "paused" | "tripped" | "unpaused" | "signers_changed";

export type BreakerObserved = {
  readonly type: "breaker.observed";
  readonly assetId: string;
  readonly chainId: number;
  readonly breaker: Address;
  readonly kind: BreakerEventKind;
  /** `by` / `submittedBy` of the event. */
  readonly by: Address;
  readonly txHash: Hex;
  readonly block: BlockRef;
  readonly logIndex: number;
  /** Event-specific fields (reason, reserves, supply, status, nonce, signers, threshold), bigints kept. */
  readonly args: Readonly<Record<string, unknown>>;
  readonly source: "event" | "backfill";
};

/** Everything sources/ emits. */
export type SourceEvent = Observation | BlockHead | BreakerObserved;

/** Delivery metadata: when the process received the underlying data (performance.now() ms), for latency metrics. */
export type SourceMeta = { readonly receivedAtMs: number };

/** The one callback every source emits through. Must not throw; the runtime queues and processes in order. */
export type Emit = (event: SourceEvent, meta: SourceMeta) => void;

/** Lifecycle every source implements. */
export interface Source {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Deterministic id of what an event says, identical in live and backfill delivery, so a replay
 * publishes the same ids: chain + block hash + log index for log-derived values, chain + block hash +
 * kind (+ address) for values read by eth_call.
 */
export function eventId(event: SourceEvent): string {
  switch (event.type) {
    case "reserve.observed":
      return event.logIndex === undefined
        ? `${event.chainId}:${event.block.hash}:reserve:${event.feed.toLowerCase()}`
        : `${event.chainId}:${event.block.hash}:${event.logIndex}`;
    case "supply.observed":
      return event.logIndex === undefined
        ? `${event.chainId}:${event.block.hash}:supply:${event.token.toLowerCase()}`
        : `${event.chainId}:${event.block.hash}:${event.logIndex}`;
    case "breaker.observed":
      return `${event.chainId}:${event.block.hash}:${event.logIndex}`;
    case "bridge.baseline":
      return `${event.chainId}:${event.block.hash}:bridge_baseline:${event.token.toLowerCase()}:${event.fromBlock}`;
    case "block.head":
      return `${event.chainId}:${event.block.hash}:head`;
    case "block.reorged":
      return `${event.chainId}:${event.newHead.hash}:reorg:${event.dropped.map((b) => b.hash).join(",")}`;
    case "feed.heartbeat_missed":
      return `${event.chainId}:${event.feed.toLowerCase()}:heartbeat_missed:${event.now}`;
    case "clock.tick":
      return `clock:${event.now}`;
    default: {
      const never: never = event;
      throw new UnhandledVariantError({ subject: "source event", value: (never as { type: string }).type });
    }
  }
}
