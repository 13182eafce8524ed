// The generated dashboards: no drift from grafana/src, only declared metric names, unique ids, every panel
// on the datasource variable, provisioning in step with the dashboards.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { Histogram } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { buildDashboards } from "../../grafana/src/dashboards.ts";
import { DASHBOARDS_DIR, findDrift, renderDashboards } from "../../grafana/src/generate.ts";
import { DATASOURCE, PROMETHEUS_DATASOURCE, RATIO_THRESHOLDS_BPS } from "../../grafana/src/panels.ts";
import { metricNamesIn, metricNamesInVariableQuery } from "../../grafana/src/promqlMetricNames.ts";
import { stableJson } from "../../grafana/src/stableJson.ts";
import { parseConfig } from "../../keeper/config/load.ts";
import { validConfigInput } from "../../keeper/config/testFixtures.ts";
import { createMetrics, METRIC_NAMES } from "../../keeper/telemetry/metrics.ts";

const ROOT = join(import.meta.dirname, "..", "..");

type AnyPanel = dashboard.Panel | dashboard.RowPanel;
type Target = { expr?: string; refId?: string; datasource?: unknown };

/** Every panel of a dashboard, rows and panels nested in collapsed rows included. */
function panelsOf(d: dashboard.Dashboard): AnyPanel[] {
  const out: AnyPanel[] = [];
  for (const p of (d.panels ?? []) as AnyPanel[]) {
    out.push(p);
    if (p.type === "row") out.push(...((p as dashboard.RowPanel).panels ?? []));
  }
  return out;
}
const isRow = (p: AnyPanel): p is dashboard.RowPanel => p.type === "row";
const targetsOf = (p: dashboard.Panel) => (p.targets ?? []) as Target[];

/**
 * The metric names dashboards may select: METRIC_NAMES, with each histogram through its _bucket, _sum and
 * _count series only (the bare histogram name selects nothing in Prometheus).
 */
function allowedMetricNames(): Set<string> {
  const histograms = new Set(
    Object.values(createMetrics())
      .filter((m): m is Histogram => m instanceof Histogram)
      .map((m) => (m as unknown as { name: string }).name),
  );
  const allowed = new Set<string>();
  for (const name of METRIC_NAMES) {
    if (histograms.has(name)) for (const suffix of ["_bucket", "_sum", "_count"]) allowed.add(name + suffix);
    else allowed.add(name);
  }
  return allowed;
}
const ALLOWED = allowedMetricNames();

/** Metric names in `expr` that the keeper does not expose. */
const unknownMetrics = (names: string[]) => names.filter((n) => !ALLOWED.has(n));

/** Every PromQL expression of every dashboard: panel targets and template-variable queries. */
function expressions(): { where: string; expr: string; names: string[] }[] {
  const out: { where: string; expr: string; names: string[] }[] = [];
  for (const d of buildDashboards()) {
    for (const p of panelsOf(d)) {
      if (isRow(p)) continue;
      for (const t of targetsOf(p)) {
        const expr = t.expr ?? "";
        out.push({ where: `${d.uid} / ${p.title} / ${t.refId}`, expr, names: metricNamesIn(expr) });
      }
    }
    for (const v of d.templating?.list ?? []) {
      if (v.type !== "query") continue;
      const expr = String(v.query);
      out.push({ where: `${d.uid} / $${v.name}`, expr, names: metricNamesInVariableQuery(expr) });
    }
  }
  return out;
}

