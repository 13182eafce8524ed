// "Custody": does the custodian confirm the reserves the PoR feed reports, are its reports fresh and
// its SOC report current, and are the published attestation documents still the ones published?
// Metrics of keeper/consumers/custody (keeper_custody_*, keeper_reserve_sources_*).
import * as common from "@grafana/grafana-foundation-sdk/common";
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import {
  ASSET,
  addSections,
  barGaugePanel,
  drawThresholds,
  fixedColor,
  keeperDashboard,
  promTarget,
  statPanel,
  thresholds,
  timeseriesPanel,
  valueMappings,
} from "./panels.ts";

export const CUSTODY_SERVICE_UID = "reserve-keeper-custody";

/** Colours of the attestation outcomes (keeper_custody_attestation_* `outcome` label). */
const OUTCOME_COLORS = {
  verified: "green",
  hash_mismatch: "red",
  unreachable: "orange",
  too_large: "purple",
} as const;

const BPS = "suffix: bps";

/** Builds the "Custody" dashboard. */
export function buildCustodyService(): dashboard.Dashboard {
  const builder = keeperDashboard({
    uid: CUSTODY_SERVICE_UID,
    title: "Custody",
    description:
      "The custody service: custodian-reported reserves against the PoR feed (dual-source check), custodian " +
      "report freshness and SOC report expiry, and the integrity of the published attestation documents.",
    tags: ["custody"],
  });

  // --- Now -------------------------------------------------------------------------------------------
  const serviceUp = statPanel({
    title: "Custody service",
    description: "keeper_custody_up per scraped custody instance: 1 while the service runs.",
    w: 4,
    h: 5,
    unit: "none",
    targets: [promTarget("A", "keeper_custody_up", "{{instance}}", { instant: true })],
  })
    .mappings(valueMappings({ "0": { text: "down", color: "red" }, "1": { text: "up", color: "green" } }))
    .thresholds(thresholds("red", [[1, "green"]]));

  const sourcesNow = statPanel({
    title: "Custodian vs PoR feed",
    description:
      "keeper_reserve_sources_disagree: whether the custodian balance and the PoR answer differ by more than " +
      "the tolerance (custody.dualSource.toleranceBps).",
    w: 5,
    h: 5,
    unit: "none",
    targets: [
      promTarget("A", `max by (asset) (keeper_reserve_sources_disagree{${ASSET}})`, "{{asset}}", {
        instant: true,
      }),
    ],
  })
    .mappings(
      valueMappings({ "0": { text: "agree", color: "green" }, "1": { text: "DISAGREE", color: "red" } }),
    )
    .thresholds(thresholds("green", [[1, "red"]]));

  const providerNow = statPanel({
    title: "Custodian reachable",
    description: "keeper_custody_provider_up: the latest custodian report request succeeded.",
    w: 5,
    h: 5,
    unit: "none",
    targets: [
      promTarget("A", `max by (asset) (keeper_custody_provider_up{${ASSET}})`, "{{asset}}", {
        instant: true,
      }),
    ],
  })
    .mappings(valueMappings({ "0": { text: "down", color: "red" }, "1": { text: "up", color: "green" } }))
    .thresholds(thresholds("red", [[1, "green"]]));

  const socNow = statPanel({
    title: "SOC report expires in",
    description:
      "keeper_custody_soc_expiry_seconds: time until the custodian's SOC report expires (red once expired, " +
      "orange inside 30 days).",
    w: 5,
    h: 5,
    unit: "s",
    targets: [
      promTarget("A", `min by (asset) (keeper_custody_soc_expiry_seconds{${ASSET}})`, "{{asset}}", {
        instant: true,
      }),
    ],
  }).thresholds(
    thresholds("red", [
      [0, "orange"],
      [30 * 86_400, "green"],
    ]),
  );

  const mismatchesNow = statPanel({
    title: "Changed documents",
    description:
      "Attestation links whose last verification found a different SHA-256 than published " +
      '(keeper_custody_attestation_state{outcome="hash_mismatch"}).',
    w: 5,
    h: 5,
    unit: "none",
    targets: [
      promTarget(
        "A",
        `sum(keeper_custody_attestation_state{${ASSET}, outcome="hash_mismatch"}) or vector(0)`,
        "hash mismatches",
        { instant: true },
      ),
    ],
  })
    .decimals(0)
    .thresholds(thresholds("green", [[1, "red"]]));

  // --- Dual-source reserves ----------------------------------------------------------------------------
  const diff = timeseriesPanel({
    title: "Custodian vs PoR difference (bps)",
    description:
      "keeper_reserve_sources_diff_bps: |custodian − PoR| in bps of the larger figure, against the configured " +
      "tolerance (keeper_reserve_sources_tolerance_bps, dashed).",
    w: 12,
    h: 9,
    unit: BPS,
    legendCalcs: ["lastNotNull", "max"],
    targets: [
      promTarget("A", `max by (asset) (keeper_reserve_sources_diff_bps{${ASSET}})`, "{{asset}}"),
      promTarget(
        "B",
        `max by (asset) (keeper_reserve_sources_tolerance_bps{${ASSET}})`,
        "{{asset}} tolerance",
      ),
    ],
  })
    .decimals(0)
    .overrideByRegexp(".* tolerance$", [
      { id: "custom.lineStyle", value: { fill: "dash", dash: [10, 10] } },
      fixedColor("orange"),
    ]);

  const balances = timeseriesPanel({
    title: "Custodian balance vs PoR reserves",
    description:
      "keeper_custody_reported_balance (the custodian's report) and keeper_reserves (the PoR feed), in whole tokens.",
    w: 12,
    h: 9,
    unit: "short",
    legendCalcs: ["lastNotNull"],
    targets: [
      promTarget("A", `max by (asset) (keeper_custody_reported_balance{${ASSET}})`, "{{asset}} custodian"),
      promTarget("B", `max by (asset) (keeper_reserves{${ASSET}})`, "{{asset}} PoR feed"),
    ],
  });

  const comparable = timeseriesPanel({
    title: "Comparison state",
    description:
      "keeper_reserve_sources_disagree (1 = disagree) and keeper_reserve_sources_comparable (0 = the as-of " +
      "times are too far apart or the PoR answer is not positive).",
    w: 24,
    h: 6,
    unit: "none",
    targets: [
      promTarget("A", `max by (asset) (keeper_reserve_sources_disagree{${ASSET}})`, "{{asset}} disagree"),
      promTarget("B", `max by (asset) (keeper_reserve_sources_comparable{${ASSET}})`, "{{asset}} comparable"),
    ],
  })
    .lineInterpolation(common.LineInterpolation.StepAfter)
    .min(0)
    .max(1)
    .decimals(0);

  // --- Custodian reports -------------------------------------------------------------------------------
  const reportAge = timeseriesPanel({
    title: "Report age",
    description:
      "keeper_custody_report_age_seconds: age of the last valid custodian report (asOf), against " +
      "custody.maxReportAgeSeconds (keeper_custody_report_max_age_seconds, dashed).",
    w: 8,
    h: 8,
    unit: "s",
    legendCalcs: ["lastNotNull", "max"],
    targets: [
      promTarget("A", `max by (asset) (keeper_custody_report_age_seconds{${ASSET}})`, "{{asset}}"),
      promTarget("B", `max by (asset) (keeper_custody_report_max_age_seconds{${ASSET}})`, "{{asset}} max"),
    ],
  }).overrideByRegexp(".* max$", [
    { id: "custom.lineStyle", value: { fill: "dash", dash: [10, 10] } },
    fixedColor("red"),
  ]);

  const providerErrors = timeseriesPanel({
    title: "Custodian request failures",
    description:
      "keeper_custody_provider_errors_total per interval by reason (timeout, network, http_429, http_5xx, " +
      "file_unreadable, rejected, invalid_report), and keeper_custody_report_valid (0 = latest report rejected).",
    w: 8,
    h: 8,
    unit: "short",
    legendCalcs: ["sum"],
    targets: [
      promTarget(
        "A",
        `sum by (asset, reason) (increase(keeper_custody_provider_errors_total{${ASSET}}[$__rate_interval]))`,
        "{{asset}} {{reason}}",
      ),
      promTarget("B", `min by (asset) (keeper_custody_report_valid{${ASSET}})`, "{{asset}} report valid"),
    ],
  });

  const soc = timeseriesPanel({
    title: "SOC report expiry",
    description:
      "keeper_custody_soc_expiry_seconds: time until the SOC report expires, against the warning window " +
      "(keeper_custody_soc_warn_seconds, dashed).",
    w: 8,
    h: 8,
    unit: "s",
    legendCalcs: ["lastNotNull"],
    targets: [
      promTarget("A", `min by (asset) (keeper_custody_soc_expiry_seconds{${ASSET}})`, "{{asset}}"),
      promTarget("B", `max by (asset) (keeper_custody_soc_warn_seconds{${ASSET}})`, "{{asset}} warn"),
    ],
  })
    .overrideByRegexp(".* warn$", [
      { id: "custom.lineStyle", value: { fill: "dash", dash: [10, 10] } },
      fixedColor("orange"),
    ])
    .thresholds(thresholds("red", [[0, "transparent"]]))
    .thresholdsStyle(drawThresholds());

  // --- Attestation links -------------------------------------------------------------------------------
  const links = barGaugePanel({
    title: "Attestation links: last outcome",
    description:
      "keeper_custody_attestation_state == 1: the last verification outcome of every link (asset, url), " +
      "coloured by outcome.",
    w: 14,
    h: 9,
    unit: "none",
    targets: [
      promTarget(
        "A",
        `max by (asset, url, outcome) (keeper_custody_attestation_state{${ASSET}}) == 1`,
        "{{asset}} {{url}}: {{outcome}}",
        { instant: true },
      ),
    ],
  })
    .decimals(0)
    .thresholds(thresholds("blue", []));
  for (const [outcome, color] of Object.entries(OUTCOME_COLORS)) {
    links.overrideByRegexp(`.*: ${outcome}$`, [fixedColor(color)]);
  }

  const checks = timeseriesPanel({
    title: "Verifications by outcome",
    description: "keeper_custody_attestation_checks_total per interval by outcome.",
    w: 10,
    h: 9,
    unit: "short",
    targets: [
      promTarget(
        "A",
        `sum by (outcome) (increase(keeper_custody_attestation_checks_total{${ASSET}}[$__rate_interval]))`,
        "{{outcome}}",
      ),
    ],
  })
    .drawStyle(common.GraphDrawStyle.Bars)
    .fillOpacity(80);
  for (const [outcome, color] of Object.entries(OUTCOME_COLORS))
    checks.overrideByName(outcome, [fixedColor(color)]);

  addSections(builder, [
    { title: "Now", panels: [serviceUp, sourcesNow, providerNow, socNow, mismatchesNow] },
    { title: "Dual-source reserves", panels: [diff, balances, comparable] },
    { title: "Custodian reports", panels: [reportAge, providerErrors, soc] },
    { title: "Attestation links", panels: [links, checks] },
  ]);
  return builder.build();
}
