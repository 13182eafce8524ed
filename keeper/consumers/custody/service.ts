/**
 * The custody service: polls each asset's custodian report (CustodyProvider), keeps the attestation link
 * registry and re-verifies every link, evaluates custody health, and compares the custodian balance with
 * the latest PoR answer from the bus (`reserve.observed`). Everything it finds goes to the bus, the logs
 * and the keeper's metrics; a disagreement can pause the asset's breakers (onDisagree: pause).
 *
 * This file composes the parts over one shared context (serviceContext.ts): report polling and health
 * (reportPolling.ts), attestation link verification (attestationChecks.ts) and the dual-source
 * comparison with the optional pause (dualSource.ts). State changes are serialised (one queue): bus
 * messages, poll results and verification results are applied one at a time, so a comparison always sees
 * one consistent (report, PoR answer) pair.
 */
import type { Bus, Subscription } from "../../bus/port.ts";
import type { KeeperConfig } from "../../config/schema.ts";
import { ConfigError, InvalidArgumentError } from "../../internal/errors.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { KeeperMetrics } from "../../telemetry/metrics.ts";
import { createAttestationChecks } from "./attestationChecks.ts";
import type { AttestationLinkState, FetchLike } from "./attestations.ts";
import { type CustodyConfig, checkCustodyReferences } from "./config.ts";
import { createDualSource } from "./dualSource.ts";
import { evaluateCustodyHealth } from "./health.ts";
import type { CustodyPauser } from "./pauser.ts";
import { createReportPolling } from "./reportPolling.ts";
import {
  type AttestationCheckResult,
  type CustodyAssetView,
  createCustodyServiceContext,
} from "./serviceContext.ts";
import type { CustodyProvider } from "./types.ts";

export type {
  AttestationCheckResult,
  ComparisonView,
  CustodyAssetView,
  PorAnswer,
} from "./serviceContext.ts";

export type CreateCustodyServiceArgs = {
  /** The keeper config; its `custody` section must be present. */
  readonly config: KeeperConfig;
  readonly bus: Bus;
  readonly provider: CustodyProvider;
  readonly logger: Logger;
  readonly metrics: KeeperMetrics;
  /** Required with custody.dualSource.onDisagree: pause (openCustodyPauser). */
  readonly pauser?: CustodyPauser | undefined;
  /** Attestation downloads (default global fetch). */
  readonly fetch?: FetchLike | undefined;
  /** Wall clock, unix seconds (tests inject one). */
  readonly now?: (() => bigint) | undefined;
  /** Consumer group of the observations subscription (default `<keeperId>.custody`). */
  readonly groupId?: string | undefined;
};

export type CustodyService = {
  /** Subscribes to the bus, polls every provider once, verifies every link once, then starts the timers. */
  start(): Promise<void>;
  /** Stops timers and the subscription, waits for work in progress (and pauses in flight). Idempotent. */
  stop(): Promise<void>;
  /** Fetches every asset's report now (what the poll timer does). */
  pollNow(): Promise<void>;
  /** Verifies every registered link now (what the verification timer does). */
  verifyAttestationsNow(): Promise<AttestationCheckResult[]>;
  /** Resolves when queued state changes and pauses in flight are done (tests). */
  idle(): Promise<void>;
  assets(): CustodyAssetView[];
  attestations(): AttestationLinkState[];
  isRunning(): boolean;
};

