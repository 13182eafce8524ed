import {
  type AssetState,
  applyObservation,
  createAssetState,
  type Decision,
  type DecisionState,
  decide,
  readAssetSnapshot,
} from "../engine/index.ts";
import type { Address, BlockRef, Observation, Policy } from "../engine/types.ts";

export type AssetWatchConfig = {
  readonly assetId: string;
  readonly feed: { readonly chainId: number; readonly address: Address };
  readonly supplyChainIds: readonly number[];
  /** Deepest reorg the engine can undo (the chains' reorg window). */
  readonly reorgDepth: bigint;
  readonly policy: Policy;
  /** Confirmations a chain's observation needs before a pause may act on it (0 = act at latest). */
  readonly confirmations: ReadonlyMap<number, bigint>;
};

/** What the head trackers know, per chain, for the confirmation gate. */
export type ChainView = {
  confirmations(chainId: number, blockNumber: bigint): bigint;
  /** false = the block left the canonical chain; undefined = unknown (older than the window). */
  isCanonical(chainId: number, ref: BlockRef): boolean | undefined;
};

export type PauseGate =
  | { readonly type: "act" }
  | {
      readonly type: "wait";
      readonly chainId: number;
      readonly block: BlockRef;
      readonly have: bigint;
      readonly need: bigint;
    }
  | { readonly type: "none" };

/**
 * One asset's view and decisions: folds observations into the engine state and runs decide.
 * No I/O; the runtime feeds it events in order and acts on what it returns.
 */
export function createAssetWatch(config: AssetWatchConfig) {
  let state: AssetState = createAssetState({
    assetId: config.assetId,
    feed: config.feed,
    supplyChainIds: config.supplyChainIds,
    reorgDepth: config.reorgDepth,
  });
  let decisionState: DecisionState | undefined;
  let last: Decision | undefined;

  return {
    config,
    /** Applies an observation; false when the engine ignored it (older round/block, other chain). */
    observe(observation: Observation): boolean {
      if (
        (observation.type === "reserve.observed" || observation.type === "supply.observed") &&
        observation.assetId !== config.assetId
      ) {
        return false;
      }
      const next = applyObservation(state, observation);
      const changed = next !== state;
      state = next;
      return changed;
    },
    /** Decides at `now` (unix seconds) and remembers the result for hysteresis. */
    decide(now: bigint): Decision {
      const { decision, nextState } = decide({
        state: decisionState,
        asset: readAssetSnapshot(state),
        policy: config.policy,
        now,
      });
      decisionState = nextState;
      last = decision;
      return decision;
    },
    lastDecision(): Decision | undefined {
      return last;
    },
    /**
     * Whether a pausing decision may act now: every input it used must be on the canonical chain and
     * at least `confirmations` deep on its chain. A reorged input means the decision is void.
     */
    pauseGate(decision: Decision, chains: ChainView): PauseGate {
      if (!decision.shouldPause) return { type: "none" };
      const inputs = [
        ...(decision.inputs.reserve ? [decision.inputs.reserve] : []),
        ...decision.inputs.supplies,
      ];
      for (const input of inputs) {
        const need = config.confirmations.get(input.chainId) ?? 0n;
        if (need === 0n) continue;
        if (chains.isCanonical(input.chainId, input.block) === false) return { type: "none" };
        const have = chains.confirmations(input.chainId, input.block.number);
        if (have < need) return { type: "wait", chainId: input.chainId, block: input.block, have, need };
      }
      return { type: "act" };
    },
  };
}

export type AssetWatch = ReturnType<typeof createAssetWatch>;
