/**
 * The CCTP transfer service as a long-lived process (`reserve-keeper cctp serve`): config → chain
 * clients signing as the given account, attestation API client, the pause-aware transfer service
 * (breakerEvents from the bus when there is one, every breaker re-read each
 * cctpService.pause.reconcileIntervalMs), token decimals, the transfer registry, the HTTP API and
 * /metrics. Every breaker and token is read BEFORE the API listens.
 *
 *   const server = await startCctpTransferServer({ config, setup, account, logger });
 *   …  await server.stop();   // graceful: drain the API, stop the service, wait for mined steps, close
 */
import { type Account, parseAbi } from "viem";
import type { Bus } from "../../bus/port.ts";
import { createCctpChainClients } from "../../cctp/transfer/clients.ts";
import { createIrisClient } from "../../cctp/transfer/irisClient.ts";
import { type CctpSetup, type CctpTokenRef, tokenOn } from "../../cctp/transfer/setup.ts";
import { createTransferClient } from "../../cctp/transfer/transferClient.ts";
import type { KeeperConfig } from "../../config/schema.ts";
import { createBusFromConfig } from "../../main.ts";
import type { Logger } from "../../telemetry/logger.ts";
import { createMetrics, type KeeperMetrics } from "../../telemetry/metrics.ts";
import { createTelemetryServer } from "../../telemetry/server.ts";
import { type CctpTransferApi, createCctpTransferApi } from "./api.ts";
import { type CctpServiceConfig, cctpServiceConfigSchema } from "./config.ts";
import { createTransferRegistry, statusOf, type TransferRegistry, transferView } from "./transferRegistry.ts";
import { type CctpTransferService, createCctpTransferService } from "./transferService.ts";

/** Producer name of the service's bus messages (own Kafka transactional id: never fences the keeper). */
export const CCTP_PRODUCER_NAME = "reserve-keeper-cctp";

const decimalsAbi = parseAbi(["function decimals() view returns (uint8)"]);

export type StartCctpTransferServerArgs = {
  readonly config: KeeperConfig;
  readonly setup: CctpSetup;
  /** Who burns and receives (the config's signer; a devnet role's key on the devnet). */
  readonly account: Account;
  /**
   * The bus: breakerEvents in, cctp.transfer events out. Default: built from config.bus; null: none
   * (events stay local; pauses are learnt from breaker reads and TokenPaused reverts only).
   */
  readonly bus?: Bus | null;
  readonly logger: Logger;
  /** Overrides cctpService.api.port / api.host / metricsPort (null: no telemetry server). */
  readonly apiPort?: number;
  readonly apiHost?: string;
  readonly metricsPort?: number | null;
  /** Overrides cctpService.pause.reconcileIntervalMs. */
  readonly reconcileIntervalMs?: number;
  /** Consumer group of the breakerEvents subscription (default `<keeperId>-cctp-<pid>-<time>`: every instance sees every event). */
  readonly groupId?: string;
};

export type RunningCctpTransferServer = {
  readonly section: CctpServiceConfig;
  readonly apiPort: number;
  readonly apiUrl: string;
  readonly metricsPort: number | undefined;
  readonly service: CctpTransferService;
  readonly registry: TransferRegistry;
  readonly metrics: KeeperMetrics;
  /**
   * Graceful stop: the API refuses new transfers (503), the service stops (held and queued transfers
   * and attestation polls end as `interrupted`), steps whose transaction is in flight get up to
   * shutdownGraceMs to be mined, then the API, bus and telemetry close. Resolves with the transfers
   * that did not end (resume each from its burn). Idempotent.
   */
  stop(): Promise<{ interrupted: { transferId: string; status: string; burnTxHash?: string }[] }>;
};

