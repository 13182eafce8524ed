/** Builders shared by the engine's tests (not exported from index.ts). */
import type { AssetSnapshot, BlockRef, Hex, Policy, ReserveObserved, SupplyObserved } from "./types.ts";

export const ASSET = "USDX";
export const FEED = "0x00000000000000000000000000000000000000fe" as const;
export const AGGREGATOR = "0x00000000000000000000000000000000000000a9" as const;
export const TOKEN = "0x00000000000000000000000000000000000000c0" as const;
export const MAINNET = 1;
export const BASE = 8453;

/** A block ref whose hash encodes number and fork, so forks of the same height differ. */
export function blockRef(number: bigint, fork = 0): BlockRef {
  return {
    number,
    hash: `0x${fork.toString(16).padStart(2, "0")}${number.toString(16).padStart(62, "0")}` as Hex,
  };
}

export function reserveObserved(overrides: Partial<ReserveObserved> = {}): ReserveObserved {
  return {
    type: "reserve.observed",
    assetId: ASSET,
    chainId: MAINNET,
    feed: FEED,
    aggregator: AGGREGATOR,
    roundId: (1n << 64n) | 1n,
    answer: 1_000_000n * 10n ** 8n,
    feedDecimals: 8,
    updatedAt: 1_700_000_000n,
    block: blockRef(100n),
    source: "event",
    ...overrides,
  };
}

export function supplyObserved(overrides: Partial<SupplyObserved> = {}): SupplyObserved {
  return {
    type: "supply.observed",
    assetId: ASSET,
    chainId: MAINNET,
    token: TOKEN,
    totalSupply: 900_000n * 10n ** 6n,
    tokenDecimals: 6,
    block: blockRef(100n),
    source: "reconcile",
    ...overrides,
  };
}

export const POLICY: Policy = {
  warnRatioBps: 10_200n,
  pauseRatioBps: 10_000n,
  hysteresisBps: 50n,
  heartbeatSeconds: 86_400n,
  graceSeconds: 600n,
  staleAction: "alert",
  marginBps: 100n,
};

/**
 * A one-chain snapshot whose ratio is exactly `ratioBps` (18-decimals feed and token, supply 1e18),
 * observed at `updatedAt`.
 */
export function snapshotWithRatio(ratioBps: bigint, updatedAt = 1_700_000_000n): AssetSnapshot {
  return {
    assetId: ASSET,
    reserve: reserveObserved({ answer: ratioBps * 10n ** 14n, feedDecimals: 18, updatedAt }),
    supplies: [
      {
        chainId: MAINNET,
        observation: supplyObserved({ totalSupply: 10n ** 18n, tokenDecimals: 18 }),
      },
    ],
  };
}
