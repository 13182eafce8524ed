// Integration test against a real Apache Kafka broker (deploy/kafka, KRaft, single node).
// Needs the broker jars: run deploy/kafka/fetch.sh once (Java 17 + Maven).
import { randomUUID } from "node:crypto";
import kafkajs, { type Consumer, type EachMessagePayload, Kafka, logLevel, Partitioners } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type KafkaBroker,
  kafkaAvailable,
  kafkaUnavailableReason,
  pinnedKafkaVersion,
  startKafkaBroker,
  testLogCreator,
} from "../helpers/kafka.ts";

const { ConfigResourceTypes } = kafkajs;

interface Received {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

/**
 * Runs `consumer` until `done(received)` is true; rejects after `timeoutMs`
 * (a deadline, not a sleep: it resolves as soon as the messages are there).
 */
async function consumeUntil(
  consumer: Consumer,
  done: (received: Received[]) => boolean,
  timeoutMs = 30_000,
): Promise<Received[]> {
  const received: Received[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms with ${received.length} messages`)),
        timeoutMs,
      );
      consumer
        .run({
          eachMessage: async ({ partition, message }: EachMessagePayload) => {
            received.push({
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
            });
            if (done(received)) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
  }
  return received;
}

describe(`real Kafka broker (${pinnedKafkaVersion()}) with kafkajs`, () => {
  let broker: KafkaBroker | undefined;
  let kafka: Kafka;

  beforeAll(async () => {
    if (!kafkaAvailable()) {
      throw new Error(`Cannot run Kafka integration tests: ${kafkaUnavailableReason()}`);
    }
    broker = await startKafkaBroker();
    console.info(
      `kafka broker ${broker.brokers.join(",")}: "Kafka Server started" after ${broker.timings.serverStartedMs} ms,` +
        ` first listTopics() after ${broker.timings.firstListTopicsMs} ms`,
    );
    kafka = new Kafka({ clientId: "kafka-broker-test", brokers: broker.brokers, logCreator: testLogCreator });
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it("round-trips keyed messages: idempotent producer -> consumer group", async () => {
    const topic = `rk-test-${randomUUID()}`;
    const groupId = `rk-test-group-${randomUUID()}`;
    const admin = kafka.admin();
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const consumer = kafka.consumer({ groupId });
    try {
      await admin.connect();
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })).toBe(
        true,
      );
      expect(await admin.listTopics()).toContain(topic);

      const sent = Array.from({ length: 12 }, (_, i) => ({ key: `reserve-${i % 4}`, value: `sample-${i}` }));
      await producer.connect();
      const meta = await producer.send({ topic, messages: sent }); // acks=-1 (required by idempotence)
      expect(meta.every((m) => m.errorCode === 0)).toBe(true);

      // Exactly the 12 records landed (no duplicates from retries).
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0)).toBe(sent.length);

      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const got = await consumeUntil(consumer, (r) => r.length >= sent.length);

      expect(got).toHaveLength(sent.length);
      expect(
        got.map(({ key, value }) => ({ key, value })).sort((a, b) => a.value!.localeCompare(b.value!)),
      ).toEqual([...sent].sort((a, b) => a.value.localeCompare(b.value)));
      // Same key => same partition, and per-key order is the send order.
      for (let k = 0; k < 4; k++) {
        const forKey = got.filter((m) => m.key === `reserve-${k}`);
        expect(new Set(forKey.map((m) => m.partition)).size).toBe(1);
        expect(forKey.map((m) => m.value)).toEqual(
          sent.filter((m) => m.key === `reserve-${k}`).map((m) => m.value),
        );
      }

      // The group committed its position (committed on disconnect at the latest).
      await consumer.disconnect();
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committedByPartition = new Map(committed[0]!.partitions.map((p) => [p.partition, p.offset]));
      for (const p of offsets) {
        // A partition that got no message has no committed offset (-1).
        expect(committedByPartition.get(p.partition)).toBe(p.high === "0" ? "-1" : p.high);
      }
      expect(offsets.filter((p) => p.high !== "0").length).toBeGreaterThan(1); // keys did spread
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it("round-trips checkpoints through a compacted topic (latest value per key, tombstones)", async () => {
    const topic = `rk-checkpoints-${randomUUID()}`;
    const admin = kafka.admin();
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const consumer = kafka.consumer({ groupId: `rk-checkpoint-reader-${randomUUID()}` });
    try {
      await admin.connect();
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: 1,
            configEntries: [
              { name: "cleanup.policy", value: "compact" },
              { name: "min.compaction.lag.ms", value: "0" },
            ],
          },
        ],
      });
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ["cleanup.policy"] }],
      });
      expect(described.resources[0]!.configEntries).toEqual([
        expect.objectContaining({ configName: "cleanup.policy", configValue: "compact" }),
      ]);

      await producer.connect();
      const checkpoints = [
        { key: "checkpoint/ethereum", value: JSON.stringify({ block: 100 }) },
        { key: "checkpoint/base", value: JSON.stringify({ block: 7 }) },
        { key: "checkpoint/ethereum", value: JSON.stringify({ block: 101 }) },
        { key: "checkpoint/arbitrum", value: JSON.stringify({ block: 55 }) },
        { key: "checkpoint/arbitrum", value: null }, // tombstone: chain removed
        { key: "checkpoint/ethereum", value: JSON.stringify({ block: 102 }) },
      ];
      await producer.send({ topic, messages: checkpoints });

      // A compacted topic refuses records without a key (broker: INVALID_RECORD, not retried).
      const quiet = new Kafka({
        clientId: "kafka-broker-test-quiet",
        brokers: broker!.brokers,
        logLevel: logLevel.NOTHING,
      });
      const keyless = quiet.producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: 0 },
      });
      await keyless.connect();
      try {
        await expect(keyless.send({ topic, messages: [{ value: "no key" }] })).rejects.toMatchObject({
          type: "INVALID_RECORD",
        });
      } finally {
        await keyless.disconnect();
      }

      const [end] = await admin.fetchTopicOffsets(topic);
      expect(Number(end!.high)).toBe(checkpoints.length);

      // What the keeper does on start: read to the end, keep the last value per key.
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const got = await consumeUntil(
        consumer,
        (r) => Number(r.at(-1)?.offset ?? -1) >= Number(end!.high) - 1,
      );
      const latest = new Map<string, string | null>();
      for (const m of got) latest.set(m.key!, m.value);
      for (const [k, v] of latest) if (v === null) latest.delete(k);

      expect(Object.fromEntries(latest)).toEqual({
        "checkpoint/ethereum": JSON.stringify({ block: 102 }),
        "checkpoint/base": JSON.stringify({ block: 7 }),
      });
      expect(got.find((m) => m.key === "checkpoint/arbitrum" && m.value === null)).toBeDefined();
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});
