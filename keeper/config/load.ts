import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { formatGwei } from "viem";
import YAML, { type Document, isMap, isNode, isScalar, LineCounter } from "yaml";
import { ConfigError, type ConfigProblem, redactUrls } from "../internal/errors.ts";
import { redactText } from "../telemetry/logger.ts";
import { acceptsOnlyStrings, arrayElement, isSensitivePath, kindOf, objectChildren } from "./introspect.ts";
import { type KeeperConfig, keeperConfigSchema } from "./schema.ts";

/** Prefix of config overrides: RESERVE_KEEPER__BUS__TYPE=kafka, RESERVE_KEEPER__CHAINS__HOME__RPC__HTTP=… */
export const ENV_OVERRIDE_PREFIX = "RESERVE_KEEPER__";

export type ConfigEnv = Readonly<Record<string, string | undefined>>;
export type ConfigPath = readonly (string | number)[];

export type LoadConfigArgs = {
  /** .yaml, .yml or .json */
  readonly path: string;
  /** Source of RESERVE_KEEPER__… overrides (default process.env). */
  readonly env?: ConfigEnv;
};

export type LoadedConfig = {
  readonly config: KeeperConfig;
  /** The config file. */
  readonly path: string;
  /** Names of the env overrides that were applied. */
  readonly overrides: readonly string[];
};

const SENSITIVE = "[sensitive]";
type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);

/** `["chains", 0, "rpc", "http"]` → `chains[0].rpc.http`; `[]` → `(root)`. */
export function formatConfigPath(path: ConfigPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? segment : `.${segment}`;
  }
  return out === "" ? "(root)" : out;
}

// ---------------------------------------------------------------------------------------------
// Reading the file
// ---------------------------------------------------------------------------------------------

type Locate = (path: ConfigPath) => number | undefined;
type Parsed = { ok: true; data: unknown; locate: Locate } | { ok: false; problems: ConfigProblem[] };

/** YAML 1.2 core schema WITHOUT hex integers: unquoted 0x… addresses stay strings. */
const noHexInts = (tags: YAML.Tags) =>
  tags.filter(
    (t) =>
      !(typeof t === "object" && t.tag === "tag:yaml.org,2002:int" && "format" in t && t.format === "HEX"),
  );

function yamlDocument(text: string) {
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    customTags: noHexInts,
  });
  return { doc, lineCounter };
}

function locator(doc: Document, lineCounter: LineCounter): Locate {
  return (path) => {
    for (let n = path.length; n >= 0; n--) {
      const head = path.slice(0, n);
      const last = head.at(-1);
      if (typeof last === "string") {
        const parent = head.length === 1 ? doc.contents : doc.getIn(head.slice(0, -1), true);
        if (isMap(parent)) {
          const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
          if (pair && isNode(pair.key) && pair.key.range) return lineCounter.linePos(pair.key.range[0]).line;
        }
      }
      const node = n === 0 ? doc.contents : doc.getIn(head, true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
}

function firstLine(message: string): string {
  return redactText(redactUrls(message.split("\n")[0] ?? "")).replace(/\s+at line \d+, column \d+:?$/, "");
}

function parseYaml(text: string, file: string): Parsed {
  const { doc, lineCounter } = yamlDocument(text);
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return { path: `${file}:${line}:${col}`, message: `YAML syntax error: ${firstLine(e.message)}` };
      }),
    };
  }
  return { ok: true, data: doc.toJS({ maxAliasCount: 100 }), locate: locator(doc, lineCounter) };
}

function lineColumn(text: string, position: number) {
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  return { line, col: position - before.lastIndexOf("\n") };
}

