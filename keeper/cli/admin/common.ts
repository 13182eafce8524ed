/** Shared pieces of the `reserve-keeper admin` commands: output, config, logger, bus reporter, sign/submit. */
import { basename, dirname, join } from "node:path";
import { pino } from "pino";
import type { Address } from "viem";
import { isAddress } from "viem";
import { AdminRefusedError, formatRefusal } from "../../admin/errors.ts";
import { ADMIN_PRODUCER_NAME, type AdminReporter, createAdminReporter } from "../../admin/report.ts";
import {
  type BreakerRequest,
  type RequestKind,
  readRequestFile,
  readSignatureFile,
  signatureDocument,
  writeNewFile,
} from "../../admin/requests.ts";
import { loadKeystoreAccount, PASSWORD_ENV, processIo, type SecretIo } from "../../admin/secrets.ts";
import { describeRequest, signBreakerRequest } from "../../admin/sign.ts";
import { submitRequest } from "../../admin/submit.ts";
import { loadConfig } from "../../config/load.ts";
import type { KeeperConfig } from "../../config/schema.ts";
import { createBusFromConfig } from "../../main.ts";
import { createLogger, type Logger } from "../../telemetry/logger.ts";
import { createMetrics } from "../../telemetry/metrics.ts";
import { EXIT, json, parseOptions, required, UsageError } from "../usage.ts";

export { json };

export const out = (line: string) => process.stdout.write(`${line}\n`);
export const err = (line: string) => process.stderr.write(`${line}\n`);

/** Options every chain-reading command takes. */
export const CONFIG_OPTIONS = {
  config: { type: "string" },
  json: { type: "boolean" },
} as const;

/** Options of commands that decrypt a keystore. */
export const PASSWORD_OPTION = { "password-env": { type: "string" } } as const;

/** JSON logs on stderr, written synchronously (a CLI exits right after). LOG_LEVEL overrides. */
export function adminLogger(level: string = "info"): Logger {
  return createLogger({
    level: process.env.LOG_LEVEL ?? level,
    destination: pino.destination({ dest: 2, sync: true }),
  });
}

export async function loadAdminConfig(values: Record<string, unknown>): Promise<KeeperConfig> {
  return (await loadConfig({ path: required(values, "config"), env: process.env })).config;
}

/** Logs every act and publishes it on admin.actions through the config's bus (own producer name). */
export function reporterFor(config: KeeperConfig, logger: Logger): AdminReporter {
  return createAdminReporter({
    logger,
    openBus: () =>
      createBusFromConfig(config, logger, createMetrics(), { producerName: ADMIN_PRODUCER_NAME }),
  });
}

/** Comma-separated and/or repeated values of one option. */
export function listOption(value: unknown): string[] {
  const values = typeof value === "string" ? [value] : Array.isArray(value) ? (value as string[]) : [];
  return values
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

export function passwordEnv(values: Record<string, unknown>): string {
  const name = values["password-env"];
  if (name === undefined) return PASSWORD_ENV;
  if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new UsageError("--password-env must name an environment variable (letters, digits, '_').");
  }
  return name;
}

/** Prints a refusal (every reason) and returns the failure exit code. */
export function printRefusal(e: AdminRefusedError, asJson: boolean): number {
  if (asJson) {
    out(json({ ok: false, refused: true, code: e.code, message: e.shortMessage, refusals: e.refusals }));
  }
  err(`error: ${e.shortMessage}`);
  for (const r of e.refusals) err(`  ${formatRefusal(r)}`);
  return EXIT.failure;
}

const KIND_NAME: Record<RequestKind, string> = { unpause: "unpause", updateSigners: "signers" };

function checkKind(request: BreakerRequest, kind: RequestKind, path: string): void {
  if (request.kind !== kind) {
    throw new UsageError(
      `${path} is a ${request.kind} request: use \`reserve-keeper admin ${KIND_NAME[request.kind]} …\`.`,
    );
  }
}

/** Default signature file: next to the request, `<request>.<signer prefix>.sig.json`. */
export function defaultSignaturePath(requestPath: string, signer: Address): string {
  const base = basename(requestPath).replace(/(\.request)?\.json$/, "");
  return join(dirname(requestPath), `${base}.${signer.slice(2, 10).toLowerCase()}.sig.json`);
}

/**
 * `admin unpause sign` / `admin signers sign`: OFFLINE. No config, no RPC, no bus: reads the request,
 * shows it, decrypts the keystore (password from env or prompt), signs, writes the signature file.
 */
