import { type ParseArgsConfig, parseArgs } from "node:util";

/** Exit codes of every command (documented in README.md). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A bad command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Strict option parsing: unknown options, missing values and stray positionals become a UsageError
 * naming the option. Options fall back to env vars RESERVE_KEEPER_<OPTION_NAME>.
 */
export function parseOptions<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals });
    const values = parsed.values as Record<string, unknown>;
    for (const name of Object.keys(options)) {
      const env = process.env[`RESERVE_KEEPER_${name.toUpperCase().replaceAll("-", "_")}`];
      if (values[name] === undefined && env !== undefined && options[name]?.type === "string")
        values[name] = env;
    }
    return {
      values: values as ReturnType<typeof parseArgs<{ options: O }>>["values"],
      positionals: parsed.positionals,
    };
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/** Returns a required string option or throws a UsageError naming it. */
export function required(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== "string" || v.length === 0) throw new UsageError(`Missing required option --${name}.`);
  return v;
}

/** JSON output of every command: bigints as decimal strings, indented by 2. */
export function json(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString(10) : v), 2);
}

/** Parses a TCP port option. */
export function portOption(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65_535)
    throw new UsageError(`--${name} "${String(v)}" is not a TCP port.`);
  return n;
}

/** Parses the port a server listens on: 0 (any free port) to 65535. */
export function listenPortOption(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const text = String(v);
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65_535)
    throw new UsageError(`--${name} "${text}" is not a TCP port (0 = any free port).`);
  return Number(text);
}