export async function startCctpTransferServer(
  args: StartCctpTransferServerArgs,
): Promise<RunningCctpTransferServer> {
  const { config, setup } = args;
  const section = config.cctpService ?? cctpServiceConfigSchema.parse({});
  const logger = args.logger.child({ service: "cctp" });
  const metrics = createMetrics();
  const cleanup: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
    cleanup.length = 0;
  };

  try {
    const bus =
      args.bus === null
        ? undefined
        : (args.bus ??
          (await createBusFromConfig(config, logger, metrics, { producerName: CCTP_PRODUCER_NAME })));
    if (bus !== undefined && args.bus === undefined) cleanup.push(() => bus.close());

    const clients = createCctpChainClients({ account: args.account });
    const iris = createIrisClient({
      baseUrl: setup.config.attestationApi.url,
      requestTimeoutMs: setup.config.attestationApi.requestTimeoutMs,
    });

    // Decimals of USDC and every asset on every CCTP chain it lives on (amounts arrive in token units).
    const decimals = new Map<string, number>();
    const keyOf = (token: CctpTokenRef, chain: string) =>
      `${token.type === "usdc" ? "usdc" : token.assetId}@${chain}`;
    const tokens: { token: CctpTokenRef; chain: string }[] = [
      ...setup.chains
        .filter((c) => c.usdc !== undefined)
        .map((c) => ({ token: { type: "usdc" } as const, chain: c.chain })),
      ...setup.assets.flatMap((a) =>
        a.deployments
          .filter((d) => setup.chainByName(d.chain) !== undefined)
          .map((d) => ({ token: { type: "asset", assetId: a.id } as const, chain: d.chain })),
      ),
    ];
    await Promise.all(
      tokens.map(async ({ token, chain }) => {
        const c = setup.chainByName(chain)!;
        const d = await clients(c).public.readContract({
          address: tokenOn(setup, token, c),
          abi: decimalsAbi,
          functionName: "decimals",
        });
        decimals.set(keyOf(token, chain), Number(d));
      }),
    );

    const reconcileIntervalMs = args.reconcileIntervalMs ?? section.pause.reconcileIntervalMs;
    const service = createCctpTransferService({
      setup,
      bus,
      groupId: args.groupId ?? `${config.keeperId}-cctp-${process.pid}-${Date.now()}`,
      chainClients: clients,
      reconcileIntervalMs,
      logger,
      metrics,
      createClient: (onEvent) => createTransferClient({ setup, clients, iris, logger, metrics, onEvent }),
    });
    await service.start();
    let serviceStopped = false;
    cleanup.push(async () => {
      serviceStopped = true;
      await service.stop();
    });

    const registry = createTransferRegistry({ service, maxTransfers: section.maxTrackedTransfers });
    const health = () => {
      const pausedAssets: Record<string, number[]> = {};
      const held: Record<string, { burn: number; receive: number }> = {};
      for (const a of setup.assets) {
        const chains = service.pauseState.pausedChains(a.id);
        if (chains.length > 0) pausedAssets[a.id] = chains;
        held[a.id] = { burn: 0, receive: 0 };
      }
      const transfers: Record<string, number> = {};
      for (const t of registry.list()) {
        const status = statusOf(t);
        transfers[status] = (transfers[status] ?? 0) + 1;
        if (status !== "held") continue;
        const v = transferView(t, String);
        const stage = v.held?.stage;
        const asset = "asset" in v ? v.asset : undefined;
        if (asset !== undefined && held[asset] !== undefined && (stage === "burn" || stage === "receive"))
          held[asset][stage]++;
      }
      return {
        ok: setup.assets.every((a) => service.pauseState.known(a.id)) && !serviceStopped,
        details: {
          pausedAssets,
          held,
          transfers,
          reconcileIntervalMs,
          bus: bus === undefined ? "none" : config.bus.type,
        },
      };
    };
    const api: CctpTransferApi = createCctpTransferApi({
      host: args.apiHost ?? section.api.host,
      port: args.apiPort ?? section.api.port,
      maxBodyBytes: section.api.maxBodyBytes,
      setup,
      decimals: (token, chain) => decimals.get(keyOf(token, chain)),
      registry,
      health,
      logger,
    });
    const apiPort = await api.start();
    cleanup.push(() => api.stop());

    const metricsPortSetting = args.metricsPort === undefined ? section.metricsPort : args.metricsPort;
    const telemetry =
      metricsPortSetting === null
        ? undefined
        : createTelemetryServer({
            host: config.telemetry.host,
            port: metricsPortSetting,
            registry: metrics.registry,
            health: () => ({ ok: true }),
            ready: () => {
              const h = health();
              return { ok: h.ok, details: h.details };
            },
          });
    const metricsPort = await telemetry?.start();
    if (telemetry) cleanup.push(() => telemetry.stop());
    metrics.up.set(1);
    const host = args.apiHost ?? section.api.host;
    const apiUrl = `http://${host.includes(":") ? `[${host}]` : host}:${apiPort}`;
    logger.info(
      {
        api_port: apiPort,
        metrics_port: metricsPort,
        sender: args.account.address,
        assets: setup.assets.map((a) => a.id),
        reconcile_interval_ms: reconcileIntervalMs,
        bus: bus === undefined ? "none" : config.bus.type,
      },
      "cctp transfer service running",
    );

    let stopping: ReturnType<RunningCctpTransferServer["stop"]> | undefined;
    return {
      section,
      apiPort,
      apiUrl,
      metricsPort,
      service,
      registry,
      metrics,
      stop() {
        stopping ??= (async () => {
          metrics.up.set(0);
          api.drain();
          serviceStopped = true;
          await service.stop();
          // Held, queued and polling transfers reject at once; a step whose transaction is in flight
          // ends when it is mined (or at the receipt timeout): give those shutdownGraceMs.
          const running = registry.running();
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            Promise.allSettled(running.map((t) => t.handle.done)),
            new Promise((resolve) => {
              timer = setTimeout(resolve, section.shutdownGraceMs);
            }),
          ]);
          clearTimeout(timer);
          const interrupted = running
            .map((t) => ({ t, status: statusOf(t) }))
            .filter(
              ({ status }) => status !== "received" && status !== "already_received" && status !== "failed",
            )
            .map(({ t, status }) => {
              const v = transferView(t, String);
              return {
                transferId: t.transferId,
                status,
                ...("burnTxHash" in v && v.burnTxHash !== undefined ? { burnTxHash: v.burnTxHash } : {}),
              };
            });
          for (const i of interrupted) {
            logger.warn(
              { transfer_id: i.transferId, status: i.status, burn_tx_hash: i.burnTxHash },
              i.burnTxHash === undefined
                ? "cctp transfer interrupted before its burn: submit it again"
                : "cctp transfer interrupted after its burn: resume it from its burn",
            );
          }
          await closeAll();
          logger.info({ interrupted: interrupted.length }, "cctp transfer service stopped");
          return { interrupted };
        })();
        return stopping;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
