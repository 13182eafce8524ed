import { NonRetryableError, RetryableError } from "../internal/errors.ts";

/**
 * Alert delivery errors (keeper/alerts). Messages name the sink only: never its URL, routing key or
 * secret, and never the raw cause (a fetch error may quote the URL).
 *
 * ```
 * RetryableError    AlertSinkUnavailableError  ALERT_SINK_UNAVAILABLE  network, timeout, 429, 5xx
 * NonRetryableError AlertRejectedError         ALERT_REJECTED          any other non-2xx answer
 * ```
 */

/** Why one delivery attempt failed (metric label `reason`). */
export type DeliveryFailureReason =
  | "timeout"
  | "network"
  | "http_429"
  | "http_5xx"
  | "http_4xx"
  | "http_other";

/** The sink could not take the notification now: retry with backoff (honouring retryAfterMs). */
export class AlertSinkUnavailableError extends RetryableError {
  declare readonly code: "ALERT_SINK_UNAVAILABLE";
  readonly reason: DeliveryFailureReason;
  readonly status: number | undefined;
  /** What the sink asked for (Retry-After), ms. */
  readonly retryAfterMs: number | undefined;
  constructor({
    sink,
    reason,
    status,
    retryAfterMs,
    errorCode,
  }: {
    sink: string;
    reason: DeliveryFailureReason;
    status?: number;
    retryAfterMs?: number;
    /** A system error code such as ECONNREFUSED (not the cause's message, which may quote the URL). */
    errorCode?: string;
  }) {
    const what = status === undefined ? reason : `HTTP ${status}`;
    super({
      shortMessage: `Alert sink ${sink} is unavailable (${what}).`,
      code: "ALERT_SINK_UNAVAILABLE",
      details: { sink, reason, status, retryAfterMs, errorCode },
    });
    this.reason = reason;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** The sink refused the notification (4xx other than 429, a redirect): retrying cannot help. */
export class AlertRejectedError extends NonRetryableError {
  declare readonly code: "ALERT_REJECTED";
  readonly reason: DeliveryFailureReason;
  readonly status: number;
  constructor({ sink, status, body }: { sink: string; status: number; body?: string }) {
    super({
      shortMessage: `Alert sink ${sink} rejected the notification with HTTP ${status}.`,
      code: "ALERT_REJECTED",
      details: { sink, status, body },
    });
    this.status = status;
    this.reason = status >= 400 && status < 500 ? "http_4xx" : "http_other";
  }
}
