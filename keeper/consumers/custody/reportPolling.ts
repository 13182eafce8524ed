/**
 * The custody service's report polling: fetches every asset's custodian report (CustodyProvider), applies
 * it (links, comparison, metrics), re-evaluates custody health and publishes custody.health when the
 * provider/report/soc state changed. A report listing a new attestation link starts a verification round.
 */
import { formatUnits } from "viem";
import type { BusPayload, CustodyHealthChanged } from "../../bus/types.ts";
import { KeeperError } from "../../internal/errors.ts";
import type { AttestationChecks } from "./attestationChecks.ts";
import type { DualSource } from "./dualSource.ts";
import { CustodyReportInvalidError, providerFailureReason } from "./errors.ts";
import { evaluateCustodyHealth } from "./health.ts";
import type { AssetState, CustodyServiceContext } from "./serviceContext.ts";
import type { CustodyProvider, CustodyReport } from "./types.ts";

export type ReportPolling = {
  /** Fetches every asset's report now; joins a poll already running. */
  pollNow(): Promise<void>;
  /** The poll running now, if any. */
  inProgress(): Promise<void> | undefined;
};

export type CreateReportPollingArgs = {
  readonly ctx: CustodyServiceContext;
  readonly provider: CustodyProvider;
  readonly attestationChecks: AttestationChecks;
  readonly dualSource: DualSource;
};

type FetchResult = { ok: true; report: CustodyReport } | { ok: false; error: unknown };

function wholeTokens(amount: bigint, decimals: number): number {
  return Number(formatUnits(amount, decimals));
}

/** Creates the report polling and health evaluation of one custody service. */
export function createReportPolling(args: CreateReportPollingArgs): ReportPolling {
  const { ctx, provider, attestationChecks, dualSource } = args;
  const { custody, metrics, log, now, assets } = ctx;
  let polling: Promise<void> | undefined;

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
    if (outcome.ok && outcome.report.asOf > t + custody.maxFutureSkewSeconds) {
      outcome = {
        ok: false,
        error: new CustodyReportInvalidError({
          assetId: a.id,
          field: "asOf",
          reason: `is ${outcome.report.asOf - t} s in the future (max ${custody.maxFutureSkewSeconds} s)`,
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
      attestationChecks.setLinks(a.id, "report", report.attestations);
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
      const p = dualSource.compareAsset(a);
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
      maxReportAgeSeconds: custody.maxReportAgeSeconds,
      socWarnSeconds: ctx.socWarnSeconds,
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
    await ctx.serial(async () => {
      const out: BusPayload[] = [];
      for (const [a, r] of results) out.push(...applyFetch(a, r));
      await ctx.publish(out);
    });
    // A report listing a new document: verify it now rather than at the next round.
    if (attestationChecks.linksAdded() && ctx.running && !ctx.stopping) {
      ctx
        .track(attestationChecks.verifyAttestationsNow())
        .catch((err) => log.error({ err }, "attestation verification failed"));
    }
  }

  return {
    pollNow() {
      polling ??= pollAll().finally(() => {
        polling = undefined;
      });
      return polling;
    },
    inProgress: () => polling,
  };
}
