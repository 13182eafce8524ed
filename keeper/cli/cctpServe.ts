/**
 * `reserve-keeper cctp serve`: the pause-aware CCTP transfer service with its HTTP API until
 * SIGINT/SIGTERM (keeper/consumers/cctp/server.ts). Dispatched from keeper/cli/cctp.ts.
 */
import { DEFAULT_CCTP_API_PORT, DEFAULT_CCTP_METRICS_PORT } from "../consumers/cctp/config.ts";
import { startCctpTransferServer } from "../consumers/cctp/server.ts";
import { cctpCliLogger, cctpContext, transferAccount, withUsage } from "./cctpTransfer.ts";
import { EXIT, listenPortOption, parseOptions, UsageError } from "./usage.ts";

export const CCTP_SERVE_USAGE = `reserve-keeper cctp serve (--config f | --manifest deployments/devnet.json [--attestation-url URL]
    [--account alice]) [--port ${DEFAULT_CCTP_API_PORT}] [--host 127.0.0.1] [--metrics-port ${DEFAULT_CCTP_METRICS_PORT}]
    [--reconcile-interval-ms n]

Runs the pause-aware CCTP transfer service until SIGINT/SIGTERM, with its HTTP API on
http://<host>:<port> (0: any free port; the bound URL is printed on stdout):
  POST /v1/transfers           {asset|"usdc", from, to, amount ("12.5" token units), speed?, maxFee?,
                                recipient?, hook? ("treasury:<account>"), version?, requestId?} → 202
  GET  /v1/transfers/{id}      status and lifecycle events (burn tx, attestation, receive tx, holds)
  GET  /v1/transfers?status=held
  POST /v1/transfers/resume    {chain, burnTxHash} → 202 (continue a transfer from its burn)
  GET  /healthz                paused assets, held counts
A transfer of an asset whose breaker is paused on any chain is held before its burn (or, once attested,
before its receive) and goes on after the unpause; USDC is never held. Pauses are learnt from
breakerEvents on the config's bus (Kafka) and from re-reading every breaker each
cctpService.pause.reconcileIntervalMs (--reconcile-interval-ms); with --manifest there is no bus, so the
re-reads (and TokenPaused reverts) are the only source. Settings: the cctpService section.
Signer: the config's signer; with --manifest the devnet account --account (default alice).
SIGINT/SIGTERM: new transfers are refused (503), held and queued transfers stop, a transaction in flight
gets cctpService.shutdownGraceMs to be mined; each transfer that did not end is printed on stdout as
"interrupted <id> <status> [burn <tx>]" (resume it with POST /v1/transfers/resume or cctp resume).
API contract: keeper/consumers/cctp/README.md.

Exit codes: 0 stopped by a signal, 1 failure (reason on stderr: config, RPC, a port in use),
2 bad command line.`;

const out = (line: string) => process.stdout.write(`${line}\n`);

function positiveMs(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const text = String(v);
  if (!/^\d{1,7}$/.test(text) || Number(text) < 100)
    throw new UsageError(`--${name} "${text}" must be a whole number of milliseconds from 100.`);
  return Number(text);
}

/** `reserve-keeper cctp serve` */
export async function runCctpServe(argv: string[]): Promise<number> {
  return withUsage(CCTP_SERVE_USAGE, argv, () => serve(argv));
}

async function serve(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    config: { type: "string" },
    manifest: { type: "string" },
    "attestation-url": { type: "string" },
    account: { type: "string" },
    port: { type: "string" },
    host: { type: "string" },
    "metrics-port": { type: "string" },
    "reconcile-interval-ms": { type: "string" },
  });
  const apiPort = listenPortOption(values, "port");
  const metricsPort = listenPortOption(values, "metrics-port");
  const reconcileIntervalMs = positiveMs(values, "reconcile-interval-ms");
  if (values.manifest === undefined && values["attestation-url"] !== undefined)
    throw new UsageError(
      "--attestation-url only works with --manifest; --config sets cctp.attestationApi.url.",
    );
  const ctx = await cctpContext(values);
  const account = await transferAccount(ctx, values, "the transfer service");
  const logger = cctpCliLogger(process.env.LOG_LEVEL ?? ctx.config.telemetry.logLevel);
  const server = await startCctpTransferServer({
    config: ctx.config,
    setup: ctx.setup,
    account,
    // The devnet manifest names no bus: pauses come from the breaker re-reads.
    ...(ctx.manifest === undefined ? {} : { bus: null }),
    logger,
    ...(apiPort === undefined ? {} : { apiPort }),
    ...(typeof values.host === "string" ? { apiHost: values.host } : {}),
    ...(metricsPort === undefined ? {} : { metricsPort }),
    ...(reconcileIntervalMs === undefined ? {} : { reconcileIntervalMs }),
  });
  out(`cctp transfer service listening on ${server.apiUrl}`);
  if (server.metricsPort !== undefined) out(`metrics on port ${server.metricsPort}`);
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  logger.info({ signal }, "shutdown requested");
  const { interrupted } = await server.stop();
  for (const i of interrupted)
    out(
      `interrupted ${i.transferId} ${i.status}${i.burnTxHash === undefined ? "" : ` burn ${i.burnTxHash}`}`,
    );
  return EXIT.ok;
}
