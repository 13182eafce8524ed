// "Compliance": what the compliance service decides (allowed / refused and why, how fast), whether its
// KYC provider answers, whether every ComplianceGate is in sync with the records, which assets it refuses
// as paused, and how on-ramp orders end. Metrics of keeper/consumers/compliance (keeper_compliance_*).
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import {
  ASSET,
  addSections,
  CHAIN,
  fixedColor,
  keeperDashboard,
  promTarget,
  quantileTargets,
  stacked,
  statPanel,
  thresholds,
  timeseriesPanel,
  valueMappings,
} from "./panels.ts";

export const COMPLIANCE_SERVICE_UID = "reserve-keeper-compliance";

/** Builds the "Compliance" dashboard. */
export function buildComplianceService(): dashboard.Dashboard {
  const builder = keeperDashboard({
    uid: COMPLIANCE_SERVICE_UID,
    title: "Compliance",
    description:
      "The compliance service: decisions by outcome and reason, decision latency, KYC provider errors, " +
      "ComplianceGate sync (writes, failures, pending differences, last success), assets refused as paused, " +
      "on-ramp orders.",
    tags: ["compliance"],
  });

  // --- Now -------------------------------------------------------------------------------------------
  const pausedNow = statPanel({
    title: "Refused as paused",
    description:
      "keeper_compliance_asset_paused: 1 while the service refuses every operation on the asset with " +
      "BREAKER_PAUSED (its breaker is paused on at least one chain).",
    w: 6,
    h: 5,
    unit: "none",
    targets: [
      promTarget("A", `max by (asset) (keeper_compliance_asset_paused{${ASSET}})`, "{{asset}}", {
        instant: true,
      }),
    ],
  })
    .mappings(
      valueMappings({ "0": { text: "serving", color: "green" }, "1": { text: "paused", color: "red" } }),
    )
    .thresholds(thresholds("green", [[1, "red"]]));

  const refusalShare = statPanel({
    title: "Refused (last 1h)",
    description: "Share of the decisions refused over the last hour, per asset.",
    w: 6,
    h: 5,
    unit: "percentunit",
    targets: [
      promTarget(
        "A",
        `sum by (asset) (increase(keeper_compliance_decisions_total{${ASSET}, outcome="refused"}[1h])) / ` +
          `sum by (asset) (increase(keeper_compliance_decisions_total{${ASSET}}[1h]))`,
        "{{asset}}",
        { instant: true },
      ),
    ],
  })
    .decimals(1)
    .thresholds(
      thresholds("green", [
        [0.2, "orange"],
        [0.5, "red"],
      ]),
    );

  const pendingNow = statPanel({
    title: "Gate differences pending",
    description:
      "keeper_compliance_gate_sync_pending_differences: differences between each ComplianceGate and the " +
      "desired state found by the last sync read (0 = in sync).",
    w: 6,
    h: 5,
    unit: "none",
    targets: [
      promTarget(
        "A",
        `max by (asset, chain) (keeper_compliance_gate_sync_pending_differences{${ASSET}, ${CHAIN}})`,
        "{{asset}} @ {{chain}}",
        { instant: true },
      ),
    ],
  }).thresholds(thresholds("green", [[1, "orange"]]));

  const lastSync = statPanel({
    title: "Since last gate sync",
    description:
      "Time since the last sync pass that left each gate equal to the desired state " +
      "(keeper_compliance_gate_sync_last_success_timestamp_seconds). ComplianceGateSyncStale fires after 2h.",
    w: 6,
    h: 5,
    unit: "s",
    targets: [
      promTarget(
        "A",
        `time() - max by (asset, chain) (keeper_compliance_gate_sync_last_success_timestamp_seconds{${ASSET}, ${CHAIN}})`,
        "{{asset}} @ {{chain}}",
        { instant: true },
      ),
    ],
  }).thresholds(
    thresholds("green", [
      [600, "orange"],
      [7200, "red"],
    ]),
  );

  // --- Decisions -------------------------------------------------------------------------------------
  const decisions = timeseriesPanel({
    title: "Decisions by outcome",
    description: "Compliance decisions per second, by asset, operation and outcome (allowed, refused).",
    w: 12,
    h: 8,
    unit: "reqps",
    legendCalcs: ["mean", "max"],
    targets: [
      promTarget(
        "A",
        `sum by (asset, operation, outcome) (rate(keeper_compliance_decisions_total{${ASSET}}[$__rate_interval]))`,
        "{{asset}} {{operation}} {{outcome}}",
      ),
    ],
  })
    .stacking(stacked())
    .overrideByRegexp(".* allowed$", [fixedColor("green")])
    .overrideByRegexp(".* refused$", [fixedColor("red")]);

  const reasons = timeseriesPanel({
    title: "Refusal reasons",
    description:
      "keeper_compliance_refusal_reasons_total: one count per reason code of each refusal (a refusal with " +
      "several reasons counts under each).",
    w: 12,
    h: 8,
    unit: "reqps",
    legendCalcs: ["mean", "max"],
    targets: [
      promTarget(
        "A",
        `sum by (asset, reason) (rate(keeper_compliance_refusal_reasons_total{${ASSET}}[$__rate_interval]))`,
        "{{asset}} {{reason}}",
      ),
    ],
  }).stacking(stacked());

  const latency = timeseriesPanel({
    title: "Decision latency",
    description:
      "keeper_compliance_decision_latency_seconds: KYC lookup + rules + audit publish, p50/p95/p99 by operation.",
    w: 12,
    h: 8,
    unit: "s",
    legendCalcs: ["mean", "max"],
    targets: quantileTargets("keeper_compliance_decision_latency_seconds_bucket", "", ["operation"]),
  });

  const providerErrors = timeseriesPanel({
    title: "KYC provider errors",
    description:
      "keeper_compliance_provider_errors_total by provider and kind; every failed lookup is a refusal with " +
      "PROVIDER_UNAVAILABLE (fail closed).",
    w: 12,
    h: 8,
    unit: "reqps",
    legendCalcs: ["max"],
    targets: [
      promTarget(
        "A",
        "sum by (provider, kind) (rate(keeper_compliance_provider_errors_total[$__rate_interval]))",
        "{{provider}} {{kind}}",
      ),
    ],
  });

  // --- Gate sync and on-ramp -------------------------------------------------------------------------
  const writes = timeseriesPanel({
    title: "Gate sync writes",
    description:
      "Mined ComplianceGate transactions by change (records, clear_records, jurisdictions, min_tier, " +
      "qp_threshold), per asset and chain.",
    w: 8,
    h: 8,
    unit: "short",
    legendCalcs: ["sum"],
    targets: [
      promTarget(
        "A",
        `sum by (asset, chain, change) (increase(keeper_compliance_gate_sync_writes_total{${ASSET}, ${CHAIN}}[$__rate_interval]))`,
        "{{asset}} @ {{chain}} {{change}}",
      ),
    ],
  }).stacking(stacked());

  const failures = timeseriesPanel({
    title: "Gate sync failures",
    description:
      "Sync passes that failed after their retries, per asset and chain (ComplianceGateSyncFailing).",
    w: 8,
    h: 8,
    unit: "short",
    legendCalcs: ["sum"],
    targets: [
      promTarget(
        "A",
        `sum by (asset, chain) (increase(keeper_compliance_gate_sync_failures_total{${ASSET}, ${CHAIN}}[$__rate_interval]))`,
        "{{asset}} @ {{chain}}",
      ),
    ],
  }).overrideByRegexp(".*", [fixedColor("red")]);

  const orders = timeseriesPanel({
    title: "On-ramp orders",
    description: "On-ramp orders that reached a final status (minted, failed), per asset.",
    w: 8,
    h: 8,
    unit: "short",
    legendCalcs: ["sum"],
    targets: [
      promTarget(
        "A",
        `sum by (asset, status) (increase(keeper_compliance_onramp_orders_total{${ASSET}}[$__rate_interval]))`,
        "{{asset}} {{status}}",
      ),
    ],
  })
    .overrideByRegexp(".* minted$", [fixedColor("green")])
    .overrideByRegexp(".* failed$", [fixedColor("red")]);

  addSections(builder, [
    { title: "Now", panels: [pausedNow, refusalShare, pendingNow, lastSync] },
    { title: "Decisions", panels: [decisions, reasons, latency, providerErrors] },
    { title: "Gate sync and on-ramp", panels: [writes, failures, orders] },
  ]);
  return builder.build();
}
