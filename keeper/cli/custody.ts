/** `reserve-keeper custody …`: the custody service and the operator's attestation check. */
import { pino } from "pino";
import type { Bus } from "../bus/port.ts";
import { httpUrlProblem } from "../config/fields.ts";
import { loadConfig } from "../config/load.ts";
import type { KeeperConfig } from "../config/schema.ts";
import { loadSigner } from "../config/signer.ts";
import { type FetchLike, verifyAttestation } from "../consumers/custody/attestations.ts";
import { type CustodyConfig, checkCustodyReferences } from "../consumers/custody/config.ts";
import { type CustodyPauser, openCustodyPauser } from "../consumers/custody/pauser.ts";
import { createCustodyProvider } from "../consumers/custody/provider.ts";
import { createCustodyServer } from "../consumers/custody/server.ts";
import { createCustodyService } from "../consumers/custody/service.ts";
import type { AttestationDocument, AttestationVerification } from "../consumers/custody/types.ts";
import { ConfigError } from "../internal/errors.ts";
import { createBusFromConfig, type RunningKeeper, startKeeper } from "../main.ts";
import { createLogger, type Logger } from "../telemetry/logger.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import { EXIT, json, parseOptions, portOption, required, UsageError } from "./usage.ts";

export const CUSTODY_USAGE = `reserve-keeper custody <command> [options]

Commands:
  serve --config f [--port 9471] [--with-keeper]
      Runs the custody service until SIGINT/SIGTERM: polls the custodian (custody.provider), verifies
      attestation links, evaluates custody health, compares the custodian balance with the PoR answer
      from the bus (reserve.observed) and publishes custody.* (topic custody.events) and
      reserve.sources_* (topic reserve.decisions). HTTP on custody.server (127.0.0.1:9471 by default):
      GET /v1/attestations, /v1/custody, /healthz, /metrics. Needs bus.type kafka to see a keeper running
      elsewhere; with the in-process bus, --with-keeper runs the keeper in this process too.
  attestations verify --config f [--asset a]… [--from-report] [--json]
  attestations verify --url u --sha256 h [--config f] [--json]
      Fetches each attestation document once and checks its SHA-256: the links pinned in custody.assets
      (and, with --from-report, those the custodian's current report lists), or one --url. Prints one
      line per link on stdout (--json: a JSON array). Publishes nothing.

Exit codes: 0 success (verify: every document verified), 1 failure (verify: any hash_mismatch,
unreachable or too_large; the reason is printed on stderr), 2 bad command line.`;

/** Where a command writes (tests inject their own) and what it fetches documents with. */
export type CustodyCliIo = {
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  readonly fetch?: FetchLike | undefined;
};

type Print = { out(line: string): void; err(line: string): void };

/** Producer name of the custody service's bus messages (its own Kafka transactional id: never fences the keeper). */
export const CUSTODY_PRODUCER_NAME = "reserve-keeper-custody";

async function loadCustodyConfig(path: string): Promise<{ config: KeeperConfig; custody: CustodyConfig }> {
  const { config } = await loadConfig({ path, env: process.env });
  if (!config.custody) {
    throw new ConfigError({
      file: path,
      problems: [{ path: "custody", message: "is required by this command" }],
    });
  }
  const problems = checkCustodyReferences(config.custody, config);
  if (problems.length > 0) throw new ConfigError({ file: path, problems });
  return { config, custody: config.custody };
}

