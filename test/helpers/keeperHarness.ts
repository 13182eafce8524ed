import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { devnetPrivateKey } from "../../deploy/devnet/accounts.ts";
import { type DevnetManifest, readDevnetManifest } from "../../deploy/devnet/manifest.ts";
import { createFileCheckpointStore } from "../../keeper/bus/checkpoint.ts";
import { createInProcessBus, type InProcessBus } from "../../keeper/bus/inprocess.ts";
import type { Bus } from "../../keeper/bus/port.ts";
import type { Envelope } from "../../keeper/bus/types.ts";
import { devnetKeeperConfigDocument } from "../../keeper/config/fromDevnet.ts";
import { parseConfig } from "../../keeper/config/load.ts";
import type { KeeperConfig, KeeperConfigInput } from "../../keeper/config/schema.ts";
import { waitFor as pollUntil } from "../../keeper/internal/waitFor.ts";
import { type RunningKeeper, startKeeper } from "../../keeper/main.ts";
import type { KeeperHooks } from "../../keeper/runtime/keeper.ts";
import { createLogger } from "../../keeper/telemetry/logger.ts";
import { runCli } from "./cli.ts";
import { freePort } from "./ports.ts";

export type Devnet = {
  readonly dir: string;
  readonly manifestPath: string;
  readonly manifest: DevnetManifest;
  /** CLI args selecting this devnet's manifest. */
  readonly m: readonly string[];
  stop(): Promise<void>;
};

/**
 * A private devnet (two hardhat nodes on free ports, one block a second) started through the CLI, as a
 * user would; `stop()` brings it down and deletes its directory. The one way tests start a devnet.
 * `tmpPrefix` names the temporary directory (manifest, node state) after the test.
 */
export async function startDevnet(opts: { tmpPrefix?: string } = {}): Promise<Devnet> {
  const dir = await mkdtemp(join(tmpdir(), opts.tmpPrefix ?? "rk-keeper-"));
  const manifestPath = join(dir, "devnet.json");
  const stop = async () => {
    await runCli(["devnet", "down", "--state-dir", join(dir, "state")]);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const up = await runCli([
      "devnet",
      "up",
      "--home-port",
      String(await freePort()),
      "--remote-port",
      String(await freePort()),
      "--state-dir",
      join(dir, "state"),
      "--manifest",
      manifestPath,
    ]);
    if (up.code !== 0) throw new Error(`devnet up failed (exit ${up.code}): ${up.stderr}`);
    return {
      dir,
      manifestPath,
      manifest: await readDevnetManifest(manifestPath),
      m: ["--manifest", manifestPath],
      stop,
    };
  } catch (err) {
    // A half-started devnet (one node up) would outlive the test: bring it down before failing.
    await stop().catch(() => {});
    throw err;
  }
}

/** The devnet keeper config with test tweaks applied to the file-form document. */
export function devnetConfig(
  devnet: Devnet,
  tweak: (doc: KeeperConfigInput & Record<string, unknown>) => void = () => {},
): KeeperConfig {
  const doc = devnetKeeperConfigDocument(devnet.manifest) as KeeperConfigInput & Record<string, unknown>;
  doc.checkpoint = { path: join(devnet.dir, "keeper-checkpoint.json") };
  doc.telemetry = { metricsPort: 9464, logLevel: (process.env.KEEPER_TEST_LOG ?? "silent") as "silent" };
  tweak(doc);
  return parseConfig(doc, { env: {} }).config;
}

export type KeeperRun = {
  readonly running: RunningKeeper;
  readonly bus: Bus;
  /** Every envelope published, in order (collected by a subscriber of every topic). */
  readonly messages: Envelope[];
  stop(): Promise<void>;
};

/** Starts the keeper (devnet key from the public test mnemonic) on an in-process bus and records every message. */
export async function startTestKeeper(
  config: KeeperConfig,
  opts: { hooks?: KeeperHooks; bus?: InProcessBus } = {},
): Promise<KeeperRun> {
  const logger = createLogger({ level: config.telemetry.logLevel, destination: process.stderr as never });
  const bus =
    opts.bus ??
    createInProcessBus({
      keeperId: config.keeperId,
      checkpoints: createFileCheckpointStore({ path: config.checkpoint.path, keeperId: config.keeperId }),
      logger,
    });
  const messages: Envelope[] = [];
  const sub = await bus.subscribe({
    topics: ["observations", "decisions", "breakerEvents"],
    groupId: `test-${Math.random()}`,
    fromBeginning: false,
    onMessage: (e) => {
      messages.push(e);
    },
  });
  const running = await startKeeper({
    config,
    env: { RESERVE_KEEPER_SIGNER_KEY: devnetPrivateKey("keeper") },
    metricsPort: null,
    logger,
    hooks: opts.hooks,
    bus,
  });
  return {
    running,
    bus,
    messages,
    async stop() {
      await running.stop();
      await sub.close();
    },
  };
}

/** Polls with a deadline: the project's one waitFor (keeper/internal/waitFor.ts), 50 ms default interval here. */
export const waitFor = <T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<T> => pollUntil(what, check, timeoutMs, intervalMs);
