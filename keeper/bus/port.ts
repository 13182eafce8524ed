/**
 * The bus port: what the runtime and the consumers (cctp, compliance, custody) program against.
 * Adapters: kafka.ts (production) and inprocess.ts (embedded default, tests).
 *
 * Atomic publish + checkpoint: `publish(messages, { checkpoint })` is the ONE way to advance the
 * checkpoint together with the batch it covers. On Kafka both go into one transaction (the batch and
 * the checkpoint record become visible together or not at all). In-process, the checkpoint is saved
 * right after the batch is handed to subscribers (a crash in between replays the batch with the same
 * ids). `checkpoints.save` alone writes a checkpoint without messages (e.g. an idle chain advancing).
 *
 * Consumer contract (both adapters, see deliver.ts):
 * - Every message is decoded (decodeEnvelope) before the handler sees it.
 * - A message that does not decode: `onInvalid(InvalidMessageError, meta)` is called (default: logged
 *   at error level with topic/partition/offset), and the consumer moves on. There is no separate
 *   dead-letter topic: the bytes stay in the source topic (retention) and the error names their exact
 *   position, which is what an operator needs to inspect or replay them.
 * - The handler throws a retryable error (isRetryable): the same message is retried with backoff until
 *   it succeeds or the subscription closes. Nothing is skipped (a pause event must not be lost).
 * - The handler throws anything else: `onError(error, envelope, meta)` (default: logged) and the
 *   consumer moves on.
 * - Delivery is at-least-once; ids are deterministic, so `createDuplicateFilter` drops repeats.
 */
import type { InvalidMessageError } from "../internal/errors.ts";
import type { CheckpointStore } from "./checkpoint.ts";
import type { TopicId } from "./topics.ts";
import type { BusPayload, Checkpoint, Envelope } from "./types.ts";

/** One message to publish; type, topic, id and key are derived from the payload unless given. */
export type OutgoingMessage = {
  readonly payload: BusPayload;
  /** Default messageIdOf(payload). Must be deterministic if given. */
  readonly id?: string;
  /** Default partitionKeyOf(payload). */
  readonly key?: string;
};

export type PublishOptions = {
  /** Saved atomically with the batch (Kafka: same transaction); never before the batch is published. */
  readonly checkpoint?: Checkpoint;
};

/** Where a delivered message came from. */
export type MessageMeta = {
  readonly topic: TopicId;
  /** Physical topic name (with prefix). */
  readonly topicName: string;
  readonly partition: number;
  /** Offset in the partition, as a decimal string (Kafka offsets are int64). */
  readonly offset: string;
  readonly key: string | undefined;
};

export type MessageHandler = (envelope: Envelope, meta: MessageMeta) => Promise<void> | void;

export type SubscribeArgs = {
  readonly topics: readonly TopicId[];
  /** Consumer group: members share the partitions; a group resumes from its committed position. */
  readonly groupId: string;
  /** Where a group WITHOUT a committed position starts: the oldest retained message (true) or new ones only. */
  readonly fromBeginning?: boolean;
  readonly onMessage: MessageHandler;
  /** A message that failed to decode (after which the consumer continues). Default: log at error level. */
  readonly onInvalid?: (error: InvalidMessageError, meta: MessageMeta) => void;
  /** The handler threw a non-retryable error (after which the consumer continues). Default: log. */
  readonly onError?: (error: unknown, envelope: Envelope, meta: MessageMeta) => void;
};

export interface Subscription {
  readonly groupId: string;
  /** Stops delivery; resolves after the message in progress (if any) has finished. */
  close(): Promise<void>;
}

export interface Bus {
  /**
   * Publishes one batch, all or nothing: every message is validated and encoded first (an invalid one
   * throws InvalidMessageError and nothing is published), then the adapter publishes the batch and,
   * if given, the checkpoint — atomically on Kafka. Rejects with BusUnavailableError (retryable) when the
   * broker stays unavailable, BusPublishRejectedError / BusProducerFencedError otherwise.
   */
  publish(messages: readonly OutgoingMessage[], options?: PublishOptions): Promise<void>;
  /** Resolves once the subscription is live (Kafka: the consumer has joined its group). */
  subscribe(args: SubscribeArgs): Promise<Subscription>;
  /** The checkpoint store that `publish(…, { checkpoint })` writes to. */
  readonly checkpoints: CheckpointStore;
  /** Closes subscriptions and the producer. Idempotent. */
  close(): Promise<void>;
}
