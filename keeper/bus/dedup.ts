import { InvalidArgumentError } from "../internal/errors.ts";

/**
 * Consumer-side duplicate detection by message id. Delivery is at-least-once and ids are
 * deterministic, so a replayed fact arrives with the id it had the first time.
 */
export interface DuplicateFilter {
  /** true if `id` was seen before (within the window); otherwise records it and returns false. */
  seen(id: string): boolean;
  readonly size: number;
}

/** Remembers the last `capacity` distinct ids (oldest forgotten first). */
export function createDuplicateFilter({ capacity = 100_000 }: { capacity?: number } = {}): DuplicateFilter {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new InvalidArgumentError({
      name: "capacity",
      reason: "must be a positive integer",
      value: capacity,
    });
  }
  const ids = new Set<string>(); // insertion-ordered: the first entry is the oldest
  return {
    seen(id) {
      if (ids.has(id)) return true;
      ids.add(id);
      if (ids.size > capacity) {
        const oldest = ids.values().next().value;
        if (oldest !== undefined) ids.delete(oldest);
      }
      return false;
    },
    get size() {
      return ids.size;
    },
  };
}