export async function runSign(
  kind: RequestKind,
  argv: string[],
  io: SecretIo = processIo(),
): Promise<number> {
  const { values } = parseOptions(argv, {
    request: { type: "string" },
    keystore: { type: "string" },
    out: { type: "string" },
    force: { type: "boolean" },
    json: { type: "boolean" },
    ...PASSWORD_OPTION,
  });
  const requestPath = required(values, "request");
  const keystorePath = required(values, "keystore");
  const envVar = passwordEnv(values);
  const logger = adminLogger();
  const request = await readRequestFile(requestPath);
  checkKind(request, kind, requestPath);
  for (const line of describeRequest(request)) err(line);
  const account = await loadKeystoreAccount(keystorePath, { envVar, io });
  const { signature, warnings } = await signBreakerRequest({ request, account });
  for (const w of warnings) err(`warning: ${w}`);
  const path = values.out ?? defaultSignaturePath(requestPath, signature.signer);
  await writeNewFile(path, `${json(signatureDocument(signature))}\n`, { force: values.force ?? false });
  logger.child({ component: "admin" }).info(
    {
      action: `${KIND_NAME[kind]}.sign`,
      asset: request.asset,
      chain_id: request.chainId,
      breaker: request.breaker,
      signer: signature.signer,
      digest: signature.digest,
      file: path,
    },
    "request signed (offline)",
  );
  if (values.json) {
    out(
      json({
        ok: true,
        path,
        signer: signature.signer,
        digest: signature.digest,
        kind,
        nonce: request.nonce,
      }),
    );
  } else {
    out(`wrote ${path}: ${signature.signer} signed ${request.kind} digest ${signature.digest}`);
  }
  return EXIT.ok;
}

/**
 * `admin unpause submit` / `admin signers submit`: verify locally, simulate, send, wait. Refusals list
 * every reason and send nothing (exit 1).
 */
export async function runSubmit(
  kind: RequestKind,
  argv: string[],
  io: SecretIo = processIo(),
): Promise<number> {
  const { values } = parseOptions(argv, {
    ...CONFIG_OPTIONS,
    request: { type: "string" },
    signatures: { type: "string", multiple: true },
    "from-keystore": { type: "string" },
    from: { type: "string" },
    "dry-run": { type: "boolean" },
    timeout: { type: "string" },
    ...PASSWORD_OPTION,
  });
  const requestPath = required(values, "request");
  const signaturePaths = listOption(values.signatures);
  if (signaturePaths.length === 0)
    throw new UsageError("Missing required option --signatures a.json,b.json.");
  const dryRun = values["dry-run"] === true;
  const keystore = values["from-keystore"];
  const from = values.from;
  if (from !== undefined && !dryRun) {
    throw new UsageError("--from <address> only works with --dry-run; sending needs --from-keystore.");
  }
  if (keystore === undefined && from === undefined) {
    throw new UsageError("Missing required option --from-keystore (the submitter's keystore).");
  }
  if (from !== undefined && !isAddress(from, { strict: false })) {
    throw new UsageError(`--from "${from}" is not an address.`);
  }
  const timeoutSeconds = values.timeout === undefined ? 120 : Number(values.timeout);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1) {
    throw new UsageError("--timeout must be a whole number of seconds.");
  }
  const config = await loadAdminConfig(values);
  const logger = adminLogger(config.telemetry.logLevel);
  const request = await readRequestFile(requestPath);
  checkKind(request, kind, requestPath);
  const signatures = [];
  for (const source of signaturePaths)
    signatures.push({ source, signature: await readSignatureFile(source) });
  const submitter =
    keystore !== undefined
      ? await loadKeystoreAccount(keystore, { envVar: passwordEnv(values), io })
      : (from as Address);
  const reporter = reporterFor(config, logger);
  try {
    const result = await submitRequest({
      config,
      request,
      requestSource: requestPath,
      signatures,
      submitter,
      dryRun,
      logger,
      reporter,
      receiptTimeoutMs: timeoutSeconds * 1_000,
    });
    const what = request.kind === "unpause" ? "unpause" : "signer-set change";
    if (values.json) {
      out(json({ ok: true, ...result }));
    } else if (result.outcome === "dry_run") {
      out(
        `dry run: the ${what} of breaker ${result.breaker} on chain ${result.chainId} passes every check and simulates; nothing was sent (signers ${result.signers.join(", ")})`,
      );
    } else {
      out(
        `${request.kind === "unpause" ? "unpaused" : "changed the signer set of"} breaker ${result.breaker} on chain ${result.chainId}: tx ${result.txHash} in block ${result.blockNumber} (nonce ${result.nonce}, signers ${result.signers.join(", ")})`,
      );
    }
    if (!result.published) err("warning: the admin action was not published on the bus (see the log)");
    return EXIT.ok;
  } catch (e) {
    if (e instanceof AdminRefusedError) return printRefusal(e, values.json === true);
    throw e;
  } finally {
    await reporter.close();
  }
}
