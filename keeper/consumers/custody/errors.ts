import { NonRetryableError, RetryableError } from "../../internal/errors.ts";

/**
 * Custody service errors (keeper/consumers/custody). Messages name the provider kind and the asset,
 * never the provider URL or its token.
 *
 * ```
 * NonRetryableError CustodyReportInvalidError         CUSTODY_REPORT_INVALID         malformed report (names the field)
 * RetryableError    CustodyProviderUnavailableError   CUSTODY_PROVIDER_UNAVAILABLE   network, timeout, 429, 5xx, unreadable file
 * NonRetryableError CustodyProviderRejectedError      CUSTODY_PROVIDER_REJECTED      4xx, redirect, no report for the asset
 * ```
 */

/** Why a provider call failed (metric label `reason` of keeper_custody_provider_errors_total). */
export type ProviderFailureReason =
  | "timeout"
  | "network"
  | "http_429"
  | "http_5xx"
  | "file_unreadable"
  | "rejected"
  | "invalid_report";

/**
 * A custodian report that fails validation: `field` is a dotted path into the report
 * (`balance.amount`, `attestations.0.sha256`, `(json)` for a body that is not JSON). The report is
 * rejected as a whole.
 */
export class CustodyReportInvalidError extends NonRetryableError {
  declare readonly code: "CUSTODY_REPORT_INVALID";
  readonly field: string;
  readonly reason: string;
  constructor({
    assetId,
    field,
    reason,
    cause,
  }: { assetId: string; field: string; reason: string; cause?: unknown }) {
    super({
      shortMessage: `Custody report of ${assetId} field ${field} is invalid: ${reason}.`,
      code: "CUSTODY_REPORT_INVALID",
      details: { assetId, field },
      cause,
    });
    this.field = field;
    this.reason = reason;
  }
}

/** The provider could not answer now (network, timeout, 429, 5xx, unreadable file): retry later. */
export class CustodyProviderUnavailableError extends RetryableError {
  declare readonly code: "CUSTODY_PROVIDER_UNAVAILABLE";
  readonly reason: ProviderFailureReason;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  constructor({
    provider,
    assetId,
    reason,
    status,
    retryAfterMs,
    attempts,
    errorCode,
  }: {
    provider: string;
    assetId: string;
    reason: "timeout" | "network" | "http_429" | "http_5xx" | "file_unreadable";
    status?: number;
    retryAfterMs?: number;
    attempts?: number;
    /** A system error code such as ECONNREFUSED (never the cause's message: it may quote the URL). */
    errorCode?: string;
  }) {
    const what = status === undefined ? reason : `HTTP ${status}`;
    super({
      shortMessage: `Custody provider ${provider} is unavailable for ${assetId} (${what}).`,
      code: "CUSTODY_PROVIDER_UNAVAILABLE",
      details: { provider, assetId, reason, status, retryAfterMs, attempts, errorCode },
    });
    this.reason = reason;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The provider refused the request (4xx other than 429, a redirect, no report for the asset). */
export class CustodyProviderRejectedError extends NonRetryableError {
  declare readonly code: "CUSTODY_PROVIDER_REJECTED";
  readonly status: number | undefined;
  constructor({
    provider,
    assetId,
    reason,
    status,
  }: {
    provider: string;
    assetId: string;
    reason: string;
    status?: number;
  }) {
    super({
      shortMessage: `Custody provider ${provider} refused the report of ${assetId}: ${reason}.`,
      code: "CUSTODY_PROVIDER_REJECTED",
      details: { provider, assetId, status },
    });
    this.status = status;
  }
}

/** The metric/log reason of any provider failure. */
export function providerFailureReason(error: unknown): ProviderFailureReason {
  if (error instanceof CustodyProviderUnavailableError) return error.reason;
  if (error instanceof CustodyReportInvalidError) return "invalid_report";
  return "rejected";
}
