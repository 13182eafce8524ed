/**
 * Guards the alert runbook links: every `runbook_url` of every rule in alerts/rules/*.yml points to
 * docs/operations.md and to an anchor that exists there (a heading's GitHub slug, or an explicit
 * `<a id="…">` / `<a name="…">`), and alerts/README.md lists every alert with its runbook link. A new
 * rule without a runbook section fails here.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = resolve(import.meta.dirname, "../..");
const RULES_DIR = join(ROOT, "alerts/rules");
const RUNBOOK = "docs/operations.md";

interface RuleLink {
  readonly file: string;
  readonly alert: string;
  readonly runbookUrl: string | undefined;
}

function loadRuleLinks(): RuleLink[] {
  const links: RuleLink[] = [];
  const files = readdirSync(RULES_DIR).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"));
  for (const file of files.sort()) {
    const doc = parse(readFileSync(join(RULES_DIR, file), "utf8")) as {
      groups: { rules: { alert?: string; annotations?: Record<string, string> }[] }[];
    };
    for (const group of doc.groups) {
      for (const rule of group.rules) {
        if (rule.alert === undefined) continue; // recording rules carry no runbook
        links.push({ file, alert: rule.alert, runbookUrl: rule.annotations?.runbook_url });
      }
    }
  }
  return links;
}

/**
 * GitHub's heading anchor: the heading's text (inline code, emphasis and link targets dropped),
 * lower-cased, punctuation other than '-' and '_' removed, each space turned into '-'.
 */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // [text](url) -> text
    .replace(/<[^>]+>/g, "") // inline HTML tags
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
}

/** Every anchor a Markdown document defines: heading slugs (GitHub de-duplicates with -1, -2, …) and `<a id|name>`. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const line of markdown.split("\n")) {
    const f = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      const marker = (f[1] as string)[0] as string;
      if (fence === undefined) fence = marker;
      else if (fence === marker) fence = undefined;
      continue;
    }
    if (fence !== undefined) continue;
    for (const m of line.matchAll(/<a\s+(?:[^>]*\s)?(?:id|name)\s*=\s*["']([^"']+)["']/gi)) {
      anchors.add(m[1] as string);
    }
    const h = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const slug = githubSlug(h[1] as string);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Problems with one runbook_url: not docs/operations.md, or an anchor the document does not define. */
function checkRunbookUrl(url: string | undefined, anchors: ReadonlySet<string>): string | undefined {
  if (url === undefined) return "has no runbook_url";
  const m = /^docs\/operations\.md#(.+)$/.exec(url);
  if (!m) return `runbook_url "${url}" does not point to ${RUNBOOK}#<anchor>`;
  if (!anchors.has(m[1] as string)) return `runbook_url "${url}": ${RUNBOOK} has no anchor "${m[1]}"`;
  return undefined;
}

describe("alert runbook links", () => {
  const anchors = anchorsOf(readFileSync(join(ROOT, RUNBOOK), "utf8"));
  const links = loadRuleLinks();

  it("finds alerts in every rules file", () => {
    const files = new Set(links.map((l) => l.file));
    expect([...files]).toEqual(
      expect.arrayContaining([
        "cctp.rules.yml",
        "compliance.rules.yml",
        "custody.rules.yml",
        "reserve-keeper.rules.yml",
      ]),
    );
    expect(links.length).toBeGreaterThanOrEqual(32);
  });

  it("points every runbook_url at an anchor that exists in docs/operations.md", () => {
    const problems = links.flatMap((l) => {
      const p = checkRunbookUrl(l.runbookUrl, anchors);
      return p === undefined ? [] : [`${l.file}: ${l.alert}: ${p}`];
    });
    expect(problems).toEqual([]);
  });

  it("lists every alert in alerts/README.md with its runbook link", () => {
    const readme = readFileSync(join(ROOT, "alerts/README.md"), "utf8");
    const rows = readme.split("\n").filter((line) => line.startsWith("|"));
    const problems: string[] = [];
    for (const l of links) {
      const anchor = l.runbookUrl?.split("#")[1];
      const row = rows.find((r) => r.includes(`| ${l.alert} `) && r.includes(`#${anchor})`));
      if (row === undefined) problems.push(`${l.alert} (${l.runbookUrl}) has no row in alerts/README.md`);
    }
    expect(problems).toEqual([]);
  });
});

describe("the runbook anchor check", () => {
  it("slugs headings as GitHub does", () => {
    expect(githubSlug("reserve-shortfall")).toBe("reserve-shortfall");
    expect(githubSlug("Unpause procedure (M-of-N, keys stay offline)")).toBe(
      "unpause-procedure-m-of-n-keys-stay-offline",
    );
    expect(githubSlug("The `custody:` section & [links](x.md)")).toBe("the-custody-section--links");
  });

  it("collects heading slugs (de-duplicated) and <a id> anchors, not headings in code fences", () => {
    const md = [
      "# Title",
      "## Same",
      "## Same",
      '<a id="custom-anchor"></a>',
      "```sh",
      "# not-a-heading",
      "```",
    ].join("\n");
    expect([...anchorsOf(md)].sort()).toEqual(["custom-anchor", "same", "same-1", "title"]);
  });

  it("rejects a missing anchor, another document and a missing runbook_url", () => {
    const anchors = new Set(["reserve-shortfall"]);
    expect(checkRunbookUrl("docs/operations.md#reserve-shortfall", anchors)).toBeUndefined();
    expect(checkRunbookUrl("docs/operations.md#custody-provider-down", anchors)).toBe(
      'runbook_url "docs/operations.md#custody-provider-down": docs/operations.md has no anchor "custody-provider-down"',
    );
    expect(checkRunbookUrl("keeper/consumers/custody/README.md#custody-provider-down", anchors)).toBe(
      'runbook_url "keeper/consumers/custody/README.md#custody-provider-down" does not point to docs/operations.md#<anchor>',
    );
    expect(checkRunbookUrl(undefined, anchors)).toBe("has no runbook_url");
  });
});
