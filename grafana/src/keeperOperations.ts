// "Keeper operations": is the keeper itself healthy — fast to detect, able to pause, in step with every
// chain, publishing to the bus?
import * as common from "@grafana/grafana-foundation-sdk/common";
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import {
  ASSET,
  addSections,
  barGaugePanel,
  CHAIN,
  fixedColor,
  histogramHeatmapPanel,
  keeperDashboard,
  promTarget,
  quantileTargets,
  stacked,
  statPanel,
  thresholds,
  timeseriesPanel,
  valueMappings,
} from "./panels.ts";

export const KEEPER_OPERATIONS_UID = "reserve-keeper-operations";

/** Colours of the pause-transaction outcomes (keeper_pause_tx_total `result` label). */
const PAUSE_RESULT_COLORS = {
  sent: "blue",
  replaced: "yellow",
  mined: "green",
  already_paused: "purple",
  failed: "red",
  reverted: "dark-red",
} as const;

const BLOCKS = "suffix: blocks";

/** Builds the "Keeper operations" dashboard. */
export function buildKeeperOperations(): dashboard.Dashboard {
  const builder = keeperDashboard({
    uid: KEEPER_OPERATIONS_UID,
    title: "Keeper operations",
    description:
      "Health of the keeper process: detection and pause latency, the pause transaction lifecycle, chain " +
      "heads, checkpoints, reorgs, RPC and WebSocket health, observations and bus publishing.",
    tags: ["operations"],
  });

  // --- Now -------------------------------------------------------------------------------------------
  const up = statPanel({
    title: "Keeper up",
    description: "keeper_up per scraped keeper instance: 1 while it runs and is ready.",
    w: 6,
    h: 5,
    unit: "none",
    targets: [promTarget("A", "keeper_up", "{{instance}}", { instant: true })],
  })
    .mappings(valueMappings({ "0": { text: "down", color: "red" }, "1": { text: "up", color: "green" } }))
    .thresholds(thresholds("red", [[1, "green"]]));

  const wsNow = statPanel({
    title: "Head subscription",
    description: "Per chain (chain id): live WebSocket subscription, or the HTTP polling fallback.",
    w: 6,
    h: 5,
    unit: "none",
    targets: [
      promTarget("A", `max by (chain) (keeper_ws_connected{${CHAIN}})`, "{{chain}}", { instant: true }),
    ],
  })
    .mappings(
      valueMappings({
        "0": { text: "HTTP polling", color: "orange" },
        "1": { text: "WebSocket", color: "green" },
      }),
    )
    .thresholds(thresholds("orange", [[1, "green"]]));

  const lagNow = statPanel({
    title: "Checkpoint lag",
    description:
      "Head block minus the last checkpointed block, per chain (chain id). Colours are hints: orange from 20 " +
      "blocks, red from 100; compare with the chain's confirmations.",
    w: 6,
    h: 5,
    unit: BLOCKS,
    targets: [
      promTarget("A", `max by (chain) (keeper_checkpoint_lag_blocks{${CHAIN}})`, "{{chain}}", {
        instant: true,
      }),
    ],
  })
    .decimals(0)
    .thresholds(
      thresholds("green", [
        [20, "orange"],
        [100, "red"],
      ]),
    );

  const pauseFailures = statPanel({
    title: "Failed pause transactions",
    description: "Pause actions that failed or reverted within the dashboard's time range.",
    w: 6,
    h: 5,
    unit: "none",
    targets: [
      promTarget(
        "A",
        `sum(increase(keeper_pause_tx_total{${ASSET}, ${CHAIN}, result=~"failed|reverted"}[$__range])) or vector(0)`,
        "failed or reverted",
        { instant: true },
      ),
    ],
  })
    .decimals(0)
    .thresholds(thresholds("green", [[1, "red"]]));

  // --- Detection and pause -----------------------------------------------------------------------------
  const detectionHeatmap = histogramHeatmapPanel({
    title: "Detection latency",
    description:
      "keeper_detection_latency_seconds: time from receiving a chain log to the decision it caused, as a " +
      "heatmap of histogram buckets (count per bucket per interval).",
    w: 12,
    h: 9,
    unit: "s",
    targets: [
      promTarget(
        "A",
        `sum by (le) (increase(keeper_detection_latency_seconds_bucket{${ASSET}}[$__rate_interval]))`,
        "{{le}}",
        { format: prometheus.PromQueryFormat.Heatmap },
      ),
    ],
  });

  const detectionQuantiles = timeseriesPanel({
    title: "Detection latency p50 / p95 / p99",
    description: "Quantiles of keeper_detection_latency_seconds over the selected assets.",
    w: 12,
    h: 9,
    unit: "s",
    legendCalcs: ["mean", "max"],
    targets: quantileTargets("keeper_detection_latency_seconds_bucket", ASSET, []),
  });

  const pauseTx = timeseriesPanel({
    title: "Pause transactions by result",
    description:
      "Pause actions per interval by outcome: sent, replaced (fee bump), mined, already_paused (success: " +
      "someone paused first), failed, reverted.",
    w: 8,
    h: 9,
    unit: "none",
    targets: [
      promTarget(
        "A",
        `sum by (result) (increase(keeper_pause_tx_total{${ASSET}, ${CHAIN}}[$__rate_interval]))`,
        "{{result}}",
      ),
    ],
  })
    .drawStyle(common.GraphDrawStyle.Bars)
    .fillOpacity(80)
    .stacking(stacked());
  for (const [result, color] of Object.entries(PAUSE_RESULT_COLORS))
    pauseTx.overrideByName(result, [fixedColor(color)]);

  const pauseTxTotals = barGaugePanel({
    title: "Pause lifecycle in range",
    description: "Pause actions per asset, chain and outcome within the dashboard's time range.",
    w: 8,
    h: 9,
    unit: "none",
    targets: [
      promTarget(
        "A",
        `sum by (asset, chain, result) (increase(keeper_pause_tx_total{${ASSET}, ${CHAIN}}[$__range])) > 0`,
        "{{asset}} @ {{chain}}: {{result}}",
        { instant: true },
      ),
    ],
  })
    .decimals(0)
    .thresholds(thresholds("blue", []));
  for (const [result, color] of Object.entries(PAUSE_RESULT_COLORS)) {
    pauseTxTotals.overrideByRegexp(`.*: ${result}$`, [fixedColor(color)]);
  }

  const pauseLatency = timeseriesPanel({
    title: "Pause latency p50 / p95 / p99",
    description:
      "keeper_pause_latency_seconds: time from the decision to the pause transaction being broadcast.",
    w: 8,
    h: 9,
    unit: "s",
    legendCalcs: ["mean", "max"],
    targets: quantileTargets("keeper_pause_latency_seconds_bucket", `${ASSET}, ${CHAIN}`, []),
  });

  // --- Chains ------------------------------------------------------------------------------------------
  const headBlock = timeseriesPanel({
    title: "Head block",
    description: "Latest block number seen per chain (chain id); a flat line is a stalled head.",
    w: 8,
    h: 8,
    unit: "none",
    legendCalcs: ["lastNotNull"],
    targets: [promTarget("A", `max by (chain) (keeper_head_block{${CHAIN}})`, "{{chain}}")],
  }).decimals(0);

  const lag = timeseriesPanel({
    title: "Checkpoint lag per chain",
    description: "Head block minus the last checkpointed block, per chain (chain id).",
    w: 8,
    h: 8,
    unit: BLOCKS,
    legendCalcs: ["lastNotNull", "max"],
    targets: [promTarget("A", `max by (chain) (keeper_checkpoint_lag_blocks{${CHAIN}})`, "{{chain}}")],
  }).decimals(0);

  const reorgs = timeseriesPanel({
    title: "Reorgs",
    description: "Chain reorganisations detected (parent-hash mismatch) per interval, per chain (chain id).",
    w: 8,
    h: 8,
    unit: "none",
    legendCalcs: ["sum"],
    targets: [
      promTarget(
        "A",
        `sum by (chain) (increase(keeper_reorgs_total{${CHAIN}}[$__rate_interval]))`,
        "{{chain}}",
      ),
    ],
  })
    .drawStyle(common.GraphDrawStyle.Bars)
    .fillOpacity(80);

  const rpcErrors = timeseriesPanel({
    title: "RPC errors",
    description: "Failed JSON-RPC calls or subscriptions per second, per chain (chain id).",
    w: 8,
    h: 8,
    unit: "ops",
    legendCalcs: ["mean", "max"],
    targets: [
      promTarget(
        "A",
        `sum by (chain) (rate(keeper_rpc_errors_total{${CHAIN}}[$__rate_interval]))`,
        "{{chain}}",
      ),
    ],
  });

  const ws = timeseriesPanel({
    title: "WebSocket connected",
    description: "1 while the chain's WebSocket subscription is live, 0 while on HTTP polling fallback.",
    w: 8,
    h: 8,
    unit: "none",
    targets: [promTarget("A", `max by (chain) (keeper_ws_connected{${CHAIN}})`, "{{chain}}")],
  })
    .lineInterpolation(common.LineInterpolation.StepAfter)
    .min(0)
    .max(1)
    .decimals(0)
    .mappings(
      valueMappings({
        "0": { text: "HTTP polling", color: "orange" },
        "1": { text: "WebSocket", color: "green" },
      }),
    );

  const observations = timeseriesPanel({
    title: "Observations by type and source",
    description:
      "Observations the sources emit per second, by type (reserve.observed, supply.observed, …) and source " +
      "(event, reconcile, backfill).",
    w: 8,
    h: 8,
    unit: "ops",
    targets: [
      promTarget(
        "A",
        `sum by (type, source) (rate(keeper_observations_total{${CHAIN}}[$__rate_interval]))`,
        "{{type}} ({{source}})",
      ),
    ],
  });

  // --- Bus ---------------------------------------------------------------------------------------------
  const published = timeseriesPanel({
    title: "Bus messages published",
    description: "Messages published on the bus (Kafka or in-process) per second, per topic.",
    w: 12,
    h: 8,
    unit: "ops",
    legendCalcs: ["mean", "max"],
    targets: [
      promTarget("A", "sum by (topic) (rate(keeper_bus_published_total[$__rate_interval]))", "{{topic}}"),
    ],
  });

  const publishErrors = timeseriesPanel({
    title: "Bus publish errors",
    description: "Failed publish attempts per second, per topic; the checkpoint does not advance past them.",
    w: 12,
    h: 8,
    unit: "ops",
    legendCalcs: ["mean", "max"],
    targets: [
      promTarget(
        "A",
        "sum by (topic) (rate(keeper_bus_publish_errors_total[$__rate_interval]))",
        "{{topic}}",
      ),
    ],
  });

  const alertPanel = (title: string, description: string, unit: string, expr: string, legend: string) =>
    timeseriesPanel({
      title,
      description,
      w: 8,
      h: 8,
      unit,
      legendCalcs: ["lastNotNull", "max"],
      targets: [promTarget("A", expr, legend)],
    });
  const alertsOpen = alertPanel(
    "Open alerts",
    "Alerts open per asset and condition (1 = open and sent to the sinks).",
    "short",
    `sum by (asset, condition) (keeper_alert_open{${ASSET}})`,
    "{{asset}} {{condition}}",
  );
  const alertNotifications = alertPanel(
    "Alert notifications",
    "Lifecycle notifications per asset, condition and kind (new, worsened, resolved).",
    "short",
    `sum by (asset, condition, kind) (increase(keeper_alert_notifications_total{${ASSET}}[$__rate_interval]))`,
    "{{asset}} {{condition}} {{kind}}",
  );
  const alertsSent = alertPanel(
    "Alerts delivered",
    "Notifications each sink accepted, by action (trigger, resolve).",
    "short",
    "sum by (sink, action) (increase(keeper_alerts_sent_total[$__rate_interval]))",
    "{{sink}} {{action}}",
  );
  const alertsFailed = alertPanel(
    "Alerts given up",
    "Notifications given up on (rejected, retries exhausted, dropped from a full queue, closed).",
    "short",
    "sum by (sink, reason) (increase(keeper_alerts_failed_total[$__rate_interval]))",
    "{{sink}} {{reason}}",
  );
  const alertErrors = alertPanel(
    "Alert delivery errors",
    "Failed delivery attempts (each retry counts), by reason; plus errors the alert hooks swallowed.",
    "short",
    "sum by (sink, reason) (increase(keeper_alert_delivery_errors_total[$__rate_interval])) or on () sum(increase(keeper_alert_handler_errors_total[$__rate_interval]))",
    "{{sink}} {{reason}}",
  );
  const alertQueue = alertPanel(
    "Alert queue depth",
    "Notifications not yet delivered (queued + in flight), per sink.",
    "short",
    "sum by (sink) (keeper_alert_queue_depth)",
    "{{sink}}",
  );

  addSections(builder, [
    { title: "Now", panels: [up, wsNow, lagNow, pauseFailures] },
    {
      title: "Detection and pause",
      panels: [detectionHeatmap, detectionQuantiles, pauseTx, pauseTxTotals, pauseLatency],
    },
    { title: "Chains and sources", panels: [headBlock, lag, reorgs, rpcErrors, ws, observations] },
    { title: "Bus", panels: [published, publishErrors] },
    {
      title: "Alert delivery",
      panels: [alertsOpen, alertNotifications, alertsSent, alertsFailed, alertErrors, alertQueue],
    },
  ]);
  return builder.build();
}
