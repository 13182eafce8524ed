import type { SourceEvent, SourceMeta } from "../sources/types.ts";

export type QueuedEvent = { readonly event: SourceEvent; readonly meta: SourceMeta };

/**
 * Serialises everything the sources emit: events are handled one at a time, in arrival order, by one
 * async handler. `hold()` buffers live events (while backfill runs) and `release()` drains them.
 * A handler error is reported through onError and processing continues with the next event.
 */
export function createEventQueue(args: {
  handle: (item: QueuedEvent) => Promise<void>;
  onError: (error: unknown, item: QueuedEvent) => void;
}) {
  const items: QueuedEvent[] = [];
  let held = false;
  let running = false;
  let idleWaiters: (() => void)[] = [];

  const pump = async () => {
    if (running) return;
    running = true;
    try {
      while (!held && items.length > 0) {
        const item = items.shift()!;
        try {
          await args.handle(item);
        } catch (error) {
          args.onError(error, item);
        }
      }
    } finally {
      running = false;
      if (items.length === 0 || held) {
        const waiters = idleWaiters;
        idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  };

  return {
    push(event: SourceEvent, meta: SourceMeta): void {
      items.push({ event, meta });
      void pump();
    },
    hold(): void {
      held = true;
    },
    release(): void {
      held = false;
      void pump();
    },
    size(): number {
      return items.length;
    },
    /** Resolves when nothing is queued (or the queue is held) and no handler runs. */
    idle(): Promise<void> {
      if (!running && (items.length === 0 || held)) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

export type EventQueue = ReturnType<typeof createEventQueue>;
