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
    supplyInFlight: new Gauge({
      name: "keeper_supply_in_flight",
      help: "Cross-chain transfers in flight (burned on a source chain, not yet minted), in whole tokens; counted in supply.",
      labelNames: ["asset"] as const,
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
    // --- compliance service (keeper/consumers/compliance) ------------------------------------------
    complianceDecisionsTotal: new Counter({
      name: "keeper_compliance_decisions_total",
      help: "Compliance decisions, by asset, operation (mint, redeem, transfer) and outcome (allowed, refused).",
      labelNames: ["asset", "operation", "outcome"] as const,
      registers: [registry],
    }),
    complianceRefusalReasonsTotal: new Counter({
      name: "keeper_compliance_refusal_reasons_total",
      help: "Reasons of refused compliance decisions (one count per reason code of each refusal).",
      labelNames: ["asset", "operation", "reason"] as const,
      registers: [registry],
    }),
    complianceDecisionLatencySeconds: new Histogram({
      name: "keeper_compliance_decision_latency_seconds",
      help: "Time to take a compliance decision (provider lookup + rules + audit publish), by operation.",
      labelNames: ["operation"] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    complianceProviderErrorsTotal: new Counter({
      name: "keeper_compliance_provider_errors_total",
      help: "Failed KYC / qualified-party provider lookups, by provider and kind (timeout, network, http_5xx, http_4xx, invalid_response, error).",
      labelNames: ["provider", "kind"] as const,
      registers: [registry],
    }),
    complianceGateSyncWritesTotal: new Counter({
      name: "keeper_compliance_gate_sync_writes_total",
      help: "Mined ComplianceGate sync transactions, by change (records, clear_records, jurisdictions, min_tier, qp_threshold).",
      labelNames: ["asset", "chain", "change"] as const,
      registers: [registry],
    }),
    complianceGateSyncFailuresTotal: new Counter({
      name: "keeper_compliance_gate_sync_failures_total",
      help: "ComplianceGate sync passes that failed after their retries, per asset and chain.",
      labelNames: ["asset", "chain"] as const,
      registers: [registry],
    }),
    complianceGateSyncLastSuccessSeconds: new Gauge({
      name: "keeper_compliance_gate_sync_last_success_timestamp_seconds",
      help: "Unix time of the last ComplianceGate sync pass that left the gate equal to the desired state.",
      labelNames: ["asset", "chain"] as const,
      registers: [registry],
    }),
    complianceGateSyncPendingDifferences: new Gauge({
      name: "keeper_compliance_gate_sync_pending_differences",
      help: "Differences between the ComplianceGate and the desired state found by the last sync read.",
      labelNames: ["asset", "chain"] as const,
      registers: [registry],
    }),
    complianceAssetPaused: new Gauge({
      name: "keeper_compliance_asset_paused",
      help: "1 while the compliance service refuses the asset as paused (a breaker paused on any of its chains).",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    complianceOnrampOrdersTotal: new Counter({
      name: "keeper_compliance_onramp_orders_total",
      help: "On-ramp orders that reached a final status (minted, failed).",
      labelNames: ["asset", "status"] as const,
      registers: [registry],
    }),
    // --- custody service (keeper/consumers/custody) -----------------------------------------------
    custodyUp: new Gauge({
      name: "keeper_custody_up",
      help: "1 while the custody service runs (subscribed to the bus, polling its provider).",
      registers: [registry],
    }),
    custodyProviderUp: new Gauge({
      name: "keeper_custody_provider_up",
      help: "1 when the latest custodian report request succeeded (a malformed report counts as up), else 0.",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    custodyProviderErrorsTotal: new Counter({
      name: "keeper_custody_provider_errors_total",
      help: "Failed custodian report requests, by reason (timeout, network, http_429, http_5xx, file_unreadable, rejected, invalid_report).",
      labelNames: ["asset", "reason"] as const,
      registers: [registry],
    }),
    custodyReportValid: new Gauge({
      name: "keeper_custody_report_valid",
      help: "0 when the latest custodian report was rejected as malformed (or its asOf is in the future), else 1.",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    custodyReportAgeSeconds: new Gauge({
      name: "keeper_custody_report_age_seconds",
      help: "Seconds since the asOf of the last valid custodian report.",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    custodyReportMaxAgeSeconds: new Gauge({
      name: "keeper_custody_report_max_age_seconds",
      help: "Configured maximum custodian report age (custody.maxReportAgeSeconds), in seconds.",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    custodyReportedBalance: new Gauge({
      name: "keeper_custody_reported_balance",
      help: "Reserve balance of the last valid custodian report, in whole tokens.",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    custodySocExpirySeconds: new Gauge({
      name: "keeper_custody_soc_expiry_seconds",
      help: "Seconds until the custodian's SOC report expires (negative once expired).",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    custodySocWarnSeconds: new Gauge({
      name: "keeper_custody_soc_warn_seconds",
      help: "Configured warning window before the SOC report expires (custody.socWarnDays), in seconds.",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    custodyAttestationState: new Gauge({
      name: "keeper_custody_attestation_state",
      help: "1 for the last verification outcome of the attestation link (url, expected sha256), 0 for the other outcomes (verified, hash_mismatch, unreachable, too_large).",
      labelNames: ["asset", "url", "sha256", "outcome"] as const,
      registers: [registry],
    }),
    custodyAttestationChecksTotal: new Counter({
      name: "keeper_custody_attestation_checks_total",
      help: "Attestation document verifications, by outcome (verified, hash_mismatch, unreachable, too_large).",
      labelNames: ["asset", "outcome"] as const,
      registers: [registry],
    }),
    reserveSourcesDiffBps: new Gauge({
      name: "keeper_reserve_sources_diff_bps",
      help: "Difference between the custodian balance and the PoR answer, in bps of the larger (last comparable pair).",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    reserveSourcesToleranceBps: new Gauge({
      name: "keeper_reserve_sources_tolerance_bps",
      help: "Configured dual-source tolerance (custody.dualSource.toleranceBps), in bps.",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    reserveSourcesDisagree: new Gauge({
      name: "keeper_reserve_sources_disagree",
      help: "1 while the custodian balance and the PoR answer disagree beyond the tolerance, else 0.",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    reserveSourcesComparable: new Gauge({
      name: "keeper_reserve_sources_comparable",
      help: "1 when the last custodian report and PoR answer could be compared, 0 when not (as-of skew, answer <= 0).",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    // --- CCTP transfer service and devnet attestation service (keeper/cctp, keeper/consumers/cctp) ---
    cctpTransfersTotal: new Counter({
      name: "keeper_cctp_transfers_total",
      help: "CCTP transfers that ended, by asset, route (<source chain id>-<destination chain id>), version (1, 2), speed (fast, standard) and outcome (received, already_received, failed).",
      labelNames: ["asset", "route", "version", "speed", "outcome"] as const,
      registers: [registry],
    }),
    cctpAttestationWaitSeconds: new Histogram({
      name: "keeper_cctp_attestation_wait_seconds",
      help: "Time from the burn's receipt to a complete, verified attestation, by version and speed.",
      labelNames: ["version", "speed"] as const,
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 900, 1_200, 1_800, 3_600],
      registers: [registry],
    }),
    cctpTransfersHeld: new Gauge({
      name: "keeper_cctp_transfers_held",
      help: "CCTP transfers held because the asset's breaker is paused on a chain, by asset and stage (burn, receive).",
      labelNames: ["asset", "stage"] as const,
      registers: [registry],
    }),
    cctpAssetPaused: new Gauge({
      name: "keeper_cctp_asset_paused",
      help: "1 while the CCTP transfer service holds the asset as paused (its breaker is paused on any chain), else 0.",
      labelNames: ["asset"] as const,
      registers: [registry],
    }),
    cctpAttestationMessagesSeenTotal: new Counter({
      name: "keeper_cctp_attestation_messages_seen_total",
      help: "Devnet attestation service: MessageSent logs seen, by source domain and version.",
      labelNames: ["domain", "version"] as const,
      registers: [registry],
    }),
    cctpAttestationMessagesSignedTotal: new Counter({
      name: "keeper_cctp_attestation_messages_signed_total",
      help: "Devnet attestation service: messages attested, by source domain, version and speed (fast, standard).",
      labelNames: ["domain", "version", "speed"] as const,
      registers: [registry],
    }),
    cctpAttestationMessagesPending: new Gauge({
      name: "keeper_cctp_attestation_messages_pending",
      help: "Devnet attestation service: messages seen but not attested yet (pending_confirmations), by source domain.",
      labelNames: ["domain"] as const,
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
