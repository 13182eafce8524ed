// Extracts the metric names a PromQL expression selects, without a full parser: good enough for the
// expressions the dashboards write (selectors, functions, aggregations, binary operators, modifiers,
// Grafana variables). Used by test/grafana to hold dashboards to keeper/telemetry/metrics.ts.

/** Words that look like identifiers but are operators or modifiers. */
const KEYWORDS = new Set([
  "and",
  "or",
  "unless",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "offset",
  "atan2",
  "inf",
  "nan",
]);

/** The metric names `expr` selects (bare selectors and `__name__="…"` matchers), sorted. */
export function metricNamesIn(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/__name__\s*=\s*"([^"]*)"/g)) names.add(m[1]!);
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals
    .replace(/\$\{[^}]*\}|\$\w+/g, " ") // Grafana variables ($__rate_interval, ${datasource})
    .replace(/\{[^{}]*\}/g, " ") // label matchers
    .replace(/\[[^\]]*\]/g, " ") // range and subquery selectors
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, " "); // label lists
  for (const m of s.matchAll(/[A-Za-z_:][\w:]*|\d[\w.]*/g)) {
    const token = m[0];
    if (/^\d/.test(token) || KEYWORDS.has(token.toLowerCase())) continue;
    if (/^\s*\(/.test(s.slice(m.index + token.length))) continue; // a function or aggregation
    names.add(token);
  }
  return [...names].sort();
}

/**
 * The metric names a Prometheus template-variable query selects: `label_values(<selector>, <label>)`,
 * `query_result(<expr>)`, `label_names(<selector>)`; `metrics(<regex>)` selects none.
 */
export function metricNamesInVariableQuery(query: string): string[] {
  const call = /^\s*(\w+)\s*\(([\s\S]*)\)\s*$/.exec(query);
  if (!call) return metricNamesIn(query);
  const [, fn, args = ""] = call;
  switch (fn) {
    case "label_values": {
      const comma = lastTopLevelComma(args);
      return comma < 0 ? [] : metricNamesIn(args.slice(0, comma));
    }
    case "query_result":
    case "label_names":
      return metricNamesIn(args);
    case "metrics":
      return [];
    default:
      return metricNamesIn(query);
  }
}

function lastTopLevelComma(s: string): number {
  let depth = 0;
  let last = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "(" || c === "{" || c === "[") depth++;
    else if (c === ")" || c === "}" || c === "]") depth--;
    else if (c === "," && depth === 0) last = i;
  }
  return last;
}
