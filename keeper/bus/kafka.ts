/**
 * Kafka adapter (kafkajs 2.2.4; verified against Kafka 3.9.1).
 *
 * Producer: ONE transactional producer per keeper (`transactionalId = <producerName>.<keeperId>`, which
 * implies idempotence, acks=all, one request in flight). Every `publish` is one transaction holding the
 * whole batch and, when given, the checkpoint record, so they become visible together or not at all.
 * Consumers read committed only (kafkajs' default isolation level), so an aborted or never-committed
 * batch is invisible to them, and a crash between "publish" and "checkpoint" cannot exist.
 *
 * Start-up: connect, create missing topics (checkpoint topic compacted, 1 partition), then initialise
 * the producer id. That InitProducerId bumps the epoch of the transactional id: a zombie instance with
 * the same keeperId is fenced (its next publish fails with BusProducerFencedError) and any transaction
 * it left open is aborted by the broker right away — so the checkpoint read that follows is not blocked
 * behind it.
 *
 * Failures: a failed transaction is aborted (best effort) and the producer is re-created (a new
 * InitProducerId), then the batch is retried with exponential backoff for retryable kafkajs errors
 * (connection, timeout, leader moves, …), each failed attempt counted in
 * keeper_bus_publish_errors_total{topic}. After `maxAttempts`: BusUnavailableError (retryable, the
 * runtime decides). Non-retryable broker errors: BusPublishRejectedError. Fencing: BusProducerFencedError.
 * If the COMMIT itself fails (outcome unknown) and the batch carried a checkpoint, the re-created
 * producer reads the checkpoint back: if ours is there the batch committed and is not re-sent.
 *
 * A keeper that dies mid-transaction leaves it open: read-committed consumers of the partitions it
 * touched wait at that point (last stable offset) until the restart's InitProducerId or the broker's
 * transaction timeout (`transactionTimeoutMs`, 10 s) aborts it. Nothing of it is ever delivered.
 *
 * kafkajs' own retries are capped (5, starting at 20 ms): its default (300 ms initial) made every
 * transaction that follows a commit take ~300 ms, because the broker answers CONCURRENT_TRANSACTIONS
 * until the previous commit markers are written; at 20 ms one takes ~20–40 ms (measured here: 8 messages + checkpoint, p50 18 ms).
 *
 * Secrets: the SASL password goes to kafkajs and nowhere else (never logged, never in errors).
 */
import { randomUUID } from "node:crypto";
import kafkajs, {
  type Admin,
  type Consumer,
  type EachMessagePayload,
  Kafka,
  type Message,
  Partitioners,
  type Producer,
  type SASLOptions,
  type TopicMessages,
} from "kafkajs";
import {
  BusClosedError,
  BusProducerFencedError,
  BusPublishRejectedError,
  BusUnavailableError,
  CheckpointInvalidError,
  InvalidArgumentError,
  InvalidMessageError,
} from "../internal/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import type { KeeperMetrics } from "../telemetry/metrics.ts";
import { type CheckpointStore, DEFAULT_PRODUCER_NAME } from "./checkpoint.ts";
import { backoffDelay, deliverMessage, type HandlerRetry, waitFor } from "./deliver.ts";
import { createCheckpointEnvelope, createEnvelope, decodeEnvelope, encodeEnvelope } from "./envelope.ts";
import { kafkaLogCreator, silentLogger } from "./logging.ts";
import type {
  Bus,
  MessageMeta,
  OutgoingMessage,
  PublishOptions,
  SubscribeArgs,
  Subscription,
} from "./port.ts";
import { topicOf } from "./routing.ts";
import { createTopicNames, TOPIC_IDS, TOPICS, type TopicNames } from "./topics.ts";
import type { Checkpoint, Envelope, EnvelopeProducer } from "./types.ts";

