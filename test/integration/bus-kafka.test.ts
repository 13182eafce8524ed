// The Kafka bus adapter against a REAL broker (deploy/kafka: Kafka 3.9.1, KRaft, single node), one
// broker for this file. Needs the broker jars: `npm run kafka:fetch` once (Java 17 + Maven).
// No sleeps: every wait polls a condition until a deadline.
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import kafkajs, { Kafka, logLevel, Partitioners, type Producer } from "kafkajs";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { batchFor, busContract, checkpointAt } from "../../keeper/bus/busContract.ts";
import { createDuplicateFilter } from "../../keeper/bus/dedup.ts";
import { createCheckpointEnvelope, createEnvelope, encodeEnvelope } from "../../keeper/bus/envelope.ts";
import { type CreateKafkaBusArgs, createKafkaBus, type KafkaBus } from "../../keeper/bus/kafka.ts";
import type { OutgoingMessage } from "../../keeper/bus/port.ts";
import { messageIdOf, topicOf } from "../../keeper/bus/routing.ts";
import { addressFor, sampleReserve } from "../../keeper/bus/testArbitraries.ts";
import { collect, waitUntil } from "../../keeper/bus/testSupport.ts";
import { createTopicNames, TOPIC_IDS } from "../../keeper/bus/topics.ts";
import type { Checkpoint } from "../../keeper/bus/types.ts";
import {
  BusProducerFencedError,
  BusPublishRejectedError,
  BusUnavailableError,
} from "../../keeper/internal/errors.ts";
import { createLogger } from "../../keeper/telemetry/logger.ts";
import { createMetrics } from "../../keeper/telemetry/metrics.ts";
import {
  type KafkaBroker,
  kafkaAvailable,
  kafkaUnavailableReason,
  pinnedKafkaVersion,
  startKafkaBroker,
} from "../helpers/kafka.ts";

const { ConfigResourceTypes } = kafkajs;
const TIMEOUT = 30_000;

let broker: KafkaBroker | undefined;
let raw: Kafka; // a plain client: "foreign" producers, admin checks, read-uncommitted readers
const buses: KafkaBus[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
let n = 0;

function brokers(): string[] {
  if (!broker) throw new Error("broker not started");
  return broker.brokers;
}

async function newBus(
  args: Partial<CreateKafkaBusArgs> & { keeperId: string; topicPrefix: string },
): Promise<KafkaBus> {
  const bus = await createKafkaBus({
    connection: { brokers: brokers() },
    numPartitions: 3,
    handlerRetry: { initialDelayMs: 1, maxDelayMs: 5 },
    consumerMaxWaitMs: 100,
    ...args,
  });
  buses.push(bus);
  return bus;
}

async function rawProducer(opts: Parameters<Kafka["producer"]>[0] = {}): Promise<Producer> {
  const p = raw.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...opts });
  await p.connect();
  cleanups.push(() => p.disconnect());
  return p;
}

/** Everything on `topics` as a read-UNcommitted reader sees it (includes aborted records). */
async function readUncommitted(topicNames: string[], expected: number): Promise<string[]> {
  const consumer = raw.consumer({
    groupId: `raw-${randomUUID()}`,
    readUncommitted: true,
    maxWaitTimeInMs: 100,
  });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: topicNames, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value?.toString() ?? "");
      },
    });
    await waitUntil(() => values.length >= expected, {
      timeoutMs: TIMEOUT,
      what: `${expected} uncommitted records`,
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}

beforeAll(async () => {
  if (!kafkaAvailable()) throw new Error(`Cannot run Kafka integration tests: ${kafkaUnavailableReason()}`);
  broker = await startKafkaBroker();
  raw = new Kafka({ clientId: "bus-kafka-test", brokers: broker.brokers, logLevel: logLevel.NOTHING });
});

afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
  await Promise.all(cleanups.splice(0).map((c) => c().catch(() => {})));
});

afterAll(async () => {
  await broker?.stop();
});

