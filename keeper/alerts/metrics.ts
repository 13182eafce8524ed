/**
 * The metrics keeper/alerts updates, as structural types: prom-client's Counter and Gauge fit them,
 * so keeper/telemetry/metrics.ts declares the real ones (names in ALERT_METRIC_NAMES) and passes
 * them in; tests pass recorders. Nothing here imports prom-client.
 */

type Labels<L extends string> = { readonly [K in L]: string };

export type CounterLike<L extends string> = { inc(labels: Labels<L>): void };
export type GaugeLike<L extends string> = { set(labels: Labels<L>, value: number): void };

export type AlertMetrics = {
  /** keeper_alerts_sent_total{sink, action}: notifications a sink accepted (2xx); action = trigger | resolve. */
  readonly alertsSentTotal: CounterLike<"sink" | "action">;
  /**
   * keeper_alerts_failed_total{sink, reason}: notifications given up on; reason = rejected (4xx other
   * than 429, redirect, a sink bug), retries_exhausted, dropped (queue full), closed (shutdown with it
   * pending), error (an internal bug in delivery).
   */
  readonly alertsFailedTotal: CounterLike<"sink" | "reason">;
  /**
   * keeper_alert_delivery_errors_total{sink, reason}: every failed attempt; reason = timeout, network,
   * http_429, http_5xx, http_4xx, http_other, error (a sink bug).
   */
  readonly alertDeliveryErrorsTotal: CounterLike<"sink" | "reason">;
  /** keeper_alert_queue_depth{sink}: notifications not yet delivered (queued + in flight). */
  readonly alertQueueDepth: GaugeLike<"sink">;
  /** keeper_alert_notifications_total{asset, condition, kind}: lifecycle notifications; kind = new | worsened | resolved. */
  readonly alertNotificationsTotal: CounterLike<"asset" | "condition" | "kind">;
  /** keeper_alert_open{asset, condition}: 1 while an alert is open and was sent, else 0. */
  readonly alertOpen: GaugeLike<"asset" | "condition">;
  /** keeper_alert_handler_errors_total: onDecision/onPauseEvent swallowed an internal error (a bug; logged). */
  readonly alertHandlerErrorsTotal: { inc(): void };
};

/** The Prometheus names, for keeper/telemetry/metrics.ts (and METRIC_NAMES). */
export const ALERT_METRIC_NAMES = {
  alertsSentTotal: "keeper_alerts_sent_total",
  alertsFailedTotal: "keeper_alerts_failed_total",
  alertDeliveryErrorsTotal: "keeper_alert_delivery_errors_total",
  alertQueueDepth: "keeper_alert_queue_depth",
  alertNotificationsTotal: "keeper_alert_notifications_total",
  alertOpen: "keeper_alert_open",
  alertHandlerErrorsTotal: "keeper_alert_handler_errors_total",
} as const satisfies Record<keyof AlertMetrics, string>;

const noop = { inc() {}, set() {} };

/** Metrics that go nowhere. */
export const noopAlertMetrics: AlertMetrics = {
  alertsSentTotal: noop,
  alertsFailedTotal: noop,
  alertDeliveryErrorsTotal: noop,
  alertQueueDepth: noop,
  alertNotificationsTotal: noop,
  alertOpen: noop,
  alertHandlerErrorsTotal: noop,
};