export type KafkaConnection = {
  readonly brokers: readonly string[];
  /** Default `<producerName>-<keeperId>`. */
  readonly clientId?: string;
  readonly ssl?: boolean;
  /** Sensitive: the password is handed to kafkajs only. */
  readonly sasl?: {
    readonly mechanism: "plain" | "scram-sha-256" | "scram-sha-512";
    readonly username: string;
    readonly password: string;
  };
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /**
   * kafkajs' client-level retry (connect, metadata, admin, consumers). Default 5 retries from 100 ms,
   * capped at 2 s, so a publish attempt against a dead broker gives up in seconds, not minutes.
   */
  readonly retry?: {
    readonly retries?: number;
    readonly initialRetryTimeMs?: number;
    readonly maxRetryTimeMs?: number;
  };
};

export type PublishRetry = {
  /** Attempts per publish (first try included). Default 5. */
  readonly maxAttempts?: number;
  /** Default 200 ms. */
  readonly initialDelayMs?: number;
  /** Default 5 s. */
  readonly maxDelayMs?: number;
};

export type CreateKafkaBusArgs = {
  connection: KafkaConnection;
  keeperId: string;
  /** Envelope producer name and transactional id prefix. Default "reserve-keeper". */
  producerName?: string;
  topicPrefix?: string;
  /** Create missing topics at start. Default true. */
  createTopics?: boolean;
  /** Partitions of new non-compacted topics. Default 6. (The checkpoint topic gets 1.) */
  numPartitions?: number;
  /** Replication factor of new topics. Default: the broker's default.replication.factor. */
  replicationFactor?: number;
  /** No producer (consumer-only services). publish and checkpoints.save then throw. Default false. */
  readOnly?: boolean;
  publishRetry?: PublishRetry;
  /**
   * Broker-side limit for one open transaction. Default 10 s (a transaction takes ~20 ms). If a keeper
   * dies mid-transaction and is not restarted, read-committed consumers of the partitions it wrote to
   * stall until the broker aborts it after this long (a restart aborts it at once).
   */
  transactionTimeoutMs?: number;
  /** Deadline for reading the checkpoint topic and for a subscription to join its group. Default 30 s. */
  operationTimeoutMs?: number;
  /**
   * Longest a consumer's fetch waits on the broker when there is nothing new (kafkajs maxWaitTimeInMs).
   * Not a delivery delay (the broker answers as soon as data arrives); it bounds how long closing a
   * subscription waits for the fetch in flight. Default 1 s (kafkajs: 5 s).
   */
  consumerMaxWaitMs?: number;
  handlerRetry?: HandlerRetry;
  logger?: Logger;
  metrics?: KeeperMetrics;
  now?: () => Date;
};

export interface KafkaBus extends Bus {
  readonly topicNames: TopicNames;
  /** The producer's transactional id (`<producerName>.<keeperId>`). */
  readonly transactionalId: string;
}

const FENCED = new Set([
  "INVALID_PRODUCER_EPOCH",
  "PRODUCER_FENCED",
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
]);
const RETRYABLE_NAMES = new Set([
  "KafkaJSConnectionError",
  "KafkaJSConnectionClosedError",
  "KafkaJSRequestTimeoutError",
  "KafkaJSNumberOfRetriesExceeded",
  "KafkaJSBrokerNotFound",
  "KafkaJSLockTimeout",
  "KafkaJSMetadataNotLoaded",
  "KafkaJSTopicMetadataNotLoaded",
  "KafkaJSStaleTopicMetadataAssignment",
]);

const { ConfigResourceTypes } = kafkajs; // a CommonJS enum: not a named ESM export

type KafkaErrorKind = "fenced" | "retryable" | "rejected";

/** Record header carrying the publish batch's random id (not part of the envelope). */
const BATCH_HEADER = "rk-batch";

/** Classifies a kafkajs error (walking its cause chain). */
export function classifyKafkaError(error: unknown): KafkaErrorKind {
  const chain: Record<string, unknown>[] = [];
  for (let cur: unknown = error; cur instanceof Error && chain.length < 10; cur = cur.cause) {
    chain.push(cur as unknown as Record<string, unknown>);
  }
  if (chain.some((e) => FENCED.has(String(e.type)))) return "fenced";
  if (chain.some((e) => e.retriable === true || RETRYABLE_NAMES.has(String(e.name)))) return "retryable";
  return "rejected";
}

function kafkaReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const type = (error as { type?: unknown }).type;
  return `${type === undefined ? error.name : String(type)}: ${error.message.split("\n")[0]}`;
}

/** A transaction that failed in `phase`; `phase === "commit"` means the outcome is unknown. */
class TransactionFailure extends Error {
  readonly phase: "init" | "send" | "commit";
  constructor(phase: "init" | "send" | "commit", cause: unknown) {
    super(`Transaction failed during ${phase}.`, { cause });
    this.phase = phase;
  }
}

/** Connects, creates missing topics and initialises the transactional producer. */
export async function createKafkaBus({
  connection,
  keeperId,
  producerName = DEFAULT_PRODUCER_NAME,
  topicPrefix,
  createTopics = true,
  numPartitions = 6,
  replicationFactor,
  readOnly = false,
  publishRetry = {},
  transactionTimeoutMs = 10_000,
  operationTimeoutMs = 30_000,
  consumerMaxWaitMs = 1_000,
  handlerRetry,
  logger = silentLogger(),
  metrics,
  now = () => new Date(),
}: CreateKafkaBusArgs): Promise<KafkaBus> {
  if (keeperId.trim() === "")
    throw new InvalidArgumentError({ name: "keeperId", reason: "must not be empty" });
  if (connection.brokers.length === 0) {
    throw new InvalidArgumentError({ name: "connection.brokers", reason: "must list at least one broker" });
  }
  const { maxAttempts = 5, initialDelayMs = 200, maxDelayMs = 5_000 } = publishRetry;
  const topicNames = createTopicNames({ prefix: topicPrefix ?? "" });
  const producerInfo: EnvelopeProducer = { name: producerName, keeperId };
  const transactionalId = `${producerName}.${keeperId}`;
  const checkpointTopic = topicNames.checkpoints;

  const kafka = new Kafka({
    clientId: connection.clientId ?? `${producerName}-${keeperId}`,
    brokers: [...connection.brokers],
    ...(connection.ssl ? { ssl: true } : {}),
    ...(connection.sasl ? { sasl: { ...connection.sasl } as SASLOptions } : {}),
    ...(connection.connectionTimeoutMs ? { connectionTimeout: connection.connectionTimeoutMs } : {}),
    ...(connection.requestTimeoutMs ? { requestTimeout: connection.requestTimeoutMs } : {}),
    retry: {
      retries: connection.retry?.retries ?? 5,
      initialRetryTime: connection.retry?.initialRetryTimeMs ?? 100,
      maxRetryTime: connection.retry?.maxRetryTimeMs ?? 2_000,
    },
    logCreator: kafkaLogCreator(logger),
  });
  logger.info(
    {
      brokers: connection.brokers,
      ssl: connection.ssl === true,
      sasl_mechanism: connection.sasl?.mechanism,
      sasl_username: connection.sasl?.username,
      transactional_id: transactionalId,
      topic_prefix: topicPrefix ?? "",
    },
    "Kafka bus connecting.",
  );

  const closing = new AbortController();
  const subscriptions = new Set<Subscription>();
  let producer: Producer | undefined;
  let serial: Promise<unknown> = Promise.resolve(); // one transaction at a time
  let closed = false;

  const admin: Admin = kafka.admin();
  try {
    await admin.connect();
    if (createTopics) await ensureTopics();
    if (!readOnly) await producerReady();
  } catch (error) {
    await admin.disconnect().catch(() => {});
    await producer?.disconnect().catch(() => {});
    throw wrapStartError(error);
  }

  function wrapStartError(error: unknown): Error {
    const kind = classifyKafkaError(error);
    if (kind === "fenced") return new BusProducerFencedError({ transactionalId, cause: error });
    if (kind === "retryable") {
      return new BusUnavailableError({
        operation: "start",
        topics: TOPIC_IDS.map((id) => topicNames[id]),
        attempts: 1,
        cause: error,
      });
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  async function ensureTopics(): Promise<void> {
    const existing = new Set(await admin.listTopics());
    const missing = TOPIC_IDS.filter((id) => !existing.has(topicNames[id]));
    if (missing.length > 0) {
      try {
        await admin.createTopics({
          // kafkajs' own wait gives up on UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker answers until
          // the new topics reach its metadata cache (seen here with 8 topics at once): wait below instead.
          waitForLeaders: false,
          topics: missing.map((id) => ({
            topic: topicNames[id],
            numPartitions: TOPICS[id].compacted ? 1 : numPartitions,
            ...(replicationFactor !== undefined ? { replicationFactor } : {}),
            configEntries: TOPICS[id].compacted ? [{ name: "cleanup.policy", value: "compact" }] : [],
          })),
        });
      } catch (error) {
        // Another keeper may have created (some of) them in between; anything else is a real failure.
        const now = new Set(await admin.listTopics());
        if (!missing.every((id) => now.has(topicNames[id]))) throw error;
      }
      logger.info({ topics: missing.map((id) => topicNames[id]) }, "Kafka topics created.");
    }
    await waitForLeaders(TOPIC_IDS.map((id) => topicNames[id]));
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: checkpointTopic, configNames: ["cleanup.policy"] },
      ],
    });
    const policy = described.resources[0]?.configEntries.find(
      (e) => e.configName === "cleanup.policy",
    )?.configValue;
    if (policy === undefined || !policy.split(",").includes("compact")) {
      // Retention could then delete the last checkpoint of a keeper that stays down long enough.
      logger.error(
        { topic: checkpointTopic, cleanup_policy: policy },
        "Kafka checkpoint topic is not compacted; the checkpoint can expire with retention.",
      );
    }
  }

  /** Polls metadata until every partition of `topics` has a leader (deadline: operationTimeoutMs). */
  async function waitForLeaders(topics: string[]): Promise<void> {
    const deadline = Date.now() + operationTimeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics });
        const ready =
          meta.length === topics.length &&
          meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
        if (ready) return;
      } catch (error) {
        if (classifyKafkaError(error) !== "retryable") throw error;
        last = error;
      }
      if (Date.now() > deadline || !(await waitFor(50, closing.signal))) {
        throw new BusUnavailableError({ operation: "topic creation", topics, attempts: 1, cause: last });
      }
    }
  }

  /** The connected, initialised transactional producer (created on first use or after a failure). */
  async function producerReady(): Promise<Producer> {
    if (producer !== undefined) return producer;
    const p = kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: transactionTimeoutMs,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner, // murmur2, same as the Java client
      retry: { retries: 5, initialRetryTime: 20, maxRetryTime: 1_000 },
    });
    try {
      await p.connect();
      // An empty transaction sends InitProducerId only: fences zombies, aborts their open transaction.
      const tx = await p.transaction();
      await tx.abort();
    } catch (error) {
      await p.disconnect().catch(() => {});
      throw error;
    }
    producer = p;
    return p;
  }

  async function resetProducer(): Promise<void> {
    const p = producer;
    producer = undefined;
    await p?.disconnect().catch(() => {});
  }

  async function runTransaction(topicMessages: TopicMessages[]): Promise<void> {
    let p: Producer;
    try {
      p = await producerReady();
    } catch (error) {
      throw new TransactionFailure("init", error);
    }
    let phase: "init" | "send" | "commit" = "init";
    try {
      const tx = await p.transaction();
      try {
        phase = "send";
        await tx.sendBatch({ topicMessages, acks: -1 });
        phase = "commit";
        await tx.commit();
      } catch (error) {
        if (phase === "send" && tx.isActive()) await tx.abort().catch(() => {});
        throw error;
      }
    } catch (error) {
      await resetProducer(); // the next attempt starts from a fresh producer id/epoch
      throw new TransactionFailure(phase, error);
    }
  }

  /** Encodes a batch (all validation happens here, before any I/O). */
  function encodeBatch(
    messages: readonly OutgoingMessage[],
    checkpoint: Checkpoint | undefined,
    producedAt: Date,
  ) {
    const batchId = randomUUID(); // record header: tells this batch's checkpoint record from an identical earlier one
    const byTopic = new Map<string, Message[]>();
    const add = (topic: string, message: Message) => {
      const list = byTopic.get(topic) ?? [];
      list.push({ ...message, headers: { [BATCH_HEADER]: batchId } });
      byTopic.set(topic, list);
    };
    for (const m of messages) {
      const envelope: Envelope = createEnvelope({
        payload: m.payload,
        producer: producerInfo,
        producedAt,
        ...(m.id !== undefined ? { id: m.id } : {}),
        ...(m.key !== undefined ? { key: m.key } : {}),
      });
      add(topicNames[topicOf(envelope.type)], { key: envelope.key, value: encodeEnvelope(envelope) });
    }
    let checkpointEnvelope: Envelope<"keeper.checkpoint"> | undefined;
    if (checkpoint !== undefined) {
      if (checkpoint.keeperId !== keeperId) {
        throw new InvalidArgumentError({
          name: "checkpoint.keeperId",
          reason: `must be this bus's keeper ${keeperId}`,
          value: checkpoint.keeperId,
        });
      }
      checkpointEnvelope = createCheckpointEnvelope({ checkpoint, producer: producerInfo, producedAt });
      add(checkpointTopic, { key: keeperId, value: encodeEnvelope(checkpointEnvelope) });
    }
    const topicMessages = [...byTopic].map(([topic, list]) => ({ topic, messages: list }));
    return { topicMessages, batchId, hasCheckpoint: checkpointEnvelope !== undefined };
  }

  async function publishBatch(topicMessages: TopicMessages[], batchId: string, hasCheckpoint: boolean) {
    const topics = topicMessages.map((t) => t.topic);
    for (let attempt = 1; ; attempt++) {
      try {
        await runTransaction(topicMessages);
        for (const t of topicMessages) metrics?.busPublishedTotal.inc({ topic: t.topic }, t.messages.length);
        return;
      } catch (failure) {
        const { phase, cause } = failure as TransactionFailure;
        for (const topic of topics) metrics?.busPublishErrorsTotal.inc({ topic });
        const kind = classifyKafkaError(cause);
        if (kind === "fenced") throw new BusProducerFencedError({ transactionalId, cause });
        if (kind === "rejected")
          throw new BusPublishRejectedError({ topics, reason: kafkaReason(cause), cause });
        if (phase === "commit" && hasCheckpoint && (await committedAnyway(batchId))) {
          for (const t of topicMessages)
            metrics?.busPublishedTotal.inc({ topic: t.topic }, t.messages.length);
          logger.warn({ attempt, topics }, "Kafka commit reported an error but the batch was committed.");
          return;
        }
        if (attempt >= maxAttempts || closing.signal.aborted) {
          throw new BusUnavailableError({ operation: "publish", topics, attempts: attempt, cause });
        }
        const delay = backoffDelay(attempt, { initialDelayMs, maxDelayMs });
        logger.warn(
          { err: cause, attempt, max_attempts: maxAttempts, delay_ms: Math.round(delay), phase, topics },
          "Kafka publish failed with a retryable error; retrying the batch.",
        );
        await waitFor(delay, closing.signal);
      }
    }
  }

  /** After a commit with unknown outcome: is the committed checkpoint record the one of batch `batchId`? */
  async function committedAnyway(batchId: string): Promise<boolean> {
    try {
      await producerReady(); // InitProducerId waits for the coordinator to finish (or abort) the transaction
      return (await readCheckpointRecord())?.batchId === batchId;
    } catch {
      return false;
    }
  }

  /**
   * Reads the checkpoint topic up to its last stable offset (ListOffsets with READ_COMMITTED) with a
   * throwaway consumer group, keeping the last record keyed by keeperId.
   */
  async function readCheckpointRecord(): Promise<
    { envelope: Envelope<"keeper.checkpoint">; batchId: string | undefined } | undefined
  > {
    const offsets = await admin.fetchTopicOffsets(checkpointTopic);
    const targets = new Map(
      offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high) - 1n]),
    );
    if (targets.size === 0) return undefined;
    const groupId = `${producerName}.checkpoint-reader.${keeperId}.${randomUUID()}`;
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100 });
    let latest:
      | { value: Buffer | null; partition: number; offset: string; batchId: string | undefined }
      | undefined;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: checkpointTopic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new BusUnavailableError({
                operation: "checkpoint load",
                topics: [checkpointTopic],
                attempts: 1,
              }),
            ),
          operationTimeoutMs,
        );
        const reached = new Map<number, bigint>();
        const check = () => {
          for (const [partition, last] of targets) if ((reached.get(partition) ?? -1n) < last) return;
          clearTimeout(timer);
          resolve();
        };
        // END_BATCH_PROCESS also fires for batches of control records only (commit/abort markers).
        consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
          const last = BigInt(payload.lastOffset);
          if (last > (reached.get(payload.partition) ?? -1n)) reached.set(payload.partition, last);
          check();
        });
        consumer.on(consumer.events.CRASH, ({ payload }) => {
          if (!payload.restart) {
            clearTimeout(timer);
            reject(payload.error);
          }
        });
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              if (message.key?.toString() !== keeperId) return;
              const header = message.headers?.[BATCH_HEADER];
              latest = {
                value: message.value,
                partition,
                offset: message.offset,
                batchId: header?.toString(),
              };
            },
          })
          .catch((error) => {
            clearTimeout(timer);
            reject(error);
          });
      });
    } finally {
      await consumer.disconnect().catch(() => {});
      await admin.deleteGroups([groupId]).catch(() => {});
    }
    if (latest === undefined || latest.value === null) return undefined; // never saved, or tombstoned
    const location = `kafka:${checkpointTopic}/${latest.partition}@${latest.offset}`;
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(latest.value, {
        topic: checkpointTopic,
        partition: latest.partition,
        offset: latest.offset,
      });
    } catch (error) {
      if (error instanceof InvalidMessageError) {
        throw new CheckpointInvalidError({
          location,
          field: error.field,
          reason: error.reason,
          cause: error,
        });
      }
      throw error;
    }
    if (envelope.type !== "keeper.checkpoint" || envelope.payload.keeperId !== keeperId) {
      throw new CheckpointInvalidError({
        location,
        field: "type",
        reason: `is not a checkpoint of keeper ${keeperId}`,
      });
    }
    return { envelope, batchId: latest.batchId };
  }

  function serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = serial.then(fn, fn);
    serial = next.catch(() => {});
    return next;
  }

  async function publish(messages: readonly OutgoingMessage[], options: PublishOptions = {}): Promise<void> {
    if (closed) throw new BusClosedError({ operation: "publish" });
    if (readOnly) throw new BusClosedError({ operation: "publish (read-only bus)" });
    const { topicMessages, batchId, hasCheckpoint } = encodeBatch(messages, options.checkpoint, now());
    if (topicMessages.length === 0) return;
    await serialize(() => publishBatch(topicMessages, batchId, hasCheckpoint));
  }

  const checkpoints: CheckpointStore = {
    async load() {
      if (closed) throw new BusClosedError({ operation: "checkpoint load" });
      const deadline = Date.now() + operationTimeoutMs;
      for (let attempt = 1; ; attempt++) {
        try {
          return (await readCheckpointRecord())?.envelope.payload;
        } catch (error) {
          if (error instanceof CheckpointInvalidError || error instanceof BusUnavailableError) throw error;
          const retryable = classifyKafkaError(error) === "retryable";
          // e.g. NOT_LEADER_OR_FOLLOWER from a partition whose leadership is still being set up
          if (!retryable || Date.now() > deadline || closing.signal.aborted) {
            throw new BusUnavailableError({
              operation: "checkpoint load",
              topics: [checkpointTopic],
              attempts: attempt,
              cause: error,
            });
          }
          logger.warn(
            { err: error, attempt },
            "Kafka checkpoint load failed with a retryable error; retrying.",
          );
          await waitFor(backoffDelay(attempt, { initialDelayMs, maxDelayMs }), closing.signal);
        }
      }
    },
    save(checkpoint) {
      return publish([], { checkpoint });
    },
  };

  async function subscribe(args: SubscribeArgs): Promise<Subscription> {
    if (closed) throw new BusClosedError({ operation: "subscribe" });
    if (args.topics.length === 0)
      throw new InvalidArgumentError({ name: "topics", reason: "must name at least one topic" });
    const consumer: Consumer = kafka.consumer({
      groupId: args.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: consumerMaxWaitMs,
    }); // isolation: read committed (kafkajs' default)
    const abort = new AbortController();
    const onClosing = () => abort.abort();
    closing.signal.addEventListener("abort", onClosing, { once: true });
    let joinedResolve: () => void = () => {};
    const joined = new Promise<void>((resolve) => {
      joinedResolve = resolve;
    });
    consumer.on(consumer.events.GROUP_JOIN, () => joinedResolve());
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      logger.error(
        { err: payload.error, group_id: args.groupId, restart: payload.restart },
        payload.restart
          ? "Kafka consumer crashed; kafkajs restarts it."
          : "Kafka consumer crashed and stopped.",
      );
    });
    try {
      await consumer.connect();
      await consumer.subscribe({
        topics: args.topics.map((t) => topicNames[t]),
        fromBeginning: args.fromBeginning ?? false,
      });
      await consumer.run({
        eachMessage: async ({ topic, partition, message, heartbeat }: EachMessagePayload) => {
          const id = topicNames.idOf(topic);
          if (id === undefined) return; // not ours (cannot happen: we subscribe to our names only)
          const meta: MessageMeta = {
            topic: id,
            topicName: topic,
            partition,
            offset: message.offset,
            key: message.key?.toString(),
          };
          const outcome = await deliverMessage({
            bytes: message.value,
            meta,
            subscription: args,
            logger,
            signal: abort.signal,
            heartbeat,
            ...(handlerRetry ? { retry: handlerRetry } : {}),
          });
          // Closing while retrying: do not let kafkajs mark the message consumed.
          if (outcome === "aborted") throw new Error("Subscription closed before the message was handled.");
        },
      });
      const deadline = new AbortController();
      const joinedInTime = await Promise.race([
        joined.then(() => true),
        waitFor(operationTimeoutMs, AbortSignal.any([abort.signal, deadline.signal])).then(() => false),
      ]);
      deadline.abort(); // clears the timer
      if (!joinedInTime) {
        throw new BusUnavailableError({
          operation: "subscribe",
          topics: args.topics.map((t) => topicNames[t]),
          attempts: 1,
        });
      }
    } catch (error) {
      closing.signal.removeEventListener("abort", onClosing);
      await consumer.disconnect().catch(() => {});
      if (error instanceof BusUnavailableError) throw error;
      throw wrapStartError(error);
    }
    let done: Promise<void> | undefined;
    const subscription: Subscription = {
      groupId: args.groupId,
      close() {
        done ??= (async () => {
          abort.abort();
          closing.signal.removeEventListener("abort", onClosing);
          await consumer.disconnect().catch(() => {});
          subscriptions.delete(subscription);
        })();
        return done;
      },
    };
    subscriptions.add(subscription);
    return subscription;
  }

  return {
    topicNames,
    transactionalId,
    checkpoints,
    publish,
    subscribe,
    async close() {
      if (closed) return;
      closed = true;
      closing.abort();
      await Promise.all([...subscriptions].map((s) => s.close()));
      await serial.catch(() => {});
      await resetProducer();
      await admin.disconnect().catch(() => {});
    },
  };
}
