import { decodeRevert, formatRevert } from "../internal/revert.ts";
import { EXIT, UsageError } from "./usage.ts";

const USAGE = `reserve-keeper <command> [options]

Commands:
  run --config f [--metrics-port 9464]          run the keeper (SIGINT/SIGTERM: flush and stop)
  replay --config f --from <block> --to <block> [--chain name]   decisions over history, NDJSON
  check-config --config f [--json] [--print]   validate a keeper config, reporting every problem
  devnet …   local two-chain devnet: up, down, status, set-reserves, mint, burn, trip, unpause, demo
  admin …    breaker administration: status, pause, M-of-N unpause and signer changes, keystores
  compliance …  KYC/geofence/QP gating: serve (API, gate sync, on-ramp), check, sync, devnet-config
  cctp …     CCTP: serve (transfer service + API), transfer, resume, attestation-service (devnet); decode, verify
  custody …  custody service: serve (custodian reports, attestation links, health, dual-source check), attestations verify
  help       this text

Exit codes: 0 success, 1 failure (the reason is printed on stderr), 2 bad command line.`;

/** Runs one CLI invocation and returns its exit code; data goes to stdout, diagnostics to stderr. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      // Each command loads its own modules: `admin unpause sign` must not load Hardhat or viem clients.
      case "devnet":
        return await (await import("./devnet.ts")).runDevnet(rest);
      case "run":
        return await (await import("./run.ts")).runRun(rest);
      case "replay":
        return await (await import("./replay.ts")).runReplay(rest);
      case "check-config":
        return await (await import("./checkConfig.ts")).runCheckConfig(rest);
      case "admin":
        return await (await import("./admin/index.ts")).runAdmin(rest);
      case "compliance":
        return await (await import("./compliance.ts")).runCompliance(rest);
      case "cctp":
        return await (await import("./cctp.ts")).runCctp(rest);
      case "custody":
        return await (await import("./custody.ts")).runCustody(rest);
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
      const usage = await usageOf(command);
      process.stderr.write(`error: ${err.message}\n\n${usage}\n`);
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

/** The usage text of a command (loaded on demand), or the top-level one. */
async function usageOf(command: string | undefined): Promise<string> {
  switch (command) {
    case "devnet":
      return (await import("./devnet.ts")).DEVNET_USAGE;
    case "run":
      return (await import("./run.ts")).RUN_USAGE;
    case "replay":
      return (await import("./replay.ts")).REPLAY_USAGE;
    case "cctp":
      return (await import("./cctp.ts")).CCTP_USAGE;
    case "custody":
      return (await import("./custody.ts")).CUSTODY_USAGE;
    default:
      return USAGE;
  }
}