function parseJson(text: string, file: string): Parsed {
  // The YAML parser reads JSON too: it supplies line numbers and catches duplicate keys JSON.parse hides.
  const { doc, lineCounter } = yamlDocument(text);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    // V8's messages may quote the input (secrets!): keep only the position or the offending character.
    const message = err instanceof Error ? err.message : String(err);
    const position = /at position (\d+)/.exec(message);
    const token = /^Unexpected token '(.)'/.exec(message);
    const where = position ? lineColumn(text, Number(position[1])) : undefined;
    const fromYaml = doc.errors[0] ? lineCounter.linePos(doc.errors[0].pos[0]) : undefined;
    const at = where ?? fromYaml;
    const what = position
      ? (message.split(" in JSON")[0] ?? "invalid JSON")
      : token
        ? `unexpected token '${token[1]}'`
        : "invalid JSON";
    return {
      ok: false,
      problems: [{ path: at ? `${file}:${at.line}:${at.col}` : file, message: `JSON syntax error: ${what}` }],
    };
  }
  const duplicates = doc.errors.filter((e) => e.code === "DUPLICATE_KEY");
  if (duplicates.length > 0) {
    return {
      ok: false,
      problems: duplicates.map((e) => {
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return { path: `${file}:${line}:${col}`, message: "JSON error: duplicate key (keys must be unique)" };
      }),
    };
  }
  return { ok: true, data, locate: doc.errors.length === 0 ? locator(doc, lineCounter) : () => undefined };
}

// ---------------------------------------------------------------------------------------------
// Env overrides
// ---------------------------------------------------------------------------------------------

type Applied = { readonly envVar: string; readonly path: ConfigPath };

const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, "");

/** Value of an override: JSON when it parses, else the raw string (strings stay strings for string fields). */
function overrideValue(raw: string, schema: Parameters<typeof acceptsOnlyStrings>[0]): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return raw;
  }
  const scalar = typeof parsed !== "object" || parsed === null;
  return scalar && typeof parsed !== "string" && acceptsOnlyStrings(schema) ? raw : parsed;
}

/** Which field of an array element identifies it in an override (chains: name, assets: id, deployments: chain). */
function elementKey(element: Parameters<typeof objectChildren>[0]): string | undefined {
  const keys = objectChildren(element);
  return ["name", "id", "chain"].find((k) => keys.has(k));
}

function applyOne(root: Rec, envVar: string, raw: string): { path?: ConfigPath; problem?: string } {
  const segments = envVar.slice(ENV_OVERRIDE_PREFIX.length).split("__");
  if (segments.some((s) => s === "")) {
    return { problem: "malformed override name: segments are separated by exactly two underscores" };
  }
  let schema = keeperConfigSchema as Parameters<typeof kindOf>[0];
  let holder: unknown = root;
  const path: (string | number)[] = [];
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    const kind = kindOf(schema);
    if (kind === "object") {
      const children = objectChildren(schema);
      const key = [...children.keys()].find((k) => norm(k) === norm(segment));
      const child = key === undefined ? undefined : children.get(key);
      if (key === undefined || child === undefined) {
        return {
          problem: `no setting "${segment.toLowerCase()}" under ${formatConfigPath(path)}; settings there: ${[...children.keys()].join(", ")}`,
        };
      }
      const object = holder as Rec;
      path.push(key);
      if (last) {
        object[key] = overrideValue(raw, child);
        return { path };
      }
      const childKind = kindOf(child);
      if (object[key] === undefined && childKind === "object") object[key] = {};
      const next = object[key];
      if (childKind === "object" && !isRec(next)) {
        return {
          problem: `${formatConfigPath(path)} is not a mapping in the config, so it has no "${segments[i + 1]?.toLowerCase()}"`,
        };
      }
      if (childKind === "array" && !Array.isArray(next)) {
        return {
          problem: `${formatConfigPath(path)} is not a list in the config, so its entries cannot be addressed; set the whole list as JSON`,
        };
      }
      holder = next;
      schema = child;
    } else if (kind === "array") {
      const element = arrayElement(schema);
      const idKey = element === undefined ? undefined : elementKey(element);
      if (element === undefined || idKey === undefined) {
        return { problem: `${formatConfigPath(path)} is a list of values; set the whole list as JSON` };
      }
      const entries = holder as unknown[];
      const matches = entries.flatMap((e, index) =>
        isRec(e) && typeof e[idKey] === "string" && norm(e[idKey]) === norm(segment) ? [index] : [],
      );
      if (matches.length !== 1) {
        const have = entries.map((e) => (isRec(e) ? String(e[idKey]) : "?")).join(", ") || "(none)";
        const why = matches.length === 0 ? "no entry" : "more than one entry";
        return {
          problem: `${why} with ${idKey} "${segment.toLowerCase()}" in ${formatConfigPath(path)}; entries: ${have}`,
        };
      }
      const index = matches[0] as number;
      path.push(index);
      if (last) {
        entries[index] = overrideValue(raw, element);
        return { path };
      }
      holder = entries[index];
      schema = element;
    } else {
      return {
        problem: `${formatConfigPath(path)} is a value; it has no setting "${segment.toLowerCase()}"`,
      };
    }
  }
  return { path };
}

