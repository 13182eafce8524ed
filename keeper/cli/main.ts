import { decodeRevert, formatRevert } from "../internal/revert.ts";
import { runCheckConfig } from "./checkConfig.ts";
import { DEVNET_USAGE, runDevnet } from "./devnet.ts";
import { runReplay } from "./replay.ts";
import { runRun } from "./run.ts";
import { EXIT, UsageError } from "./usage.ts";

const USAGE = `reserve-keeper <command> [options]

Commands:
  run --config f [--metrics-port 9464]          run the keeper (SIGINT/SIGTERM: flush and stop)
  replay --config f --from <block> --to <block> [--chain name]   decisions over history, NDJSON
  check-config --config f [--json] [--print]   validate a keeper config, reporting every problem
  devnet …   local two-chain devnet: up, down, status, set-reserves, mint, burn, trip, unpause, demo
  help       this text

Exit codes: 0 success, 1 failure (the reason is printed on stderr), 2 bad command line.`;

/** Runs one CLI invocation and returns its exit code; data goes to stdout, diagnostics to stderr. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "devnet":
        return await runDevnet(rest);
      case "run":
        return await runRun(rest);
      case "replay":
        return await runReplay(rest);
      case "check-config":
        return await runCheckConfig(rest);
      case undefined:
      case "help":
      case "--help":
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n\n${command === "devnet" ? DEVNET_USAGE : USAGE}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`error: ${describe(err)}\n`);
    return EXIT.failure;
  }
}

/** One readable line; contract reverts show the custom error and its arguments. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const head = (err as Error & { shortMessage?: string }).shortMessage ?? err.message;
  const revert = decodeRevert(err);
  return revert ? `${head}\n  reverted with ${formatRevert(revert)}` : head;
}
