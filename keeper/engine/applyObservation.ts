import { InvalidObservationError, UnhandledVariantError } from "../internal/errors.ts";
import { type AssetState, type BridgeFlow, type ChainHistory, EMPTY_HISTORY } from "./assetState.ts";
import { assertDecimals, CANONICAL_DECIMALS, normalizeAmount } from "./normalize.ts";
import type {
  BlockRef,
  BlockReorged,
  BridgeBaseline,
  Observation,
  ReserveObserved,
  SupplyObserved,
} from "./types.ts";

/**
 * Folds one Observation into an asset's view and returns the new view (the input is not changed;
 * an ignored observation returns the SAME object, so `next === state` means "nothing changed").
 *
 * - reserve.observed: accepted only if its phase-encoded roundId is greater than the latest kept
 *   one (duplicates, replays and older rounds are ignored; skipped rounds are fine).
 * - supply.observed: accepted only if (block, logIndex) is after the latest kept reading on that
 *   chain; a reading without logIndex is the end-of-block state and sorts after that block's logs.
 * - supply.observed with `bridged` (a mint/burn log of a cross-chain transfer): besides the reading,
 *   the flow is added to the chain's bridge flows once per log (by block hash + log index), even when
 *   the reading itself is older than the latest one, unless the chain's baseline already covers its block.
 * - bridge.baseline: the chain's flows up to its block (first baseline per chain only); flows already
 *   kept at or below that block are dropped (the baseline counts them).
 * - block.reorged: drops every kept observation and bridge flow of that chain made in a dropped block
 *   (by hash) or above the new head; the latest remaining one becomes current again. A reorg deeper than
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
    case "bridge.baseline":
      return applyBridgeBaseline(state, observation);
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

function checkCommon(
  state: AssetState,
  observation: ReserveObserved | SupplyObserved | BridgeBaseline,
): void {
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
  const bridge = withFlow(history.bridge, observation);
  const latest = history.supplies.at(-1);
  if (latest !== undefined && compareSupplyPosition(observation, latest) <= 0) {
    return bridge === history.bridge
      ? state
      : withHistory(state, observation.chainId, { ...history, bridge });
  }
  return withHistory(state, observation.chainId, {
    ...history,
    head: maxHead(history.head, observation.block.number),
    supplies: [...history.supplies, observation],
    bridge,
  });
}

/** The chain's bridge flows with this reading's flow added (same object when it adds nothing). */
function withFlow(bridge: ChainHistory["bridge"], observation: SupplyObserved): ChainHistory["bridge"] {
  const { bridged, logIndex, block } = observation;
  if (bridged === undefined || bridged === 0n || logIndex === undefined) return bridge;
  if (bridge.baseline !== undefined && block.number <= bridge.baseline.block.number) return bridge;
  const id = `${block.hash.toLowerCase()}:${logIndex}`;
  if (bridge.flows.some((f) => f.id === id)) return bridge;
  const flow: BridgeFlow = { id, block, amount: toCanonicalFlow(bridged, observation.tokenDecimals) };
  return { ...bridge, flows: [...bridge.flows, flow] };
}

/**
 * A signed flow at CANONICAL_DECIMALS, rounded so supply is never understated: burns (in flight,
 * counted as supply) round up, mints out of a transfer round toward zero.
 */
function toCanonicalFlow(amount: bigint, decimals: number): bigint {
  return amount >= 0n
    ? normalizeAmount(amount, decimals, CANONICAL_DECIMALS, "up")
    : -normalizeAmount(-amount, decimals, CANONICAL_DECIMALS, "down");
}

function applyBridgeBaseline(state: AssetState, observation: BridgeBaseline): AssetState {
  checkCommon(state, observation);
  if (!state.supplyChainIds.includes(observation.chainId)) {
    throw invalid(
      observation,
      `chain ${observation.chainId} is not a supply chain of asset ${state.assetId}`,
    );
  }
  assertDecimals(observation.tokenDecimals, "tokenDecimals");
  if (observation.fromBlock > observation.block.number) {
    throw invalid(
      observation,
      `fromBlock ${observation.fromBlock} is after the baseline block ${observation.block.number}`,
    );
  }
  const history = chainHistory(state, observation.chainId);
  if (history.bridge.baseline !== undefined) return state;
  const at = observation.block.number;
  return withHistory(state, observation.chainId, {
    ...history,
    head: maxHead(history.head, at),
    bridge: {
      baseline: {
        block: observation.block,
        amount: toCanonicalFlow(observation.flow, observation.tokenDecimals),
      },
      finalFlow: history.bridge.finalFlow,
      flows: history.bridge.flows.filter((f) => f.block.number > at),
    },
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
  const bridge = { ...history.bridge, flows: history.bridge.flows.filter((f) => survives(f.block)) };
  // The new head replaces the old one even if lower (a shorter canonical chain).
  return withHistory(state, observation.chainId, {
    head: observation.newHead.number,
    reserves,
    supplies,
    bridge,
  });
}

/** Position of a supply reading in its chain; end-of-block readings (no logIndex) sort last. */
function compareSupplyPosition(a: SupplyObserved, b: SupplyObserved): number {
  if (a.block.number !== b.block.number) return a.block.number < b.block.number ? -1 : 1;
  const ai = a.logIndex ?? Number.POSITIVE_INFINITY;
  const bi = b.logIndex ?? Number.POSITIVE_INFINITY;
  return ai === bi ? 0 : ai < bi ? -1 : 1;
}

function chainHistory(state: AssetState, chainId: number): ChainHistory {
  return state.chains.get(chainId) ?? EMPTY_HISTORY;
}

function maxHead(head: bigint | undefined, blockNumber: bigint): bigint {
  return head === undefined || blockNumber > head ? blockNumber : head;
}

function withHistory(state: AssetState, chainId: number, history: ChainHistory): AssetState {
  const pruned: ChainHistory = {
    head: history.head,
    reserves: prune(history.reserves, history.head, state.reorgDepth, state.maxHistory),
    supplies: prune(history.supplies, history.head, state.reorgDepth, state.maxHistory),
    bridge: foldFinalFlows(history.bridge, history.head, state.reorgDepth, state.maxHistory),
  };
  const chains = new Map(state.chains);
  chains.set(chainId, pruned);
  return { ...state, chains };
}

/**
 * Folds flows no reorg within reorgDepth can remove (block <= head - reorgDepth) into finalFlow, and
 * the oldest ones beyond maxHistory: their sum is all that is still needed.
 */
function foldFinalFlows(
  bridge: ChainHistory["bridge"],
  head: bigint | undefined,
  reorgDepth: bigint,
  maxHistory: number,
): ChainHistory["bridge"] {
  const finalAt = head === undefined ? undefined : head - reorgDepth;
  let finalFlow = bridge.finalFlow;
  let flows = bridge.flows.filter((f) => {
    if (finalAt === undefined || f.block.number > finalAt) return true;
    finalFlow += f.amount;
    return false;
  });
  if (flows.length > maxHistory) {
    for (const f of flows.slice(0, flows.length - maxHistory)) finalFlow += f.amount;
    flows = flows.slice(flows.length - maxHistory);
  }
  return flows.length === bridge.flows.length ? bridge : { ...bridge, finalFlow, flows };
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
