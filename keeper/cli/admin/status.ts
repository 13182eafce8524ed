/** `reserve-keeper admin status`: breaker state per chain, signer set, threshold, next nonce. */
import { isoOf } from "../../admin/requests.ts";
import { adminStatus } from "../../admin/status.ts";
import { EXIT, parseOptions, required } from "../usage.ts";
import { adminLogger, CONFIG_OPTIONS, json, listOption, loadAdminConfig, out } from "./common.ts";

export const STATUS_USAGE = `reserve-keeper admin status --asset a [--chain c] [--json] [--config f]

Per chain of the asset: paused or active, the unpause signer set and threshold, and the nonce the next
signed request must carry. Exit 1 when a chain cannot be read.`;

export async function runStatus(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    ...CONFIG_OPTIONS,
    asset: { type: "string" },
    chain: { type: "string", multiple: true },
  });
  const asset = required(values, "asset");
  const chains = listOption(values.chain);
  const config = await loadAdminConfig(values);
  const logger = adminLogger(config.telemetry.logLevel);
  const status = await adminStatus({
    config,
    assetId: asset,
    chainNames: chains.length > 0 ? chains : undefined,
    logger,
  });
  if (values.json) {
    out(json(status));
  } else {
    for (const c of status.chains) {
      const head = `${status.asset}  ${c.chain} (${c.chainId})  breaker ${c.breaker}`;
      if (!c.ok) {
        out(`${head}  UNREADABLE: ${c.error}`);
        continue;
      }
      out(`${head}  ${c.paused ? "PAUSED" : "active"}`);
      out(`    signers   ${c.threshold} of ${c.signers.length}: ${c.signers.join(", ")}`);
      out(`    nonce     ${c.nonce} (the next signed request must carry it)`);
      out(`    verifier  ${c.verifier}`);
      out(`    block     ${c.blockNumber} at ${isoOf(c.blockTimestamp)}`);
    }
  }
  return status.chains.every((c) => c.ok) ? EXIT.ok : EXIT.failure;
}
