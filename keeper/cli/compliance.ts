/** `reserve-keeper compliance …`: the compliance service (KYC / geofence / QP gating, gate sync, on-ramp). */
import { pino } from "pino";
import { devnetPrivateKey } from "../../deploy/devnet/accounts.ts";
import { loadConfig } from "../config/load.ts";
import type { KeeperConfig } from "../config/schema.ts";
import {
  DEVNET_COMPLIANCE_KEY_ENV,
  DEVNET_ISSUER_KEY_ENV,
  writeDevnetComplianceConfig,
} from "../consumers/compliance/devnet.ts";
import { ComplianceSetupError } from "../consumers/compliance/errors.ts";
import { startComplianceService } from "../consumers/compliance/service.ts";
import { runGateSyncOnce } from "../consumers/compliance/syncOnce.ts";
import { ConfigError } from "../internal/errors.ts";
import { createLogger, type Logger } from "../telemetry/logger.ts";
import { EXIT, json, parseOptions, portOption, required, UsageError } from "./usage.ts";

/** Exit code of `compliance check` when the decision refuses. */
export const EXIT_REFUSED = 3;

export const COMPLIANCE_USAGE = `reserve-keeper compliance <command> [options]

Commands:
  serve --config f [--api-port n] [--metrics-port n] [--devnet-keys]
        run the compliance service until SIGINT/SIGTERM (graceful); SIGHUP reloads a file KYC registry
  check --account a --asset id --operation mint|redeem|transfer --amount n [--ip ip] [--url u] [--json]
        ask a running service (default --url http://127.0.0.1:8650); amount in token base units
  sync --config f [--dry-run] [--json] [--devnet-keys]
        one gate sync pass: show (and unless --dry-run, write) the differences of every ComplianceGate
  devnet-config [--manifest deployments/devnet.json] [--out f] [--kyc f]
        write devnet.compliance.yaml and devnet.kyc.json next to the devnet manifest

--devnet-keys fills $${DEVNET_COMPLIANCE_KEY_ENV} / $${DEVNET_ISSUER_KEY_ENV} from Hardhat's public test
mnemonic (refused unless every configured chain is a devnet chain, 31337 or 31338).
The service's contract (API, KYC provider, reason codes): keeper/consumers/compliance/README.md.

Exit codes: 0 success (check: allowed), 1 failure (reason on stderr), 2 bad command line,
3 check: refused (the reasons are printed).`;

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

const DEVNET_CHAIN_IDS = new Set([31337, 31338]);

/** Adds the devnet signer keys to the env (devnet chains only). */
function devnetEnv(config: KeeperConfig, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const foreign = config.chains.filter((c) => !DEVNET_CHAIN_IDS.has(c.id));
  if (foreign.length > 0) {
    throw new UsageError(
      `--devnet-keys is refused: chain ${foreign.map((c) => `${c.name} (${c.id})`).join(", ")} is not a devnet chain.`,
    );
  }
  return {
    ...env,
    [DEVNET_COMPLIANCE_KEY_ENV]: env[DEVNET_COMPLIANCE_KEY_ENV] ?? devnetPrivateKey("complianceOfficer"),
    [DEVNET_ISSUER_KEY_ENV]: env[DEVNET_ISSUER_KEY_ENV] ?? devnetPrivateKey("issuer"),
  };
}

function cliLogger(config: KeeperConfig | undefined, sync: boolean): Logger {
  const level = process.env.LOG_LEVEL ?? config?.telemetry.logLevel ?? "info";
  return sync
    ? createLogger({ level, destination: pino.destination({ dest: 2, sync: true }) })
    : createLogger({ level });
}

async function serve(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    config: { type: "string" },
    "api-port": { type: "string" },
    "metrics-port": { type: "string" },
    "devnet-keys": { type: "boolean" },
  });
  const config = (await loadConfig({ path: required(values, "config"), env: process.env })).config;
  const env = values["devnet-keys"] === true ? devnetEnv(config, process.env) : process.env;
  const apiPort = values["api-port"] === undefined ? undefined : portOption(values, "api-port");
  const metricsPort = portOption(values, "metrics-port");
  const logger = cliLogger(config, false);
  const service = await startComplianceService({
    config,
    env,
    logger,
    ...(apiPort === undefined ? {} : { apiPort }),
    ...(metricsPort === undefined ? {} : { metricsPort }),
  });
  const onHup = () => {
    service.provider
      .reload?.()
      .then((n) => service.logger.info({ records: n }, "kyc registry reloaded on SIGHUP"))
      .catch((e: unknown) => service.logger.error({ err: e }, "kyc registry reload on SIGHUP failed"));
  };
  process.on("SIGHUP", onHup);
  await new Promise<void>((resolve) => {
    const done = (signal: string) => {
      service.logger.info({ signal }, "shutdown requested");
      resolve();
    };
    process.once("SIGINT", () => done("SIGINT"));
    process.once("SIGTERM", () => done("SIGTERM"));
  });
  process.off("SIGHUP", onHup);
  await service.stop();
  return EXIT.ok;
}