/**
 * Applies RESERVE_KEEPER__<SEGMENT>__… overrides to a copy of the raw document. Segments are keys
 * (case-insensitive, snake or camel: METRICS_PORT = metricsPort) or, inside lists, an entry's
 * name/id/chain. Shorter paths first, so a whole-section JSON override can be refined by a deeper one.
 * Override values never appear in problems.
 */
export function applyEnvOverrides(
  input: unknown,
  env: ConfigEnv,
): { data: unknown; applied: readonly Applied[]; problems: readonly ConfigProblem[] } {
  const data = structuredClone(input ?? {});
  const applied: Applied[] = [];
  const problems: ConfigProblem[] = [];
  const names = Object.keys(env)
    .filter((k) => env[k] !== undefined && k.toUpperCase().startsWith(ENV_OVERRIDE_PREFIX))
    .sort((a, b) => a.split("__").length - b.split("__").length || a.localeCompare(b));
  for (const envVar of names) {
    if (!isRec(data)) {
      problems.push({ path: envVar, message: "cannot apply: the config's top level is not a mapping" });
      continue;
    }
    const { path, problem } = applyOne(data, envVar, env[envVar] as string);
    if (problem !== undefined) problems.push({ path: envVar, message: problem });
    else if (path !== undefined) applied.push({ envVar, path });
  }
  return { data, applied, problems };
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = { object: "a mapping", array: "a list" };

/** Per-parse messages for zod's generic issues (never echo strings: they may be secrets). */
function errorMap(iss: {
  code?: string;
  input?: unknown;
  expected?: string;
  values?: readonly unknown[];
  discriminator?: string;
  options?: readonly unknown[];
  origin?: string;
  minimum?: unknown;
  maximum?: unknown;
}): string | undefined {
  const oneOf = (values: readonly unknown[] = []) => values.map((v) => JSON.stringify(v)).join(", ");
  switch (iss.code) {
    case "invalid_type":
      if (iss.input === undefined) return "is required";
      return `must be ${EXPECTED[iss.expected ?? ""] ?? `a ${iss.expected}`}, got ${typeName(iss.input)}`;
    case "invalid_value":
      if (iss.input === undefined) return `is required (one of ${oneOf(iss.values)})`;
      return `must be one of ${oneOf(iss.values)}`;
    case "invalid_union":
      if (iss.discriminator !== undefined) {
        const given = isRec(iss.input) ? iss.input[iss.discriminator] : undefined;
        return `${given === undefined ? "is required" : "must be"}: one of ${oneOf(iss.options)}`;
      }
      return undefined;
    case "too_small":
      if (iss.origin === "array")
        return `must have at least ${String(iss.minimum)} entr${iss.minimum === 1 ? "y" : "ies"}`;
      if (iss.origin === "string")
        return iss.minimum === 1
          ? "must not be empty"
          : `must have at least ${String(iss.minimum)} characters`;
      return undefined;
    case "too_big":
      if (iss.origin === "string") return `must have at most ${String(iss.maximum)} characters`;
      return undefined;
    default:
      return undefined;
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min(
        (row[j] as number) + 1,
        (row[j - 1] as number) + 1,
        prev + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      prev = tmp;
    }
  }
  return row[b.length] as number;
}

function knownKeysAt(path: ConfigPath): string[] {
  let schema: Parameters<typeof kindOf>[0] | undefined = keeperConfigSchema;
  for (const segment of path) {
    if (schema === undefined) return [];
    schema = typeof segment === "number" ? arrayElement(schema) : objectChildren(schema).get(segment);
  }
  return schema === undefined ? [] : [...objectChildren(schema).keys()];
}

function unknownKeyMessage(key: string, parent: ConfigPath): string {
  const known = knownKeysAt(parent);
  const close = known.find((k) => norm(k) === norm(key)) ?? known.find((k) => editDistance(k, key) <= 2);
  return close === undefined
    ? `unknown key (allowed: ${known.join(", ")})`
    : `unknown key (did you mean ${close}?)`;
}

/** Every string at a sensitive path, plus the credential-looking parts of sensitive URLs. */
function sensitiveStrings(data: unknown): string[] {
  const out = new Set<string>();
  const visit = (value: unknown, path: (string | number)[]) => {
    if (typeof value === "string") {
      if (!isSensitivePath(path)) return;
      if (value.length >= 6) out.add(value);
      try {
        const url = new URL(value);
        const parts = [url.username, url.password, ...url.pathname.split("/"), ...url.searchParams.values()];
        for (const part of parts) {
          if (part.length >= 8) out.add(part);
          try {
            const decoded = decodeURIComponent(part);
            if (decoded.length >= 8) out.add(decoded);
          } catch {}
        }
      } catch {}
      return;
    }
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) visit(v, [...path, i]);
    } else if (isRec(value)) for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
  };
  visit(data, []);
  return [...out].sort((a, b) => b.length - a.length);
}

