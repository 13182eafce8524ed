// Test helper: the keeper as a real child process (`node bin/reserve-keeper.js run`), as an operator
// runs it, plus the config file it reads.
//
//   const configPath = await writeKeeperConfigFile(devnet, "keeper.json", (doc) => { doc.bus = … });
//   const keeper = await startKeeperProcess({ args: ["run", "--config", configPath, "--metrics-port", p] });
//   await keeper.ready();               // polls GET /readyz until 200 (or the process exits)
//   const text = await keeper.scrape(); // GET /metrics
//   keeper.kill("SIGKILL"); const { code, signal } = await keeper.exited;
import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { devnetPrivateKey } from "../../deploy/devnet/accounts.ts";
import { devnetKeeperConfigDocument } from "../../keeper/config/fromDevnet.ts";
import type { KeeperConfigInput } from "../../keeper/config/schema.ts";
import { PROJECT_ROOT } from "./cli.ts";
import type { Devnet } from "./keeperHarness.ts";

const BIN = join(PROJECT_ROOT, "bin", "reserve-keeper.js");

export type KeeperConfigDocument = KeeperConfigInput & Record<string, unknown>;

/**
 * Writes the devnet keeper config (devnetKeeperConfigDocument, checkpoint file in the devnet's temp
 * dir, logs at info) with `tweak` applied, as JSON in the devnet's temp dir. Returns the file's path.
 */
export async function writeKeeperConfigFile(
  devnet: Devnet,
  name: string,
  tweak: (doc: KeeperConfigDocument) => void = () => {},
): Promise<string> {
  const doc = devnetKeeperConfigDocument(devnet.manifest) as KeeperConfigDocument;
  doc.checkpoint = { path: join(devnet.dir, `${name}.checkpoint.json`) };
  doc.telemetry = { logLevel: "info" };
  tweak(doc);
  const path = join(devnet.dir, name.endsWith(".json") ? name : `${name}.json`);
  await writeFile(path, `${JSON.stringify(doc, null, 2)}\n`);
  return path;
}

/**
 * The environment of a keeper child: this process's, minus every RESERVE_KEEPER_* variable (so a
 * developer's shell cannot change the config under test), plus the devnet signer key.
 */
export function keeperEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("RESERVE_KEEPER_")) env[k] = v;
  return { ...env, RESERVE_KEEPER_SIGNER_KEY: devnetPrivateKey("keeper"), ...extra };
}

export type KeeperProcess = {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything the process wrote to stderr so far (JSON log lines). */
  stderr(): string;
  /** Resolves with how the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Polls GET /readyz until 200; rejects if the process exits first or at the deadline. */
  ready(timeoutMs?: number): Promise<void>;
  /** GET /metrics (Prometheus text). */
  scrape(): Promise<string>;
  /** Sends `signal` to this process (not its group: nothing else is ours to end). */
  kill(signal: NodeJS.Signals): void;
  /** SIGKILL if still running, and wait for the exit (afterAll cleanup). */
  dispose(): Promise<void>;
};

/** Starts `node bin/reserve-keeper.js <args>`; `metricsPort` is where ready()/scrape() look. */
export function startKeeperProcess(args: {
  readonly args: readonly string[];
  readonly metricsPort: number;
  readonly env?: NodeJS.ProcessEnv;
}): KeeperProcess {
  const child = spawn(process.execPath, [BIN, ...args.args], {
    cwd: PROJECT_ROOT,
    env: args.env ?? keeperEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error("The keeper process did not start.");
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  child.stdout?.resume();
  let ended: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      ended = { code, signal };
      resolve(ended);
    });
  });
  const base = `http://127.0.0.1:${args.metricsPort}`;
  const tail = () => err.split("\n").slice(-30).join("\n");
  return {
    child,
    pid: child.pid,
    stderr: () => err,
    exited,
    async ready(timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (ended) {
          throw new Error(
            `The keeper exited (code ${ended.code}, signal ${ended.signal}) before it was ready:\n${tail()}`,
          );
        }
        const ok = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2_000) })
          .then((r) => r.status === 200)
          .catch(() => false);
        if (ok) return;
        if (Date.now() > deadline) {
          throw new Error(`The keeper was not ready after ${timeoutMs} ms (GET /readyz):\n${tail()}`);
        }
        await new Promise((r) => setTimeout(r, 100)); // poll interval, bounded by the deadline
      }
    },
    async scrape() {
      const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5_000) });
      if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}.`);
      return res.text();
    },
    kill(signal) {
      if (!ended) child.kill(signal);
    },
    async dispose() {
      if (!ended) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** The value of one Prometheus sample, e.g. sampleValue(text, 'keeper_reserve_ratio_bps{asset="dusd"}'). */
export function sampleValue(metricsText: string, series: string): number | undefined {
  for (const line of metricsText.split("\n")) {
    if (line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    if (i > 0 && line.slice(0, i) === series) return Number(line.slice(i + 1));
  }
  return undefined;
}
