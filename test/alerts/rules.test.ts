/**
 * Guards alerts/: the Prometheus rules pass `promtool check rules` and their unit tests
 * (`promtool test rules`), the Alertmanager example passes `amtool check-config` and routes by severity,
 * and every metric a rule uses is one the keeper declares (keeper/telemetry/metrics.ts), with labels it
 * declares. promtool and amtool are required: a missing tool fails the test, it never skips.
 * Override the binaries with PROMTOOL=/path and AMTOOL=/path.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { Histogram } from "prom-client";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createMetrics, METRIC_NAMES } from "../../keeper/telemetry/metrics.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const RULES_DIR = join(ROOT, "alerts/rules");
const TESTS_DIR = join(ROOT, "alerts/tests");
const ALERTMANAGER_CONFIG = join(ROOT, "alerts/alertmanager/alertmanager.yml");

const RULE_FILES = readdirSync(RULES_DIR)
  .filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"))
  .sort()
  .map((f) => join(RULES_DIR, f));
const TEST_FILES = readdirSync(TESTS_DIR)
  .filter((f) => f.endsWith(".test.yml"))
  .sort()
  .map((f) => join(TESTS_DIR, f));

/** The alerts the operations issue asks for; a rule file losing one fails the test. */
const EXPECTED_ALERTS = [
  "BreakerPaused",
  "CctpAttestationSlow",
  "CctpTransferFailures",
  "CctpTransferHeldWhileUnpaused",
  "CheckpointLag",
  "ComplianceGateSyncFailing",
  "ComplianceGateSyncStale",
  "ComplianceProviderFailing",
  "ComplianceRefusalSpike",
  "CustodyAttestationHashMismatch",
  "CustodyAttestationUnreachable",
  "CustodyProviderDown",
  "CustodyReportInvalid",
  "CustodyReportStale",
  "CustodyServiceDown",
  "CustodySocReportExpired",
  "CustodySocReportExpiring",
  "DecisionUnknown",
  "FeedStale",
  "KafkaPublishFailures",
  "KeeperDown",
  "PauseTxFailing",
  "Reorgs",
  "ReserveRatioLow",
  "ReserveShortfall",
  "ReserveSourcesDisagree",
  "ReserveSourcesNotComparable",
  "RpcErrorRate",
  "WebSocketDown",
];

// --- external tools -------------------------------------------------------------------------------