function scrubber(data: unknown): (message: string) => string {
  const secrets = sensitiveStrings(data);
  return (message) => {
    let out = message;
    for (const secret of secrets) out = out.replaceAll(secret, SENSITIVE);
    return redactText(redactUrls(out));
  };
}

export type ParseConfigOptions = {
  readonly env?: ConfigEnv;
  /** Name of the source, for messages. */
  readonly file?: string;
  /** Maps a config path to a line of the source file. */
  readonly locate?: Locate;
};

/**
 * Validates a raw config document (after env overrides). Returns the config or throws ONE ConfigError
 * listing every problem as `path: message` (schema, cross-references, overrides), without sensitive values.
 */
export function parseConfig(
  input: unknown,
  { env = {}, file, locate }: ParseConfigOptions = {},
): { config: KeeperConfig; overrides: readonly string[] } {
  const { data, applied, problems: overrideProblems } = applyEnvOverrides(input, env);
  const scrub = scrubber(data);
  const problems: ConfigProblem[] = overrideProblems.map((p) => ({
    path: p.path,
    message: scrub(p.message),
  }));

  const result = keeperConfigSchema.safeParse(data, { error: errorMap });
  if (result.success && problems.length === 0) {
    return { config: result.data, overrides: applied.map((a) => a.envVar) };
  }

  const where = (path: ConfigPath): { suffix: string; line: number } => {
    const override = applied
      .filter((a) => a.path.length <= path.length && a.path.every((s, i) => s === path[i]))
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (override) return { suffix: ` (from ${override.envVar})`, line: 0 };
    const line = locate?.(path);
    return line === undefined
      ? { suffix: "", line: Number.MAX_SAFE_INTEGER }
      : { suffix: ` (line ${line})`, line };
  };
  // Schema and cross-reference problems together, in file order (env-set values first).
  const located: { problem: ConfigProblem; line: number }[] = [];
  const seen = new Set<string>();
  const add = (path: ConfigPath, message: string) => {
    const { suffix, line } = where(path);
    const problem = { path: formatConfigPath(path), message: scrub(message) + suffix };
    const key = `${problem.path}\0${problem.message}`;
    if (!seen.has(key)) located.push({ problem, line });
    seen.add(key);
  };
  for (const issue of result.success ? [] : result.error.issues) {
    const path = issue.path.filter((s): s is string | number => typeof s !== "symbol");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) add([...path, key], unknownKeyMessage(key, path));
    } else {
      add(path, issue.message);
    }
  }
  located.sort((a, b) => a.line - b.line);
  problems.push(...located.map((l) => l.problem));
  throw new ConfigError({ problems, file });
}

