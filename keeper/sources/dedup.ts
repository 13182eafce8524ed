import type { BlockReorged } from "../engine/types.ts";
import { InvalidArgumentError } from "../internal/errors.ts";
import { eventId, type SourceEvent } from "./types.ts";

export type CreateDedupArgs = {
  /** Most event ids remembered; the least recently seen is forgotten first. */
  capacity: number;
};

export type Dedup = {
  /**
   * Records the event's id and returns false the first time; true when the same id was already seen
   * (same chain, block hash and log index — or kind for eth_call reads) and not forgotten since.
   */
  isDuplicate(event: SourceEvent): boolean;
  /** Whether the event's id is remembered (does not record it or refresh it). */
  has(event: SourceEvent): boolean;
  /**
   * Forgets every id recorded for the dropped blocks of a reorg (pass the `block.reorged` event), so an
   * event delivered again from the same block hash after the chain returns to it is not a duplicate.
   * Returns how many ids were forgotten.
   */
  forgetBlocks(reorg: Pick<BlockReorged, "chainId" | "dropped">): number;
  readonly size: number;
};

/** The block an event was derived from (chain + hash), if any: what a reorg can void. */
function blockKeyOf(event: SourceEvent): string | undefined {
  switch (event.type) {
    case "reserve.observed":
    case "supply.observed":
    case "bridge.baseline":
    case "breaker.observed":
    case "block.head":
      return `${event.chainId}:${event.block.hash.toLowerCase()}`;
    case "block.reorged":
      return `${event.chainId}:${event.newHead.hash.toLowerCase()}`;
    case "feed.heartbeat_missed":
    case "clock.tick":
      return undefined;
    default: {
      const never: never = event;
      throw new InvalidArgumentError({ name: "event", reason: "unknown event type", value: String(never) });
    }
  }
}

/**
 * Duplicate filter keyed by `eventId` with bounded memory: an insertion-ordered map used as an LRU of
 * at most `capacity` ids, plus an index from (chain, block hash) to the ids recorded for that block so a
 * reorg can forget them.
 */
export function createDedup({ capacity }: CreateDedupArgs): Dedup {
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new InvalidArgumentError({
      name: "capacity",
      reason: "must be a positive integer",
      value: capacity,
    });
  }
  /** id → block key (undefined for events not tied to a block). Map order = recency, oldest first. */
  const ids = new Map<string, string | undefined>();
  const byBlock = new Map<string, Set<string>>();

  const remove = (id: string) => {
    const key = ids.get(id);
    ids.delete(id);
    if (key === undefined) return;
    const set = byBlock.get(key);
    set?.delete(id);
    if (set?.size === 0) byBlock.delete(key);
  };

  return {
    isDuplicate(event) {
      const id = eventId(event);
      if (ids.has(id)) {
        // Refresh recency.
        const key = ids.get(id);
        ids.delete(id);
        ids.set(id, key);
        return true;
      }
      const key = blockKeyOf(event);
      ids.set(id, key);
      if (key !== undefined) {
        const set = byBlock.get(key) ?? new Set<string>();
        set.add(id);
        byBlock.set(key, set);
      }
      while (ids.size > capacity) {
        const oldest = ids.keys().next().value as string;
        remove(oldest);
      }
      return false;
    },

    has: (event) => ids.has(eventId(event)),

    forgetBlocks({ chainId, dropped }) {
      let forgotten = 0;
      for (const block of dropped) {
        const set = byBlock.get(`${chainId}:${block.hash.toLowerCase()}`);
        if (!set) continue;
        for (const id of [...set]) {
          remove(id);
          forgotten++;
        }
      }
      return forgotten;
    },

    get size() {
      return ids.size;
    },
  };
}
