/**
 * The embedded bus (default when no Kafka is configured, and in tests).
 *
 * - Messages are encoded to envelope bytes on publish and decoded on delivery, exactly as on Kafka, so
 *   this path exercises the codecs too.
 * - Fan-out is synchronous: inside `publish`, before it resolves, every record is appended to its
 *   topic log and to the queue of every live subscriber of that topic, in publish order. Each
 *   subscriber then works through its own queue one message at a time (per-key order = publish order;
 *   here even the order across topics is kept). One partition (0) per topic; offsets count from 0.
 * - Each subscriber's queue is bounded (`maxBuffered`). A publish that would overflow any of them is
 *   refused as a whole with BusBufferFullError (retryable) — nothing is ever dropped silently.
 * - Consumer groups: one live member per group; a group resumes from its committed position (kept for
 *   the bus's lifetime). Topic logs retain the last `retainPerTopic` records for `fromBeginning`.
 * - `publish(…, { checkpoint })`: batch first, then `checkpoints.save` (file store by default in the
 *   keeper). A crash in between replays the batch with the same ids; consumers drop them by id.
 */
import { BusBufferFullError, BusClosedError, InvalidArgumentError } from "../internal/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { KeeperMetrics } from "../telemetry/metrics.ts";
import { type CheckpointStore, createMemoryCheckpointStore, DEFAULT_PRODUCER_NAME } from "./checkpoint.ts";
import { deliverMessage, type HandlerRetry } from "./deliver.ts";
import { createCheckpointEnvelope, createEnvelope, encodeEnvelope } from "./envelope.ts";
import { silentLogger } from "./logging.ts";
import type { Bus, OutgoingMessage, PublishOptions, SubscribeArgs, Subscription } from "./port.ts";
import { topicOf } from "./routing.ts";
import { createTopicNames, TOPIC_IDS, type TopicId, type TopicNames } from "./topics.ts";
import type { Envelope, EnvelopeProducer } from "./types.ts";

export type CreateInProcessBusArgs = {
  keeperId: string;
  /** Envelope producer name. Default "reserve-keeper". */
  producerName?: string;
  /** Prefix of the physical topic names (metrics labels, meta.topicName). */
  topicPrefix?: string;
  /** Where `publish(…, { checkpoint })` saves. Default: in memory. The keeper passes a file store. */
  checkpoints?: CheckpointStore;
  /** Max undelivered messages per subscriber. Default 10 000. */
  maxBuffered?: number;
  /** Records kept per topic for late/fromBeginning subscribers. Default 10 000. */
  retainPerTopic?: number;
  handlerRetry?: HandlerRetry;
  logger?: Logger;
  metrics?: KeeperMetrics;
  /** Clock for envelope producedAt. Default: new Date(). */
  now?: () => Date;
};

export interface InProcessBus extends Bus {
  readonly topicNames: TopicNames;
  /** Resolves once every live subscriber has handled everything published so far. */
  idle(): Promise<void>;
  /**
   * Appends raw bytes to a topic, as a foreign producer could on Kafka (tests and tools). Subscribers
   * get them like any other record (and report them through onInvalid if they do not decode).
   */
  appendRaw(args: { topic: TopicId; key?: string; value: Uint8Array | null }): void;
}

type LogRecord = {
  readonly seq: number;
  readonly topic: TopicId;
  readonly offset: number;
  readonly key: string | undefined;
  readonly value: Buffer | null;
};

type TopicLog = { records: LogRecord[]; startOffset: number; nextOffset: number };

type Member = {
  readonly args: SubscribeArgs;
  readonly topics: ReadonlySet<TopicId>;
  readonly queue: LogRecord[];
  readonly abort: AbortController;
  running: Promise<void> | undefined;
  closed: boolean;
};

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError({ name, reason: "must be a positive integer", value });
  }
  return value;
}

