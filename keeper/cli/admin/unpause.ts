/** `reserve-keeper admin unpause prepare|sign|submit`: the M-of-N signed unpause, keys never shared. */
import { prepareRequest } from "../../admin/prepare.ts";
import { isoOf, parseDuration, requestDocument, writeNewFile } from "../../admin/requests.ts";
import { describeRequest } from "../../admin/sign.ts";
import { EXIT, parseOptions, required, UsageError } from "../usage.ts";
import {
  adminLogger,
  CONFIG_OPTIONS,
  err,
  json,
  loadAdminConfig,
  out,
  runSign,
  runSubmit,
} from "./common.ts";

/** Default TTL of a request: signers work offline, in their own time. */
export const DEFAULT_TTL = "24h";

export function ttlOption(value: string | undefined): bigint {
  const ttl = parseDuration(value ?? DEFAULT_TTL);
  if (ttl === undefined) throw new UsageError(`--ttl "${value}" is not a duration like 90s, 15m, 24h or 7d.`);
  return ttl;
}

/** `unpause prepare` / `signers propose`: write the request file (or print it with --dry-run). */
export async function writeRequest(
  prepared: Awaited<ReturnType<typeof prepareRequest>>,
  values: {
    out?: string | undefined;
    force?: boolean | undefined;
    json?: boolean | undefined;
    "dry-run"?: boolean | undefined;
  },
  defaultName: string,
  nextStep: string,
): Promise<number> {
  const { request, warnings } = prepared;
  const document = requestDocument(request);
  const path = values.out ?? defaultName;
  const dryRun = values["dry-run"] === true;
  if (!dryRun) await writeNewFile(path, `${json(document)}\n`, { force: values.force ?? false });
  if (values.json) {
    out(json({ ok: true, dryRun, ...(dryRun ? {} : { path }), warnings, request: document }));
  } else {
    out(dryRun ? "dry run: the request was not written" : `wrote ${path}`);
    for (const line of describeRequest(request)) out(line);
    out(`  expires   ${isoOf(request.deadline)}`);
    if (!dryRun) out(nextStep.replaceAll("<file>", path));
  }
  for (const w of warnings) err(`warning: ${w}`);
  return EXIT.ok;
}

async function prepare(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    ...CONFIG_OPTIONS,
    asset: { type: "string" },
    chain: { type: "string" },
    reason: { type: "string" },
    ttl: { type: "string" },
    out: { type: "string" },
    force: { type: "boolean" },
    "dry-run": { type: "boolean" },
  });
  const asset = required(values, "asset");
  const chain = required(values, "chain");
  const reason = required(values, "reason");
  const ttlSeconds = ttlOption(values.ttl);
  const config = await loadAdminConfig(values);
  const logger = adminLogger(config.telemetry.logLevel);
  const prepared = await prepareRequest({
    kind: "unpause",
    config,
    assetId: asset,
    chainName: chain,
    reason,
    ttlSeconds,
    logger,
  });
  const r = prepared.request;
  logger.child({ component: "admin" }).info(
    {
      action: "unpause.prepare",
      asset,
      chain_id: r.chainId,
      breaker: r.breaker,
      nonce: r.nonce,
      digest: requestDocument(r).digest,
      deadline: r.deadline,
      dry_run: values["dry-run"] === true,
    },
    "unpause request prepared",
  );
  return writeRequest(
    prepared,
    values,
    `unpause-${asset}-${chain}-n${r.nonce}.request.json`,
    `next: each signer runs, offline, \`reserve-keeper admin unpause sign --request <file> --keystore <their keystore>\`; then \`reserve-keeper admin unpause submit --request <file> --signatures a.json,b.json --from-keystore <submitter>\``,
  );
}

export const UNPAUSE_USAGE = `reserve-keeper admin unpause <prepare|sign|submit> [options]

  prepare  --asset a --chain c --reason "text" [--ttl 24h] [--out f] [--force] [--dry-run] [--json] [--config f]
           reads the breaker's nonce and the chain's time, writes the EIP-712 request (domain, types,
           message, digest, chain id, breaker, reason); default file unpause-<asset>-<chain>-n<nonce>.request.json
  sign     --request f --keystore k [--out f] [--force] [--json] [--password-env VAR]
           OFFLINE (no config, no RPC): shows the request, asks for the keystore password
           (or reads $RESERVE_KEEPER_KEYSTORE_PASSWORD) and writes {signer, signature, digest}
  submit   --request f --signatures a.json,b.json --from-keystore k [--dry-run] [--json] [--timeout 120]
           [--password-env VAR] [--config f]   (--dry-run may use --from <address> instead of a keystore)
           verifies locally (signers in the on-chain set, no duplicates, quorum, deadline, nonce, chain
           id), simulates, sends, waits; any failed check refuses with its reason and sends nothing`;

/** `reserve-keeper admin unpause …` */
export async function runUnpause(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "prepare":
      return prepare(rest);
    case "sign":
      return runSign("unpause", rest);
    case "submit":
      return runSubmit("unpause", rest);
    case undefined:
    case "help":
    case "--help":
      out(UNPAUSE_USAGE);
      return command === undefined ? EXIT.usage : EXIT.ok;
    default:
      throw new UsageError(`Unknown admin unpause command "${command}".`);
  }
}