/**
 * Reads a YAML (.yaml/.yml) or JSON (.json) config, applies RESERVE_KEEPER__… env overrides and
 * validates it. Throws ONE ConfigError listing every problem (unreadable file, syntax with
 * line:column, schema, cross-references, overrides).
 */
export async function loadConfig({ path, env = process.env }: LoadConfigArgs): Promise<LoadedConfig> {
  const ext = extname(path).toLowerCase();
  if (![".yaml", ".yml", ".json"].includes(ext)) {
    throw new ConfigError({
      file: path,
      problems: [{ path, message: `unsupported file type "${ext || "(none)"}"; use .yaml, .yml or .json` }],
    });
  }
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unknown error";
    throw new ConfigError({ file: path, problems: [{ path, message: `cannot read the file (${code})` }] });
  }
  const parsed = ext === ".json" ? parseJson(text, path) : parseYaml(text, path);
  if (!parsed.ok) throw new ConfigError({ file: path, problems: parsed.problems });
  const { config, overrides } = parseConfig(parsed.data, { env, file: path, locate: parsed.locate });
  return { config, path, overrides };
}

// ---------------------------------------------------------------------------------------------
// Redaction and printing
// ---------------------------------------------------------------------------------------------

/** A sensitive string: URLs keep their origin (scheme, host, port), everything else is `[sensitive]`. */
export function redactSensitiveValue(value: unknown): unknown {
  if (value === undefined) return undefined;
  if (typeof value !== "string") return SENSITIVE;
  try {
    const url = new URL(value);
    if (url.origin === "null") return SENSITIVE;
    const extra =
      url.username || url.password || (url.pathname !== "/" && url.pathname !== "") || url.search || url.hash;
    return extra ? `${url.origin}/${SENSITIVE}` : url.origin;
  } catch {
    return SENSITIVE;
  }
}

function redactAt(value: unknown, path: (string | number)[]): unknown {
  if (isSensitivePath(path)) return redactSensitiveValue(value);
  if (Array.isArray(value)) return value.map((v, i) => redactAt(v, [...path, i]));
  if (isRec(value)) {
    const out: Rec = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactAt(v, [...path, k]);
    return out;
  }
  return value;
}

/** A deep copy of the config with every sensitive value redacted: the only form to log or print. */
export function redactConfig(config: KeeperConfig): KeeperConfig {
  return redactAt(config, []) as KeeperConfig;
}

/** Plain JSON/YAML-safe data: bigints become numbers (or decimal strings beyond 2^53), undefined dropped. */
export function toPlainConfig(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (Array.isArray(value)) return value.map(toPlainConfig);
  if (isRec(value)) {
    const out: Rec = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toPlainConfig(v);
    return out;
  }
  return value;
}

/**
 * The config in file form (plain data, fee caps back in gwei): what `check-config --print` shows.
 * Loading it again gives the same config (pass it through redactConfig first when printing).
 */
export function configDocument(config: KeeperConfig): Record<string, unknown> {
  const { maxFeePerGasWei, emergencyMaxFeePerGasWei, ...actions } = config.actions;
  const plain = toPlainConfig(config) as Rec;
  return {
    ...plain,
    actions: {
      ...(toPlainConfig(actions) as Rec),
      maxFeePerGasGwei: formatGwei(maxFeePerGasWei),
      emergencyMaxFeePerGasGwei: formatGwei(emergencyMaxFeePerGasWei),
    },
  };
}
