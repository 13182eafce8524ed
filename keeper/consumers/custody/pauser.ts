/**
 * Pausing on a dual-source disagreement (custody.dualSource.onDisagree: pause): the asset's breaker on
 * every chain it lives on, through the keeper's own pause executor (read → simulate → send → wait, with
 * nonce and fee management) and the keeper's signer and fee settings. Every pause step is published on
 * the bus (topic breakerEvents), like the keeper's own pauses.
 *
 * The executor keeps its own nonce manager: a keeper process pausing with the same key at the same
 * moment competes for nonces; the executor recovers (a consumed nonce, an already-paused breaker are
 * success), but a dedicated key with KEEPER_ROLE avoids the race altogether.
 */
import type { LocalAccount } from "viem";
import { createPauseExecutor, type PauseEvent, type PauseResult } from "../../actions/pauseExecutor.ts";
import type { Bus } from "../../bus/port.ts";
import { feeConfigFor, type KeeperConfig } from "../../config/schema.ts";
import { InvalidArgumentError } from "../../internal/errors.ts";
import { assertChainId, type ChainClients, createChainClients } from "../../sources/clients.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { KeeperMetrics } from "../../telemetry/metrics.ts";

export type CustodyPauseRequest = {
  readonly assetId: string;
  /** Envelope id of the reserve.sources_disagree message that asked for the pause. */
  readonly decisionId: string;
  /** On-chain reason (at most 200 characters). */
  readonly reason: string;
  /** The lower of the two reserve figures, 18 decimals (BreakerPaused.reserves). */
  readonly observedReserves: bigint;
};

/** The port the service pauses through (tests inject a fake). */
export type CustodyPauser = {
  /** Pauses every breaker of the asset; one result per chain; never rejects. */
  pause(request: CustodyPauseRequest): Promise<PauseResult[]>;
  close(): Promise<void>;
};

export type OpenCustodyPauserArgs = {
  readonly config: KeeperConfig;
  readonly account: LocalAccount;
  /** Pause steps are published here (topic breakerEvents). */
  readonly bus: Bus;
  readonly logger: Logger;
  readonly metrics: KeeperMetrics;
  /** Also called with every pause step (tests). */
  readonly onEvent?: ((event: PauseEvent) => void) | undefined;
};

/**
 * Opens HTTP clients to every chain the custody assets live on (checking each endpoint's chain id) and
 * a pause executor on them.
 */
export async function openCustodyPauser(args: OpenCustodyPauserArgs): Promise<CustodyPauser> {
  const { config, logger, metrics, bus } = args;
  const custody = config.custody;
  if (!custody) throw new InvalidArgumentError({ name: "config.custody", reason: "is not configured" });
  const log = logger.child({ component: "custody_pauser" });
  const wanted = new Set(
    custody.assets.flatMap(
      (ca) => config.assets.find((a) => a.id === ca.id)?.deployments.map((d) => d.chain) ?? [],
    ),
  );
  const clients: { chainId: number; clients: ChainClients }[] = [];
  try {
    for (const chain of config.chains.filter((c) => wanted.has(c.name))) {
      const c = createChainClients({
        chainId: chain.id,
        httpUrl: chain.rpc.http,
        logger,
        metrics,
        retryCount: 1,
      });
      clients.push({ chainId: chain.id, clients: c });
      await assertChainId(c.http, chain.id);
    }
  } catch (err) {
    for (const c of clients) await c.clients.close().catch(() => {});
    throw err;
  }
  const executor = createPauseExecutor({
    account: args.account,
    chains: clients.map((c) => ({ chainId: c.chainId, publicClient: c.clients.http })),
    fees: feeConfigFor(config.actions),
    metrics,
    logger,
    onEvent: (event) => {
      args.onEvent?.(event);
      bus
        .publish([{ payload: event }])
        .catch((err) =>
          log.error({ err, type: event.type, asset: event.assetId }, "pause event publish failed"),
        );
    },
  });
  const chainIdOf = new Map(config.chains.map((c) => [c.name, c.id]));
  return {
    pause(request) {
      const asset = config.assets.find((a) => a.id === request.assetId);
      const targets = (asset?.deployments ?? []).map((d) => ({
        chainId: chainIdOf.get(d.chain)!,
        breaker: d.breaker,
      }));
      return executor.pause({
        assetId: request.assetId,
        decisionId: request.decisionId,
        reason: request.reason.slice(0, 200),
        observedReserves: request.observedReserves,
        observedSupply: 0n,
        targets,
      });
    },
    async close() {
      executor.close();
      for (const c of clients) await c.clients.close().catch(() => {});
    },
  };
}
