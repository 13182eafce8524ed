// Shared building blocks of the dashboards: the datasource, the template variables, PromQL targets and
// panel factories. Everything here returns Foundation SDK builders; callers chain further options.
import * as bargauge from "@grafana/grafana-foundation-sdk/bargauge";
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as heatmap from "@grafana/grafana-foundation-sdk/heatmap";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";

/** The provisioned Prometheus datasource (grafana/provisioning/datasources/prometheus.yml). */
export const PROMETHEUS_DATASOURCE = { uid: "reserve-keeper-prometheus", name: "Prometheus" } as const;

/** What every panel and target points at: the dashboard's `datasource` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax, not a JS template.
export const DATASOURCE: common.DataSourceRef = { type: "prometheus", uid: "${datasource}" };

/** Tag shared by every reserve-keeper dashboard (the dashboards link to each other through it). */
export const KEEPER_TAG = "reserve-keeper";

/**
 * Reserve-ratio lines drawn on the ratio panels: the config defaults of `assets[].thresholds`
 * (keeper/config/schema.ts; test/grafana checks they still match). Assets configured with other
 * thresholds still get their own decisions; the lines are the defaults only.
 */
export const RATIO_THRESHOLDS_BPS = { warn: 10_100, pause: 10_000 } as const;

/** Label filters shared by the queries. */
export const ASSET = 'asset=~"$asset"';
export const CHAIN = 'chain=~"$chain"';

/** A Prometheus target on the datasource variable; range query unless `instant`. */
export function promTarget(
  refId: string,
  expr: string,
  legendFormat: string,
  opts: { instant?: boolean; format?: prometheus.PromQueryFormat } = {},
): prometheus.DataqueryBuilder {
  const target = new prometheus.DataqueryBuilder()
    .refId(refId)
    .datasource(DATASOURCE)
    .expr(expr)
    .legendFormat(legendFormat)
    .editorMode(prometheus.QueryEditorMode.Code);
  if (opts.instant) target.instant();
  else target.range();
  if (opts.format) target.format(opts.format);
  return target;
}

/** The three template variables of every dashboard: datasource, asset, chain. */
export function templateVariables(): cog.Builder<dashboard.VariableModel>[] {
  const labelValues = (metric: string, label: string) => `label_values(${metric}, ${label})`;
  const query = (name: string, label: string, metric: string, description: string) =>
    new dashboard.QueryVariableBuilder(name)
      .label(label)
      .description(description)
      .datasource(DATASOURCE)
      .query(labelValues(metric, name))
      .definition(labelValues(metric, name))
      .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
      .sort(dashboard.VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      .allValue(".*")
      .current({ selected: true, text: ["All"], value: ["$__all"] });
  return [
    new dashboard.DatasourceVariableBuilder("datasource")
      .label("Data source")
      .type("prometheus")
      .current({ selected: true, text: PROMETHEUS_DATASOURCE.name, value: PROMETHEUS_DATASOURCE.uid }),
    query("asset", "Asset", "keeper_decision_state", "Asset ids (the keeper's assets[].id)."),
    query("chain", "Chain", "keeper_head_block", "Chain ids (the `chain` label is the numeric chain id)."),
  ];
}

/** Links to every reserve-keeper dashboard, carrying the time range and the variables. */
export function keeperLinks(): cog.Builder<dashboard.DashboardLink>[] {
  return [
    new dashboard.DashboardLinkBuilder("Reserve keeper")
      .type(dashboard.DashboardLinkType.Dashboards)
      .tags([KEEPER_TAG])
      .asDropdown(false)
      .includeVars(true)
      .keepTime(true)
      .targetBlank(false),
  ];
}

/** Absolute thresholds from (base color, then [value, color] steps). */
export function thresholds(
  base: string,
  steps: readonly (readonly [number, string])[],
): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps([{ value: null, color: base }, ...steps.map(([value, color]) => ({ value, color }))]);
}

/** Thresholds colouring the reserve ratio: red below pause, orange below warn, green above. */
export function ratioThresholds(): dashboard.ThresholdsConfigBuilder {
  return thresholds("red", [
    [RATIO_THRESHOLDS_BPS.pause, "orange"],
    [RATIO_THRESHOLDS_BPS.warn, "green"],
  ]);
}

/** A value → text mapping (optionally coloured), plus "no data" for missing series. */
export function valueMappings(
  values: Record<string, { text: string; color: string }>,
): dashboard.ValueMapping[] {
  const options: Record<string, dashboard.ValueMappingResult> = {};
  Object.entries(values).forEach(([value, result], index) => {
    options[value] = { ...result, index };
  });
  return [
    { type: dashboard.MappingType.ValueToText, options },
    {
      type: dashboard.MappingType.SpecialValue,
      options: {
        match: dashboard.SpecialValueMatch.Null,
        result: { text: "no data", color: "text", index: Object.keys(values).length },
      },
    },
  ];
}

/** A fixed series colour, for field overrides. */
export function fixedColor(color: string): dashboard.DynamicConfigValue {
  return { id: "color", value: { mode: dashboard.FieldColorModeId.Fixed, fixedColor: color } };
}

type Size = { w: number; h: number };
type Common = Size & { title: string; description: string; targets: prometheus.DataqueryBuilder[] };

