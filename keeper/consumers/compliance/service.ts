/**
 * The compliance service's composition root: config → rules, KYC provider, geo, QP verifier, chain
 * clients, pause follower (reads every breaker BEFORE serving), decider (audit on the bus), gate sync,
 * on-ramp, HTTP API and /metrics. `reserve-keeper compliance serve` runs it until SIGINT/SIGTERM.
 */
import type { Address, PublicClient } from "viem";
import { reserveBackedStablecoinAbi } from "../../abi/index.ts";
import { createComplianceGateWriter } from "../../actions/complianceGateSync.ts";
import { createContractWriter } from "../../actions/contractWriter.ts";
import { createSecureMinter } from "../../actions/secureMint.ts";
import type { Bus } from "../../bus/port.ts";
import { type ConfigEnv, loadConfig } from "../../config/load.ts";
import type { KeeperConfig } from "../../config/schema.ts";
import { loadSigner } from "../../config/signer.ts";
import { createBusFromConfig } from "../../main.ts";
import { assertChainId, type ChainClients, createChainClients } from "../../sources/clients.ts";
import { createLogger, type Logger } from "../../telemetry/logger.ts";
import { createMetrics, type KeeperMetrics } from "../../telemetry/metrics.ts";
import { createTelemetryServer } from "../../telemetry/server.ts";
import { type ComplianceApi, createComplianceApi } from "./api.ts";
import type { ComplianceConfig } from "./config.ts";
import { type ComplianceDecider, createComplianceDecider } from "./decider.ts";
import { ComplianceSetupError } from "./errors.ts";
import { createGateSync, type GateReader, type GateSync, type GateTarget } from "./gateSync.ts";
import { createGeoResolver } from "./geoResolver.ts";
import { createKycFileProvider } from "./kycFileProvider.ts";
import { createKycHttpProvider } from "./kycHttpProvider.ts";
import { createDevnetOnRamp, type DevnetOnRamp, type OnRampMintTarget } from "./onRamp.ts";
import {
  type BreakerReader,
  type BreakerTarget,
  createPauseFollower,
  createPauseTracker,
  type PauseFollower,
  type PauseTracker,
} from "./pauseState.ts";
import { createRecordQualifiedPartyVerifier } from "./qualifiedPartyVerifier.ts";
import { assetRulesFrom } from "./rules.ts";
import type { AssetRules, KycProvider } from "./types.ts";

/** Producer name of the service's bus messages (own Kafka transactional id: never fences the keeper). */
export const COMPLIANCE_PRODUCER_NAME = "reserve-keeper-compliance";

/** What the service needs from the config, cross-checked against the keeper's chains and assets. */
export type ComplianceSetup = {
  readonly section: ComplianceConfig;
  readonly rules: ReadonlyMap<string, AssetRules>;
  readonly breakers: readonly BreakerTarget[];
  readonly gates: readonly GateTarget[];
  readonly mintTargets: ReadonlyMap<string, OnRampMintTarget>;
  /** Token per (asset, chain id), for the decimals check. */
  readonly tokens: readonly { assetId: string; chainId: number; token: Address; decimals: number }[];
  /** Chains the service reads (by id). */
  readonly chains: readonly KeeperConfig["chains"][number][];
};

