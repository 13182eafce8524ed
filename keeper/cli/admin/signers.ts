/** `reserve-keeper admin signers propose|sign|submit`: rotate the unpause signer set / threshold by quorum. */
import { type Address, getAddress, isAddress } from "viem";
import { prepareRequest } from "../../admin/prepare.ts";
import { requestDocument } from "../../admin/requests.ts";
import { EXIT, parseOptions, required, UsageError } from "../usage.ts";
import {
  adminLogger,
  CONFIG_OPTIONS,
  listOption,
  loadAdminConfig,
  out,
  runSign,
  runSubmit,
} from "./common.ts";
import { ttlOption, writeRequest } from "./unpause.ts";

async function propose(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    ...CONFIG_OPTIONS,
    asset: { type: "string" },
    chain: { type: "string" },
    signers: { type: "string", multiple: true },
    threshold: { type: "string" },
    reason: { type: "string" },
    ttl: { type: "string" },
    out: { type: "string" },
    force: { type: "boolean" },
    "dry-run": { type: "boolean" },
  });
  const asset = required(values, "asset");
  const chain = required(values, "chain");
  const signerArgs = listOption(values.signers);
  if (signerArgs.length === 0) throw new UsageError("Missing required option --signers 0x…,0x….");
  const newSigners: Address[] = signerArgs.map((s) => {
    if (!isAddress(s, { strict: false })) throw new UsageError(`--signers: "${s}" is not an address.`);
    return getAddress(s);
  });
  const thresholdText = required(values, "threshold");
  const newThreshold = Number(thresholdText);
  if (!Number.isInteger(newThreshold))
    throw new UsageError(`--threshold "${thresholdText}" is not an integer.`);
  const reason = values.reason ?? `signer set change to ${newThreshold} of ${newSigners.length}`;
  const ttlSeconds = ttlOption(values.ttl);
  const config = await loadAdminConfig(values);
  const logger = adminLogger(config.telemetry.logLevel);
  const prepared = await prepareRequest({
    kind: "updateSigners",
    config,
    assetId: asset,
    chainName: chain,
    reason,
    ttlSeconds,
    newSigners,
    newThreshold,
    logger,
  });
  const r = prepared.request;
  logger.child({ component: "admin" }).info(
    {
      action: "signers.propose",
      asset,
      chain_id: r.chainId,
      breaker: r.breaker,
      nonce: r.nonce,
      digest: requestDocument(r).digest,
      deadline: r.deadline,
      dry_run: values["dry-run"] === true,
    },
    "signer-set request prepared",
  );
  return writeRequest(
    prepared,
    values,
    `signers-${asset}-${chain}-n${r.nonce}.request.json`,
    "next: signers of the CURRENT set run, offline, `reserve-keeper admin signers sign --request <file> --keystore <their keystore>`; then `reserve-keeper admin signers submit --request <file> --signatures a.json,b.json --from-keystore <submitter>`",
  );
}

export const SIGNERS_USAGE = `reserve-keeper admin signers <propose|sign|submit> [options]

  propose  --asset a --chain c --signers 0x…,0x…,0x… --threshold n [--reason "note"] [--ttl 24h] [--out f]
           [--force] [--dry-run] [--json] [--config f]
           writes an UpdateSigners request for the breaker's current nonce (the set is sorted ascending)
  sign     --request f --keystore k [--out f] [--force] [--json] [--password-env VAR]   OFFLINE
  submit   --request f --signatures a.json,b.json --from-keystore k [--dry-run] [--json] [--timeout 120]
           [--password-env VAR] [--config f]
           a quorum of the CURRENT set must sign; the same local checks as unpause submit`;

/** `reserve-keeper admin signers …` */
export async function runSigners(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "propose":
      return propose(rest);
    case "sign":
      return runSign("updateSigners", rest);
    case "submit":
      return runSubmit("updateSigners", rest);
    case undefined:
    case "help":
    case "--help":
      out(SIGNERS_USAGE);
      return command === undefined ? EXIT.usage : EXIT.ok;
    default:
      throw new UsageError(`Unknown admin signers command "${command}".`);
  }
}