describe("generated dashboards", () => {
  it("match the committed grafana/dashboards/*.json (run `node grafana/src/generate.ts` if not)", async () => {
    const files = renderDashboards();
    for (const [file, text] of Object.entries(files)) {
      const committed = await readFile(join(DASHBOARDS_DIR, file), "utf8").catch(() => "(missing)");
      expect(committed, `grafana/dashboards/${file}`).toBe(text);
    }
    expect(await findDrift(files)).toEqual([]);
  });

  it("are deterministic: same text on every build, sorted keys, trailing newline", () => {
    const first = renderDashboards();
    expect(renderDashboards()).toEqual(first);
    for (const text of Object.values(first)) {
      expect(text.endsWith("}\n")).toBe(true);
      expect(stableJson(JSON.parse(text))).toBe(text);
    }
    expect(stableJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
      '{\n  "a": {\n    "c": null,\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n',
    );
  });

  describe("drift detection", () => {
    let dir: string | undefined;
    afterEach(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it("lists changed, missing and stale files", async () => {
      dir = await mkdtemp(join(tmpdir(), "grafana-drift-"));
      const files = renderDashboards();
      const [first, second] = Object.keys(files) as [string, string];
      expect(await findDrift(files, dir)).toEqual(Object.keys(files).sort());
      for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
      expect(await findDrift(files, dir)).toEqual([]);
      await writeFile(join(dir, first), files[first]!.replace('"title"', '"titel"'));
      await rm(join(dir, second));
      await writeFile(join(dir, "old-dashboard.json"), "{}\n");
      expect(await findDrift(files, dir)).toEqual([first, "old-dashboard.json", second].sort());
    });

    it("`generate.ts --check` passes on the committed files", () => {
      expect(() =>
        execFileSync(process.execPath, [join(ROOT, "grafana/src/generate.ts"), "--check"], { stdio: "pipe" }),
      ).not.toThrow();
    });
  });
});

describe("PromQL in the dashboards", () => {
  it("selects only metric names declared in keeper/telemetry/metrics.ts", () => {
    const all = expressions();
    expect(all.length).toBeGreaterThan(20);
    for (const { where, expr, names } of all) {
      expect(names.length, `${where}: no metric found in ${expr}`).toBeGreaterThan(0);
      expect(unknownMetrics(names), `${where}: ${expr}`).toEqual([]);
    }
  });

  it("shows every declared metric somewhere", () => {
    const used = new Set(expressions().flatMap((e) => e.names));
    const unused = [...ALLOWED].filter((n) => !used.has(n) && !/_(sum|count)$/.test(n));
    expect(unused).toEqual([]);
  });

  it("the checker flags undeclared names (synthetic expressions)", () => {
    expect(
      unknownMetrics(metricNamesIn('sum by (asset) (rate(keeper_bogus_total{asset=~"$asset"}[5m]))')),
    ).toEqual(["keeper_bogus_total"]);
    // A histogram's bare name is declared but selects nothing; only its series are allowed.
    expect(
      unknownMetrics(metricNamesIn("histogram_quantile(0.9, keeper_detection_latency_seconds)")),
    ).toEqual(["keeper_detection_latency_seconds"]);
    expect(unknownMetrics(metricNamesIn('{__name__="keeper_typo_bps", asset="x"}'))).toEqual([
      "keeper_typo_bps",
    ]);
    expect(unknownMetrics(metricNamesInVariableQuery("label_values(keeper_nope, asset)"))).toEqual([
      "keeper_nope",
    ]);
    expect(
      unknownMetrics(
        metricNamesIn("keeper_reserves / on (asset) group_left (chain) keeper_supplies offset 5m"),
      ),
    ).toEqual(["keeper_supplies"]);
  });

  it("the extractor skips functions, keywords, labels, strings, durations and Grafana variables", () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, asset) (rate(keeper_pause_latency_seconds_bucket{asset=~"$asset", chain="or"}[$__rate_interval])))',
      ),
    ).toEqual(["keeper_pause_latency_seconds_bucket"]);
    expect(
      metricNamesIn(
        'keeper_feed_age_seconds{asset=~"$asset"} / on (asset) keeper_feed_heartbeat_seconds > bool 1 unless keeper_up',
      ),
    ).toEqual(["keeper_feed_age_seconds", "keeper_feed_heartbeat_seconds", "keeper_up"]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax, not a JS template.
    expect(metricNamesIn("sum(increase(keeper_reorgs_total[${__range}])) or vector(0)")).toEqual([
      "keeper_reorgs_total",
    ]);
    expect(metricNamesInVariableQuery('label_values(keeper_supply{asset="x, y"}, chain)')).toEqual([
      "keeper_supply",
    ]);
    expect(metricNamesInVariableQuery("metrics(keeper_.*)")).toEqual([]);
  });
});

