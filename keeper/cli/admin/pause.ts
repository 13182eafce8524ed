/** `reserve-keeper admin pause`: manual pause of an asset on every chain it lives on. */
import type { LocalAccount } from "viem";
import { AdminCommandError } from "../../admin/errors.ts";
import { adminPause } from "../../admin/pause.ts";
import { loadKeystoreAccount, processIo, type SecretIo } from "../../admin/secrets.ts";
import { loadSigner } from "../../config/signer.ts";
import { EXIT, parseOptions, required } from "../usage.ts";
import {
  adminLogger,
  CONFIG_OPTIONS,
  json,
  listOption,
  loadAdminConfig,
  out,
  PASSWORD_OPTION,
  passwordEnv,
  reporterFor,
} from "./common.ts";

export const PAUSE_USAGE = `reserve-keeper admin pause --asset a --reason "text" [--chain c] [--keystore k] [--dry-run] [--json]
                           [--password-env VAR] [--config f]

Pauses the asset's breaker on every chain it lives on (or only --chain, repeatable). Signs with
--keystore, else with the config's signer; the account needs KEEPER_ROLE. Already paused is success.
--dry-run simulates only.`;

export async function runPause(argv: string[], io: SecretIo = processIo()): Promise<number> {
  const { values } = parseOptions(argv, {
    ...CONFIG_OPTIONS,
    asset: { type: "string" },
    reason: { type: "string" },
    chain: { type: "string", multiple: true },
    keystore: { type: "string" },
    "dry-run": { type: "boolean" },
    ...PASSWORD_OPTION,
  });
  const asset = required(values, "asset");
  const reason = required(values, "reason");
  const chains = listOption(values.chain);
  const config = await loadAdminConfig(values);
  const logger = adminLogger(config.telemetry.logLevel);
  let account: LocalAccount | undefined;
  if (values.keystore !== undefined) {
    account = await loadKeystoreAccount(values.keystore, { envVar: passwordEnv(values), io });
  } else {
    account = await loadSigner(config.signer, process.env);
    if (!account) {
      throw new AdminCommandError({
        reason: "No signer: the config's signer.type is none; pass --keystore with a KEEPER_ROLE account.",
      });
    }
  }
  const reporter = reporterFor(config, logger);
  try {
    const outcomes = await adminPause({
      config,
      assetId: asset,
      chainNames: chains.length > 0 ? chains : undefined,
      reason,
      account,
      dryRun: values["dry-run"] === true,
      logger,
      reporter,
    });
    const ok = outcomes.every((o) => o.outcome !== "failed");
    if (values.json) {
      out(json({ ok, asset, signer: account.address, chains: outcomes }));
    } else {
      for (const o of outcomes) {
        const head = `${asset} ${o.chain} (${o.chainId}) breaker ${o.breaker}:`;
        switch (o.outcome) {
          case "succeeded":
            out(`${head} paused, tx ${o.txHash} in block ${o.blockNumber}`);
            break;
          case "noop":
            out(`${head} already paused`);
            break;
          case "dry_run":
            out(`${head} would pause (dry run: nothing sent)`);
            break;
          case "failed":
            out(`${head} FAILED: ${o.detail ?? "unknown error"}`);
            break;
        }
      }
    }
    return ok ? EXIT.ok : EXIT.failure;
  } finally {
    await reporter.close();
  }
}
