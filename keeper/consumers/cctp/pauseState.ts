/**
 * Which assets are paused, as the CCTP transfer service sees it: one `paused` flag per (asset, chain)
 * breaker, moved by the breaker's `paused()` read and by breakerEvents messages, whichever is later in
 * the chain (block, then log index) wins — so a read at start and an event delivered around it agree.
 * An asset is paused while its breaker on ANY of its chains is. Pure.
 */
import type { Address } from "viem";
import type { Envelope } from "../../bus/types.ts";

export type BreakerRef = { readonly assetId: string; readonly chainId: number; readonly breaker: Address };

/** Chain position of a fact: block number, then log index (undefined = end of block). */
type Position = { readonly block: bigint; readonly logIndex: number };

const END_OF_BLOCK = Number.MAX_SAFE_INTEGER;

function later(a: Position, b: Position): boolean {
  return a.block > b.block || (a.block === b.block && a.logIndex >= b.logIndex);
}

export type PauseChange = { readonly assetId: string; readonly paused: boolean };

export type PauseState = {
  /** Records a paused() read at `block`; returns the asset's change, if any. */
  applyRead(
    ref: Pick<BreakerRef, "chainId" | "breaker">,
    paused: boolean,
    block: bigint,
  ): PauseChange | undefined;
  /** Applies a breakerEvents message (breaker.observed, pause.mined, pause.already_paused); others are ignored. */
  applyMessage(envelope: Envelope): PauseChange | undefined;
  /** Marks a breaker paused from a TokenPaused revert (no block: any later event overrides it). */
  markPaused(chainId: number, assetId: string): PauseChange | undefined;
  isPaused(assetId: string): boolean;
  /** Chain ids where the asset's breaker is paused, ascending. */
  pausedChains(assetId: string): number[];
  /** Whether every breaker of the asset has been read or heard from. */
  known(assetId: string): boolean;
};

export function createPauseState(breakers: readonly BreakerRef[]): PauseState {
  type Slot = BreakerRef & { paused: boolean | undefined; at: Position };
  const slots: Slot[] = breakers.map((b) => ({ ...b, paused: undefined, at: { block: -1n, logIndex: 0 } }));
  const find = (chainId: number, breaker: string) =>
    slots.find((s) => s.chainId === chainId && s.breaker.toLowerCase() === breaker.toLowerCase());
  const isPaused = (assetId: string) => slots.some((s) => s.assetId === assetId && s.paused === true);

  function set(slot: Slot | undefined, paused: boolean, at: Position): PauseChange | undefined {
    if (slot === undefined) return undefined;
    if (slot.paused !== undefined && !later(at, slot.at)) return undefined;
    const before = isPaused(slot.assetId);
    slot.paused = paused;
    slot.at = at;
    const after = isPaused(slot.assetId);
    return before === after ? undefined : { assetId: slot.assetId, paused: after };
  }

  return {
    applyRead(ref, paused, block) {
      return set(find(ref.chainId, ref.breaker), paused, { block, logIndex: END_OF_BLOCK });
    },

    applyMessage(envelope) {
      const p = envelope.payload;
      switch (envelope.type) {
        case "breaker.observed": {
          const b = p as Extract<Envelope, { type: "breaker.observed" }>["payload"];
          if (b.kind === "signers_changed") return undefined;
          return set(find(b.chainId, b.breaker), b.kind !== "unpaused", {
            block: b.block.number,
            logIndex: b.logIndex,
          });
        }
        case "pause.mined": {
          const m = p as Extract<Envelope, { type: "pause.mined" }>["payload"];
          return set(find(m.chainId, m.breaker), true, { block: m.blockNumber, logIndex: END_OF_BLOCK });
        }
        case "pause.already_paused": {
          const m = p as Extract<Envelope, { type: "pause.already_paused" }>["payload"];
          const slot = find(m.chainId, m.breaker);
          if (m.blockNumber !== undefined)
            return set(slot, true, { block: m.blockNumber, logIndex: END_OF_BLOCK });
          // No block: only informative when nothing is known yet.
          return slot?.paused === undefined ? set(slot, true, { block: -1n, logIndex: 0 }) : undefined;
        }
        default:
          return undefined;
      }
    },

    markPaused(chainId, assetId) {
      const slot = slots.find((s) => s.chainId === chainId && s.assetId === assetId);
      if (slot === undefined || slot.paused === true) return undefined;
      const before = isPaused(assetId);
      slot.paused = true; // position unchanged: the next event at any later block decides
      return before ? undefined : { assetId, paused: true };
    },

    isPaused,

    pausedChains(assetId) {
      return slots
        .filter((s) => s.assetId === assetId && s.paused === true)
        .map((s) => s.chainId)
        .sort((a, b) => a - b);
    },

    known(assetId) {
      return slots.filter((s) => s.assetId === assetId).every((s) => s.paused !== undefined);
    },
  };
}
