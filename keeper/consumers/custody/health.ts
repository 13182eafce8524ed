import type { CustodyHealthView, CustodyReport, CustodyStatus, ReportState, SocState } from "./types.ts";

export const SECONDS_PER_DAY = 86_400n;

export type EvaluateCustodyHealthArgs = {
  /** The last valid report (kept when later ones fail or are rejected). */
  readonly report: CustodyReport | undefined;
  /** The latest provider call: succeeded with a valid report, failed (down), or returned a rejected report. */
  readonly lastFetch: "ok" | "unavailable" | "rejected" | "invalid" | undefined;
  /** Unix seconds. */
  readonly now: bigint;
  readonly maxReportAgeSeconds: bigint;
  /** Warn this long before the SOC report expires. */
  readonly socWarnSeconds: bigint;
};

const dur = (s: bigint) => {
  const a = s < 0n ? -s : s;
  if (a >= SECONDS_PER_DAY) return `${a / SECONDS_PER_DAY}d`;
  if (a >= 3_600n) return `${a / 3_600n}h`;
  if (a >= 60n) return `${a / 60n}m`;
  return `${a}s`;
};

/**
 * The custody health of one asset. Pure.
 *
 * - provider: `down` when the latest call failed after its retries (network, timeout, 429/5xx, an
 *   unreadable file) or the provider refused it (4xx, no report); a rejected (malformed) report still
 *   means the provider answered: `up`.
 * - report: `invalid` when the latest report was rejected; else `missing` without any valid report, `stale`
 *   when the last valid one's asOf is more than maxReportAgeSeconds old, else `fresh`.
 * - soc: from the last valid report: `expired` at or after expiresAt, `expiring` within socWarnSeconds of
 *   it, else `valid`; `missing` without a report.
 * - status: `unhealthy` when the provider is down, the report is not fresh or the SOC report expired;
 *   `warning` when the SOC report is expiring; else `healthy`.
 */
export function evaluateCustodyHealth(args: EvaluateCustodyHealthArgs): CustodyHealthView {
  const { report, lastFetch, now } = args;
  const reasons: string[] = [];
  const provider = lastFetch === "unavailable" || lastFetch === "rejected" ? "down" : "up";
  if (lastFetch === "unavailable") reasons.push("The custody provider did not answer (after retries).");
  if (lastFetch === "rejected") reasons.push("The custody provider refused the report request.");

  let reportState: ReportState;
  let reportAgeSeconds: bigint | undefined;
  if (report !== undefined) reportAgeSeconds = now - report.asOf;
  if (lastFetch === "invalid") {
    reportState = "invalid";
    reasons.push("The latest custody report was rejected as malformed.");
  } else if (report === undefined) {
    reportState = "missing";
    reasons.push("No valid custody report has been received yet.");
  } else if ((reportAgeSeconds ?? 0n) > args.maxReportAgeSeconds) {
    reportState = "stale";
    reasons.push(
      `The custody report is ${dur(reportAgeSeconds ?? 0n)} old (max ${dur(args.maxReportAgeSeconds)}).`,
    );
  } else {
    reportState = "fresh";
  }

  let soc: SocState;
  let socExpiresInSeconds: bigint | undefined;
  if (report === undefined) {
    soc = "missing";
  } else {
    socExpiresInSeconds = report.soc.expiresAt - now;
    if (socExpiresInSeconds <= 0n) {
      soc = "expired";
      reasons.push(`The ${report.soc.type} report expired ${dur(socExpiresInSeconds)} ago.`);
    } else if (socExpiresInSeconds <= args.socWarnSeconds) {
      soc = "expiring";
      reasons.push(`The ${report.soc.type} report expires in ${dur(socExpiresInSeconds)}.`);
    } else {
      soc = "valid";
    }
  }

  const status: CustodyStatus =
    provider === "down" || reportState !== "fresh" || soc === "expired"
      ? "unhealthy"
      : soc === "expiring"
        ? "warning"
        : "healthy";
  return {
    status,
    provider,
    report: reportState,
    soc,
    ...(reportAgeSeconds === undefined ? {} : { reportAgeSeconds }),
    ...(socExpiresInSeconds === undefined ? {} : { socExpiresInSeconds }),
    reasons,
  };
}
