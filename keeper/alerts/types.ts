/**
 * Values inside keeper/alerts: the conditions an asset can be in, the notifications the lifecycle
 * emits and the sink port every destination (PagerDuty, Slack, signed webhook) implements.
 */

/**
 * What can be wrong with one asset. Each (asset, condition) pair is one alert with one stable
 * dedup key (`reserve-keeper/<asset>/<condition>`) and one lifecycle: trigger → (re-alert on
 * worsening) → resolve.
 */
export type AlertCondition =
  /** Reserves below the pause threshold (a breach decision, or a stale one whose last answer shows it). */
  | "shortfall"
  /** Reserves below the warn threshold (not opened while a shortfall alert is open). */
  | "ratio_low"
  /** The PoR feed's latest answer is older than heartbeat + grace. */
  | "feed_stale"
  /** The PoR feed's answer is unusable (<= 0 or from the future). */
  | "feed_invalid"
  /** A pause transaction failed on some chain (pause.failed). */
  | "pause_failed"
  /** The keeper paused the breaker, or found it already paused (pause.mined / pause.already_paused). */
  | "breaker_paused";

/** Every condition, in evaluation order (a covering condition before the ones it covers). */
export const ALERT_CONDITIONS: readonly AlertCondition[] = [
  "shortfall",
  "ratio_low",
  "feed_stale",
  "feed_invalid",
  "pause_failed",
  "breaker_paused",
];

/** PagerDuty Events v2 severities, also used to route notifications to sinks. */
export type AlertSeverity = "critical" | "error" | "warning" | "info";

/** Higher is more severe. */
export const SEVERITY_RANK: Readonly<Record<AlertSeverity, number>> = {
  info: 0,
  warning: 1,
  error: 2,
  critical: 3,
};

/** The severity each condition is reported with. */
export const CONDITION_SEVERITY: Readonly<Record<AlertCondition, AlertSeverity>> = {
  shortfall: "critical",
  pause_failed: "critical",
  feed_stale: "error",
  feed_invalid: "error",
  ratio_low: "warning",
  breaker_paused: "info",
};

/** The stable deduplication key of one (asset, condition) alert. */
export function dedupKeyOf(assetId: string, condition: AlertCondition): string {
  return `reserve-keeper/${assetId}/${condition}`;
}

/** JSON-safe values (bigints are rendered as decimal strings before they get here). */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * `new`: the condition started; `worsened`: re-alert of an open alert; `resolved`: it cleared.
 * (action is "trigger" for new and worsened, "resolve" for resolved.)
 */
export type AlertKind = "new" | "worsened" | "resolved";
export type AlertAction = "trigger" | "resolve";

/** One notification for every sink (each sink renders it in its own format). */
export type AlertNotification = {
  /** Unique per notification, the same across delivery retries (receivers deduplicate on it). */
  readonly id: string;
  readonly action: AlertAction;
  readonly kind: AlertKind;
  readonly dedupKey: string;
  readonly assetId: string;
  readonly condition: AlertCondition;
  readonly severity: AlertSeverity;
  /** One line for humans (at most 1024 characters). */
  readonly summary: string;
  /** When the lifecycle decided to notify, unix ms. */
  readonly createdAtMs: number;
  /** Machine-friendly facts, snake_case keys: ratio_bps, delta, reserves, supply, reasons, chain ids, … */
  readonly details: { readonly [key: string]: JsonValue };
};

/** Delivery settings of one sink (defaults in DEFAULT_DELIVERY). */
export type DeliveryOptions = {
  /** Notifications waiting per sink; beyond it the least severe, oldest one is dropped. */
  readonly queueCapacity: number;
  /** Per request (the whole exchange, body included), ms. */
  readonly timeoutMs: number;
  /** Attempts per notification, the first one included. */
  readonly maxAttempts: number;
  /** First retry delay, ms; doubles per attempt (with jitter). */
  readonly backoffBaseMs: number;
  /** Largest backoff delay, ms. */
  readonly backoffMaxMs: number;
  /** Largest Retry-After the sink may ask for, ms (longer values are clamped). */
  readonly maxRetryAfterMs: number;
};

export const DEFAULT_DELIVERY: DeliveryOptions = {
  queueCapacity: 100,
  timeoutMs: 10_000,
  maxAttempts: 10,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  maxRetryAfterMs: 300_000,
};

/**
 * A destination. `send` performs ONE attempt and resolves when the destination accepted the
 * notification; it rejects with a RetryableError (network, timeout, 429, 5xx; `retryAfterMs` when the
 * destination said so) or a NonRetryableError (any other rejection). Retries, queueing, timeouts
 * (through `signal`) and metrics belong to the delivery layer, not to the sink.
 */
export type AlertSink = {
  /** Unique among sinks; the only thing logs and metric labels show (never URLs or keys). */
  readonly name: string;
  /** Notifications below this severity are not sent to this sink. */
  readonly minSeverity: AlertSeverity;
  /** false: resolve notifications are not sent to this sink. */
  readonly supportsResolve: boolean;
  /** Overrides of DEFAULT_DELIVERY for this sink. */
  readonly delivery?: Partial<DeliveryOptions> | undefined;
  /** Secret strings (keys, URLs, URL parts) to scrub from anything logged about this sink. */
  readonly secrets: readonly string[];
  send(notification: AlertNotification, options: { readonly signal: AbortSignal }): Promise<void>;
};

/** Lifecycle thresholds (alerts.cooldownMs, … in the config). */
export type AlertPolicy = {
  /** Minimum time between two notifications that page for the same alert (new → worsened → worsened), ms. */
  readonly cooldownMs: number;
  /** A ratio alert re-alerts when the ratio fell by at least this many bps since its last notification. */
  readonly worsenBps: number;
  /** A stale-feed alert re-alerts when the feed aged by at least this many seconds since its last notification. */
  readonly staleWorsenSeconds: number;
  /**
   * A decision-driven alert resolves only after its condition has been clear for this long, ms; a
   * return inside the window continues the same alert (no new page). 0 = resolve at once.
   */
  readonly resolveAfterMs: number;
};

export const DEFAULT_ALERT_POLICY: AlertPolicy = {
  cooldownMs: 1_800_000,
  worsenBps: 50,
  staleWorsenSeconds: 3_600,
  resolveAfterMs: 120_000,
};