/** A time series panel with a visible legend and multi-series tooltip. */
export function timeseriesPanel(
  args: Common & { unit: string; legendCalcs?: string[] },
): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(args.title)
    .description(args.description)
    .datasource(DATASOURCE)
    .targets(args.targets)
    .span(args.w)
    .height(args.h)
    .unit(args.unit)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(args.legendCalcs ? common.LegendDisplayMode.Table : common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .calcs(args.legendCalcs ?? []),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    );
}

/** Draws the field thresholds on a time series panel (dashed lines and shaded areas). */
export function drawThresholds(): common.GraphThresholdsStyleConfigBuilder {
  return new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.DashedAndArea);
}

/** Stacks the series of a time series panel. */
export function stacked(): common.StackingConfigBuilder {
  return new common.StackingConfigBuilder().mode(common.StackingMode.Normal).group("A");
}

/** A stat panel showing the last value of each series, coloured as the background. */
export function statPanel(args: Common & { unit: string }): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(args.title)
    .description(args.description)
    .datasource(DATASOURCE)
    .targets(args.targets)
    .span(args.w)
    .height(args.h)
    .unit(args.unit)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Background)
    .textMode(common.BigValueTextMode.ValueAndName)
    .justifyMode(common.BigValueJustifyMode.Auto)
    .orientation(common.VizOrientation.Auto)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false));
}

/** A horizontal bar gauge of the last value of each series. */
export function barGaugePanel(args: Common & { unit: string }): bargauge.PanelBuilder {
  return new bargauge.PanelBuilder()
    .title(args.title)
    .description(args.description)
    .datasource(DATASOURCE)
    .targets(args.targets)
    .span(args.w)
    .height(args.h)
    .unit(args.unit)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .showUnfilled(true)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false));
}

/** A heatmap of a Prometheus histogram (`format: heatmap` over the `_bucket` series, `le` as buckets). */
export function histogramHeatmapPanel(args: Common & { unit: string }): heatmap.PanelBuilder {
  return new heatmap.PanelBuilder()
    .title(args.title)
    .description(args.description)
    .datasource(DATASOURCE)
    .targets(args.targets)
    .span(args.w)
    .height(args.h)
    .calculate(false)
    .rowsFrame(new heatmap.RowsHeatmapOptionsBuilder().layout(common.HeatmapCellLayout.Le))
    .yAxis(new heatmap.YAxisConfigBuilder().unit(args.unit).decimals(3))
    .cellValues(new heatmap.CellValuesBuilder().unit("short"))
    .color(
      new heatmap.HeatmapColorOptionsBuilder()
        .mode(heatmap.HeatmapColorMode.Scheme)
        .scheme("Oranges")
        .fill("dark-orange")
        .scale(heatmap.HeatmapColorScale.Exponential)
        .exponent(0.5)
        .steps(64)
        .reverse(false),
    )
    .filterValues(new heatmap.FilterValueRangeBuilder().le(1e-9))
    .showValue(common.VisibilityMode.Never)
    .cellGap(1)
    .showLegend()
    .tooltip(new heatmap.HeatmapTooltipBuilder().mode(common.TooltipDisplayMode.Single).yHistogram(true));
}

/** p50/p95/p99 targets of a Prometheus histogram, grouped by `by` (besides `le`). */
export function quantileTargets(bucket: string, filter: string, by: string[]): prometheus.DataqueryBuilder[] {
  const group = ["le", ...by].join(", ");
  const legend = by.length ? ` ${by.map((l) => `{{${l}}}`).join(" ")}` : "";
  return [0.5, 0.95, 0.99].map((q, i) =>
    promTarget(
      String.fromCharCode(65 + i),
      `histogram_quantile(${q}, sum by (${group}) (rate(${bucket}{${filter}}[$__rate_interval])))`,
      `p${Math.round(q * 100)}${legend}`,
    ),
  );
}

/** A panel builder the layout can number. */
export type NumberedPanel = cog.Builder<dashboard.Panel> & { id(id: number): unknown };

/** A titled row and the panels under it (left to right, wrapping at 24 columns). */
export type Section = { readonly title: string; readonly panels: readonly NumberedPanel[] };

/**
 * Adds expanded rows with their panels, numbering rows and panels 1, 2, …  Panels follow their row at
 * the top level: Grafana drops panels nested in a row unless the row is collapsed.
 */
export function addSections(builder: dashboard.DashboardBuilder, sections: readonly Section[]): void {
  let id = 1;
  for (const section of sections) {
    builder.withRow(new dashboard.RowBuilder(section.title).id(id++).collapsed(false));
    for (const panel of section.panels) {
      panel.id(id++);
      builder.withPanel(panel);
    }
  }
}

/** The settings every reserve-keeper dashboard shares. */
export function keeperDashboard(args: {
  uid: string;
  title: string;
  description: string;
  tags: string[];
}): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(args.title)
    .uid(args.uid)
    .description(args.description)
    .tags([KEEPER_TAG, ...args.tags])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .timezone("utc")
    .time({ from: "now-6h", to: "now" })
    .refresh("30s")
    .variables(templateVariables())
    .links(keeperLinks());
}