async function check(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    url: { type: "string" },
    account: { type: "string" },
    asset: { type: "string" },
    operation: { type: "string" },
    amount: { type: "string" },
    ip: { type: "string" },
    json: { type: "boolean" },
  });
  const url = (typeof values.url === "string" ? values.url : "http://127.0.0.1:8650").replace(/\/+$/, "");
  const body = {
    account: required(values, "account"),
    asset: required(values, "asset"),
    operation: required(values, "operation"),
    amount: required(values, "amount"),
    ...(typeof values.ip === "string" ? { ip: values.ip } : {}),
  };
  let res: Response;
  try {
    res = await fetch(`${url}/v1/compliance/check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    err(`error: the compliance service at ${new URL(url).origin} does not answer.`);
    return EXIT.failure;
  }
  const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.status === 400) {
    err(`error: ${String(answer.message ?? "bad request")}`);
    return EXIT.usage;
  }
  if (res.status !== 200) {
    err(
      `error: the compliance service answered HTTP ${res.status}: ${String(answer.message ?? answer.error ?? "")}`,
    );
    return EXIT.failure;
  }
  if (values.json === true) out(json(answer));
  else {
    const reasons = (answer.reasons as string[] | undefined) ?? [];
    out(
      answer.allowed === true
        ? `allowed (decision ${String(answer.decisionId)})`
        : `refused: ${reasons.join(", ")} (decision ${String(answer.decisionId)})`,
    );
  }
  return answer.allowed === true ? EXIT.ok : EXIT_REFUSED;
}

async function sync(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    config: { type: "string" },
    "dry-run": { type: "boolean" },
    json: { type: "boolean" },
    "devnet-keys": { type: "boolean" },
  });
  const config = (await loadConfig({ path: required(values, "config"), env: process.env })).config;
  const env = values["devnet-keys"] === true ? devnetEnv(config, process.env) : process.env;
  const reports = await runGateSyncOnce({
    config,
    env,
    dryRun: values["dry-run"] === true,
    logger: cliLogger(config, true),
  });
  if (values.json === true) out(json(reports));
  else {
    for (const r of reports) {
      const txs = r.writes.map((w) => `${w.change}:${w.txHash}`).join(" ");
      out(
        `${r.assetId} chain ${r.chainId} gate ${r.gate}: ${r.outcome}, ${r.differences} difference(s)${txs ? ` ${txs}` : ""}${r.error ? ` (${r.error})` : ""}`,
      );
    }
  }
  return reports.some((r) => r.outcome === "failed") ? EXIT.failure : EXIT.ok;
}

async function devnetConfig(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    manifest: { type: "string" },
    out: { type: "string" },
    kyc: { type: "string" },
  });
  const manifest = typeof values.manifest === "string" ? values.manifest : "deployments/devnet.json";
  const written = await writeDevnetComplianceConfig(manifest, {
    ...(typeof values.out === "string" ? { out: values.out } : {}),
    ...(typeof values.kyc === "string" ? { kycOut: values.kyc } : {}),
  });
  out(written.configPath);
  out(written.kycPath);
  return EXIT.ok;
}

/** `reserve-keeper compliance …` */
export async function runCompliance(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "serve":
        return await serve(rest);
      case "check":
        return await check(rest);
      case "sync":
        return await sync(rest);
      case "devnet-config":
        return await devnetConfig(rest);
      case undefined:
      case "help":
      case "--help":
        out(COMPLIANCE_USAGE);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`Unknown compliance command "${command}".`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`error: ${e.message}\n\n${COMPLIANCE_USAGE}`);
      return EXIT.usage;
    }
    if (e instanceof ConfigError || e instanceof ComplianceSetupError) {
      err(`error: ${e.message}`);
      return EXIT.failure;
    }
    throw e;
  }
}
