// Test helper: read the keeper's Kafka topics as a consumer service would (kafkajs, read committed,
// from the beginning), decoding every record with the bus's decodeEnvelope.
//
//   const live = await followTopics({ brokers, topics: [names.observations, names.decisions] });
//   await waitFor("…", () => live.records.find((r) => r.envelope.type === "decision"));
//   await live.close();
//   const all = await readTopics({ brokers, topics: Object.values(names) }); // up to the end offsets
import { randomUUID } from "node:crypto";
import { type Consumer, Kafka, type KafkaMessage, logLevel } from "kafkajs";
import { decodeEnvelope } from "../../keeper/bus/envelope.ts";
import type { Envelope } from "../../keeper/bus/types.ts";

export type TopicRecord = {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string | undefined;
  readonly envelope: Envelope;
};

function client(brokers: readonly string[]): Kafka {
  return new Kafka({
    clientId: `test-reader-${randomUUID()}`,
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  });
}

function toRecord(topic: string, partition: number, message: KafkaMessage): TopicRecord {
  if (message.value === null) throw new Error(`Tombstone on ${topic}/${partition}@${message.offset}.`);
  return {
    topic,
    partition,
    offset: BigInt(message.offset),
    key: message.key?.toString(),
    envelope: decodeEnvelope(message.value, { topic, partition, offset: message.offset }),
  };
}

async function consume(
  kafka: Kafka,
  topics: readonly string[],
  onRecord: (r: TopicRecord) => void,
): Promise<Consumer> {
  const groupId = `test-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => onRecord(toRecord(topic, partition, message)),
  });
  return consumer;
}

/** A consumer that keeps collecting every committed record of `topics` (from the beginning) until closed. */
export async function followTopics(args: {
  readonly brokers: readonly string[];
  readonly topics: readonly string[];
}): Promise<{ readonly records: TopicRecord[]; close(): Promise<void> }> {
  const records: TopicRecord[] = [];
  const consumer = await consume(client(args.brokers), args.topics, (r) => records.push(r));
  return { records, close: () => consumer.disconnect() };
}

/**
 * Every committed record of `topics` up to their end offsets at the time of the call (read committed:
 * aborted transactions are skipped), sorted by topic, partition and offset.
 */
export async function readTopics(args: {
  readonly brokers: readonly string[];
  readonly topics: readonly string[];
  readonly timeoutMs?: number;
}): Promise<TopicRecord[]> {
  const kafka = client(args.brokers);
  const admin = kafka.admin();
  await admin.connect();
  /** `topic/partition` → last offset to reach. */
  const targets = new Map<string, bigint>();
  try {
    for (const topic of args.topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(p.high) > BigInt(p.low)) targets.set(`${topic}/${p.partition}`, BigInt(p.high) - 1n);
      }
    }
  } finally {
    await admin.disconnect();
  }
  const records: TopicRecord[] = [];
  if (targets.size > 0) {
    const reached = new Map<string, bigint>();
    let consumer: Consumer | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const timeoutMs = args.timeoutMs ?? 30_000;
        const timer = setTimeout(
          () =>
            reject(
              new Error(`Timed out after ${timeoutMs} ms reading ${args.topics.join(", ")} to the end.`),
            ),
          timeoutMs,
        );
        const check = () => {
          for (const [tp, last] of targets) if ((reached.get(tp) ?? -1n) < last) return;
          clearTimeout(timer);
          resolve();
        };
        const kafkaConsumer = kafka.consumer({
          groupId: `test-reader-${randomUUID()}`,
          allowAutoTopicCreation: false,
          maxWaitTimeInMs: 200,
        });
        consumer = kafkaConsumer;
        // END_BATCH_PROCESS also fires for batches holding only control records (commit/abort markers).
        kafkaConsumer.on(kafkaConsumer.events.END_BATCH_PROCESS, ({ payload }) => {
          const tp = `${payload.topic}/${payload.partition}`;
          const last = BigInt(payload.lastOffset);
          if (last > (reached.get(tp) ?? -1n)) reached.set(tp, last);
          check();
        });
        kafkaConsumer
          .connect()
          .then(() => kafkaConsumer.subscribe({ topics: [...args.topics], fromBeginning: true }))
          .then(() =>
            kafkaConsumer.run({
              autoCommit: false,
              eachMessage: async ({ topic, partition, message }) => {
                records.push(toRecord(topic, partition, message));
              },
            }),
          )
          .catch((e) => {
            clearTimeout(timer);
            reject(e);
          });
      });
    } finally {
      await (consumer as Consumer | undefined)?.disconnect().catch(() => {});
    }
  }
  const inRange = records.filter((r) => r.offset <= (targets.get(`${r.topic}/${r.partition}`) ?? -1n));
  return inRange.sort((a, b) =>
    a.topic !== b.topic
      ? a.topic < b.topic
        ? -1
        : 1
      : a.partition !== b.partition
        ? a.partition - b.partition
        : a.offset < b.offset
          ? -1
          : a.offset > b.offset
            ? 1
            : 0,
  );
}
