import { z } from "zod";
import { type ConfigFieldMeta, keeperConfigSchema } from "./schema.ts";

/**
 * Reads the config schema's structure (zod v4 `_zod.def`): the env-override resolver walks it, and
 * the `sensitive` markers become path patterns (`chains[].rpc.http`) for redaction.
 */

type Def = {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly element?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly entries?: Record<string, unknown>;
  readonly values?: readonly unknown[];
  readonly defaultValue?: unknown;
};

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;
const metaOf = (schema: z.ZodType) => z.globalRegistry.get(schema) as ConfigFieldMeta | undefined;

const WRAPPERS = new Set(["optional", "default", "prefault", "nullable", "readonly", "catch", "nonoptional"]);

/** The structural schema under wrappers and transforms, plus what the wrappers said. */
export function unwrapSchema(schema: z.ZodType): {
  schema: z.ZodType;
  sensitive: boolean;
  description: string | undefined;
  defaultValue: unknown;
  optional: boolean;
} {
  let current = schema;
  let sensitive = false;
  let description: string | undefined;
  let defaultValue: unknown;
  let optional = false;
  for (;;) {
    const meta = metaOf(current);
    if (meta?.sensitive === true) sensitive = true;
    description ??= meta?.description;
    const def = defOf(current);
    if ((def.type === "default" || def.type === "prefault") && defaultValue === undefined) {
      defaultValue = def.defaultValue;
      optional = true;
    }
    if (def.type === "optional") optional = true;
    if (WRAPPERS.has(def.type) && def.innerType) current = def.innerType;
    else if (def.type === "pipe" && def.in) current = def.in;
    else return { schema: current, sensitive, description, defaultValue, optional };
  }
}

export type SchemaKind = "object" | "array" | "leaf";

export function kindOf(schema: z.ZodType): SchemaKind {
  const def = defOf(unwrapSchema(schema).schema);
  if (def.type === "object") return "object";
  if (def.type === "union" && def.options?.every((o) => kindOf(o) === "object")) return "object";
  if (def.type === "array") return "array";
  return "leaf";
}

/** Keys of an object schema (for a union of objects: every option's keys). */
export function objectChildren(schema: z.ZodType): Map<string, z.ZodType> {
  const def = defOf(unwrapSchema(schema).schema);
  const out = new Map<string, z.ZodType>();
  if (def.type === "object" && def.shape) for (const [k, v] of Object.entries(def.shape)) out.set(k, v);
  if (def.type === "union") {
    for (const option of def.options ?? []) {
      for (const [k, v] of objectChildren(option)) if (!out.has(k)) out.set(k, v);
    }
  }
  return out;
}

export function arrayElement(schema: z.ZodType): z.ZodType | undefined {
  const def = defOf(unwrapSchema(schema).schema);
  return def.type === "array" ? def.element : undefined;
}

/** true when the field only ever accepts strings (env override values stay strings for it). */
export function acceptsOnlyStrings(schema: z.ZodType): boolean {
  const def = defOf(unwrapSchema(schema).schema);
  switch (def.type) {
    case "string":
      return true;
    case "enum":
      return Object.values(def.entries ?? {}).every((v) => typeof v === "string");
    case "literal":
      return (def.values ?? []).every((v) => typeof v === "string");
    case "union":
      return (def.options ?? []).every(acceptsOnlyStrings);
    default:
      return false;
  }
}

/** One leaf of the config: path pattern (`[]` = any array element), meta and default. */
export type ConfigField = {
  readonly path: string;
  readonly sensitive: boolean;
  readonly description: string | undefined;
  readonly defaultValue: unknown;
  readonly optional: boolean;
};

function walk(schema: z.ZodType, path: string, inherited: boolean, out: ConfigField[]) {
  const info = unwrapSchema(schema);
  const sensitive = inherited || info.sensitive;
  const kind = kindOf(schema);
  if (kind === "object") {
    for (const [key, child] of objectChildren(schema)) {
      const childPath = path === "" ? key : `${path}.${key}`;
      if (!out.some((f) => f.path === childPath)) walk(child, childPath, sensitive, out);
    }
    return;
  }
  const element = arrayElement(schema);
  if (element && kindOf(element) !== "leaf") {
    walk(element, `${path}[]`, sensitive, out);
    return;
  }
  out.push({
    path,
    sensitive,
    description: info.description,
    defaultValue: info.defaultValue,
    optional: info.optional,
  });
}

/** Every leaf of the keeper config schema, in schema order. */
export function configFields(): readonly ConfigField[] {
  const out: ConfigField[] = [];
  walk(keeperConfigSchema, "", false, out);
  return out;
}

/** Path patterns of sensitive values, e.g. `chains[].rpc.http`, `bus.sasl.password`. */
export const SENSITIVE_PATHS: readonly string[] = configFields()
  .filter((f) => f.sensitive)
  .map((f) => f.path);

/** Splits a pattern into segments: `chains[].rpc.http` → ["chains", "[]", "rpc", "http"]. */
export function patternSegments(pattern: string): string[] {
  return pattern.replaceAll("[]", ".[]").split(".");
}

/** Does a concrete path (numbers = array indexes) match a pattern? Prefix match when `prefix`. */
export function pathMatches(path: readonly (string | number)[], pattern: string, prefix = false): boolean {
  const segments = patternSegments(pattern);
  if (prefix ? path.length < segments.length : path.length !== segments.length) return false;
  return segments.every((s, i) => (s === "[]" ? typeof path[i] === "number" : path[i] === s));
}

/** Is anything at or under this concrete path sensitive (or the path inside a sensitive value)? */
export function isSensitivePath(path: readonly (string | number)[]): boolean {
  return SENSITIVE_PATHS.some((p) => pathMatches(path, p, true));
}

/**
 * pino `redact` paths for a config logged under `root` (`config.chains[*].rpc.http`, …), for loggers
 * that log the config object itself. Prefer logging `redactConfig(config)`, which keeps URL origins.
 */
export function sensitiveLogPaths(root = "config"): string[] {
  return SENSITIVE_PATHS.map((p) => `${root}.${p.replaceAll("[]", "[*]")}`);
}
