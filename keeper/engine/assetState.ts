import { InvalidArgumentError } from "../internal/errors.ts";
import type { Address, AssetSnapshot, BlockRef, ReserveObserved, SupplyObserved } from "./types.ts";

/** One bridge flow (a mint/burn log of a cross-chain transfer), at CANONICAL_DECIMALS, signed. */
export type BridgeFlow = {
  /** Block hash + log index: the same log delivered twice counts once. */
  readonly id: string;
  readonly block: BlockRef;
  readonly amount: bigint;
};

/** Observations kept per chain and kind, oldest first, so reorgs can be undone. */
export type ChainHistory = {
  /** Highest block number seen on this chain (from observations / the last reorg's new head). */
  readonly head: bigint | undefined;
  /** Accepted reserve rounds (only on the feed's chain), strictly increasing roundId. */
  readonly reserves: readonly ReserveObserved[];
  /** Accepted supply readings (only on supply chains), strictly increasing (block, logIndex). */
  readonly supplies: readonly SupplyObserved[];
  /**
   * Bridge flows of this chain: the baseline (flows up to `baseline.block`, read at start), flows
   * that are final (folded into `finalFlow`) and recent ones that a reorg may still remove.
   */
  readonly bridge: {
    readonly baseline: { readonly block: BlockRef; readonly amount: bigint } | undefined;
    readonly finalFlow: bigint;
    readonly flows: readonly BridgeFlow[];
  };
};

/**
 * Per-asset view folded from Observations by applyObservation. Immutable: every change returns a
 * new value. History per chain keeps every observation that is not yet final (block number
 * > head - reorgDepth) plus the newest final one, so a reorg of up to reorgDepth blocks falls
 * back to the value that was current before it. `maxHistory` is a hard cap per list.
 */
export type AssetState = {
  readonly assetId: string;
  /** The one PoR feed (proxy) of this asset. */
  readonly feed: { readonly chainId: number; readonly address: Address };
  readonly supplyChainIds: readonly number[];
  readonly reorgDepth: bigint;
  readonly maxHistory: number;
  readonly chains: ReadonlyMap<number, ChainHistory>;
};

export type CreateAssetStateArgs = {
  readonly assetId: string;
  readonly feed: { readonly chainId: number; readonly address: Address };
  readonly supplyChainIds: readonly number[];
  /** Deepest reorg that can be undone, in blocks (>= 0). */
  readonly reorgDepth: bigint;
  /** Hard cap on entries per chain and kind (default 1024). */
  readonly maxHistory?: number;
};

export const DEFAULT_MAX_HISTORY = 1024;

export const EMPTY_HISTORY: ChainHistory = {
  head: undefined,
  reserves: [],
  supplies: [],
  bridge: { baseline: undefined, finalFlow: 0n, flows: [] },
};

/** The empty view of one asset: nothing observed yet (decide answers `unknown`). */
export function createAssetState({
  assetId,
  feed,
  supplyChainIds,
  reorgDepth,
  maxHistory = DEFAULT_MAX_HISTORY,
}: CreateAssetStateArgs): AssetState {
  if (assetId.length === 0) throw new InvalidArgumentError({ name: "assetId", reason: "must not be empty" });
  if (supplyChainIds.length === 0) {
    throw new InvalidArgumentError({ name: "supplyChainIds", reason: "must list at least one chain" });
  }
  if (new Set(supplyChainIds).size !== supplyChainIds.length) {
    throw new InvalidArgumentError({
      name: "supplyChainIds",
      reason: "must not repeat a chain",
      value: supplyChainIds,
    });
  }
  if (reorgDepth < 0n) {
    throw new InvalidArgumentError({ name: "reorgDepth", reason: "must be >= 0", value: reorgDepth });
  }
  if (!Number.isInteger(maxHistory) || maxHistory < 1) {
    throw new InvalidArgumentError({
      name: "maxHistory",
      reason: "must be an integer >= 1",
      value: maxHistory,
    });
  }
  const chains = new Map<number, ChainHistory>();
  for (const chainId of [feed.chainId, ...supplyChainIds]) chains.set(chainId, EMPTY_HISTORY);
  return {
    assetId,
    feed: { chainId: feed.chainId, address: feed.address.toLowerCase() as Address },
    supplyChainIds: [...supplyChainIds],
    reorgDepth,
    maxHistory,
    chains,
  };
}

/** Latest accepted reserve round, latest supply per configured chain and the in-flight sum — decide's input. */
export function readAssetSnapshot(state: AssetState): AssetSnapshot {
  let inFlight = 0n;
  for (const { bridge } of state.chains.values()) {
    inFlight += (bridge.baseline?.amount ?? 0n) + bridge.finalFlow;
    for (const flow of bridge.flows) inFlight += flow.amount;
  }
  return {
    inFlight,
    assetId: state.assetId,
    reserve: state.chains.get(state.feed.chainId)?.reserves.at(-1),
    supplies: state.supplyChainIds.map((chainId) => ({
      chainId,
      observation: state.chains.get(chainId)?.supplies.at(-1),
    })),
  };
}