/** Creates the embedded bus. */
export function createInProcessBus({
  keeperId,
  producerName = DEFAULT_PRODUCER_NAME,
  topicPrefix,
  checkpoints = createMemoryCheckpointStore({ keeperId }),
  maxBuffered = 10_000,
  retainPerTopic = 10_000,
  handlerRetry,
  logger = silentLogger(),
  metrics,
  now = () => new Date(),
}: CreateInProcessBusArgs): InProcessBus {
  positiveInt("maxBuffered", maxBuffered);
  positiveInt("retainPerTopic", retainPerTopic);
  const topicNames = createTopicNames({ prefix: topicPrefix ?? "" });
  const producer: EnvelopeProducer = { name: producerName, keeperId };
  const logs = new Map<TopicId, TopicLog>(
    TOPIC_IDS.map((id) => [id, { records: [], startOffset: 0, nextOffset: 0 }]),
  );
  const committed = new Map<string, Map<TopicId, number>>(); // groupId -> topic -> next offset
  const members = new Map<string, Member>(); // groupId -> live member
  let idleWaiters: (() => void)[] = [];
  let seq = 0;
  let closed = false;

  const isIdle = () => [...members.values()].every((m) => m.queue.length === 0 && m.running === undefined);
  function notifyIdle(): void {
    if (!isIdle()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  }

  function kick(member: Member): void {
    if (member.running !== undefined || member.closed) return;
    member.running = (async () => {
      const groupOffsets = committed.get(member.args.groupId)!;
      while (member.queue.length > 0 && !member.closed) {
        const record = member.queue[0]!;
        const outcome = await deliverMessage({
          bytes: record.value,
          meta: {
            topic: record.topic,
            topicName: topicNames[record.topic],
            partition: 0,
            offset: String(record.offset),
            key: record.key,
          },
          subscription: member.args,
          logger,
          signal: member.abort.signal,
          ...(handlerRetry ? { retry: handlerRetry } : {}),
        });
        if (outcome === "aborted") break; // not committed: redelivered when the group resubscribes
        member.queue.shift();
        groupOffsets.set(record.topic, record.offset + 1);
      }
    })().finally(() => {
      member.running = undefined;
      if (member.queue.length > 0 && !member.closed) kick(member);
      else notifyIdle();
    });
  }

  /** Appends records (all or none): checks every subscriber's room first, then logs and fans out. */
  function append(batch: readonly { topic: TopicId; key: string | undefined; value: Buffer | null }[]): void {
    for (const member of members.values()) {
      const incoming = batch.filter((r) => member.topics.has(r.topic)).length;
      if (incoming > 0 && member.queue.length + incoming > maxBuffered) {
        for (const topic of new Set(batch.map((r) => r.topic))) {
          metrics?.busPublishErrorsTotal.inc({ topic: topicNames[topic] });
        }
        throw new BusBufferFullError({
          groupId: member.args.groupId,
          buffered: member.queue.length,
          incoming,
          limit: maxBuffered,
        });
      }
    }
    const counts = new Map<TopicId, number>();
    for (const { topic, key, value } of batch) {
      const log = logs.get(topic)!;
      const record: LogRecord = { seq: seq++, topic, offset: log.nextOffset++, key, value };
      log.records.push(record);
      if (log.records.length > retainPerTopic) {
        log.records.shift();
        log.startOffset = log.records[0]!.offset;
      }
      for (const member of members.values()) if (member.topics.has(topic)) member.queue.push(record);
      counts.set(topic, (counts.get(topic) ?? 0) + 1);
    }
    for (const [topic, n] of counts) metrics?.busPublishedTotal.inc({ topic: topicNames[topic] }, n);
    for (const member of members.values()) kick(member);
  }

  const bus: InProcessBus = {
    topicNames,
    checkpoints,

    async publish(messages: readonly OutgoingMessage[], options: PublishOptions = {}) {
      if (closed) throw new BusClosedError({ operation: "publish" });
      const producedAt = now();
      // Validate and encode everything before anything is visible.
      const records = messages.map((m) => {
        const envelope: Envelope = createEnvelope({
          payload: m.payload,
          producer,
          producedAt,
          ...(m.id !== undefined ? { id: m.id } : {}),
          ...(m.key !== undefined ? { key: m.key } : {}),
        });
        return { topic: topicOf(envelope.type), key: envelope.key, value: encodeEnvelope(envelope) };
      });
      const checkpointRecord =
        options.checkpoint === undefined
          ? undefined
          : {
              topic: "checkpoints" as const,
              key: options.checkpoint.keeperId,
              value: encodeEnvelope(
                createCheckpointEnvelope({ checkpoint: options.checkpoint, producer, producedAt }),
              ),
            };
      if (checkpointRecord && options.checkpoint?.keeperId !== keeperId) {
        throw new InvalidArgumentError({
          name: "checkpoint.keeperId",
          reason: `must be this bus's keeper ${keeperId}`,
          value: options.checkpoint?.keeperId,
        });
      }
      if (records.length > 0) append(records);
      if (options.checkpoint && checkpointRecord) {
        await checkpoints.save(options.checkpoint); // only after the batch is out
        append([checkpointRecord]);
      }
    },

    async subscribe(args: SubscribeArgs): Promise<Subscription> {
      if (closed) throw new BusClosedError({ operation: "subscribe" });
      if (args.topics.length === 0) {
        throw new InvalidArgumentError({ name: "topics", reason: "must name at least one topic" });
      }
      if (members.has(args.groupId)) {
        throw new InvalidArgumentError({
          name: "groupId",
          reason: "already has a live subscriber (the in-process bus supports one member per group)",
          value: args.groupId,
        });
      }
      let groupOffsets = committed.get(args.groupId);
      if (groupOffsets === undefined) {
        groupOffsets = new Map();
        committed.set(args.groupId, groupOffsets);
      }
      const backlog: LogRecord[] = [];
      for (const topic of new Set(args.topics)) {
        const log = logs.get(topic);
        if (log === undefined)
          throw new InvalidArgumentError({ name: "topics", reason: "unknown topic", value: topic });
        let from = groupOffsets.get(topic) ?? (args.fromBeginning ? log.startOffset : log.nextOffset);
        if (from < log.startOffset) {
          logger.warn(
            { group_id: args.groupId, topic: topicNames[topic], missed: log.startOffset - from },
            "Consumer group resumed behind the retained log; continued from the oldest retained record.",
          );
          from = log.startOffset;
        }
        groupOffsets.set(topic, from);
        backlog.push(...log.records.filter((r) => r.offset >= from));
      }
      backlog.sort((a, b) => a.seq - b.seq);
      const member: Member = {
        args,
        topics: new Set(args.topics),
        queue: backlog,
        abort: new AbortController(),
        running: undefined,
        closed: false,
      };
      members.set(args.groupId, member);
      kick(member);
      return {
        groupId: args.groupId,
        async close() {
          if (member.closed) return;
          member.closed = true;
          member.abort.abort();
          await member.running;
          members.delete(args.groupId);
          notifyIdle();
        },
      };
    },

    idle() {
      if (isIdle()) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },

    appendRaw({ topic, key, value }) {
      if (closed) throw new BusClosedError({ operation: "appendRaw" });
      append([{ topic, key, value: value === null ? null : Buffer.from(value) }]);
    },

    async close() {
      if (closed) return;
      closed = true;
      const live = [...members.values()];
      for (const m of live) {
        m.closed = true;
        m.abort.abort();
      }
      await Promise.all(live.map((m) => m.running));
      members.clear();
      notifyIdle();
    },
  };
  return bus;
}
