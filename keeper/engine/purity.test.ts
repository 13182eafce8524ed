/**
 * Guards the engine's purity: no I/O libraries, no node: modules, no imports from outside
 * keeper/engine (except keeper/internal/errors.ts), no clocks or timers. Scans every non-test
 * .ts file under keeper/engine (test files may use vitest, fast-check and node:fs).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const ENGINE_DIR = import.meta.dirname;
const ERRORS_FILE = resolve(ENGINE_DIR, "../internal/errors.ts");

const FORBIDDEN_GLOBALS: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /\bDate\s*\.\s*now\b/, what: "Date.now" },
  { pattern: /\bnew\s+Date\b/, what: "new Date" },
  { pattern: /(?<![.\w])Date\s*\(/, what: "Date()" },
  { pattern: /\bperformance\s*\.\s*now\b/, what: "performance.now" },
  { pattern: /\bsetTimeout\b/, what: "setTimeout" },
  { pattern: /\bsetInterval\b/, what: "setInterval" },
  { pattern: /\bsetImmediate\b/, what: "setImmediate" },
  { pattern: /\bprocess\s*\./, what: "process" },
  { pattern: /\bMath\s*\.\s*random\b/, what: "Math.random" },
];

/** Returns `source` with comments removed and, if `blankStrings`, string/template text blanked. */
function stripSource(source: string, blankStrings: boolean): string {
  let out = "";
  let i = 0;
  const braces: number[] = []; // open-brace depth at each `${` we entered
  let depth = 0;
  while (i < source.length) {
    const c = source[i] as string;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
      continue;
    }
    if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      i = end === -1 ? source.length : end + 2;
      out += " ";
      continue;
    }
    if (c === "'" || c === '"' || c === "`" || (c === "}" && braces.at(-1) === depth)) {
      // string literal, or the rest of a template literal after a `${ … }` expression
      if (c === "}") braces.pop();
      const quote = c === "}" ? "`" : c;
      out += c;
      i++;
      while (i < source.length) {
        const d = source[i] as string;
        if (d === "\\") {
          out += blankStrings ? "  " : source.slice(i, i + 2);
          i += 2;
          continue;
        }
        if (quote === "`" && d === "$" && source[i + 1] === "{") {
          braces.push(depth);
          out += "${";
          i += 2;
          break;
        }
        if (d === quote) {
          out += d;
          i++;
          break;
        }
        out += blankStrings && d !== "\n" ? " " : d;
        i++;
      }
      continue;
    }
    if (c === "{") depth++;
    if (c === "}") depth--;
    out += c;
    i++;
  }
  return out;
}

const IMPORT_PATTERNS = [
  /\bimport\s+(?:type\s+)?[\w*{}\s,$]*?\bfrom\s*["']([^"']+)["']/g,
  /\bexport\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s*from\s*["']([^"']+)["']/g,
  /\bimport\s*["']([^"']+)["']/g,
  /\bimport\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g,
  /\brequire\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g,
];

/**
 * Every purity violation in one engine source file, as human-readable strings (empty = pure).
 * `filePath` is the absolute path the source would live at (relative imports resolve from it).
 */
function findPurityViolations(source: string, filePath: string): string[] {
  const violations: string[] = [];
  const code = stripSource(source, false);
  const bare = stripSource(source, true);
  if (/\bimport\s*\(\s*[^"'`\s]/.test(bare) || /\brequire\s*\(\s*[^"'`\s]/.test(bare)) {
    violations.push("dynamic import/require with a computed specifier");
  }
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of code.matchAll(pattern)) {
      const specifier = match[1] as string;
      if (!specifier.startsWith(".")) {
        violations.push(
          `imports "${specifier}" (only keeper/engine and keeper/internal/errors.ts are allowed)`,
        );
        continue;
      }
      const target = resolve(dirname(filePath), specifier);
      if (!target.endsWith(".ts")) violations.push(`imports "${specifier}" without the .ts extension`);
      if (!target.startsWith(ENGINE_DIR + sep) && target !== ERRORS_FILE) {
        violations.push(`imports "${specifier}" from outside keeper/engine`);
      }
    }
  }
  for (const { pattern, what } of FORBIDDEN_GLOBALS) {
    if (pattern.test(bare)) violations.push(`uses ${what} (time and randomness must arrive as arguments)`);
  }
  return violations;
}

function listEngineSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listEngineSources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("engine purity", () => {
  const files = listEngineSources(ENGINE_DIR);

  it("finds the engine's source files", () => {
    const names = files.map((f) => relative(ENGINE_DIR, f));
    expect(names).toEqual(
      expect.arrayContaining(["computeDelta.ts", "decide.ts", "normalize.ts", "types.ts"]),
    );
  });

  it.each(files.map((f) => [relative(ENGINE_DIR, f), f]))("%s is pure", (_name, file) => {
    expect(findPurityViolations(readFileSync(file as string, "utf8"), file as string)).toEqual([]);
  });
});

describe("the purity check itself", () => {
  const at = join(ENGINE_DIR, "synthetic.ts");

  it.each([
    ['import { createPublicClient } from "viem";', 'imports "viem"'],
    ['import type { Address } from "viem";', 'imports "viem"'],
    ['import { Kafka } from "kafkajs";', 'imports "kafkajs"'],
    ['import client from "prom-client";', 'imports "prom-client"'],
    ['import pino from "pino";', 'imports "pino"'],
    ['import { readFileSync } from "node:fs";', 'imports "node:fs"'],
    ['import "node:process";', 'imports "node:process"'],
    ['export * from "viem/chains";', 'imports "viem/chains"'],
    ['export { x } from "../sources/x.ts";', "from outside keeper/engine"],
    ['import { x } from "../internal/retry.ts";', "from outside keeper/engine"],
    ['import { y } from "./y";', "without the .ts extension"],
    ['const m = await import("kafkajs");', 'imports "kafkajs"'],
    ['const m = require("pino");', 'imports "pino"'],
    ["const m = await import(name);", "computed specifier"],
    ["const now = BigInt(Date.now());", "uses Date.now"],
    ["const d = new Date();", "uses new Date"],
    ["const s = Date();", "uses Date()"],
    ["const t = performance.now();", "uses performance.now"],
    ["setTimeout(() => {}, 1);", "uses setTimeout"],
    ["const h = setInterval(f, 1);", "uses setInterval"],
    ["const e = process.env.X;", "uses process"],
    ["const r = Math.random();", "uses Math.random"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a source text containing a template literal
    ["const s = `${Date.now()}`;", "uses Date.now"],
  ])("flags: %s", (source, expected) => {
    const violations = findPurityViolations(source, at);
    expect(violations.join("\n")).toContain(expected);
  });

  it("accepts allowed imports and ignores comments and string contents", () => {
    const source = [
      'import { InvalidDecimalsError } from "../internal/errors.ts";',
      'import type { Decision } from "./types.ts";',
      'export { decide } from "./decide.ts";',
      '// never call Date.now() or setTimeout here; import from "viem" is banned',
      "/* new Date() in a block comment */",
      'const message = "do not use Date.now or process.env";',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a source text containing a template literal
      "const template = `setTimeout ${1 + 1} performance.now`;",
      "const updatedAt = observation.updatedAt; const date = toDate(x);",
    ].join("\n");
    expect(findPurityViolations(source, at)).toEqual([]);
  });
});
