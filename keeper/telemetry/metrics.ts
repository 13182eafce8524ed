import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Every metric the keeper exposes, declared once. Alerts (alerts/) and dashboards (grafana/) may only
 * use names listed in METRIC_NAMES; a test enforces it. Labels: asset = asset id, chain = chain id.
 */
export function createMetrics(registry: Registry = new Registry()) {
  const m = {
    registry,
    reserveRatioBps: new Gauge({
      name: "keeper_reserve_ratio_bps",
      help: "Reserves / supply across all chains, in basis points (10000 = fully backed).",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    reserveDelta: new Gauge({
      name: "keeper_reserve_delta",
      help: "Reserves minus supply across all chains, in whole tokens (negative = shortfall).",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    reserves: new Gauge({
      name: "keeper_reserves",
      help: "Reserves reported by the PoR feed, in whole tokens.",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    supply: new Gauge({
      name: "keeper_supply",
      help: "Token supply, in whole tokens, per chain.",
      labelNames: ["asset", "chain"] as const,
      registers: [registry],
    }),
    feedAgeSeconds: new Gauge({
      name: "keeper_feed_age_seconds",
      help: "Seconds since the PoR feed's latest updatedAt.",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    feedHeartbeatSeconds: new Gauge({
      name: "keeper_feed_heartbeat_seconds",
      help: "Configured heartbeat of the PoR feed, in seconds.",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    feedGraceSeconds: new Gauge({
      name: "keeper_feed_grace_seconds",
      help: "Configured grace after the heartbeat before the feed counts as stale, in seconds.",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    ratioThresholdBps: new Gauge({
      name: "keeper_ratio_threshold_bps",
      help: "Configured ratio thresholds of the asset, in bps (threshold = warn | pause).",
      labelNames: ["asset", "threshold"] as const,
      registers: [registry],
    }),
    breakerPaused: new Gauge({
      name: "keeper_breaker_paused",
      help: "1 when the asset's breaker on the chain is paused, else 0.",
      labelNames: ["asset", "chain"] as const,
      registers: [registry],
    }),
    decisionsTotal: new Counter({
      name: "keeper_decisions_total",
      help: "Decisions taken, by kind (healthy, warning, breach, stale, unknown).",
      labelNames: ["asset", "decision"] as const,
      registers: [registry],
    }),
    decisionState: new Gauge({
      name: "keeper_decision_state",
      help: "1 for the asset's current decision kind, 0 for the others.",
      labelNames: ["asset", "decision"] as const,
      registers: [registry],
    }),
    detectionLatencySeconds: new Histogram({
      name: "keeper_detection_latency_seconds",
      help: "Time from receiving a chain log to the decision it caused.",
      labelNames: ["asset"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    pauseTxTotal: new Counter({
      name: "keeper_pause_tx_total",
      help: "Pause actions by outcome (sent, replaced, mined, already_paused, failed, reverted).",
      labelNames: ["asset", "chain", "result"] as const,
      registers: [registry],
    }),
    pauseLatencySeconds: new Histogram({
      name: "keeper_pause_latency_seconds",
      help: "Time from the decision to the pause transaction being broadcast.",
      labelNames: ["asset", "chain"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    checkpointLagBlocks: new Gauge({
      name: "keeper_checkpoint_lag_blocks",
      help: "Head block minus the last checkpointed block, per chain.",
      labelNames: ["chain"] as const,
      registers: [registry],
    }),
    headBlock: new Gauge({
      name: "keeper_head_block",
      help: "Latest block number seen per chain.",
      labelNames: ["chain"] as const,
      registers: [registry],
    }),
    reorgsTotal: new Counter({
      name: "keeper_reorgs_total",
      help: "Chain reorganisations detected (parent-hash mismatch).",
      labelNames: ["chain"] as const,
      registers: [registry],
    }),
    rpcErrorsTotal: new Counter({
      name: "keeper_rpc_errors_total",
      help: "Failed JSON-RPC calls or subscriptions, per chain.",
      labelNames: ["chain"] as const,
      registers: [registry],
    }),
    wsConnected: new Gauge({
      name: "keeper_ws_connected",
      help: "1 while the chain's WebSocket subscription is live, 0 while on HTTP polling fallback.",
      labelNames: ["chain"] as const,
      registers: [registry],
    }),
    observationsTotal: new Counter({
      name: "keeper_observations_total",
      help: "Observations emitted by the sources, by type and source (event, reconcile, backfill).",
      labelNames: ["chain", "type", "source"] as const,
      registers: [registry],
    }),
    busPublishedTotal: new Counter({
      name: "keeper_bus_published_total",
      help: "Messages published on the bus, per topic.",
      labelNames: ["topic"] as const,
      registers: [registry],
    }),
    busPublishErrorsTotal: new Counter({
      name: "keeper_bus_publish_errors_total",
      help: "Failed bus publish attempts, per topic.",
      labelNames: ["topic"] as const,
      registers: [registry],
    }),
    alertsSentTotal: new Counter({
      name: "keeper_alerts_sent_total",
      help: "Alert notifications a sink accepted, by action (trigger, resolve).",
      labelNames: ["sink", "action"] as const,
      registers: [registry],
    }),
    alertsFailedTotal: new Counter({
      name: "keeper_alerts_failed_total",
      help: "Alert notifications given up on, by reason (rejected, retries_exhausted, dropped, closed, error).",
      labelNames: ["sink", "reason"] as const,
      registers: [registry],
    }),
    alertDeliveryErrorsTotal: new Counter({
      name: "keeper_alert_delivery_errors_total",
      help: "Failed alert delivery attempts, by reason (timeout, network, http_429, http_5xx, http_4xx, http_other, error).",
      labelNames: ["sink", "reason"] as const,
      registers: [registry],
    }),
    alertQueueDepth: new Gauge({
      name: "keeper_alert_queue_depth",
      help: "Alert notifications not yet delivered (queued + in flight), per sink.",
      labelNames: ["sink"] as const,
      registers: [registry],
    }),
    alertNotificationsTotal: new Counter({
      name: "keeper_alert_notifications_total",
      help: "Alert lifecycle notifications by kind (new, worsened, resolved).",
      labelNames: ["asset", "condition", "kind"] as const,
      registers: [registry],
    }),
    alertOpen: new Gauge({
      name: "keeper_alert_open",
      help: "1 while the asset's alert for the condition is open (and was sent), else 0.",
      labelNames: ["asset", "condition"] as const,
      registers: [registry],
    }),
    alertHandlerErrorsTotal: new Counter({
      name: "keeper_alert_handler_errors_total",
      help: "Internal errors the alert hooks swallowed instead of throwing into the keeper (bugs; logged).",
      registers: [registry],
    }),
    up: new Gauge({
      name: "keeper_up",
      help: "1 while the keeper runs and is ready.",
      registers: [registry],
    }),
  };
  return m;
}

export type KeeperMetrics = ReturnType<typeof createMetrics>;

/** The names alerts and dashboards may use (plus the _bucket/_sum/_count series of histograms). */
export const METRIC_NAMES: readonly string[] = Object.values(createMetrics())
  .filter((v): v is Gauge | Counter | Histogram => typeof v === "object" && v !== null && "name" in v)
  .map((v) => (v as unknown as { name: string }).name);