/** Checks the compliance section against the rest of the config; throws ComplianceSetupError listing every problem. */
export function resolveComplianceSetup(config: KeeperConfig): ComplianceSetup {
  const section = config.compliance;
  if (!section) {
    throw new ComplianceSetupError({
      problems: ["the config has no compliance section (see keeper/consumers/compliance/README.md)"],
    });
  }
  const problems: string[] = [];
  const rules = new Map<string, AssetRules>();
  const breakers: BreakerTarget[] = [];
  const gates: GateTarget[] = [];
  const mintTargets = new Map<string, OnRampMintTarget>();
  const tokens: ComplianceSetup["tokens"][number][] = [];
  const chainIds = new Set<number>();
  section.assets.forEach((rulesConfig, i) => {
    const asset = config.assets.find((a) => a.id === rulesConfig.id);
    if (!asset) {
      problems.push(
        `compliance.assets[${i}].id: unknown asset "${rulesConfig.id}"; assets are: ${config.assets.map((a) => a.id).join(", ")}`,
      );
      return;
    }
    try {
      rules.set(asset.id, assetRulesFrom(rulesConfig));
    } catch (err) {
      problems.push(...((err as ComplianceSetupError).problems ?? [String(err)]));
    }
    for (const [j, d] of asset.deployments.entries()) {
      const chain = config.chains.find((c) => c.name === d.chain);
      if (!chain) continue; // the keeper schema reports it
      chainIds.add(chain.id);
      breakers.push({ assetId: asset.id, chainId: chain.id, breaker: d.breaker });
      tokens.push({
        assetId: asset.id,
        chainId: chain.id,
        token: d.token,
        decimals: rulesConfig.tokenDecimals,
      });
      if (d.gate) gates.push({ assetId: asset.id, chainId: chain.id, gate: d.gate });
      else if (section.gateSync.enabled) {
        problems.push(
          `assets[${asset.id}].deployments[${j}].gate: required while compliance.gateSync.enabled is true`,
        );
      }
      if (d.minter && !mintTargets.has(asset.id))
        mintTargets.set(asset.id, { chainId: chain.id, minter: d.minter });
    }
    if (section.onRamp.enabled && !mintTargets.has(asset.id)) {
      problems.push(`assets[${asset.id}]: no deployment has a minter, which compliance.onRamp.enabled needs`);
    }
  });
  if (
    section.kyc.type === "http" &&
    section.kyc.url.startsWith("http:") &&
    !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(section.kyc.url)
  ) {
    problems.push("compliance.kyc.url: must use https (http only to a loopback host)");
  }
  if (problems.length > 0) throw new ComplianceSetupError({ problems });
  return {
    section,
    rules,
    breakers,
    gates,
    mintTargets,
    tokens,
    chains: config.chains.filter((c) => chainIds.has(c.id)),
  };
}

/** Builds the configured KYC provider. */
export async function createKycProvider(
  section: ComplianceConfig,
  env: ConfigEnv,
  logger: Logger,
  metrics: KeeperMetrics,
): Promise<KycProvider> {
  const kyc = section.kyc;
  switch (kyc.type) {
    case "file":
      return createKycFileProvider({
        path: kyc.path,
        watch: kyc.watch,
        logger,
        onReloadError: () =>
          metrics.complianceProviderErrorsTotal.inc({ provider: "file", kind: "invalid_response" }),
      });
    case "http": {
      const token = kyc.tokenEnv === undefined ? undefined : env[kyc.tokenEnv];
      if (kyc.tokenEnv !== undefined && (token === undefined || token === "")) {
        throw new ComplianceSetupError({ problems: [`compliance.kyc.tokenEnv: ${kyc.tokenEnv} is not set`] });
      }
      return createKycHttpProvider({
        url: kyc.url,
        token,
        timeoutMs: kyc.timeoutMs,
        maxAttempts: kyc.maxAttempts,
        backoffBaseMs: kyc.backoffBaseMs,
      });
    }
    default:
      return kyc satisfies never;
  }
}

export type StartComplianceServiceArgs = {
  /** A config file or a parsed config (with a compliance section). */
  readonly config: string | KeeperConfig;
  readonly env?: ConfigEnv;
  /** Use this bus instead of building one (tests: share the keeper's in-process bus). */
  readonly bus?: Bus;
  readonly logger?: Logger;
  /** Overrides compliance.api.port (0 = any free port). */
  readonly apiPort?: number;
  /** Overrides compliance.metricsPort (0 = any, null = no telemetry server). */
  readonly metricsPort?: number | null;
  /** Consumer group of the breakerEvents subscription (default `<keeperId>-compliance-<pid>-<time>`). */
  readonly groupId?: string;
  /** Unix ms (tests). */
  readonly now?: () => number;
};

