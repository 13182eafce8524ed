/**
 * The custody service: polls each asset's custodian report (CustodyProvider), keeps the attestation link
 * registry and re-verifies every link, evaluates custody health, and compares the custodian balance with
 * the latest PoR answer from the bus (`reserve.observed`). Everything it finds goes to the bus, the logs
 * and the keeper's metrics; a disagreement can pause the asset's breakers (onDisagree: pause).
 *
 * State changes are serialised (one queue): bus messages, poll results and verification results are
 * applied one at a time, so a comparison always sees one consistent (report, PoR answer) pair.
 */
import { formatUnits } from "viem";
import type { PauseResult } from "../../actions/pauseExecutor.ts";
import type { Bus, Subscription } from "../../bus/port.ts";
import { messageIdOf } from "../../bus/routing.ts";
import type {
  BusPayload,
  CustodyAttestationChecked,
  CustodyHealthChanged,
  Envelope,
  ReserveSourcesAgree,
  ReserveSourcesDisagree,
  ReserveSourcesNotComparable,
} from "../../bus/types.ts";
import type { KeeperConfig } from "../../config/schema.ts";
import { CANONICAL_DECIMALS, normalizeAmount } from "../../engine/normalize.ts";
import {
  ConfigError,
  InvalidArgumentError,
  isRetryable,
  KeeperError,
  UnhandledVariantError,
} from "../../internal/errors.ts";
import type { Logger } from "../../telemetry/logger.ts";
import type { KeeperMetrics } from "../../telemetry/metrics.ts";
import {
  type AttestationLinkState,
  createAttestationRegistry,
  type FetchLike,
  linkKey,
  verifyAttestation,
} from "./attestations.ts";
import { compareReserves } from "./compare.ts";
import { type CustodyConfig, checkCustodyReferences } from "./config.ts";
import { CustodyReportInvalidError, providerFailureReason } from "./errors.ts";
import { evaluateCustodyHealth, SECONDS_PER_DAY } from "./health.ts";
import type { CustodyPauser } from "./pauser.ts";
import {
  ATTESTATION_OUTCOMES,
  type AttestationLink,
  type CustodyHealthView,
  type CustodyProvider,
  type CustodyReport,
  type ReserveComparison,
} from "./types.ts";

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

/** The latest PoR answer of an asset, from reserve.observed. */
export type PorAnswer = {
  readonly answer: bigint;
  readonly feedDecimals: number;
  readonly updatedAt: bigint;
  readonly roundId: bigint;
  readonly chainId: number;
  readonly blockHash: string;
};

/** The last comparison of an asset, with the inputs it used. */
export type ComparisonView = ReserveComparison & {
  readonly comparedAt: bigint;
  readonly custodianAsOf: bigint;
  readonly porUpdatedAt: bigint;
  readonly porRoundId: bigint;
};

/** What /v1/custody shows about one asset. */
export type CustodyAssetView = {
  readonly assetId: string;
  readonly report: CustodyReport | undefined;
  readonly health: CustodyHealthView;
  readonly lastError: { readonly code: string; readonly message: string; readonly at: bigint } | undefined;
  readonly por: PorAnswer | undefined;
  readonly comparison: ComparisonView | undefined;
  readonly pause:
    | { readonly state: "pausing" | "paused" | "failed"; readonly decisionId: string; readonly at: bigint }
    | undefined;
};

/** One verification (what verifyAttestationsNow returns and publishes). */
export type AttestationCheckResult = CustodyAttestationChecked;

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

type AssetState = {
  readonly id: string;
  report: CustodyReport | undefined;
  lastFetch: "ok" | "unavailable" | "rejected" | "invalid" | undefined;
  lastError: CustodyAssetView["lastError"];
  health: CustodyHealthView | undefined;
  /** provider/report/soc of the last published custody.health. */
  publishedHealth: string | undefined;
  por: PorAnswer | undefined;
  comparison: ComparisonView | undefined;
  /** State of the last published reserve.sources_* message. */
  publishedComparison: string | undefined;
  /** A pause was done (or is running) for the current disagreement. */
  pausedThisEpisode: boolean;
  retryPause: boolean;
  pausing: boolean;
  pause: CustodyAssetView["pause"];
};

const systemNow = () => BigInt(Math.floor(Date.now() / 1000));
const VERIFY_CONCURRENCY = 4;