/** Creates the custody service (nothing runs before start()). */
export function createCustodyService(args: CreateCustodyServiceArgs): CustodyService {
  const { config, bus, provider, metrics } = args;
  const custody: CustodyConfig | undefined = config.custody;
  if (!custody) throw new InvalidArgumentError({ name: "config.custody", reason: "is not configured" });
  const problems = checkCustodyReferences(custody, config);
  if (problems.length > 0) throw new ConfigError({ problems });
  if (custody.dualSource.onDisagree === "pause" && !args.pauser) {
    throw new InvalidArgumentError({
      name: "pauser",
      reason: "is required with custody.dualSource.onDisagree pause",
    });
  }
  const ctx = createCustodyServiceContext({
    custody,
    bus,
    logger: args.logger,
    metrics,
    now: args.now,
  });
  const { log, now } = ctx;
  const attestationChecks = createAttestationChecks({ ctx, fetch: args.fetch });
  const dualSource = createDualSource({ ctx, pauser: args.pauser });
  const reportPolling = createReportPolling({ ctx, provider, attestationChecks, dualSource });
  const { pollNow } = reportPolling;
  const { verifyAttestationsNow } = attestationChecks;
  let subscription: Subscription | undefined;
  let pollTimer: ReturnType<typeof setInterval> | undefined;
  let verifyTimer: ReturnType<typeof setInterval> | undefined;

  return {
    async start() {
      if (ctx.running) {
        throw new InvalidArgumentError({ name: "custody service", reason: "is already started" });
      }
      ctx.running = true;
      for (const a of custody.assets) {
        attestationChecks.setLinks(a.id, "config", a.attestations);
        metrics.custodyReportMaxAgeSeconds.set({ asset: a.id }, Number(custody.maxReportAgeSeconds));
        metrics.custodySocWarnSeconds.set({ asset: a.id }, Number(ctx.socWarnSeconds));
        metrics.reserveSourcesToleranceBps.set({ asset: a.id }, Number(custody.dualSource.toleranceBps));
        metrics.reserveSourcesDisagree.set({ asset: a.id }, 0);
        metrics.custodyAttestationChecksTotal.inc({ asset: a.id, outcome: "hash_mismatch" }, 0);
        metrics.custodyProviderErrorsTotal.inc({ asset: a.id, reason: "network" }, 0);
      }
      subscription = await bus.subscribe({
        topics: ["observations"],
        groupId: args.groupId ?? `${config.keeperId}.custody`,
        fromBeginning: true,
        onMessage: (e) => ctx.serial(() => dualSource.onEnvelope(e)),
      });
      await pollNow();
      await verifyAttestationsNow();
      pollTimer = setInterval(() => {
        pollNow().catch((err) => log.error({ err }, "custody poll failed"));
      }, custody.pollIntervalMs);
      verifyTimer = setInterval(() => {
        verifyAttestationsNow().catch((err) => log.error({ err }, "attestation verification failed"));
      }, custody.attestations.verifyIntervalSeconds * 1_000);
      metrics.custodyUp.set(1);
      log.info(
        {
          assets: custody.assets.map((a) => a.id),
          provider: provider.kind,
          links: attestationChecks.links().length,
          on_disagree: custody.dualSource.onDisagree,
        },
        "custody service started",
      );
    },
    async stop() {
      if (ctx.stopping || !ctx.running) return;
      ctx.stopping = true;
      metrics.custodyUp.set(0);
      clearInterval(pollTimer);
      clearInterval(verifyTimer);
      await subscription?.close();
      await Promise.allSettled([
        reportPolling.inProgress(),
        attestationChecks.inProgress(),
        ctx.queueTail(),
        ...ctx.inflight(),
      ]);
      ctx.running = false;
      log.info("custody service stopped");
    },
    pollNow,
    verifyAttestationsNow,
    async idle() {
      await ctx.queueTail();
      await Promise.allSettled(ctx.inflight());
    },
    assets: () =>
      [...ctx.assets.values()].map((a) => ({
        assetId: a.id,
        report: a.report,
        health:
          a.health ??
          evaluateCustodyHealth({
            report: undefined,
            lastFetch: undefined,
            now: now(),
            maxReportAgeSeconds: custody.maxReportAgeSeconds,
            socWarnSeconds: ctx.socWarnSeconds,
          }),
        lastError: a.lastError,
        por: a.por,
        comparison: a.comparison,
        pause: a.pause,
      })),
    attestations: () => attestationChecks.links(),
    isRunning: () => ctx.running && !ctx.stopping,
  };
}
