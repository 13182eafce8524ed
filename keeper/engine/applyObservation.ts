import { InvalidObservationError, UnhandledVariantError } from "../internal/errors.ts";
import type { AssetState, ChainHistory } from "./assetState.ts";
import { assertDecimals } from "./normalize.ts";
import type { BlockRef, BlockReorged, Observation, ReserveObserved, SupplyObserved } from "./types.ts";

/**
 * Folds one Observation into an asset's view and returns the new view (the input is not changed;
 * an ignored observation returns the SAME object, so `next === state` means "nothing changed").
 *
 * - reserve.observed: accepted only if its phase-encoded roundId is greater than the latest kept
 *   one (duplicates, replays and older rounds are ignored; skipped rounds are fine).
 * - supply.observed: accepted only if (block, logIndex) is after the latest kept reading on that
 *   chain; a reading without logIndex is the end-of-block state and sorts after that block's logs.
 * - block.reorged: drops every kept observation of that chain made in a dropped block (by hash)
 *   or above the new head; the latest remaining one becomes current again. A reorg deeper than
 *   reorgDepth can retract everything, and decide then reports `unknown` until re-observed.
 * - feed.heartbeat_missed, clock.tick: no state change (they only trigger decide).
 *
 * Throws InvalidObservationError for observations of another asset, another feed, an unconfigured
 * supply chain, or with negative numbers; InvalidDecimalsError for decimals outside 0..36.
 */
export function applyObservation(state: AssetState, observation: Observation): AssetState {
  switch (observation.type) {
    case "reserve.observed":
      return applyReserve(state, observation);
    case "supply.observed":
      return applySupply(state, observation);
    case "block.reorged":
      return applyReorg(state, observation);
    case "feed.heartbeat_missed":
    case "clock.tick":
      return state;
    default:
      throw new UnhandledVariantError({ subject: "observation", value: observation satisfies never });
  }
}

function invalid(observation: Observation, reason: string): InvalidObservationError {
  return new InvalidObservationError({ observationType: observation.type, reason });
}

function checkCommon(state: AssetState, observation: ReserveObserved | SupplyObserved): void {
  if (observation.assetId !== state.assetId) {
    throw invalid(
      observation,
      `asset ${observation.assetId} does not match the view's asset ${state.assetId}`,
    );
  }
  if (observation.block.number < 0n)
    throw invalid(observation, `block number ${observation.block.number} is negative`);
}

function applyReserve(state: AssetState, observation: ReserveObserved): AssetState {
  checkCommon(state, observation);
  if (observation.chainId !== state.feed.chainId || observation.feed.toLowerCase() !== state.feed.address) {
    throw invalid(
      observation,
      `feed ${observation.feed} on chain ${observation.chainId} is not the asset's feed ${state.feed.address} on chain ${state.feed.chainId}`,
    );
  }
  assertDecimals(observation.feedDecimals, "feedDecimals");
  if (observation.roundId < 0n) throw invalid(observation, `roundId ${observation.roundId} is negative`);
  if (observation.updatedAt < 0n)
    throw invalid(observation, `updatedAt ${observation.updatedAt} is negative`);

  const history = chainHistory(state, observation.chainId);
  const latest = history.reserves.at(-1);
  if (latest !== undefined && observation.roundId <= latest.roundId) return state;
  return withHistory(state, observation.chainId, {
    ...history,
    head: maxHead(history.head, observation.block.number),
    reserves: [...history.reserves, observation],
  });
}

function applySupply(state: AssetState, observation: SupplyObserved): AssetState {
  checkCommon(state, observation);
  if (!state.supplyChainIds.includes(observation.chainId)) {
    throw invalid(
      observation,
      `chain ${observation.chainId} is not a supply chain of asset ${state.assetId}`,
    );
  }
  assertDecimals(observation.tokenDecimals, "tokenDecimals");
  if (observation.totalSupply < 0n)
    throw invalid(observation, `totalSupply ${observation.totalSupply} is negative`);

  const history = chainHistory(state, observation.chainId);
  const latest = history.supplies.at(-1);
  if (latest !== undefined && compareSupplyPosition(observation, latest) <= 0) return state;
  return withHistory(state, observation.chainId, {
    ...history,
    head: maxHead(history.head, observation.block.number),
    supplies: [...history.supplies, observation],
  });
}

function applyReorg(state: AssetState, observation: BlockReorged): AssetState {
  const history = state.chains.get(observation.chainId);
  if (history === undefined) return state;
  const dropped = new Set(observation.dropped.map((block) => block.hash.toLowerCase()));
  const survives = (block: BlockRef) =>
    !dropped.has(block.hash.toLowerCase()) && block.number <= observation.newHead.number;
  const reserves = history.reserves.filter((o) => survives(o.block));
  const supplies = history.supplies.filter((o) => survives(o.block));
  // The new head replaces the old one even if lower (a shorter canonical chain).
  return withHistory(state, observation.chainId, { head: observation.newHead.number, reserves, supplies });
}

/** Position of a supply reading in its chain; end-of-block readings (no logIndex) sort last. */
function compareSupplyPosition(a: SupplyObserved, b: SupplyObserved): number {
  if (a.block.number !== b.block.number) return a.block.number < b.block.number ? -1 : 1;
  const ai = a.logIndex ?? Number.POSITIVE_INFINITY;
  const bi = b.logIndex ?? Number.POSITIVE_INFINITY;
  return ai === bi ? 0 : ai < bi ? -1 : 1;
}

function chainHistory(state: AssetState, chainId: number): ChainHistory {
  return state.chains.get(chainId) ?? { head: undefined, reserves: [], supplies: [] };
}

function maxHead(head: bigint | undefined, blockNumber: bigint): bigint {
  return head === undefined || blockNumber > head ? blockNumber : head;
}

function withHistory(state: AssetState, chainId: number, history: ChainHistory): AssetState {
  const pruned: ChainHistory = {
    head: history.head,
    reserves: prune(history.reserves, history.head, state.reorgDepth, state.maxHistory),
    supplies: prune(history.supplies, history.head, state.reorgDepth, state.maxHistory),
  };
  const chains = new Map(state.chains);
  chains.set(chainId, pruned);
  return { ...state, chains };
}

/**
 * Keeps the newest final entry (block <= head - reorgDepth) and everything after it: older
 * entries are superseded by a value no reorg within reorgDepth can remove. Then caps the length.
 */
function prune<T extends { readonly block: BlockRef }>(
  entries: readonly T[],
  head: bigint | undefined,
  reorgDepth: bigint,
  maxHistory: number,
): readonly T[] {
  let kept = entries;
  if (head !== undefined) {
    const finalAt = head - reorgDepth;
    let anchor = -1;
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (entry !== undefined && entry.block.number <= finalAt) {
        anchor = i;
        break;
      }
    }
    if (anchor > 0) kept = entries.slice(anchor);
  }
  return kept.length > maxHistory ? kept.slice(kept.length - maxHistory) : kept;
}
