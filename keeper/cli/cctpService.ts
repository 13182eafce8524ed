/**
 * `reserve-keeper cctp attestation-service`: the devnet attestation service (a local stand-in for
 * Circle's Iris) until SIGINT/SIGTERM. Dispatched from keeper/cli/cctp.ts.
 */
import type { Hex } from "viem";
import { privateKeyToAddress } from "viem/accounts";
import { devnetPrivateKey } from "../../deploy/devnet/accounts.ts";
import { DEVNET_CCTP_ATTESTER_ROLES } from "../../deploy/devnet/cctp.ts";
import { createAttestationService } from "../cctp/attestationService/attestationService.ts";
import { attestationServiceConfigSchema } from "../cctp/config.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import { createTelemetryServer } from "../telemetry/server.ts";
import { cctpCliLogger, cctpContext, withUsage } from "./cctpTransfer.ts";
import { EXIT, listenPortOption, parseOptions, portOption, UsageError } from "./usage.ts";

export const CCTP_SERVICE_USAGE = `reserve-keeper cctp attestation-service (--manifest deployments/devnet.json | --config f)
    [--port 8790 (0: any free port)] [--host 127.0.0.1] [--metrics-port n] [--keys-env VAR]

DEVNET ONLY. Watches the V2 and V1 MessageTransmitters of every CCTP chain (backfilling from their
deployment block), signs each burn as Circle's attestation service (Iris) does once it has its
confirmations, and serves Iris's API on http://<host>:<port>: /v2/messages/{domain}?transactionHash=…,
/v2/burn/USDC/fees/{src}/{dst}, /v2/fastBurn/USDC/allowance, /v1/attestations/{messageHash},
/v1/messages/{domain}/{tx}, /v2/publicKeys. Settings: cctp.attestationService (confirmations, fast fee,
allowance, expiration); --port and --host override them.
Attester keys: with --manifest the devnet attester accounts; with --config the comma-separated private
keys in $RESERVE_KEEPER_CCTP_ATTESTER_KEYS (or --keys-env VAR). Runs until SIGINT/SIGTERM.

Exit codes: 0 stopped by a signal, 1 failure (reason on stderr), 2 bad command line.`;

const KEY = /^0x[0-9a-fA-F]{64}$/;

/** `reserve-keeper cctp attestation-service` */
export async function runCctpAttestationService(argv: string[]): Promise<number> {
  return withUsage(CCTP_SERVICE_USAGE, argv, () => serve(argv));
}

async function serve(argv: string[]): Promise<number> {
  const { values } = parseOptions(argv, {
    config: { type: "string" },
    manifest: { type: "string" },
    port: { type: "string" },
    host: { type: "string" },
    "metrics-port": { type: "string" },
    "keys-env": { type: "string" },
  });
  const ctx = await cctpContext(values);
  const base = ctx.setup.config.attestationService ?? attestationServiceConfigSchema.parse({});
  const port = listenPortOption(values, "port");
  const settings = {
    ...base,
    ...(port === undefined ? {} : { port }),
    ...(values.host === undefined ? {} : { host: values.host }),
  };
  let keys: Hex[];
  if (ctx.manifest !== undefined) {
    keys = DEVNET_CCTP_ATTESTER_ROLES.map((r) => devnetPrivateKey(r));
  } else {
    const name = values["keys-env"] ?? "RESERVE_KEEPER_CCTP_ATTESTER_KEYS";
    const raw = process.env[name];
    if (raw === undefined || raw.trim() === "")
      throw new UsageError(`The attester keys variable ${name} is not set.`);
    keys = raw.split(",").map((k) => k.trim()) as Hex[];
    if (!keys.every((k) => KEY.test(k))) {
      throw new UsageError(`${name} must hold comma-separated private keys (0x + 64 hex digits each).`);
    }
  }
  const logger = cctpCliLogger("info");
  const attesters = new Set(keys.map((k) => privateKeyToAddress(k).toLowerCase()));
  for (const version of [1, 2] as const) {
    const set = version === 1 ? ctx.setup.config.attesters.v1 : ctx.setup.config.attesters.v2;
    const known = set?.addresses.filter((a) => attesters.has(a.toLowerCase())).length ?? 0;
    if (set !== undefined && known < set.threshold) {
      process.stderr.write(
        `warning: the keys sign for ${known} of the V${version} attesters, below the threshold ${set.threshold}: destinations will reject these attestations\n`,
      );
    }
  }
  const metrics = createMetrics();
  const service = createAttestationService({
    setup: ctx.setup,
    settings,
    attesterKeys: keys,
    logger,
    metrics,
  });
  const { url } = await service.start();
  const metricsPort = portOption(values, "metrics-port");
  const telemetry =
    metricsPort === undefined
      ? undefined
      : createTelemetryServer({
          host: settings.host,
          port: metricsPort,
          registry: metrics.registry,
          health: () => ({ ok: true }),
          ready: () => ({ ok: true }),
        });
  await telemetry?.start();
  process.stdout.write(`attestation service listening on ${url}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await telemetry?.stop();
  await service.stop();
  return EXIT.ok;
}
