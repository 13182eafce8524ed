// "CCTP transfers": are transfers going through (by route, version, speed), how long do attestations
// take, is anything held because an asset is paused, and (devnet) is the local attestation service keeping
// up? Metrics of keeper/cctp and keeper/consumers/cctp (keeper_cctp_*).
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import {
  ASSET,
  addSections,
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

export const CCTP_TRANSFERS_UID = "reserve-keeper-cctp";

/** Colours of the transfer outcomes (keeper_cctp_transfers_total `outcome` label). */
const OUTCOME_COLORS = { received: "green", already_received: "blue", failed: "red" } as const;

/** Builds the "CCTP transfers" dashboard. */
export function buildCctpTransfers(): dashboard.Dashboard {
  const builder = keeperDashboard({
    uid: CCTP_TRANSFERS_UID,
    title: "CCTP transfers",
    description:
      "The CCTP transfer service: transfers by route, version, speed and outcome, attestation wait, transfers " +
      "held while an asset is paused, and the devnet attestation service's seen / signed / pending messages.",
    tags: ["cctp"],
  });

  // --- Now -------------------------------------------------------------------------------------------
  const heldNow = statPanel({
    title: "Held transfers",
    description:
      "keeper_cctp_transfers_held: transfers waiting before their burn or receive because the asset's breaker " +
      "is paused on a chain. They resume in order after the M-of-N unpause.",
    w: 6,
    h: 5,
    unit: "none",
    targets: [
      promTarget("A", `sum by (asset) (keeper_cctp_transfers_held{${ASSET}})`, "{{asset}}", {
        instant: true,
      }),
    ],
  }).thresholds(thresholds("green", [[1, "orange"]]));

  const pausedNow = statPanel({
    title: "Asset paused (service view)",
    description: "keeper_cctp_asset_paused: 1 while the transfer service holds the asset as paused.",
    w: 6,
    h: 5,
    unit: "none",
    targets: [
      promTarget("A", `max by (asset) (keeper_cctp_asset_paused{${ASSET}})`, "{{asset}}", { instant: true }),
    ],
  })
    .mappings(
      valueMappings({ "0": { text: "moving", color: "green" }, "1": { text: "paused", color: "red" } }),
    )
    .thresholds(thresholds("green", [[1, "red"]]));

  const failedNow = statPanel({
    title: "Failed transfers (24h)",
    description: 'increase(keeper_cctp_transfers_total{outcome="failed"}[24h]) per asset.',
    w: 6,
    h: 5,
    unit: "none",
    targets: [
      promTarget(
        "A",
        `sum by (asset) (increase(keeper_cctp_transfers_total{${ASSET}, outcome="failed"}[24h]))`,
        "{{asset}}",
        { instant: true },
      ),
    ],
  }).thresholds(thresholds("green", [[1, "red"]]));

  const pendingNow = statPanel({
    title: "Pending attestations (devnet service)",
    description:
      "keeper_cctp_attestation_messages_pending: messages seen but not yet signed, per source domain.",
    w: 6,
    h: 5,
    unit: "none",
    targets: [
      promTarget("A", "sum by (domain) (keeper_cctp_attestation_messages_pending)", "domain {{domain}}", {
        instant: true,
      }),
    ],
  }).thresholds(thresholds("green", [[10, "orange"]]));

  // --- Transfers ---------------------------------------------------------------------------------------
  const byOutcome = timeseriesPanel({
    title: "Transfers by outcome",
    description:
      "rate(keeper_cctp_transfers_total) per asset and outcome (received, already_received, failed).",
    w: 12,
    h: 8,
    unit: "ops",
    targets: [
      promTarget(
        "A",
        `sum by (asset, outcome) (rate(keeper_cctp_transfers_total{${ASSET}}[$__rate_interval]))`,
        "{{asset}} {{outcome}}",
      ),
    ],
  }).stacking(stacked());
  for (const [outcome, color] of Object.entries(OUTCOME_COLORS)) {
    byOutcome.overrideByRegexp(`.* ${outcome}$`, [fixedColor(color)]);
  }

  const byRoute = timeseriesPanel({
    title: "Transfers by route, version and speed",
    description:
      "rate(keeper_cctp_transfers_total) per route (<source chain id>-<destination chain id>), CCTP version and speed.",
    w: 12,
    h: 8,
    unit: "ops",
    targets: [
      promTarget(
        "A",
        `sum by (route, version, speed) (rate(keeper_cctp_transfers_total{${ASSET}}[$__rate_interval]))`,
        "{{route}} v{{version}} {{speed}}",
      ),
    ],
  }).stacking(stacked());

  const held = timeseriesPanel({
    title: "Held transfers by stage",
    description:
      "keeper_cctp_transfers_held per asset and stage (burn: not burned yet; receive: attested, not received).",
    w: 12,
    h: 8,
    unit: "none",
    targets: [
      promTarget("A", `sum by (asset, stage) (keeper_cctp_transfers_held{${ASSET}})`, "{{asset}} {{stage}}"),
      promTarget("B", `max by (asset) (keeper_cctp_asset_paused{${ASSET}})`, "{{asset}} paused"),
    ],
  });

  // --- Attestations ------------------------------------------------------------------------------------
  const waitQuantiles = timeseriesPanel({
    title: "Attestation wait (p50 / p95 / p99)",
    description:
      "keeper_cctp_attestation_wait_seconds: burn receipt to a complete, verified attestation, by version and speed.",
    w: 12,
    h: 8,
    unit: "s",
    targets: quantileTargets("keeper_cctp_attestation_wait_seconds_bucket", "", ["version", "speed"]),
  });

  const waitHeatmap = histogramHeatmapPanel({
    title: "Attestation wait distribution",
    description: "keeper_cctp_attestation_wait_seconds buckets over time.",
    w: 12,
    h: 8,
    unit: "s",
    targets: [
      promTarget(
        "A",
        "sum by (le) (increase(keeper_cctp_attestation_wait_seconds_bucket[$__rate_interval]))",
        "{{le}}",
        { format: prometheus.PromQueryFormat.Heatmap },
      ),
    ],
  });

  const service = timeseriesPanel({
    title: "Devnet attestation service: seen and signed",
    description:
      "rate of keeper_cctp_attestation_messages_seen_total and keeper_cctp_attestation_messages_signed_total per source domain.",
    w: 12,
    h: 8,
    unit: "ops",
    targets: [
      promTarget(
        "A",
        "sum by (domain, version) (rate(keeper_cctp_attestation_messages_seen_total[$__rate_interval]))",
        "seen domain {{domain}} v{{version}}",
      ),
      promTarget(
        "B",
        "sum by (domain, speed) (rate(keeper_cctp_attestation_messages_signed_total[$__rate_interval]))",
        "signed domain {{domain}} {{speed}}",
      ),
    ],
  });

  const pending = timeseriesPanel({
    title: "Devnet attestation service: pending",
    description: "keeper_cctp_attestation_messages_pending per source domain.",
    w: 12,
    h: 8,
    unit: "none",
    targets: [
      promTarget("A", "sum by (domain) (keeper_cctp_attestation_messages_pending)", "domain {{domain}}"),
    ],
  });

  addSections(builder, [
    { title: "Now", panels: [heldNow, pausedNow, failedNow, pendingNow] },
    { title: "Transfers", panels: [byOutcome, byRoute, held] },
    { title: "Attestations", panels: [waitQuantiles, waitHeatmap, service, pending] },
  ]);
  return builder.build();
}
