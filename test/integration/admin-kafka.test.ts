// Admin acts on a REAL Kafka broker (deploy/kafka): the admin CLI publishes admin.action through
// createBusFromConfig with its own producer name, so it never fences the running keeper's
// transactional producer (same keeperId). Needs the broker jars: `npm run kafka:fetch` once.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKafkaBus, type KafkaBus } from "../../keeper/bus/kafka.ts";
import type { Bus } from "../../keeper/bus/port.ts";
import { sampleReserve } from "../../keeper/bus/testArbitraries.ts";
import { collect } from "../../keeper/bus/testSupport.ts";
import { reporterFor } from "../../keeper/cli/admin/common.ts";
import { parseConfig } from "../../keeper/config/load.ts";
import type { KeeperConfig } from "../../keeper/config/schema.ts";
import { configWith } from "../../keeper/config/testFixtures.ts";
import { BusProducerFencedError } from "../../keeper/internal/errors.ts";
import { createBusFromConfig } from "../../keeper/main.ts";
import { createLogger } from "../../keeper/telemetry/logger.ts";
import { createMetrics } from "../../keeper/telemetry/metrics.ts";
import {
  type KafkaBroker,
  kafkaAvailable,
  kafkaUnavailableReason,
  startKafkaBroker,
} from "../helpers/kafka.ts";

describe("admin.action on Kafka (real broker)", () => {
  let broker: KafkaBroker | undefined;
  const open: Bus[] = [];
  const logger = createLogger({ level: "silent" });

  beforeAll(async () => {
    if (!kafkaAvailable()) throw new Error(`Cannot run Kafka integration tests: ${kafkaUnavailableReason()}`);
    broker = await startKafkaBroker();
  }, 120_000);

  afterAll(async () => {
    await Promise.all(open.map((b) => b.close().catch(() => {})));
    await broker?.stop();
  });

  function kafkaConfig(): KeeperConfig {
    const prefix = `adm-${randomUUID().slice(0, 8)}.`;
    const doc = configWith({
      keeperId: `keeper-${randomUUID().slice(0, 8)}`,
      bus: { type: "kafka", brokers: broker!.brokers, topicPrefix: prefix },
    });
    return parseConfig(doc, { env: {} }).config;
  }

  async function reader(config: KeeperConfig): Promise<KafkaBus> {
    if (config.bus.type !== "kafka") throw new Error("kafka config expected");
    const bus = await createKafkaBus({
      connection: { brokers: config.bus.brokers },
      keeperId: "admin-actions-reader",
      topicPrefix: config.bus.topicPrefix,
      readOnly: true,
      consumerMaxWaitMs: 100,
      logger,
    });
    open.push(bus);
    return bus;
  }

  const action = {
    action: "unpause",
    assetId: "dusd",
    chainId: 31337,
    breaker: "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
    actor: "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
    requestDigest: `0x${"ab".repeat(32)}`,
    txHash: `0x${"cd".repeat(32)}`,
    outcome: "succeeded",
    reason: "reserves restored",
  } as const;

  it("publishes on admin.actions while the keeper keeps publishing (not fenced)", async () => {
    const config = kafkaConfig();
    const keeperBus = await createBusFromConfig(config, logger, createMetrics());
    open.push(keeperBus);
    const got = await collect(await reader(config), {
      topics: ["adminActions"],
      groupId: `g-${randomUUID()}`,
    });
    await keeperBus.publish([{ payload: sampleReserve("dusd", 1n) }]);

    const reporter = reporterFor(config, logger);
    expect(await reporter.report(action)).toBe(true);
    await reporter.close();

    // The keeper's transactional producer is untouched by the admin's.
    await keeperBus.publish([{ payload: sampleReserve("dusd", 2n) }]);
    const [received] = await got.waitFor(1, 30_000);
    expect(received!.envelope).toMatchObject({
      type: "admin.action",
      key: "dusd",
      producer: { name: "reserve-keeper-admin", keeperId: config.keeperId },
      payload: { type: "admin.action", ...action },
    });
    expect(received!.meta.topicName).toBe(
      `${(config.bus as { topicPrefix: string }).topicPrefix}admin.actions`,
    );
  }, 120_000);

  it("control: a second bus with the keeper's own producer name WOULD fence the keeper", async () => {
    const config = kafkaConfig();
    const keeperBus = await createBusFromConfig(config, logger, createMetrics());
    open.push(keeperBus);
    await keeperBus.publish([{ payload: sampleReserve("dusd", 1n) }]);
    const intruder = await createBusFromConfig(config, logger, createMetrics());
    open.push(intruder);
    await intruder.publish([{ payload: sampleReserve("dusd", 2n) }]);
    await expect(keeperBus.publish([{ payload: sampleReserve("dusd", 3n) }])).rejects.toBeInstanceOf(
      BusProducerFencedError,
    );
  }, 120_000);
});