export type RunningComplianceService = {
  readonly config: KeeperConfig;
  readonly setup: ComplianceSetup;
  readonly apiPort: number;
  readonly metricsPort: number | undefined;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly metrics: KeeperMetrics;
  readonly provider: KycProvider;
  readonly pauses: PauseTracker;
  readonly follower: PauseFollower;
  readonly decider: ComplianceDecider;
  /** undefined when compliance.gateSync.enabled is false. */
  readonly gateSync: GateSync | undefined;
  readonly onRamp: DevnetOnRamp | undefined;
  /** Graceful stop: API, gate sync, bus subscription, telemetry, provider, clients. Idempotent. */
  stop(): Promise<void>;
};

/**
 * Starts the service: every breaker is read on chain (and breakerEvents followed) BEFORE the API
 * listens; gate sync starts in the background (first pass at once).
 */
export async function startComplianceService(
  args: StartComplianceServiceArgs,
): Promise<RunningComplianceService> {
  const env = args.env ?? process.env;
  const config =
    typeof args.config === "string" ? (await loadConfig({ path: args.config, env })).config : args.config;
  const setup = resolveComplianceSetup(config);
  const { section } = setup;
  const logger = (args.logger ?? createLogger({ level: config.telemetry.logLevel })).child({
    service: "compliance",
  });
  const metrics = createMetrics();
  const cleanup: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
    cleanup.length = 0;
  };

  try {
    const bus =
      args.bus ??
      (await createBusFromConfig(config, logger, metrics, { producerName: COMPLIANCE_PRODUCER_NAME }));
    if (!args.bus) cleanup.push(() => bus.close());

    const clients = new Map<number, ChainClients>();
    for (const chain of setup.chains) {
      const c = createChainClients({ chainId: chain.id, httpUrl: chain.rpc.http, logger, metrics });
      clients.set(chain.id, c);
      cleanup.push(() => c.close());
    }
    await Promise.all(
      [...clients.values()].map((c) => assertChainId(c.http as unknown as PublicClient, c.chainId)),
    );
    const httpOf = (chainId: number) => clients.get(chainId)!.http as unknown as PublicClient;

    // Token decimals must match the rules (QP threshold conversion).
    const decimalProblems: string[] = [];
    await Promise.all(
      setup.tokens.map(async (t) => {
        const onChain = await httpOf(t.chainId).readContract({
          address: t.token,
          abi: reserveBackedStablecoinAbi,
          functionName: "decimals",
        });
        if (Number(onChain) !== t.decimals) {
          decimalProblems.push(
            `compliance.assets[${t.assetId}].tokenDecimals: ${t.decimals}, but the token on chain ${t.chainId} has ${onChain}`,
          );
        }
      }),
    );
    if (decimalProblems.length > 0) throw new ComplianceSetupError({ problems: decimalProblems });

    const provider = await createKycProvider(section, env, logger, metrics);
    cleanup.push(async () => provider.close?.());
    const geo = createGeoResolver({ cidrTable: section.geo.cidrTable });
    const qualifiedParty = createRecordQualifiedPartyVerifier();

    const pauses = createPauseTracker({
      targets: setup.breakers,
      onChange: (assetId, chains) =>
        metrics.complianceAssetPaused.set({ asset: assetId }, chains.length > 0 ? 1 : 0),
    });
    const readers = new Map<number, BreakerReader & GateReader>(
      [...clients.keys()].map((id) => [id, httpOf(id) as unknown as BreakerReader & GateReader]),
    );
    const follower = createPauseFollower({
      tracker: pauses,
      bus,
      groupId: args.groupId ?? `${config.keeperId}-compliance-${process.pid}-${Date.now()}`,
      readers,
      reconcileIntervalMs: section.pause.reconcileIntervalMs,
      logger,
      metrics,
    });
    await follower.start();
    cleanup.push(() => follower.stop());

    const decider = createComplianceDecider({
      rules: setup.rules,
      provider,
      qualifiedParty,
      geo,
      pauses,
      bus,
      metrics,
      logger,
      ...(args.now ? { now: args.now } : {}),
    });

    const writerChains = [...clients.keys()].map((chainId) => ({ chainId, client: httpOf(chainId) }));
    let gateSync: GateSync | undefined;
    if (section.gateSync.enabled) {
      const officer = await loadSigner(section.signers.complianceOfficer, env);
      const writer = officer
        ? createComplianceGateWriter({
            writer: createContractWriter({ account: officer, chains: writerChains, logger }),
            batchSize: section.gateSync.batchSize,
            receiptTimeoutMs: section.gateSync.receiptTimeoutMs,
          })
        : undefined;
      const sync = createGateSync({
        targets: setup.gates,
        rules: setup.rules,
        readers,
        provider,
        qualifiedParty,
        writer,
        accounts: section.gateSync.accounts,
        moreAccounts: () => decider.seenAccounts,
        intervalMs: section.gateSync.intervalMs,
        retry: section.gateSync,
        metrics,
        logger,
        ...(args.now ? { now: args.now } : {}),
      });
      gateSync = sync;
      const unsubscribe = provider.onChange?.(() => sync.trigger());
      cleanup.push(async () => {
        unsubscribe?.();
        await sync.stop();
      });
      sync.start();
    }

    let onRamp: DevnetOnRamp | undefined;
    if (section.onRamp.enabled) {
      const issuer = await loadSigner(section.signers.issuer, env);
      if (!issuer)
        throw new ComplianceSetupError({ problems: ["compliance.signers.issuer: needed by the on-ramp"] });
      onRamp = createDevnetOnRamp({
        rules: setup.rules,
        mintTargets: setup.mintTargets,
        decider,
        minter: createSecureMinter({
          writer: createContractWriter({ account: issuer, chains: writerChains, logger }),
          receiptTimeoutMs: section.onRamp.receiptTimeoutMs,
        }),
        fiatCurrency: section.onRamp.fiatCurrency,
        feeBps: section.onRamp.feeBps,
        quoteTtlSeconds: section.onRamp.quoteTtlSeconds,
        metrics,
        logger,
        ...(args.now ? { now: args.now } : {}),
      });
    }

    const health = () => {
      const paused = pauses.snapshot();
      return {
        ok: pauses.initialized,
        details: {
          pausedAssets: Object.fromEntries(paused),
          provider: provider.name,
          gateSync: gateSync?.lastReports().map((r) => ({
            asset: r.assetId,
            chainId: r.chainId,
            outcome: r.outcome,
            differences: r.differences,
          })),
        },
      };
    };
    const api: ComplianceApi = createComplianceApi({
      host: section.api.host,
      port: args.apiPort ?? section.api.port,
      maxBodyBytes: section.api.maxBodyBytes,
      rules: setup.rules,
      decider,
      onRamp,
      devnetSettlement: section.onRamp.settlement === "devnet",
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
            ready: () => ({ ok: pauses.initialized }),
          });
    const metricsPort = await telemetry?.start();
    if (telemetry) cleanup.push(() => telemetry.stop());
    metrics.up.set(1);

    logger.info(
      {
        api_port: apiPort,
        metrics_port: metricsPort,
        assets: [...setup.rules.keys()],
        gate_sync: gateSync !== undefined,
        onramp: onRamp !== undefined,
      },
      "compliance service running",
    );

    let stopped: Promise<void> | undefined;
    return {
      config,
      setup,
      apiPort,
      metricsPort,
      bus,
      logger,
      metrics,
      provider,
      pauses,
      follower,
      decider,
      gateSync,
      onRamp,
      stop() {
        stopped ??= (async () => {
          metrics.up.set(0);
          await closeAll();
          logger.info({}, "compliance service stopped");
        })();
        return stopped;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
