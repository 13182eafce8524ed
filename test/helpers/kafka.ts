// Test helper: a real single-node Apache Kafka broker (KRaft) via deploy/kafka/start.sh.
//
//   if (!kafkaAvailable()) throw new Error(kafkaUnavailableReason());
//   const kafka = await startKafkaBroker();   // free ports, fresh temp data dir
//   ... new Kafka({ brokers: kafka.brokers }) ...
//   await kafka.stop();                         // SIGTERM/SIGKILL + delete the data dir
//
// The jars must have been fetched once with deploy/kafka/fetch.sh (Java + Maven).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, type logCreator, logLevel } from "kafkajs";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const KAFKA_DIR = join(REPO_ROOT, "deploy/kafka");
const LIB_DIR = join(REPO_ROOT, ".kafka/lib");
const READY_TIMEOUT_MS = 60_000;

// kafkajs 2.2.4 on Node >= 24 triggers a harmless TimeoutNegativeWarning
// (tulios/kafkajs#1751, unfixed). Drop exactly that warning, pass everything else on.
const FILTER_FLAG = Symbol.for("reserve-keeper.kafka.timeoutNegativeWarningFilter");
type EmitWarning = (warning: string | Error, ...rest: unknown[]) => void;
const proc = process as unknown as Record<symbol, unknown> & { emitWarning: EmitWarning };
if (!proc[FILTER_FLAG]) {
  proc[FILTER_FLAG] = true;
  const original = process.emitWarning.bind(process) as EmitWarning;
  proc.emitWarning = (warning, ...rest) => {
    const opt = rest[0];
    const type =
      typeof opt === "string"
        ? opt
        : typeof opt === "object" && opt !== null && "type" in opt
          ? String((opt as { type: unknown }).type)
          : warning instanceof Error
            ? warning.name
            : undefined;
    if (type === "TimeoutNegativeWarning") return;
    original(warning, ...rest);
  };
}

/**
 * kafkajs logger for tests: WARN and above to the console, minus the per-request
 * "[Connection] Response ..." ERROR lines that kafkajs prints for every error response
 * it then retries (e.g. "The coordinator is loading" right after a broker starts).
 * Errors that are not retried still surface as rejected promises.
 */
export const testLogCreator: logCreator =
  () =>
  ({ namespace, level, log }) => {
    if (level > logLevel.WARN) return;
    if (namespace === "Connection" && String(log.message).startsWith("Response ")) return;
    const { message, timestamp: _t, logger: _l, ...extra } = log;
    const line = `[kafkajs ${namespace}] ${message} ${JSON.stringify(extra)}`;
    if (level === logLevel.WARN) console.warn(line);
    else console.error(line);
  };

/** Kafka version pinned in deploy/kafka/pom.xml. */
export function pinnedKafkaVersion(): string {
  const pom = readFileSync(join(KAFKA_DIR, "pom.xml"), "utf8");
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom);
  if (!m?.[1]) throw new Error("deploy/kafka/pom.xml has no <kafka.version>");
  return m[1];
}

/** Why a broker cannot be started here, or undefined when it can. */
export function kafkaUnavailableReason(): string | undefined {
  const version = pinnedKafkaVersion();
  const stamp = join(LIB_DIR, "FETCHED");
  if (
    !existsSync(join(LIB_DIR, `kafka_2.13-${version}.jar`)) ||
    !existsSync(stamp) ||
    !readFileSync(stamp, "utf8").split("\n").includes(`kafka_version=${version}`)
  ) {
    return `Kafka ${version} jars are not fetched (${LIB_DIR}): run deploy/kafka/fetch.sh (needs java and mvn)`;
  }
  try {
    execFileSync("java", ["-version"], { stdio: "ignore" });
  } catch {
    return "java is not on PATH: the Kafka broker needs Java 17";
  }
  return undefined;
}

/** True when the broker jars for the pinned version are fetched (and java runs). */
export function kafkaAvailable(): boolean {
  return kafkaUnavailableReason() === undefined;
}

/** Distinct free TCP ports on 127.0.0.1 (bind port 0, read it, close). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((ok, fail) => {
          const s = createServer();
          s.once("error", fail);
          s.listen(0, "127.0.0.1", () => ok(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (a === null || typeof a === "string") throw new Error("unexpected server address");
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((ok) => s.close(() => ok()))));
  return ports;
}

export interface KafkaBrokerOptions {
  /** Client port; default: a free port. */
  port?: number;
  /** Controller port; default: a free port. */
  controllerPort?: number;
}