describe(`Kafka bus (Kafka ${pinnedKafkaVersion()}, kafkajs): the Bus contract`, () => {
  busContract({
    timeoutMs: TIMEOUT,
    async create({ keeperId }) {
      const topicPrefix = `c${++n}.`;
      const bus = await newBus({ keeperId, topicPrefix });
      const injector = await rawProducer();
      return {
        bus,
        async injectRaw(topic, key, value) {
          await injector.send({ topic: bus.topicNames[topic], messages: [{ key, value }] });
        },
        reopen: () => newBus({ keeperId, topicPrefix }),
      };
    },
  });
});

describe("Kafka bus: topics, keys, transactions", () => {
  it("creates every topic once: data topics with N partitions, the checkpoint topic compacted with 1", async () => {
    const topicPrefix = `t${++n}.`;
    await newBus({ keeperId: "k", topicPrefix, numPartitions: 4 });
    await newBus({ keeperId: "k2", topicPrefix, numPartitions: 4 }); // topics exist: no error
    const admin = raw.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const names = createTopicNames({ prefix: topicPrefix });
    const meta = await admin.fetchTopicMetadata({ topics: TOPIC_IDS.map((id) => names[id]) });
    const partitions = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
    expect(partitions[names.observations]).toBe(4);
    expect(partitions[names.custodyEvents]).toBe(4);
    expect(partitions[names.checkpoints]).toBe(1);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [names.checkpoints, names.decisions].map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ["cleanup.policy"],
      })),
    });
    const policy = Object.fromEntries(
      configs.resources.map((r) => [r.resourceName, r.configEntries[0]?.configValue]),
    );
    expect(policy).toEqual({ [names.checkpoints]: "compact", [names.decisions]: "delete" });
  });

  it("reports (error log) a checkpoint topic that someone created without compaction", async () => {
    const topicPrefix = `t${++n}.`;
    const admin = raw.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    // waitForLeaders: false — kafkajs' own wait fails on UNKNOWN_TOPIC_OR_PARTITION under KRaft; the bus waits.
    await admin.createTopics({
      waitForLeaders: false,
      topics: [{ topic: `${topicPrefix}keeper.checkpoints`, numPartitions: 1 }],
    });
    const lines: string[] = [];
    const logger = createLogger({
      level: "info",
      destination: new Writable({
        write(chunk, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }) as never,
    });
    await newBus({ keeperId: "k", topicPrefix, logger });
    const errors = lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.level === "error" && String(l.msg).includes("not compacted"));
    expect(errors).toEqual([
      expect.objectContaining({ topic: `${topicPrefix}keeper.checkpoints`, cleanup_policy: "delete" }),
    ]);
  });

  it("keys by asset: one partition per asset, assets spread over partitions, the Java client's murmur2 partitioner", async () => {
    const bus = await newBus({ keeperId: "k", topicPrefix: `t${++n}.` });
    const assets = Array.from({ length: 12 }, (_, i) => `asset-${i}`);
    const c = await collect(bus, { topics: ["observations"], groupId: `g-${randomUUID()}` });
    await bus.publish(assets.map((a) => ({ payload: sampleReserve(a, 1n) })));
    const got = await c.waitFor(assets.length, TIMEOUT);
    const partitionOf = new Map(got.map((r) => [r.meta.key, r.meta.partition]));
    expect(new Set(partitionOf.values()).size).toBeGreaterThan(1);
    const murmur = Partitioners.DefaultPartitioner();
    for (const [key, partition] of partitionOf) {
      expect(
        murmur({
          topic: bus.topicNames.observations,
          partitionMetadata: [0, 1, 2].map((p) => ({
            partitionId: p,
            leader: 1,
            replicas: [1],
            isr: [1],
            partitionErrorCode: 0,
          })),
          message: { key: key ?? null, value: null },
        }),
      ).toBe(partition);
    }
  });

  it("a broker-rejected record aborts the whole transaction: nothing of the batch, and not its checkpoint, is visible", async () => {
    const keeperId = `k-${randomUUID()}`;
    const bus = await newBus({ keeperId, topicPrefix: `t${++n}.` });
    await bus.publish(batchFor("dusd", 1n), { checkpoint: checkpointAt(keeperId, 1n) });

    // Over the broker's message.max.bytes (1 MiB): MESSAGE_TOO_LARGE, not retryable.
    const huge: OutgoingMessage = {
      payload: {
        type: "pause.failed",
        assetId: "dusd",
        chainId: 31337,
        breaker: addressFor("dusd", "breaker"),
        decisionId: "d-2",
        reason: "x".repeat(1_100_000),
      },
    };
    const doomed = [...batchFor("eurx", 2n), ...batchFor("dusd", 2n), huge];
    await expect(bus.publish(doomed, { checkpoint: checkpointAt(keeperId, 2n) })).rejects.toBeInstanceOf(
      BusPublishRejectedError,
    );
    await bus.publish(batchFor("dusd", 3n), { checkpoint: checkpointAt(keeperId, 3n) });

    const c = await collect(bus, {
      topics: ["observations", "decisions", "breakerEvents"],
      groupId: `g-${randomUUID()}`,
    });
    await c.waitFor(8, TIMEOUT);
    const ids = new Set(c.received.map((r) => r.envelope.id));
    expect(ids).toEqual(
      new Set([...batchFor("dusd", 1n), ...batchFor("dusd", 3n)].map((m) => messageIdOf(m.payload))),
    );
    for (const m of batchFor("eurx", 2n)) expect(ids.has(messageIdOf(m.payload))).toBe(false);

    // The rejected batch's other records WERE written (a read-uncommitted reader sees them) — then aborted.
    const everything = await readUncommitted([bus.topicNames.observations], 2 + 2 + 2 + 2);
    expect(everything.some((v) => v.includes('"assetId":"eurx"'))).toBe(true);
    expect(await bus.checkpoints.load()).toStrictEqual(checkpointAt(keeperId, 3n));
  });

  it("a keeper that dies between send and commit: the restart fences it and aborts its batch; replaying from the checkpoint gives every message exactly once", async () => {
    const keeperId = `k-${randomUUID()}`;
    const topicPrefix = `t${++n}.`;
    const first = await newBus({ keeperId, topicPrefix });
    for (const b of [1n, 2n, 3n])
      await first.publish(batchFor("dusd", b), { checkpoint: checkpointAt(keeperId, b) });
    await first.close();

    // The crashed process: same transactional id, sends batch 4 + checkpoint 4, never commits, never disconnects.
    const zombie = await rawProducer({
      transactionalId: first.transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    const tx = await zombie.transaction();
    const producer = { name: "reserve-keeper", keeperId };
    const names = first.topicNames;
    const byTopic = new Map<string, { key: string; value: Buffer }[]>();
    for (const m of batchFor("dusd", 4n)) {
      const env = createEnvelope({ payload: m.payload, producer });
      const topic = names[topicOf(env.type)];
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), { key: env.key, value: encodeEnvelope(env) }]);
    }
    byTopic.set(names.checkpoints, [
      {
        key: keeperId,
        value: encodeEnvelope(createCheckpointEnvelope({ checkpoint: checkpointAt(keeperId, 4n), producer })),
      },
    ]);
    await tx.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });

    // Restart: InitProducerId bumps the epoch, the broker aborts the open transaction at once.
    const restarted = await newBus({ keeperId, topicPrefix });
    const loaded: Checkpoint | undefined = await restarted.checkpoints.load();
    expect(loaded).toStrictEqual(checkpointAt(keeperId, 3n));
    await expect(tx.commit()).rejects.toMatchObject({ type: "INVALID_PRODUCER_EPOCH" }); // the zombie is fenced

    // The runtime replays from the checkpoint: blocks 4 and 5.
    for (const b of [4n, 5n]) {
      if (b > (loaded?.chains[31337]?.blockNumber ?? 0n)) {
        await restarted.publish(batchFor("dusd", b), { checkpoint: checkpointAt(keeperId, b) });
      }
    }
    const dedup = createDuplicateFilter();
    const duplicates: string[] = [];
    const c = await collect(restarted, {
      topics: ["observations", "decisions", "breakerEvents"],
      groupId: `g-${randomUUID()}`,
      onMessage: (e) => {
        if (dedup.seen(e.id)) duplicates.push(e.id);
      },
    });
    await c.waitFor(5 * 4, TIMEOUT);
    expect(duplicates).toEqual([]);
    expect(c.received.map((r) => r.envelope.id).sort()).toEqual(
      [1n, 2n, 3n, 4n, 5n].flatMap((b) => batchFor("dusd", b).map((m) => messageIdOf(m.payload))).sort(),
    );
    // The aborted batch 4 is on disk (read-uncommitted sees batch 4 twice), hidden from read-committed readers.
    const uncommitted = await readUncommitted([names.observations], 2 * 6);
    const reserve4 = encodeEnvelope(
      createEnvelope({ payload: sampleReserve("dusd", 4n), producer, producedAt: new Date(0) }),
    );
    const id4 = JSON.parse(reserve4.toString()).id as string;
    expect(uncommitted.filter((v) => JSON.parse(v).id === id4)).toHaveLength(2);
    expect(await restarted.checkpoints.load()).toStrictEqual(checkpointAt(keeperId, 5n));
  });

  it("two keepers with one keeperId: the newer fences the older, whose publish fails with BusProducerFencedError", async () => {
    const keeperId = `k-${randomUUID()}`;
    const topicPrefix = `t${++n}.`;
    const older = await newBus({ keeperId, topicPrefix });
    await older.publish(batchFor("dusd", 1n));
    const newer = await newBus({ keeperId, topicPrefix });
    await expect(older.publish(batchFor("dusd", 2n))).rejects.toBeInstanceOf(BusProducerFencedError);
    await newer.publish(batchFor("dusd", 2n));
    const c = await collect(newer, { topics: ["observations"], groupId: `g-${randomUUID()}` });
    await c.waitFor(4, TIMEOUT);
    expect(c.received).toHaveLength(4);
  });

  it("never logs or reports the SASL password", async () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: "debug",
      destination: new Writable({
        write(chunk, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }) as never,
    });
    const password = `pw-${randomUUID()}`;
    const error = await createKafkaBus({
      connection: {
        brokers: brokers(),
        sasl: { mechanism: "plain", username: "keeper", password },
        connectionTimeoutMs: 1_000,
        requestTimeoutMs: 2_000,
      },
      keeperId: "k",
      topicPrefix: `t${++n}.`,
      logger,
    }).then(
      (bus) => {
        buses.push(bus);
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error); // this broker has no SASL listener
    expect(lines.join("")).toContain("keeper"); // the username is logged …
    expect(lines.join("")).not.toContain(password); // … the password never
    expect(String((error as Error).message)).not.toContain(password);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(password);
  });
});

