/** `reserve-keeper admin …`: M-of-N breaker administration without ever sharing keys. */
import { ConfigError } from "../../internal/errors.ts";
import { EXIT, UsageError } from "../usage.ts";
import { err, out } from "./common.ts";
import { KEYSTORE_USAGE, runKeystore } from "./keystore.ts";
import { PAUSE_USAGE, runPause } from "./pause.ts";
import { runSigners, SIGNERS_USAGE } from "./signers.ts";
import { runStatus, STATUS_USAGE } from "./status.ts";
import { runUnpause, UNPAUSE_USAGE } from "./unpause.ts";

export const ADMIN_USAGE = `reserve-keeper admin <command> [options]

Commands:
  status   --asset a                                breaker state per chain, signer set, threshold, next nonce
  pause    --asset a --reason "…"                   manual pause on every chain of the asset (KEEPER_ROLE signer)
  unpause  prepare | sign | submit                  M-of-N signed unpause (sign is offline)
  signers  propose | sign | submit                  change the signer set / threshold by the same quorum
  keystore new | import --out f                     encrypted JSON keystores (keys never on the command line)

Chain commands read the keeper config (--config f or RESERVE_KEEPER_CONFIG) for RPC URLs and
deployments. Keystore passwords come from $RESERVE_KEEPER_KEYSTORE_PASSWORD (or --password-env VAR) or
an interactive prompt. Every act is logged (JSON on stderr) and published on the bus topic admin.actions.
--json prints machine-readable results; --dry-run verifies and simulates without sending.
\`reserve-keeper admin <command> help\` for each command's options.

Exit codes: 0 success, 1 failure or refusal (every reason on stderr; nothing was sent), 2 bad command line.`;

const GROUP_USAGE: Record<string, string> = {
  status: STATUS_USAGE,
  pause: PAUSE_USAGE,
  unpause: UNPAUSE_USAGE,
  signers: SIGNERS_USAGE,
  keystore: KEYSTORE_USAGE,
};

/** `reserve-keeper admin …` */
export async function runAdmin(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "status":
        return rest[0] === "help" ? help(STATUS_USAGE) : await runStatus(rest);
      case "pause":
        return rest[0] === "help" ? help(PAUSE_USAGE) : await runPause(rest);
      case "unpause":
        return await runUnpause(rest);
      case "signers":
        return await runSigners(rest);
      case "keystore":
        return await runKeystore(rest);
      case undefined:
      case "help":
      case "--help":
        out(ADMIN_USAGE);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`Unknown admin command "${command}".`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`error: ${e.message}\n\n${GROUP_USAGE[command ?? ""] ?? ADMIN_USAGE}`);
      return EXIT.usage;
    }
    if (e instanceof ConfigError) {
      err(`error: ${e.message}`);
      return EXIT.failure;
    }
    throw e;
  }
}

function help(usage: string): number {
  out(usage);
  return EXIT.ok;
}