describe("dashboard structure", () => {
  const dashboards = buildDashboards();

  it("has stable, unique uids and titles", () => {
    const uids = dashboards.map((d) => d.uid);
    expect(uids).toEqual([
      "reserve-keeper-overview",
      "reserve-keeper-operations",
      "reserve-keeper-custody",
      "reserve-keeper-cctp",
      "reserve-keeper-compliance",
    ]);
    expect(new Set(uids).size).toBe(uids.length);
    for (const uid of uids) expect(uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    expect(dashboards.map((d) => d.title)).toEqual([
      "Reserve overview",
      "Keeper operations",
      "Custody",
      "CCTP transfers",
      "Compliance",
    ]);
    for (const d of dashboards) expect(d.tags).toContain("reserve-keeper");
  });

  it("numbers panels uniquely and lays them out on the 24-column grid without overlaps", () => {
    for (const d of dashboards) {
      const panels = panelsOf(d);
      const ids = panels.map((p) => p.id);
      expect(new Set(ids).size, `${d.uid}: duplicate panel ids`).toBe(ids.length);
      expect(ids.every((id) => typeof id === "number" && id > 0)).toBe(true);
      const cells = new Set<string>();
      for (const p of panels) {
        const g = p.gridPos!;
        expect(g.x + g.w, `${d.uid} / ${p.title}`).toBeLessThanOrEqual(24);
        for (let x = g.x; x < g.x + g.w; x++)
          for (let y = g.y; y < g.y + g.h; y++) {
            expect(cells.has(`${x},${y}`), `${d.uid} / ${p.title} overlaps at ${x},${y}`).toBe(false);
            cells.add(`${x},${y}`);
          }
      }
    }
  });

  it("puts every panel and target on the datasource variable", () => {
    for (const d of dashboards) {
      for (const p of panelsOf(d)) {
        if (isRow(p)) {
          expect(p.panels ?? [], `${d.uid} / row ${p.title}: expanded rows hold no panels`).toEqual([]);
          continue;
        }
        expect(p.datasource, `${d.uid} / ${p.title}`).toEqual(DATASOURCE);
        expect(targetsOf(p).length, `${d.uid} / ${p.title}`).toBeGreaterThan(0);
        for (const t of targetsOf(p))
          expect(t.datasource, `${d.uid} / ${p.title} / ${t.refId}`).toEqual(DATASOURCE);
      }
    }
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax, not a JS template.
    expect(DATASOURCE).toEqual({ type: "prometheus", uid: "${datasource}" });
  });

  it("has the datasource, asset and chain variables, the datasource defaulting to the provisioned one", async () => {
    const provisioned = parseYaml(
      await readFile(join(ROOT, "grafana/provisioning/datasources/prometheus.yml"), "utf8"),
    ) as { datasources: { uid: string; name: string; type: string }[] };
    expect(provisioned.datasources).toEqual([
      expect.objectContaining({
        uid: PROMETHEUS_DATASOURCE.uid,
        name: PROMETHEUS_DATASOURCE.name,
        type: "prometheus",
      }),
    ]);
    for (const d of dashboards) {
      const vars = d.templating?.list ?? [];
      expect(vars.map((v) => [v.name, v.type])).toEqual([
        ["datasource", "datasource"],
        ["asset", "query"],
        ["chain", "query"],
      ]);
      expect(vars[0]).toMatchObject({ query: "prometheus", current: { value: PROMETHEUS_DATASOURCE.uid } });
      for (const v of vars.slice(1))
        expect(v).toMatchObject({ datasource: DATASOURCE, multi: true, includeAll: true });
    }
  });

  it("provisions the dashboards folder", async () => {
    const provider = parseYaml(
      await readFile(join(ROOT, "grafana/provisioning/dashboards/reserve-keeper.yml"), "utf8"),
    ) as { apiVersion: number; providers: { type: string; options: { path: string } }[] };
    expect(provider.apiVersion).toBe(1);
    expect(provider.providers).toEqual([
      expect.objectContaining({
        type: "file",
        options: expect.objectContaining({ path: expect.any(String) }),
      }),
    ]);
  });

  it("draws the ratio thresholds at the config defaults", () => {
    const asset = parseConfig(validConfigInput()).config.assets[0]!;
    expect(BigInt(RATIO_THRESHOLDS_BPS.warn)).toBe(asset.thresholds.warnRatioBps);
    expect(BigInt(RATIO_THRESHOLDS_BPS.pause)).toBe(asset.thresholds.pauseRatioBps);
    const ratio = panelsOf(dashboards[0]!).find((p) => p.title === "Reserve ratio (bps)") as dashboard.Panel;
    expect(ratio.fieldConfig?.defaults.thresholds?.steps.map((s) => s.value)).toEqual([
      null,
      RATIO_THRESHOLDS_BPS.pause,
      RATIO_THRESHOLDS_BPS.warn,
    ]);
    expect(ratio.fieldConfig?.defaults.custom).toMatchObject({ thresholdsStyle: { mode: "dashed+area" } });
  });
});
