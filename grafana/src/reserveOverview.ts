// "Reserve overview": is each asset backed, and is the keeper acting on it?
import * as common from "@grafana/grafana-foundation-sdk/common";
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import {
  ASSET,
  addSections,
  CHAIN,
  drawThresholds,
  fixedColor,
  keeperDashboard,
  promTarget,
  RATIO_THRESHOLDS_BPS,
  ratioThresholds,
  stacked,
  statPanel,
  thresholds,
  timeseriesPanel,
  valueMappings,
} from "./panels.ts";

export const RESERVE_OVERVIEW_UID = "reserve-keeper-overview";

/** Colours of the decision kinds (keeper_decision_state / keeper_decisions_total `decision` label). */
const DECISION_COLORS = {
  healthy: "green",
  warning: "orange",
  breach: "red",
  stale: "purple",
  unknown: "text",
} as const;

const BPS = "suffix: bps";

/** Builds the "Reserve overview" dashboard. */
export function buildReserveOverview(): dashboard.Dashboard {
  const builder = keeperDashboard({
    uid: RESERVE_OVERVIEW_UID,
    title: "Reserve overview",
    description:
      "Proof-of-Reserve per asset: reserves vs supply on every chain, reserve ratio against the warn/pause " +
      "thresholds, feed freshness, the keeper's decisions and the circuit breakers.",
    tags: ["proof-of-reserve"],
  });

  const ratioStat = statPanel({
    title: "Reserve ratio",
    description:
      `Reserves / supply across all chains (10000 bps = fully backed). Orange below ${RATIO_THRESHOLDS_BPS.warn} ` +
      `bps (warn), red below ${RATIO_THRESHOLDS_BPS.pause} bps (pause): the config defaults.`,
    w: 6,
    h: 5,
    unit: BPS,
    targets: [promTarget("A", `keeper_reserve_ratio_bps{${ASSET}}`, "{{asset}}", { instant: true })],
  })
    .decimals(0)
    .thresholds(ratioThresholds());

  const decisionStat = statPanel({
    title: "Current decision",
    description: "The decision kind the engine holds now for each asset (keeper_decision_state == 1).",
    w: 6,
    h: 5,
    unit: "none",
    targets: [
      promTarget("A", `keeper_decision_state{${ASSET}} == 1`, "{{asset}}: {{decision}}", { instant: true }),
    ],
  })
    .textMode(common.BigValueTextMode.Name)
    .thresholds(thresholds("text", []));
  for (const [kind, color] of Object.entries(DECISION_COLORS)) {
    decisionStat.overrideByRegexp(`.*: ${kind}$`, [fixedColor(color)]);
  }

  const breakerStat = statPanel({
    title: "Breakers",
    description: "ReserveCircuitBreaker of each asset on each chain (chain = chain id): active or paused.",
    w: 8,
    h: 5,
    unit: "none",
    targets: [
      promTarget(
        "A",
        `max by (asset, chain) (keeper_breaker_paused{${ASSET}, ${CHAIN}})`,
        "{{asset}} @ {{chain}}",
        {
          instant: true,
        },
      ),
    ],
  })
    .mappings(
      valueMappings({ "0": { text: "active", color: "green" }, "1": { text: "paused", color: "red" } }),
    )
    .thresholds(thresholds("green", [[1, "red"]]));

  const feedFreshnessStat = statPanel({
    title: "Feed age / heartbeat",
    description:
      "Age of the PoR feed's latest answer as a share of its heartbeat; at 100% the answer is stale.",
    w: 4,
    h: 5,
    unit: "percentunit",
    targets: [
      promTarget(
        "A",
        `keeper_feed_age_seconds{${ASSET}} / on (asset) keeper_feed_heartbeat_seconds{${ASSET}}`,
        "{{asset}}",
        { instant: true },
      ),
    ],
  })
    .decimals(0)
    .thresholds(
      thresholds("green", [
        [0.8, "orange"],
        [1, "red"],
      ]),
    );

  const reservesVsSupply = timeseriesPanel({
    title: "Reserves vs supply",
    description:
      "Reserves reported by the PoR feed against the asset's supply summed over every chain, in whole tokens.",
    w: 12,
    h: 9,
    unit: "short",
    legendCalcs: ["lastNotNull", "min"],
    targets: [
      promTarget("A", `sum by (asset) (keeper_reserves{${ASSET}})`, "reserves {{asset}}"),
      promTarget("B", `sum by (asset) (keeper_supply{${ASSET}})`, "supply {{asset}} (all chains)"),
    ],
  })
    .overrideByRegexp("^reserves .*", [fixedColor("green")])
    .overrideByRegexp("^supply .*", [fixedColor("blue")]);

  const supplyPerChain = timeseriesPanel({
    title: "Supply per chain",
    description:
      "Token supply on each chain (chain = chain id) plus cross-chain transfers in flight (burned on a " +
      "source chain, not yet minted on the destination), stacked; the top of the stack is the total the keeper compares with reserves.",
    w: 12,
    h: 9,
    unit: "short",
    legendCalcs: ["lastNotNull"],
    targets: [
      promTarget("A", `sum by (asset, chain) (keeper_supply{${ASSET}, ${CHAIN}})`, "{{asset}} @ {{chain}}"),
      promTarget("B", `sum by (asset) (keeper_supply_in_flight{${ASSET}})`, "{{asset}} in flight"),
    ],
  })
    .stacking(stacked())
    .fillOpacity(40);

  const ratio = timeseriesPanel({
    title: "Reserve ratio (bps)",
    description:
      "Reserves / supply across all chains in basis points, with each asset's configured warn and pause " +
      `thresholds (dashed, from keeper_ratio_threshold_bps). Background bands: the config defaults ` +
      `(warn ${RATIO_THRESHOLDS_BPS.warn}, pause ${RATIO_THRESHOLDS_BPS.pause} bps).`,
    w: 12,
    h: 9,
    unit: BPS,
    legendCalcs: ["lastNotNull", "min"],
    targets: [
      promTarget("A", `keeper_reserve_ratio_bps{${ASSET}}`, "{{asset}}"),
      promTarget("B", `keeper_ratio_threshold_bps{${ASSET}}`, "{{threshold}} {{asset}}"),
    ],
  })
    .decimals(0)
    .thresholds(ratioThresholds())
    .thresholdsStyle(drawThresholds())
    .overrideByQuery("B", [
      { id: "custom.lineStyle", value: { fill: "dash", dash: [10, 10] } },
      { id: "custom.fillOpacity", value: 0 },
    ]);

  const delta = timeseriesPanel({
    title: "Reserve delta",
    description: "Reserves minus supply across all chains, in whole tokens; below zero is a shortfall.",
    w: 12,
    h: 9,
    unit: "short",
    legendCalcs: ["lastNotNull", "min"],
    targets: [promTarget("A", `keeper_reserve_delta{${ASSET}}`, "{{asset}}")],
  })
    .thresholds(thresholds("red", [[0, "green"]]))
    .thresholdsStyle(drawThresholds());

  const feedAge = timeseriesPanel({
    title: "Feed age vs heartbeat",
    description:
      "Seconds since the PoR feed's latest updatedAt (solid) against its configured heartbeat + grace " +
      "(dashed): the feed is stale once the age crosses that line.",
    w: 12,
    h: 9,
    unit: "s",
    legendCalcs: ["lastNotNull", "max"],
    targets: [
      promTarget("A", `keeper_feed_age_seconds{${ASSET}}`, "age {{asset}}"),
      promTarget(
        "B",
        `keeper_feed_heartbeat_seconds{${ASSET}} + on (asset) keeper_feed_grace_seconds{${ASSET}}`,
        "heartbeat + grace {{asset}}",
      ),
    ],
  }).overrideByQuery("B", [
    { id: "custom.lineStyle", value: { fill: "dash", dash: [10, 10] } },
    { id: "custom.fillOpacity", value: 0 },
  ]);

  const decisions = timeseriesPanel({
    title: "Decisions by kind",
    description: "Decisions taken per second, by asset and kind (healthy, warning, breach, stale, unknown).",
    w: 12,
    h: 9,
    unit: "ops",
    targets: [
      promTarget(
        "A",
        `sum by (asset, decision) (rate(keeper_decisions_total{${ASSET}}[$__rate_interval]))`,
        "{{asset}}: {{decision}}",
      ),
    ],
  });
  for (const [kind, color] of Object.entries(DECISION_COLORS)) {
    decisions.overrideByRegexp(`.*: ${kind}$`, [fixedColor(color)]);
  }

  addSections(builder, [
    { title: "Now", panels: [ratioStat, decisionStat, breakerStat, feedFreshnessStat] },
    { title: "Reserves and supply", panels: [reservesVsSupply, supplyPerChain, ratio, delta] },
    { title: "Feed and decisions", panels: [feedAge, decisions] },
  ]);
  return builder.build();
}
