import { createAlertManager, createAlertSinks } from "./alerts/index.ts";
import { createFileCheckpointStore } from "./bus/checkpoint.ts";
import { createInProcessBus, type InProcessBus } from "./bus/inprocess.ts";
import { createKafkaBus } from "./bus/kafka.ts";
import type { Bus } from "./bus/port.ts";
import { loadConfig } from "./config/load.ts";
import type { KeeperConfig } from "./config/schema.ts";
import { loadSigner } from "./config/signer.ts";
import { createKeeper, type Keeper, type KeeperHooks } from "./runtime/keeper.ts";
import { createLogger, type Logger } from "./telemetry/logger.ts";
import { createMetrics, type KeeperMetrics } from "./telemetry/metrics.ts";
import { createTelemetryServer } from "./telemetry/server.ts";

export type RunningKeeper = {
  readonly config: KeeperConfig;
  readonly keeper: Keeper;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly metrics: KeeperMetrics;
  /** The bound metrics port (undefined when telemetry is off). */
  readonly metricsPort: number | undefined;
  /** Stops the keeper, flushes the bus (the checkpoint is saved with the last batch), closes the server. */
  stop(): Promise<void>;
};

export type StartKeeperArgs = {
  /** A config file, or an already parsed config. */
  readonly config: string | KeeperConfig;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Overrides telemetry.metricsPort (0 = any free port, null = no server). */
  readonly metricsPort?: number | null;
  readonly logger?: Logger;
  readonly hooks?: KeeperHooks;
  /** Use this bus instead of building one from the config (tests, the demo's timeline). */
  readonly bus?: Bus;
};

export type BusFromConfigOptions = {
  /**
   * Envelope producer name and Kafka transactional-id prefix (default "reserve-keeper"). Another
   * process publishing for the same keeperId (the admin CLI) MUST use its own name: on Kafka, a second
   * producer with the same transactional id fences the running keeper's producer.
   */
  readonly producerName?: string;
};

/** Builds the bus the config asks for: in-process (file checkpoint) or Kafka (checkpoint in a compacted topic). */
export async function createBusFromConfig(
  config: KeeperConfig,
  logger: Logger,
  metrics: KeeperMetrics,
  options: BusFromConfigOptions = {},
): Promise<Bus> {
  const producerName = options.producerName === undefined ? {} : { producerName: options.producerName };
  if (config.bus.type === "kafka") {
    return createKafkaBus({
      connection: {
        brokers: config.bus.brokers,
        clientId: config.bus.clientId,
        ssl: config.bus.ssl,
        ...(config.bus.sasl ? { sasl: config.bus.sasl } : {}),
      },
      keeperId: config.keeperId,
      topicPrefix: config.bus.topicPrefix,
      logger,
      metrics,
      ...producerName,
    });
  }
  const bus: InProcessBus = createInProcessBus({
    keeperId: config.keeperId,
    checkpoints: createFileCheckpointStore({ path: config.checkpoint.path, keeperId: config.keeperId }),
    logger,
    metrics,
    ...producerName,
  });
  return bus;
}

/** The composition root: config → logger, metrics, bus, signer → keeper → telemetry server. */
export async function startKeeper(args: StartKeeperArgs): Promise<RunningKeeper> {
  const env = args.env ?? process.env;
  const config =
    typeof args.config === "string" ? (await loadConfig({ path: args.config, env })).config : args.config;
  const logger = args.logger ?? createLogger({ level: config.telemetry.logLevel });
  const metrics = createMetrics();
  const bus = args.bus ?? (await createBusFromConfig(config, logger, metrics));
  const account = config.signer.type === "none" ? undefined : await loadSigner(config.signer, env);
  const alerts = createAlertManager({
    sinks: createAlertSinks(config.alerts),
    policy: config.alerts,
    logger,
    metrics,
  });
  const user = args.hooks ?? {};
  const hooks: KeeperHooks = {
    onEvent: user.onEvent,
    onDecision: (decision, context) => {
      alerts.onDecision(decision);
      user.onDecision?.(decision, context);
    },
    onPauseEvent: (event) => {
      alerts.onPauseEvent(event);
      user.onPauseEvent?.(event);
    },
  };
  const keeper = createKeeper({ config, bus, account, logger, metrics, hooks });
  const port = args.metricsPort === undefined ? config.telemetry.metricsPort : args.metricsPort;
  const server =
    port === null
      ? undefined
      : createTelemetryServer({
          host: config.telemetry.host,
          port,
          registry: metrics.registry,
          health: () => keeper.health(),
          ready: () => ({ ok: keeper.isReady() }),
        });
  const metricsPort = await server?.start();
  try {
    await keeper.start();
  } catch (err) {
    await keeper.stop().catch(() => {});
    await alerts.close({ drainMs: 0 }).catch(() => {});
    await server?.stop().catch(() => {});
    if (!args.bus) await bus.close().catch(() => {});
    throw err;
  }
  logger.info(
    { metrics_port: metricsPort, keeper_id: config.keeperId, signer: account?.address ?? "none" },
    "keeper running",
  );
  let stopped: Promise<void> | undefined;
  return {
    config,
    keeper,
    bus,
    logger,
    metrics,
    metricsPort,
    stop() {
      stopped ??= (async () => {
        await keeper.stop();
        await alerts.close({ drainMs: 5_000 });
        if (!args.bus) await bus.close();
        await server?.stop();
      })();
      return stopped;
    },
  };
}
