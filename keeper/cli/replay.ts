import { loadConfig } from "../config/load.ts";
import { replay, toNdjson } from "../runtime/replay.ts";
import { createLogger } from "../telemetry/logger.ts";
import { EXIT, parseOptions, required, UsageError } from "./usage.ts";

export const REPLAY_USAGE = `reserve-keeper replay --config <file> --from <block> --to <block> [--chain <name>]

Re-runs the engine over a historical block range (of --chain, default the first asset's feed chain) and
prints every decision as NDJSON. Deterministic: decision time is the trigger block's timestamp, so the
same range prints the same bytes on every run (audits, threshold backtests). Sends nothing.`;

const block = (values: Record<string, unknown>, name: string): bigint => {
  const v = required(values, name);
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} "${v}" is not a block number.`);
  return BigInt(v);
};

/** `reserve-keeper replay` */
export async function runReplay(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    config: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    chain: { type: "string" },
  });
  const { config } = await loadConfig({ path: required(values, "config") });
  const from = block(values, "from");
  const to = block(values, "to");
  if (from > to) throw new UsageError(`--from ${from} is after --to ${to}.`);
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? "warn" });
  const lines = await replay({ config, from, to, chain: values.chain, logger });
  if (lines.length > 0) process.stdout.write(`${toNdjson(lines)}\n`);
  return EXIT.ok;
}