const TOOLS = {
  promtool: { env: "PROMTOOL", debianPackage: "prometheus" },
  amtool: { env: "AMTOOL", debianPackage: "prometheus-alertmanager" },
} as const;

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a Prometheus tool; throws a clear error when it is not installed. */
function runTool(tool: keyof typeof TOOLS, args: readonly string[]): Run {
  const { env, debianPackage } = TOOLS[tool];
  const bin = process.env[env] ?? tool;
  const r = spawnSync(bin, args, { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "was not found" : `could not be run (${r.error.message})`;
    throw new Error(
      `${tool} ${why} (tried "${bin}"; set ${env}=/path/to/${tool} to override). The alert tests need it: ` +
        `install it with \`apt-get install ${debianPackage}\` (Debian/Ubuntu; .ci/run does this) or from ` +
        "https://prometheus.io/download/.",
    );
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a tool and fails with its full output unless it exits 0. */
function expectToolSuccess(tool: keyof typeof TOOLS, args: readonly string[]): Run {
  const r = runTool(tool, args);
  if (r.status !== 0) {
    throw new Error(
      `\`${tool} ${args.join(" ")}\` exited with ${r.status}\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout}`,
    );
  }
  return r;
}

const rel = (p: string) => relative(ROOT, p);

// --- rule files -----------------------------------------------------------------------------------

interface AlertRule {
  readonly file: string;
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

function loadAlertRules(): AlertRule[] {
  const rules: AlertRule[] = [];
  for (const file of RULE_FILES) {
    const doc = parse(readFileSync(file, "utf8")) as {
      groups: { name: string; rules: (Omit<AlertRule, "file"> & { record?: string })[] }[];
    };
    for (const group of doc.groups) {
      for (const rule of group.rules) {
        if (rule.record !== undefined)
          throw new Error(`${rel(file)}: recording rule ${rule.record} is unexpected`);
        rules.push({ file: rel(file), ...rule });
      }
    }
  }
  return rules;
}

// --- metric names in PromQL -----------------------------------------------------------------------

type Token =
  | { readonly kind: "ident"; readonly text: string }
  | { readonly kind: "matchers"; readonly text: string }
  | { readonly kind: "punct"; readonly text: string }
  | { readonly kind: "other" };

/** Splits PromQL into identifiers, `{...}` matcher blocks and punctuation; drops strings, numbers, durations, `[...]`. */
function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const skipString = (from: number): number => {
    const quote = expr[from];
    let j = from + 1;
    while (j < expr.length && expr[j] !== quote) j += expr[j] === "\\" && quote !== "`" ? 2 : 1;
    if (j >= expr.length) throw new Error(`unterminated string in: ${expr}`);
    return j + 1;
  };
  const skipBlock = (from: number, close: string): number => {
    let j = from + 1;
    while (j < expr.length && expr[j] !== close) j = /["'`]/.test(expr[j] as string) ? skipString(j) : j + 1;
    if (j >= expr.length) throw new Error(`unbalanced '${expr[from]}' in: ${expr}`);
    return j + 1;
  };
  while (i < expr.length) {
    const c = expr[i] as string;
    const rest = expr.slice(i);
    if (/\s/.test(c)) i++;
    else if (c === "#") while (i < expr.length && expr[i] !== "\n") i++;
    else if (/["'`]/.test(c)) {
      i = skipString(i);
      tokens.push({ kind: "other" });
    } else if (c === "{") {
      const end = skipBlock(i, "}");
      tokens.push({ kind: "matchers", text: expr.slice(i + 1, end - 1) });
      i = end;
    } else if (c === "[") {
      i = skipBlock(i, "]");
      tokens.push({ kind: "other" });
    } else if (/[0-9.]/.test(c)) {
      i += (/^[0-9.][0-9a-zA-Z_.]*/.exec(rest) as RegExpExecArray)[0].length; // number or duration
      tokens.push({ kind: "other" });
    } else if (/[a-zA-Z_:]/.test(c)) {
      const text = (/^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(rest) as RegExpExecArray)[0];
      tokens.push({ kind: "ident", text });
      i += text.length;
    } else {
      tokens.push({ kind: "punct", text: c });
      i++;
    }
  }
  return tokens;
}

const LABEL_LIST_KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);
const KEYWORDS = new Set([
  "and",
  "or",
  "unless",
  "offset",
  "bool",
  "atan2",
  "inf",
  "nan",
  ...LABEL_LIST_KEYWORDS,
]);
const AGGREGATIONS = new Set([
  ...["sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values"],
  ...["bottomk", "topk", "quantile", "limitk", "limit_ratio"],
]);

interface Matcher {
  readonly label: string;
  readonly op: string;
  readonly value: string;
}

/** One vector selector in an expression: the metric name (if any) and its label matchers. */
interface Selector {
  readonly name: string | undefined;
  readonly matchers: readonly Matcher[];
  /** Set when the name comes from a `__name__` regex matcher and cannot be checked. */
  readonly nameRegex?: string;
}

function parseMatchers(text: string): Matcher[] {
  const out: Matcher[] = [];
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)/g;
  for (const m of text.matchAll(re)) {
    out.push({ label: m[1] as string, op: m[2] as string, value: (m[3] as string).slice(1, -1) });
  }
  return out;
}

/** The vector selectors of a PromQL expression (functions, keywords and grouping labels excluded). */
function selectorsIn(expr: string): Selector[] {
  const tokens = tokenize(expr);
  const selectors: Selector[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    const next = tokens[i + 1];
    if (t.kind === "matchers") {
      // A bare `{...}` selector (the name-carrying case is handled with its identifier below).
      const prev = tokens[i - 1];
      if (prev?.kind === "ident" && isMetricIdent(tokens, i - 1)) continue;
      const matchers = parseMatchers(t.text);
      const byName = matchers.find((m) => m.label === "__name__");
      selectors.push({
        name: byName?.op === "=" ? byName.value : undefined,
        matchers: matchers.filter((m) => m.label !== "__name__"),
        ...(byName && byName.op !== "=" ? { nameRegex: `${byName.op}"${byName.value}"` } : {}),
      });
      continue;
    }
    if (t.kind !== "ident") continue;
    const word = t.text.toLowerCase();
    if (LABEL_LIST_KEYWORDS.has(word) && next?.kind === "punct" && next.text === "(") {
      // Skip the label list of by/without/on/ignoring/group_left/group_right.
      let j = i + 2;
      while (
        j < tokens.length &&
        !((tokens[j] as Token).kind === "punct" && (tokens[j] as { text: string }).text === ")")
      )
        j++;
      i = j;
      continue;
    }
    if (!isMetricIdent(tokens, i)) continue;
    selectors.push({ name: t.text, matchers: next?.kind === "matchers" ? parseMatchers(next.text) : [] });
  }
  return selectors;
}

function isMetricIdent(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i] as Token;
  if (t.kind !== "ident") return false;
  const word = t.text.toLowerCase();
  if (KEYWORDS.has(word) || AGGREGATIONS.has(word)) return false;
  const next = tokens[i + 1];
  return !(next?.kind === "punct" && next.text === "("); // a function call
}

/**
 * Values the keeper gives its enumerated labels (keeper/runtime/keeper.ts, keeper/actions/pauseExecutor.ts,
 * metric help texts). A matcher on any other value would silently never match.
 */
const KNOWN_LABEL_VALUES: Readonly<Record<string, readonly string[]>> = {
  decision: ["healthy", "warning", "breach", "stale", "unknown"],
  result: ["sent", "replaced", "mined", "already_paused", "failed", "reverted"],
  threshold: ["warn", "pause"],
  source: ["event", "reconcile", "backfill"],
};

interface Declared {
  /** Metric name -> label names it may be selected on. */
  readonly labels: ReadonlyMap<string, readonly string[]>;
}

/** What alerts may select: METRIC_NAMES (with their labels), `up`, and the histogram series. */
function declaredMetrics(): Declared {
  const target = ["job", "instance"]; // added by Prometheus at scrape time
  const labels = new Map<string, readonly string[]>([["up", target]]);
  const metrics = Object.values(createMetrics() as Record<string, unknown>).filter(
    (v): v is { name: string; labelNames: readonly string[] } =>
      typeof v === "object" && v !== null && "name" in v && "labelNames" in v,
  );
  for (const name of METRIC_NAMES) {
    const metric = metrics.find((m) => m.name === name);
    const own = [...(metric?.labelNames ?? []), ...target];
    labels.set(name, own);
    if (metric instanceof Histogram) {
      labels.set(`${name}_bucket`, [...own, "le"]);
      labels.set(`${name}_sum`, own);
      labels.set(`${name}_count`, own);
    }
  }
  return { labels };
}

/** Problems with the metric names and labels an expression uses; empty when it only uses declared ones. */
function checkExpr(expr: string, declared: Declared): string[] {
  const problems: string[] = [];
  for (const s of selectorsIn(expr)) {
    if (s.nameRegex !== undefined) {
      problems.push(`__name__${s.nameRegex}: a metric name regex cannot be checked against METRIC_NAMES`);
      continue;
    }
    if (s.name === undefined) {
      problems.push("a selector without a metric name cannot be checked against METRIC_NAMES");
      continue;
    }
    const allowed = declared.labels.get(s.name);
    if (allowed === undefined) {
      problems.push(`${s.name} is not declared in keeper/telemetry/metrics.ts (METRIC_NAMES)`);
      continue;
    }
    for (const m of s.matchers) {
      if (!allowed.includes(m.label)) {
        problems.push(`${s.name} has no label "${m.label}" (has: ${allowed.join(", ")})`);
        continue;
      }
      const known = KNOWN_LABEL_VALUES[m.label];
      if (known === undefined) continue;
      // Exact values, or a regex that is a plain alternation (a|b|c): each must be a value the keeper sets.
      const values =
        m.op === "=" || m.op === "!=" ? [m.value] : /^[\w|]+$/.test(m.value) ? m.value.split("|") : [];
      if (values.length === 0)
        problems.push(`${s.name}{${m.label}${m.op}"${m.value}"}: regex too complex to check`);
      for (const v of values) {
        if (!known.includes(v))
          problems.push(
            `${s.name}: ${m.label}="${v}" is never set by the keeper (values: ${known.join(", ")})`,
          );
      }
    }
  }
  return problems;
}

/** keeper_* names mentioned in annotations (template queries, prose) that are not declared. */
function undeclaredInText(text: string, declared: Declared): string[] {
  return [...text.matchAll(/\bkeeper_[a-zA-Z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((name) => !declared.labels.has(name));
}

// --- promtool unit test files ---------------------------------------------------------------------

interface UnitTestFile {
  readonly tests: {
    readonly alert_rule_test?: { readonly alertname: string; readonly exp_alerts?: unknown[] }[];
  }[];
}

// ---------------------------------------------------------------------------------------------------

describe("alerts/rules", () => {
  it("finds the rule and test files", () => {
    expect(RULE_FILES.map(rel)).toContain("alerts/rules/reserve-keeper.rules.yml");
    expect(TEST_FILES.length).toBeGreaterThan(0);
  });

  it("passes promtool check rules", () => {
    const r = expectToolSuccess("promtool", ["check", "rules", ...RULE_FILES.map(rel)]);
    expect(r.stdout).toMatch(/SUCCESS/);
  });

  it("passes its promtool unit tests", () => {
    const r = expectToolSuccess("promtool", ["test", "rules", ...TEST_FILES.map(rel)]);
    expect(r.stdout).not.toMatch(/FAILED/);
  });

  it("has the expected alerts, each with a severity, summary, description and runbook", () => {
    const rules = loadAlertRules();
    expect([...new Set(rules.map((r) => r.alert))].sort()).toEqual(EXPECTED_ALERTS);
    for (const r of rules) {
      const where = `${r.file}: ${r.alert}`;
      expect(["critical", "warning", "info"], where).toContain(r.labels?.severity);
      expect(r.annotations?.summary, where).toBeTruthy();
      expect(r.annotations?.description, where).toBeTruthy();
      expect(r.annotations?.runbook_url, where).toMatch(/^docs\/operations\.md#[a-z0-9-]+$/);
    }
  });

  it("uses only metrics (and labels) declared in keeper/telemetry/metrics.ts, plus up", () => {
    const declared = declaredMetrics();
    const problems: string[] = [];
    for (const r of loadAlertRules()) {
      for (const p of checkExpr(r.expr, declared)) problems.push(`${r.file}: ${r.alert}: ${p}`);
      for (const [key, text] of Object.entries(r.annotations ?? {})) {
        for (const name of undeclaredInText(text, declared))
          problems.push(`${r.file}: ${r.alert}: annotation ${key} names undeclared ${name}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("has a firing and a non-firing promtool case for every alert", () => {
    const firing = new Set<string>();
    const quiet = new Set<string>();
    for (const file of TEST_FILES) {
      const doc = parse(readFileSync(file, "utf8")) as UnitTestFile;
      for (const t of doc.tests) {
        for (const a of t.alert_rule_test ?? []) {
          ((a.exp_alerts?.length ?? 0) > 0 ? firing : quiet).add(a.alertname);
        }
      }
    }
    for (const name of EXPECTED_ALERTS) {
      expect(firing.has(name), `${name} has no firing case`).toBe(true);
      expect(quiet.has(name), `${name} has no non-firing case`).toBe(true);
    }
  });
});

describe("the metric-name check", () => {
  const declared = declaredMetrics();

  it("accepts declared metrics, up, histogram series, functions, keywords and grouping labels", () => {
    const expr = `
      sum by (asset) (rate(keeper_detection_latency_seconds_bucket{asset="dusd", le="0.5"}[5m]))
      / on(asset) group_left() sum by (asset) (rate(keeper_detection_latency_seconds_count[5m] offset 1h))
      > bool 0.5 # a comment naming not_a_metric
      or absent(up{job="reserve-keeper"}) unless histogram_quantile(0.99, keeper_pause_latency_seconds_bucket)
      and {__name__="keeper_up"} AND ignoring(instance) keeper_feed_age_seconds > 1e3`;
    expect(selectorsIn(expr).map((s) => s.name)).toEqual([
      "keeper_detection_latency_seconds_bucket",
      "keeper_detection_latency_seconds_count",
      "up",
      "keeper_pause_latency_seconds_bucket",
      "keeper_up",
      "keeper_feed_age_seconds",
    ]);
    expect(checkExpr(expr, declared)).toEqual([]);
  });

  it("rejects an undeclared metric", () => {
    expect(checkExpr('rate(keeper_pause_failures_total{chain="1"}[5m]) > 0', declared)).toEqual([
      "keeper_pause_failures_total is not declared in keeper/telemetry/metrics.ts (METRIC_NAMES)",
    ]);
    expect(checkExpr('{__name__="node_cpu_seconds_total"}', declared)).toEqual([
      "node_cpu_seconds_total is not declared in keeper/telemetry/metrics.ts (METRIC_NAMES)",
    ]);
  });

  it("rejects histogram suffixes on non-histograms, unknown labels and name regexes", () => {
    expect(checkExpr("keeper_reserve_ratio_bps_bucket", declared)).toEqual([
      "keeper_reserve_ratio_bps_bucket is not declared in keeper/telemetry/metrics.ts (METRIC_NAMES)",
    ]);
    expect(checkExpr('keeper_breaker_paused{chain_id="1"} == 1', declared)).toEqual([
      'keeper_breaker_paused has no label "chain_id" (has: asset, chain, job, instance)',
    ]);
    expect(checkExpr('{__name__=~"keeper_.*"}', declared)).toEqual([
      '__name__=~"keeper_.*": a metric name regex cannot be checked against METRIC_NAMES',
    ]);
  });

  it("rejects label values the keeper never sets", () => {
    expect(
      checkExpr(
        'keeper_decision_state{decision="breached"} == 1 or keeper_pause_tx_total{result=~"failed|dropped"}',
        declared,
      ),
    ).toEqual([
      'keeper_decision_state: decision="breached" is never set by the keeper (values: healthy, warning, breach, stale, unknown)',
      'keeper_pause_tx_total: result="dropped" is never set by the keeper (values: sent, replaced, mined, already_paused, failed, reverted)',
    ]);
  });

  it("would fail the rule check for a rule using an undeclared metric", () => {
    const rule = { alert: "Synthetic", expr: "keeper_reserve_ratio_bps < 10000 or keeper_reserve_pct < 100" };
    expect(checkExpr(rule.expr, declared)).toEqual([
      "keeper_reserve_pct is not declared in keeper/telemetry/metrics.ts (METRIC_NAMES)",
    ]);
  });
});

describe("alerts/alertmanager", () => {
  it("passes amtool check-config", () => {
    const r = expectToolSuccess("amtool", ["check-config", rel(ALERTMANAGER_CONFIG)]);
    expect(r.stdout).toMatch(/SUCCESS/);
  });

  it.each([
    ["critical", "pagerduty"],
    ["warning", "webhook"],
    ["info", "webhook"],
  ])("routes severity=%s to %s", (severity, receiver) => {
    const r = expectToolSuccess("amtool", [
      "config",
      "routes",
      "test",
      `--config.file=${rel(ALERTMANAGER_CONFIG)}`,
      `--verify.receivers=${receiver}`,
      "alertname=Synthetic",
      `severity=${severity}`,
      "asset=dusd",
    ]);
    expect(r.stdout.trim()).toBe(receiver);
  });

  it("inhibits warnings by the matching critical alert", () => {
    const config = parse(readFileSync(ALERTMANAGER_CONFIG, "utf8")) as {
      inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
    };
    const bySeverity = config.inhibit_rules.find((r) => r.source_matchers.includes('severity="critical"'));
    expect(bySeverity?.target_matchers).toEqual(['severity=~"warning|info"']);
    expect(bySeverity?.equal).toEqual(expect.arrayContaining(["alertname", "asset", "chain", "topic"]));
    const shortfall = config.inhibit_rules.find((r) =>
      r.source_matchers.includes('alertname="ReserveShortfall"'),
    );
    expect(shortfall?.target_matchers).toEqual(['alertname="ReserveRatioLow"']);
    expect(shortfall?.equal).toContain("asset");
  });
});