/** `reserve-keeper custody …` */
export async function runCustody(argv: string[], io: CustodyCliIo = {}): Promise<number> {
  const stdout = io.stdout ?? ((t: string) => process.stdout.write(t));
  const stderr = io.stderr ?? ((t: string) => process.stderr.write(t));
  const { out, err }: Print = { out: (line) => stdout(`${line}\n`), err: (line) => stderr(`${line}\n`) };
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "serve":
        return await runServe(rest, err);
      case "attestations": {
        const [sub, ...args] = rest;
        if (sub !== "verify") throw new UsageError(`Unknown custody attestations command "${sub ?? ""}".`);
        return await runVerify(args, io.fetch, { out, err });
      }
      case undefined:
      case "help":
      case "--help":
        out(CUSTODY_USAGE);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`Unknown custody command "${command}".`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err(`error: ${e.message}\n\n${CUSTODY_USAGE}`);
      return EXIT.usage;
    }
    if (e instanceof ConfigError) {
      err(`error: ${e.message}`);
      return EXIT.failure;
    }
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// serve
// ---------------------------------------------------------------------------------------------

async function runServe(argv: string[], err: Print["err"]): Promise<number> {
  const { values } = parseOptions(argv, {
    config: { type: "string" },
    port: { type: "string" },
    "with-keeper": { type: "boolean" },
  });
  const { config, custody } = await loadCustodyConfig(required(values, "config"));
  const withKeeper = values["with-keeper"] === true;
  if (config.bus.type === "inprocess" && !withKeeper) {
    err(
      "error: custody serve cannot see a keeper running elsewhere on the in-process bus (bus.type is inprocess); " +
        "configure bus.type kafka, or add --with-keeper to run the keeper in this process.",
    );
    return EXIT.failure;
  }
  const logger = createLogger({ level: config.telemetry.logLevel });
  const metrics = createMetrics();
  // Its own producer name (Kafka transactional id), unless the keeper publishes through the same bus.
  const bus: Bus = await createBusFromConfig(
    config,
    logger,
    metrics,
    withKeeper ? {} : { producerName: CUSTODY_PRODUCER_NAME },
  );
  let keeper: RunningKeeper | undefined;
  let pauser: CustodyPauser | undefined;
  try {
    if (withKeeper) keeper = await startKeeper({ config, bus, logger });
    const provider = createCustodyProvider(custody.provider, process.env);
    if (custody.dualSource.onDisagree === "pause") {
      const account = await loadSigner(config.signer, process.env);
      if (!account) throw new ConfigError({ problems: checkCustodyReferences(custody, config) });
      pauser = await openCustodyPauser({ config, account, bus, logger, metrics });
    }
    const service = createCustodyService({ config, bus, provider, logger, metrics, pauser });
    const server = createCustodyServer({
      host: custody.server.host,
      port: portOption(values, "port") ?? custody.server.port,
      service,
      registry: metrics.registry,
    });
    const port = await server.start();
    try {
      await service.start();
      logger.info({ host: custody.server.host, port, with_keeper: withKeeper }, "custody service running");
      await new Promise<void>((resolve) => {
        const done = (signal: string) => {
          logger.info({ signal }, "shutdown requested");
          resolve();
        };
        process.once("SIGINT", () => done("SIGINT"));
        process.once("SIGTERM", () => done("SIGTERM"));
      });
    } finally {
      await service.stop();
      await server.stop();
    }
    return EXIT.ok;
  } finally {
    await pauser?.close().catch(() => {});
    await keeper?.stop().catch(() => {});
    await bus.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// attestations verify
// ---------------------------------------------------------------------------------------------

type VerifyTarget = AttestationDocument & { readonly assetId: string | null; readonly source: string };

function quietLogger(level: string): Logger {
  return createLogger({
    level: process.env.LOG_LEVEL ?? level,
    destination: pino.destination({ dest: 2, sync: true }),
  });
}

async function runVerify(argv: string[], fetch: FetchLike | undefined, { out, err }: Print): Promise<number> {
  const { values } = parseOptions(argv, {
    config: { type: "string" },
    asset: { type: "string", multiple: true },
    "from-report": { type: "boolean" },
    url: { type: "string" },
    sha256: { type: "string" },
    json: { type: "boolean" },
  });
  const targets: VerifyTarget[] = [];
  let limits = { timeoutMs: 15_000, maxBytes: 20_971_520 };
  let custody: CustodyConfig | undefined;
  if (values.config !== undefined) {
    custody = (await loadCustodyConfig(values.config)).custody;
    limits = { timeoutMs: custody.attestations.timeoutMs, maxBytes: custody.attestations.maxBytes };
  }
  if (values.url !== undefined) {
    const sha = values.sha256;
    if (sha === undefined) throw new UsageError("--url needs --sha256 (the expected digest).");
    const problem = httpUrlProblem(values.url);
    if (problem) throw new UsageError(`--url ${problem}.`);
    if (!/^[0-9a-fA-F]{64}$/.test(sha)) throw new UsageError("--sha256 must be 64 hex characters.");
    targets.push({
      url: values.url,
      sha256: sha.toLowerCase(),
      auditor: "(command line)",
      period: { start: 0n, end: 0n },
      assetId: null,
      source: "command_line",
    });
  } else {
    if (!custody) throw new UsageError("Missing required option --config (or give --url and --sha256).");
    const wanted = (values.asset ?? []).flatMap((a) => a.split(",")).filter((a) => a !== "");
    for (const id of wanted) {
      if (!custody.assets.some((a) => a.id === id)) {
        throw new UsageError(
          `--asset "${id}" is not in custody.assets (${custody.assets.map((a) => a.id).join(", ")}).`,
        );
      }
    }
    const assets = custody.assets.filter((a) => wanted.length === 0 || wanted.includes(a.id));
    let failed = false;
    for (const a of assets) {
      for (const link of a.attestations) targets.push({ ...link, assetId: a.id, source: "config" });
      if (values["from-report"] === true) {
        try {
          const report = await createCustodyProvider(custody.provider, process.env).getReport(a.id);
          for (const link of report.attestations) {
            if (!targets.some((t) => t.assetId === a.id && t.url === link.url && t.sha256 === link.sha256))
              targets.push({ ...link, assetId: a.id, source: "report" });
          }
        } catch (e) {
          failed = true;
          const logger = quietLogger("info");
          logger.error({ err: e, asset: a.id }, "custody report request failed");
          err(
            `error: the custodian report of ${a.id} could not be read: ${(e as Error).message.split("\n")[0]}`,
          );
        }
      }
    }
    if (failed && targets.length === 0) return EXIT.failure;
  }
  if (targets.length === 0) {
    err("error: no attestation links to verify (custody.assets[].attestations is empty; try --from-report).");
    return EXIT.failure;
  }
  const results: (VerifyTarget & AttestationVerification)[] = [];
  for (const t of targets) {
    results.push({
      ...t,
      ...(await verifyAttestation({ url: t.url, expectedSha256: t.sha256, ...limits, fetch })),
    });
  }
  if (values.json) {
    out(
      json(
        results.map((r) => ({
          assetId: r.assetId,
          url: r.url,
          auditor: r.auditor,
          source: r.source,
          outcome: r.outcome,
          sha256Expected: r.sha256,
          sha256Actual: r.actualSha256 ?? null,
          httpStatus: r.httpStatus ?? null,
          bytes: r.bytes ?? null,
          detail: r.detail ?? null,
        })),
      ),
    );
  } else {
    for (const r of results) {
      const head = `${r.outcome.toUpperCase().padEnd(13)} ${r.assetId ?? "-"} ${r.url}`;
      switch (r.outcome) {
        case "verified":
          out(`${head} sha256 ${r.sha256}`);
          break;
        case "hash_mismatch":
          out(`${head} expected ${r.sha256} got ${r.actualSha256}`);
          break;
        default:
          out(`${head} ${r.detail ?? ""}`.trimEnd());
      }
    }
  }
  const bad = results.filter((r) => r.outcome !== "verified");
  if (bad.length > 0) err(`error: ${bad.length} of ${results.length} attestation documents did not verify.`);
  return bad.length === 0 ? EXIT.ok : EXIT.failure;
}
