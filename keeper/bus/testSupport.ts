/** Test helpers for bus tests (not exported from index.ts). No sleeps: poll a condition until a deadline. */
import type { InvalidMessageError } from "../internal/errors.ts";
import { waitFor } from "../internal/waitFor.ts";
import type { Bus, MessageMeta, SubscribeArgs, Subscription } from "./port.ts";
import type { TopicId } from "./topics.ts";
import type { Envelope } from "./types.ts";

/** Resolves as soon as `condition()` is true; rejects with `what` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean,
  { timeoutMs = 20_000, what = "condition" }: { timeoutMs?: number; what?: string } = {},
): Promise<void> {
  await waitFor(what, () => condition() || undefined, timeoutMs, 10);
}

export type Received = { envelope: Envelope; meta: MessageMeta };

export type Collector = {
  readonly received: Received[];
  readonly invalid: { error: InvalidMessageError; meta: MessageMeta }[];
  readonly failed: { error: unknown; envelope: Envelope }[];
  readonly subscription: Subscription;
  /** Waits until `n` messages were handled. */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
};

/** Subscribes and records everything delivered, invalid or failed. */
export async function collect(
  bus: Bus,
  {
    topics,
    groupId,
    fromBeginning = true,
    onMessage,
  }: {
    topics: readonly TopicId[];
    groupId: string;
    fromBeginning?: boolean;
    onMessage?: SubscribeArgs["onMessage"];
  },
): Promise<Collector> {
  const received: Received[] = [];
  const invalid: Collector["invalid"] = [];
  const failed: Collector["failed"] = [];
  const subscription = await bus.subscribe({
    topics,
    groupId,
    fromBeginning,
    onMessage: async (envelope, meta) => {
      await onMessage?.(envelope, meta);
      received.push({ envelope, meta });
    },
    onInvalid: (error, meta) => invalid.push({ error, meta }),
    onError: (error, envelope) => failed.push({ error, envelope }),
  });
  return {
    received,
    invalid,
    failed,
    subscription,
    async waitFor(n, timeoutMs) {
      await waitUntil(() => received.length >= n, {
        what: `${n} messages on ${topics.join(",")} (got ${received.length})`,
        ...(timeoutMs ? { timeoutMs } : {}),
      });
      return received;
    },
  };
}