// Last in the file: stops the broker.
describe("Kafka bus: broker down", () => {
  it("retries a publish with backoff, counts every failed attempt, then fails with BusUnavailableError", async () => {
    const metrics = createMetrics(new Registry());
    const bus = await newBus({
      keeperId: `k-${randomUUID()}`,
      topicPrefix: `t${++n}.`,
      metrics,
      connection: {
        brokers: brokers(),
        connectionTimeoutMs: 300,
        requestTimeoutMs: 1_000,
        retry: { retries: 2, initialRetryTimeMs: 50, maxRetryTimeMs: 200 },
      },
      publishRetry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50 },
    });
    await bus.publish([{ payload: sampleReserve("dusd", 1n) }]);
    await broker!.stop();
    const error = await bus.publish([{ payload: sampleReserve("dusd", 2n) }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BusUnavailableError);
    expect(error).toMatchObject({ retryable: true, details: { attempts: 3 } });
    const errors = (await metrics.busPublishErrorsTotal.get()).values;
    expect(errors).toEqual([
      expect.objectContaining({ labels: { topic: bus.topicNames.observations }, value: 3 }),
    ]);
    const published = (await metrics.busPublishedTotal.get()).values;
    expect(published).toEqual([
      expect.objectContaining({ labels: { topic: bus.topicNames.observations }, value: 1 }),
    ]);
  });
});
