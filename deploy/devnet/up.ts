import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { HOME_CHAIN_ID, REMOTE_CHAIN_ID } from "../../hardhat.config.ts";
import { writeDevnetKeeperConfig } from "../../keeper/config/fromDevnet.ts";
import { type DevnetChainEndpoint, deployDevnet } from "./deploy.ts";
import { type DevnetManifest, writeDevnetManifest } from "./manifest.ts";
import { isAlive, PROJECT_ROOT, startHardhatNode, stopProcess, waitForRpc } from "./nodes.ts";

export interface DevnetOptions {
  /** Folder for pids and node logs (default .devnet/). */
  stateDir?: string;
  /** Where the manifest is written (default deployments/devnet.json). */
  manifestPath?: string;
  homePort?: number;
  remotePort?: number;
  log?: (line: string) => void;
}

interface DevnetState {
  pids: number[];
  manifestPath: string;
  startedAt: string;
}

export const DEFAULT_STATE_DIR = join(PROJECT_ROOT, ".devnet");
export const DEFAULT_MANIFEST = join(PROJECT_ROOT, "deployments", "devnet.json");

const stateFile = (dir: string) => join(dir, "state.json");

async function readState(dir: string): Promise<DevnetState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(dir), "utf8")) as DevnetState;
  } catch {
    return undefined;
  }
}

/**
 * Starts the home and remote chains (two `hardhat node` processes on 127.0.0.1, one block a second),
 * deploys the demo asset on both and writes the manifest. The nodes keep running after this returns;
 * stop them with devnetDown().
 */
export async function devnetUp(opts: DevnetOptions = {}): Promise<DevnetManifest> {
  const stateDir = resolve(opts.stateDir ?? DEFAULT_STATE_DIR);
  const manifestPath = resolve(opts.manifestPath ?? DEFAULT_MANIFEST);
  const log = opts.log ?? (() => {});
  const existing = await readState(stateDir);
  if (existing?.pids.some(isAlive)) {
    throw new Error(
      `A devnet is already running from ${stateDir} (pids ${existing.pids.join(", ")}); stop it with \`reserve-keeper devnet down\`.`,
    );
  }
  await mkdir(stateDir, { recursive: true });
  const homePort = opts.homePort ?? 8545;
  const remotePort = opts.remotePort ?? 8546;
  const endpoint = (name: string, role: "home" | "remote", chainId: number, port: number) =>
    ({
      name,
      role,
      chainId,
      rpcHttpUrl: `http://127.0.0.1:${port}`,
      rpcWsUrl: `ws://127.0.0.1:${port}`,
    }) satisfies DevnetChainEndpoint;
  const home = endpoint("home", "home", HOME_CHAIN_ID, homePort);
  const remote = endpoint("remote", "remote", REMOTE_CHAIN_ID, remotePort);

  const pids: number[] = [];
  const state: DevnetState = { pids, manifestPath, startedAt: new Date().toISOString() };
  try {
    for (const [c, network] of [
      [home, "devnetHome"],
      [remote, "devnetRemote"],
    ] as const) {
      const logFile = join(stateDir, `${c.name}.log`);
      await rm(logFile, { force: true });
      pids.push(startHardhatNode({ network, port: Number(new URL(c.rpcHttpUrl).port), logFile }));
      await writeFile(stateFile(stateDir), JSON.stringify(state, null, 2));
      log(`started ${c.name} chain ${c.chainId} at ${c.rpcHttpUrl} (pid ${pids.at(-1)}, log ${logFile})`);
    }
    await Promise.all([
      waitForRpc(home.rpcHttpUrl, home.chainId),
      waitForRpc(remote.rpcHttpUrl, remote.chainId),
    ]);
    const manifest = await deployDevnet(home, remote, log);
    await writeDevnetManifest(manifestPath, manifest);
    log(`wrote ${manifestPath}`);
    const keeperConfig = await writeDevnetKeeperConfig(manifestPath, undefined, {
      checkpoint: { path: join(stateDir, "keeper-checkpoint.json") },
    });
    log(`wrote ${keeperConfig.path}`);
    return manifest;
  } catch (err) {
    await Promise.all(pids.map((p) => stopProcess(p)));
    await rm(stateFile(stateDir), { force: true });
    throw err;
  }
}

/** Stops the devnet nodes started from `stateDir`; returns the pids that were stopped. */
export async function devnetDown(opts: Pick<DevnetOptions, "stateDir"> = {}): Promise<number[]> {
  const stateDir = resolve(opts.stateDir ?? DEFAULT_STATE_DIR);
  const state = await readState(stateDir);
  if (!state) return [];
  const alive = state.pids.filter(isAlive);
  await Promise.all(alive.map((p) => stopProcess(p)));
  await rm(stateFile(stateDir), { force: true });
  return alive;
}