function wholeTokens(amount: bigint, decimals: number): number {
  return Number(formatUnits(amount, decimals));
}

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
  const now = args.now ?? systemNow;
  const log = args.logger.child({ component: "custody" });
  const registry = createAttestationRegistry();
  const socWarnSeconds = BigInt(custody.socWarnDays) * SECONDS_PER_DAY;
  const verifyInterval = BigInt(custody.attestations.verifyIntervalSeconds);
  const assets = new Map<string, AssetState>(
    custody.assets.map((a) => [
      a.id,
      {
        id: a.id,
        report: undefined,
        lastFetch: undefined,
        lastError: undefined,
        health: undefined,
        publishedHealth: undefined,
        por: undefined,
        comparison: undefined,
        publishedComparison: undefined,
        pausedThisEpisode: false,
        retryPause: false,
        pausing: false,
        pause: undefined,
      },
    ]),
  );
  let running = false;
  let stopping = false;
  let subscription: Subscription | undefined;
  let pollTimer: ReturnType<typeof setInterval> | undefined;
  let verifyTimer: ReturnType<typeof setInterval> | undefined;
  let polling: Promise<void> | undefined;
  let verifying: Promise<AttestationCheckResult[]> | undefined;
  const inflight = new Set<Promise<unknown>>();
  let chain: Promise<void> = Promise.resolve();

  /** Runs `fn` after every state change queued before it. */
  function serial<T>(fn: () => T | Promise<T>): Promise<T> {
    const next = chain.then(fn);
    chain = next.then(
      () => {},
      () => {},
    );
    return next;
  }

  function track<T>(p: Promise<T>): Promise<T> {
    inflight.add(p);
    p.finally(() => inflight.delete(p)).catch(() => {});
    return p;
  }

  async function publish(payloads: readonly BusPayload[]): Promise<void> {
    if (payloads.length === 0) return;
    for (let attempt = 1; ; attempt++) {
      try {
        await bus.publish(payloads.map((payload) => ({ payload })));
        return;
      } catch (err) {
        if (!isRetryable(err) || attempt >= 5 || stopping) {
          log.error({ err, types: payloads.map((p) => p.type) }, "custody publish failed");
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 5_000)));
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Attestation links
  // ---------------------------------------------------------------------------------------------

  function clearLinkMetrics(link: AttestationLink): void {
    for (const outcome of ATTESTATION_OUTCOMES) {
      metrics.custodyAttestationState.remove({
        asset: link.assetId,
        url: link.url,
        sha256: link.sha256,
        outcome,
      });
    }
  }

  /** Links added since the last verification round (verified at the end of the poll that found them). */
  let linksAdded = false;

  function setLinks(assetId: string, source: "config" | "report", docs: CustodyReport["attestations"]): void {
    const before = new Set(registry.links().map(linkKey));
    for (const removed of registry.setLinks(assetId, source, docs)) clearLinkMetrics(removed);
    if (registry.links().some((l) => !before.has(linkKey(l)))) linksAdded = true;
  }

  async function verifyOne(link: AttestationLinkState): Promise<AttestationCheckResult> {
    const v = await verifyAttestation({
      url: link.url,
      expectedSha256: link.sha256,
      timeoutMs: custody!.attestations.timeoutMs,
      maxBytes: custody!.attestations.maxBytes,
      fetch: args.fetch,
    });
    const checkedAt = now();
    return {
      type: "custody.attestation_checked",
      assetId: link.assetId,
      url: link.url,
      auditor: link.auditor,
      periodStart: link.period.start,
      periodEnd: link.period.end,
      source: link.source,
      outcome: v.outcome,
      expectedSha256: link.sha256,
      ...(v.actualSha256 === undefined ? {} : { actualSha256: v.actualSha256 }),
      ...(v.bytes === undefined ? {} : { bytes: v.bytes }),
      ...(v.httpStatus === undefined ? {} : { httpStatus: v.httpStatus }),
      ...(v.detail === undefined ? {} : { detail: v.detail.slice(0, 500) }),
      checkedAt,
      bucket: checkedAt / verifyInterval,
    };
  }

  function recordCheck(check: AttestationCheckResult): void {
    const link: AttestationLink = {
      assetId: check.assetId,
      url: check.url,
      sha256: check.expectedSha256,
      auditor: check.auditor,
      period: { start: check.periodStart, end: check.periodEnd },
      source: check.source,
    };
    const previous = registry.lastOutcome(link);
    const recorded = registry.record(link, {
      outcome: check.outcome,
      actualSha256: check.actualSha256,
      bytes: check.bytes,
      httpStatus: check.httpStatus,
      detail: check.detail,
      checkedAt: check.checkedAt,
    });
    // Removed while it was being fetched (a newer report dropped it): no series for it any more.
    if (!recorded) return;
    for (const outcome of ATTESTATION_OUTCOMES) {
      metrics.custodyAttestationState.set(
        { asset: check.assetId, url: check.url, sha256: check.expectedSha256, outcome },
        outcome === check.outcome ? 1 : 0,
      );
    }
    metrics.custodyAttestationChecksTotal.inc({ asset: check.assetId, outcome: check.outcome });
    const fields = {
      asset: check.assetId,
      url: check.url,
      auditor: check.auditor,
      source: check.source,
      outcome: check.outcome,
      previous_outcome: previous,
      sha256_expected: check.expectedSha256,
      sha256_actual: check.actualSha256,
      http_status: check.httpStatus,
      bytes: check.bytes,
      detail: check.detail,
    };
    switch (check.outcome) {
      case "verified":
        log.info(fields, "attestation verified");
        break;
      case "hash_mismatch":
        log.error(fields, "attestation hash mismatched: the published document changed");
        break;
      case "unreachable":
        log.warn(fields, "attestation was unreachable");
        break;
      case "too_large":
        log.warn(fields, "attestation exceeded the size cap");
        break;
      default:
        throw new UnhandledVariantError({
          subject: "attestation outcome",
          value: check.outcome satisfies never,
        });
    }
  }

  async function verifyAll(): Promise<AttestationCheckResult[]> {
    linksAdded = false;
    const links = registry.links();
    const results: AttestationCheckResult[] = [];
    let next = 0;
    const worker = async () => {
      while (next < links.length) {
        const link = links[next++]!;
        results.push(await verifyOne(link));
      }
    };
    await Promise.all(Array.from({ length: Math.min(VERIFY_CONCURRENCY, links.length) }, worker));
    await serial(async () => {
      for (const r of results) recordCheck(r);
      await publish(results);
    });
    return results;
  }

  // ---------------------------------------------------------------------------------------------
  // Reports and health
  // ---------------------------------------------------------------------------------------------

  type FetchResult = { ok: true; report: CustodyReport } | { ok: false; error: unknown };

  async function fetchReport(assetId: string): Promise<FetchResult> {
    try {
      return { ok: true, report: await provider.getReport(assetId) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  function applyFetch(a: AssetState, result: FetchResult): BusPayload[] {
    const t = now();
    const out: BusPayload[] = [];
    let outcome: FetchResult = result;
    if (outcome.ok && outcome.report.asOf > t + custody!.maxFutureSkewSeconds) {
      outcome = {
        ok: false,
        error: new CustodyReportInvalidError({
          assetId: a.id,
          field: "asOf",
          reason: `is ${outcome.report.asOf - t} s in the future (max ${custody!.maxFutureSkewSeconds} s)`,
        }),
      };
    }
    if (outcome.ok) {
      const report = outcome.report;
      const first = a.report === undefined;
      const changed =
        first || report.asOf !== a.report?.asOf || report.balance.amount !== a.report?.balance.amount;
      a.report = report;
      a.lastFetch = "ok";
      a.lastError = undefined;
      metrics.custodyProviderUp.set({ asset: a.id }, 1);
      metrics.custodyReportValid.set({ asset: a.id }, 1);
      metrics.custodyReportedBalance.set(
        { asset: a.id },
        wholeTokens(report.balance.amount, report.balance.decimals),
      );
      setLinks(a.id, "report", report.attestations);
      if (changed) {
        log.info(
          {
            asset: a.id,
            custodian: report.custodian,
            balance: report.balance.amount,
            decimals: report.balance.decimals,
            as_of: report.asOf,
            soc_expires_at: report.soc.expiresAt,
            attestations: report.attestations.length,
          },
          "custody report received",
        );
      }
      const p = compareAsset(a);
      if (p) out.push(p);
    } else {
      const error = outcome.error;
      const reason = providerFailureReason(error);
      a.lastFetch =
        reason === "invalid_report" ? "invalid" : reason === "rejected" ? "rejected" : "unavailable";
      const code = error instanceof KeeperError ? error.code : "UNKNOWN";
      const message = error instanceof KeeperError ? error.shortMessage : "The custody provider call failed.";
      a.lastError = { code, message, at: t };
      metrics.custodyProviderErrorsTotal.inc({ asset: a.id, reason });
      metrics.custodyProviderUp.set({ asset: a.id }, a.lastFetch === "invalid" ? 1 : 0);
      metrics.custodyReportValid.set({ asset: a.id }, a.lastFetch === "invalid" ? 0 : 1);
      log.warn({ asset: a.id, provider: provider.kind, reason, err: error }, "custody report request failed");
    }
    const h = evaluate(a, t);
    if (h) out.push(h);
    return out;
  }

  /** Re-evaluates health; returns a custody.health payload when provider/report/soc changed. */
  function evaluate(a: AssetState, t: bigint): CustodyHealthChanged | undefined {
    const health = evaluateCustodyHealth({
      report: a.report,
      lastFetch: a.lastFetch,
      now: t,
      maxReportAgeSeconds: custody!.maxReportAgeSeconds,
      socWarnSeconds,
    });
    a.health = health;
    if (health.reportAgeSeconds !== undefined)
      metrics.custodyReportAgeSeconds.set({ asset: a.id }, Number(health.reportAgeSeconds));
    if (health.socExpiresInSeconds !== undefined)
      metrics.custodySocExpirySeconds.set({ asset: a.id }, Number(health.socExpiresInSeconds));
    const key = `${health.provider}/${health.report}/${health.soc}`;
    if (key === a.publishedHealth) return undefined;
    const previous = a.publishedHealth;
    a.publishedHealth = key;
    (health.status === "healthy" ? log.info.bind(log) : log.warn.bind(log))(
      { asset: a.id, status: health.status, state: key, previous, reasons: health.reasons },
      "custody health changed",
    );
    return {
      type: "custody.health",
      assetId: a.id,
      status: health.status,
      provider: health.provider,
      report: health.report,
      soc: health.soc,
      ...(a.report
        ? {
            custodian: a.report.custodian,
            reportAsOf: a.report.asOf,
            reportAgeSeconds: health.reportAgeSeconds,
            socExpiresAt: a.report.soc.expiresAt,
          }
        : {}),
      reasons: health.reasons.map((r) => r.slice(0, 500)).slice(0, 10),
      checkedAt: t,
    };
  }

  async function pollAll(): Promise<void> {
    const results = await Promise.all(
      [...assets.values()].map(async (a) => [a, await fetchReport(a.id)] as const),
    );
    await serial(async () => {
      const out: BusPayload[] = [];
      for (const [a, r] of results) out.push(...applyFetch(a, r));
      await publish(out);
    });
    // A report listing a new document: verify it now rather than at the next round.
    if (linksAdded && running && !stopping) {
      track(verifyAttestationsNow()).catch((err) => log.error({ err }, "attestation verification failed"));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Dual-source comparison
  // ---------------------------------------------------------------------------------------------

  /** Compares the asset's report with its PoR answer; returns a message when the state changed. */
  function compareAsset(a: AssetState): BusPayload | undefined {
    const report = a.report;
    const por = a.por;
    if (!report || !por) return undefined;
    const { toleranceBps, maxAsOfSkewSeconds, onDisagree } = custody!.dualSource;
    const c = compareReserves({
      custodian: { amount: report.balance.amount, decimals: report.balance.decimals, asOf: report.asOf },
      por: { amount: por.answer, decimals: por.feedDecimals, asOf: por.updatedAt },
      toleranceBps,
      maxAsOfSkewSeconds,
    });
    const comparedAt = now();
    a.comparison = {
      ...c,
      comparedAt,
      custodianAsOf: report.asOf,
      porUpdatedAt: por.updatedAt,
      porRoundId: por.roundId,
    };
    let payload: ReserveSourcesAgree | ReserveSourcesDisagree | ReserveSourcesNotComparable;
    let state: string;
    switch (c.type) {
      case "agree":
      case "disagree": {
        metrics.reserveSourcesComparable.set({ asset: a.id }, 1);
        metrics.reserveSourcesDiffBps.set({ asset: a.id }, Number(c.diffBps));
        metrics.reserveSourcesDisagree.set({ asset: a.id }, c.type === "disagree" ? 1 : 0);
        const figures = {
          assetId: a.id,
          custodian: report.custodian,
          decimals: c.decimals,
          custodianAmount: c.custodianAmount,
          porAmount: c.porAmount,
          difference: c.difference,
          diffBps: c.diffBps,
          toleranceBps: c.toleranceBps,
          direction: c.direction,
          custodianAsOf: report.asOf,
          porUpdatedAt: por.updatedAt,
          porRoundId: por.roundId,
          porChainId: por.chainId,
          comparedAt,
        };
        payload =
          c.type === "agree"
            ? { type: "reserve.sources_agree", ...figures }
            : { type: "reserve.sources_disagree", ...figures, action: onDisagree };
        state = c.type === "agree" ? "agree" : `disagree/${c.direction}`;
        break;
      }
      case "not_comparable":
        metrics.reserveSourcesComparable.set({ asset: a.id }, 0);
        payload = {
          type: "reserve.sources_not_comparable",
          assetId: a.id,
          reason: c.reason,
          custodianAsOf: report.asOf,
          porUpdatedAt: por.updatedAt,
          porRoundId: por.roundId,
          skewSeconds: c.skewSeconds,
          maxAsOfSkewSeconds: c.maxAsOfSkewSeconds,
          comparedAt,
        };
        state = `not_comparable/${c.reason}`;
        break;
      default:
        throw new UnhandledVariantError({ subject: "reserve comparison", value: c satisfies never });
    }
    if (c.type === "agree") {
      a.pausedThisEpisode = false;
      a.retryPause = false;
    }
    if (payload.type === "reserve.sources_disagree") maybePause(a, payload);
    if (state === a.publishedComparison) return undefined;
    const previous = a.publishedComparison;
    a.publishedComparison = state;
    const fields = {
      asset: a.id,
      state,
      previous,
      ...(c.type === "not_comparable"
        ? { reason: c.reason, skew_seconds: c.skewSeconds, max_skew_seconds: c.maxAsOfSkewSeconds }
        : {
            diff_bps: c.diffBps,
            tolerance_bps: c.toleranceBps,
            custodian_amount: c.custodianAmount,
            por_amount: c.porAmount,
            decimals: c.decimals,
          }),
      custodian_as_of: report.asOf,
      por_updated_at: por.updatedAt,
    };
    if (c.type === "disagree") log.error(fields, "reserve sources disagreed");
    else if (c.type === "agree") log.info(fields, "reserve sources agreed");
    else log.warn(fields, "reserve sources were not comparable");
    return payload;
  }

  function maybePause(a: AssetState, payload: ReserveSourcesDisagree): void {
    const { onDisagree, pauseOn } = custody!.dualSource;
    if (onDisagree !== "pause" || !args.pauser || stopping) return;
    if (pauseOn === "custodian_below" && payload.direction !== "custodian_below") return;
    if (a.pausing || (a.pausedThisEpisode && !a.retryPause)) return;
    const pauser = args.pauser;
    const decisionId = messageIdOf(payload);
    const lower = payload.direction === "custodian_below" ? payload.custodianAmount : payload.porAmount;
    a.pausing = true;
    a.pausedThisEpisode = true;
    a.retryPause = false;
    a.pause = { state: "pausing", decisionId, at: now() };
    log.warn({ asset: a.id, decision_id: decisionId, diff_bps: payload.diffBps }, "custody pause requested");
    track(
      pauser
        .pause({
          assetId: a.id,
          decisionId,
          reason: `custody sources_disagree: custodian ${payload.direction.replace("custodian_", "")} PoR by ${payload.diffBps} bps (tolerance ${payload.toleranceBps})`,
          observedReserves: normalizeAmount(lower, payload.decimals, CANONICAL_DECIMALS),
        })
        .then((results: PauseResult[]) => {
          const failed = results.some((r) => r.outcome === "failed");
          a.retryPause = failed;
          a.pause = { state: failed ? "failed" : "paused", decisionId, at: now() };
          for (const r of results) {
            log[r.outcome === "failed" ? "error" : "info"](
              {
                asset: a.id,
                chain: r.chainId,
                outcome: r.outcome,
                tx_hash: r.txHash,
                block: r.blockNumber,
                err: r.error,
              },
              "custody pause finished",
            );
          }
        })
        .catch((err: unknown) => {
          a.retryPause = true;
          a.pause = { state: "failed", decisionId, at: now() };
          log.error({ err, asset: a.id }, "custody pause failed");
        })
        .finally(() => {
          a.pausing = false;
        }),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Bus
  // ---------------------------------------------------------------------------------------------

  async function onEnvelope(e: Envelope): Promise<void> {
    switch (e.type) {
      case "reserve.observed": {
        const p = e.payload;
        const a = assets.get(p.assetId);
        if (!a) return;
        const cur = a.por;
        const newer =
          cur === undefined ||
          p.roundId > cur.roundId ||
          (p.roundId === cur.roundId && p.updatedAt > cur.updatedAt);
        if (!newer) return;
        a.por = {
          answer: p.answer,
          feedDecimals: p.feedDecimals,
          updatedAt: p.updatedAt,
          roundId: p.roundId,
          chainId: p.chainId,
          blockHash: p.block.hash,
        };
        const out = compareAsset(a);
        if (out) await publish([out]);
        return;
      }
      case "block.reorged": {
        const dropped = new Set(e.payload.dropped.map((b) => b.hash));
        for (const a of assets.values()) {
          if (a.por && a.por.chainId === e.payload.chainId && dropped.has(a.por.blockHash as `0x${string}`)) {
            log.info({ asset: a.id, chain: a.por.chainId }, "custody forgot a reorged PoR answer");
            a.por = undefined;
          }
        }
        return;
      }
      default:
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle
  // ---------------------------------------------------------------------------------------------

  function pollNow(): Promise<void> {
    polling ??= pollAll().finally(() => {
      polling = undefined;
    });
    return polling;
  }

  function verifyAttestationsNow(): Promise<AttestationCheckResult[]> {
    verifying ??= verifyAll().finally(() => {
      verifying = undefined;
    });
    return verifying;
  }

  return {
    async start() {
      if (running) throw new InvalidArgumentError({ name: "custody service", reason: "is already started" });
      running = true;
      for (const a of custody.assets) {
        setLinks(a.id, "config", a.attestations);
        metrics.custodyReportMaxAgeSeconds.set({ asset: a.id }, Number(custody.maxReportAgeSeconds));
        metrics.custodySocWarnSeconds.set({ asset: a.id }, Number(socWarnSeconds));
        metrics.reserveSourcesToleranceBps.set({ asset: a.id }, Number(custody.dualSource.toleranceBps));
        metrics.reserveSourcesDisagree.set({ asset: a.id }, 0);
        metrics.custodyAttestationChecksTotal.inc({ asset: a.id, outcome: "hash_mismatch" }, 0);
        metrics.custodyProviderErrorsTotal.inc({ asset: a.id, reason: "network" }, 0);
      }
      subscription = await bus.subscribe({
        topics: ["observations"],
        groupId: args.groupId ?? `${config.keeperId}.custody`,
        fromBeginning: true,
        onMessage: (e) => serial(() => onEnvelope(e)),
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
          links: registry.links().length,
          on_disagree: custody.dualSource.onDisagree,
        },
        "custody service started",
      );
    },
    async stop() {
      if (stopping || !running) return;
      stopping = true;
      metrics.custodyUp.set(0);
      clearInterval(pollTimer);
      clearInterval(verifyTimer);
      await subscription?.close();
      await Promise.allSettled([polling, verifying, chain, ...inflight]);
      running = false;
      log.info("custody service stopped");
    },
    pollNow,
    verifyAttestationsNow,
    async idle() {
      await chain;
      await Promise.allSettled([...inflight]);
    },
    assets: () =>
      [...assets.values()].map((a) => ({
        assetId: a.id,
        report: a.report,
        health:
          a.health ??
          evaluateCustodyHealth({
            report: undefined,
            lastFetch: undefined,
            now: now(),
            maxReportAgeSeconds: custody.maxReportAgeSeconds,
            socWarnSeconds,
          }),
        lastError: a.lastError,
        por: a.por,
        comparison: a.comparison,
        pause: a.pause,
      })),
    attestations: () => registry.links(),
    isRunning: () => running && !stopping,
  };
}
