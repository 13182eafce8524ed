/**
 * The consumer side's delivery policy, shared by both adapters (the contract is documented in port.ts):
 * decode → handler; undecodable → onInvalid and move on; retryable handler error → retry the same
 * message with backoff until it succeeds or the subscription closes; other handler error → onError and
 * move on.
 */
import { InvalidMessageError, isRetryable } from "../internal/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import { decodeEnvelope } from "./envelope.ts";
import type { MessageMeta, SubscribeArgs } from "./port.ts";

export type HandlerRetry = {
  /** First delay after a retryable handler error. Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Delay cap. Default 10 s. */
  readonly maxDelayMs?: number;
};

/** Delay before attempt `attempt + 1` (attempt >= 1): exponential with equal jitter, capped. */
export function backoffDelay(
  attempt: number,
  { initialDelayMs = 100, maxDelayMs = 10_000 }: HandlerRetry = {},
): number {
  const ceiling = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt - 1, 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Resolves after `ms`, or early (false) when `signal` aborts. */
export function waitFor(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export type DeliverArgs = {
  readonly bytes: Uint8Array | null;
  readonly meta: MessageMeta;
  readonly subscription: SubscribeArgs;
  readonly logger: Logger;
  /** Aborted when the subscription closes: stops retrying. */
  readonly signal: AbortSignal;
  readonly retry?: HandlerRetry;
  /** Called between handler retries (Kafka: keeps the group session alive). */
  readonly heartbeat?: () => Promise<void>;
};

/** Delivers one message. Resolves when the consumer may move past it; never throws. */
export async function deliverMessage({
  bytes,
  meta,
  subscription,
  logger,
  signal,
  retry,
  heartbeat,
}: DeliverArgs): Promise<"delivered" | "invalid" | "failed" | "aborted"> {
  const location = { topic: meta.topicName, partition: meta.partition, offset: meta.offset };
  let envelope: ReturnType<typeof decodeEnvelope>;
  try {
    if (bytes === null) {
      throw new InvalidMessageError({
        ...location,
        field: "(bytes)",
        reason: "is empty (null value / tombstone)",
      });
    }
    envelope = decodeEnvelope(bytes, location);
  } catch (error) {
    const invalid =
      error instanceof InvalidMessageError
        ? error
        : new InvalidMessageError({
            ...location,
            field: "(envelope)",
            reason: "could not be decoded",
            cause: error,
          });
    report(() => {
      if (subscription.onInvalid) subscription.onInvalid(invalid, meta);
      else
        logger.error(
          {
            err: invalid,
            group_id: subscription.groupId,
            topic: meta.topicName,
            partition: meta.partition,
            offset: meta.offset,
          },
          "Skipped an undecodable bus message.",
        );
    }, logger);
    return "invalid";
  }

  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) return "aborted";
    try {
      await subscription.onMessage(envelope, meta);
      return "delivered";
    } catch (error) {
      if (!isRetryable(error)) {
        report(() => {
          if (subscription.onError) subscription.onError(error, envelope, meta);
          else
            logger.error(
              {
                err: error,
                group_id: subscription.groupId,
                message_id: envelope.id,
                type: envelope.type,
                offset: meta.offset,
              },
              "Bus message handler failed; skipped the message.",
            );
        }, logger);
        return "failed";
      }
      const delay = backoffDelay(attempt, retry);
      logger.warn(
        {
          err: error,
          group_id: subscription.groupId,
          message_id: envelope.id,
          attempt,
          delay_ms: Math.round(delay),
        },
        "Bus message handler failed with a retryable error; retrying the same message.",
      );
      if (!(await waitFor(delay, signal))) return "aborted";
      await heartbeat?.().catch(() => {});
    }
  }
}

/** Runs a user callback; a throwing callback is logged, never allowed to stop the consumer. */
function report(fn: () => void, logger: Logger): void {
  try {
    fn();
  } catch (error) {
    logger.error({ err: error }, "Bus error callback threw.");
  }
}