export interface KafkaBroker {
  /** kafkajs `brokers` list, e.g. ["127.0.0.1:40123"]. */
  brokers: string[];
  dataDir: string;
  logFile: string;
  /** ms from spawn to start.sh's "Kafka Server started", and to the first successful listTopics(). */
  timings: { serverStartedMs: number; firstListTopicsMs: number };
  /** Stops the broker (SIGTERM, SIGKILL after 30 s) and deletes its data dir. Idempotent. */
  stop(): Promise<void>;
}

function run(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok, fail) => {
    const child = spawn("bash", [join(KAFKA_DIR, script)], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.once("error", fail);
    child.once("close", (code) => ok({ code, stdout, stderr }));
  });
}

const live = new Set<string>(); // data dirs of brokers started by this process
process.once("exit", () => {
  // Last resort if a test forgot stop(): SIGKILL synchronously. (start.sh's watchdog,
  // KAFKA_WATCH_PID, also stops the broker if this process dies without running this.)
  for (const dir of live) {
    try {
      const pid = Number(readFileSync(join(dir, "broker.pid"), "utf8").trim());
      if (pid > 0) process.kill(pid, "SIGKILL");
    } catch {}
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {}
  }
});

async function waitForListTopics(brokers: string[], deadline: number): Promise<void> {
  const kafka = new Kafka({
    clientId: "kafka-helper-readiness",
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  let lastError: unknown;
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics();
      return;
    } catch (e) {
      lastError = e;
      await new Promise((r) => setTimeout(r, 100)); // poll interval, bounded by the deadline
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
  throw new Error(
    `Kafka at ${brokers.join(",")} did not answer listTopics() within deadline: ${String(lastError)}`,
  );
}

/**
 * Starts a fresh single-node broker (deploy/kafka/start.sh) on free 127.0.0.1 ports with a new
 * temp data dir, and resolves once kafkajs admin listTopics() succeeds.
 */
export async function startKafkaBroker(opts: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const reason = kafkaUnavailableReason();
  if (reason) throw new Error(reason);
  const autoPorts = opts.port === undefined && opts.controllerPort === undefined;
  const attempts = autoPorts ? 2 : 1; // a second try with new ports if a free port got taken meanwhile

  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const [p1, p2] = await freePorts(2);
    const port = opts.port ?? p1!;
    const controllerPort = opts.controllerPort ?? (p2 === port ? p1! : p2!);
    const dataDir = mkdtempSync(join(tmpdir(), "reserve-keeper-kafka-"));
    const env = {
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
      KAFKA_DATA_DIR: dataDir,
      KAFKA_WATCH_PID: String(process.pid),
      KAFKA_WATCH_CLEAN: "1",
    };
    const t0 = Date.now();
    live.add(dataDir);
    const started = await run("start.sh", env);
    const serverStartedMs = Date.now() - t0;
    if (started.code !== 0) {
      live.delete(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
      lastError = new Error(`deploy/kafka/start.sh failed (exit ${started.code}):\n${started.stderr}`);
      if (/BindException|Address already in use/.test(started.stderr)) continue;
      throw lastError;
    }

    const brokers = [`127.0.0.1:${port}`];
    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopped ??= (async () => {
        const r = await run("stop.sh", { KAFKA_DATA_DIR: dataDir });
        live.delete(dataDir);
        rmSync(dataDir, { recursive: true, force: true });
        if (r.code !== 0) throw new Error(`deploy/kafka/stop.sh failed (exit ${r.code}):\n${r.stderr}`);
      })();
      return stopped;
    };
    try {
      await waitForListTopics(brokers, t0 + READY_TIMEOUT_MS);
    } catch (e) {
      const tail = readFileSync(join(dataDir, "broker.log"), "utf8").split("\n").slice(-40).join("\n");
      await stop().catch(() => {});
      throw new Error(`${(e as Error).message}\n---- broker.log tail ----\n${tail}`);
    }
    return {
      brokers,
      dataDir,
      logFile: join(dataDir, "broker.log"),
      timings: { serverStartedMs, firstListTopicsMs: Date.now() - t0 },
      stop,
    };
  }
  throw lastError ?? new Error("startKafkaBroker failed");
}
