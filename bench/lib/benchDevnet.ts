import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DevnetManifest } from "../../deploy/devnet/manifest.ts";
import { rpc } from "../../deploy/devnet/nodes.ts";
import { freePort } from "../../deploy/devnet/ports.ts";
import { devnetDown, devnetUp } from "../../deploy/devnet/up.ts";

export type BenchDevnet = {
  /** Temporary folder holding the node logs, the manifest and the keeper checkpoint. */
  readonly dir: string;
  readonly manifest: DevnetManifest;
  /** Stops both nodes and removes the folder (idempotent). */
  stop(): Promise<void>;
};

/**
 * A private two-chain devnet on free ports in a temporary folder (never the default :8545/:8546 or
 * .devnet/), with interval mining set to `blockTimeMs` on both chains once the contracts are deployed.
 */
export async function startBenchDevnet(args: {
  readonly blockTimeMs: number;
  readonly log?: (line: string) => void;
}): Promise<BenchDevnet> {
  const dir = await mkdtemp(join(tmpdir(), "rk-bench-"));
  const stateDir = join(dir, "state");
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await devnetDown({ stateDir }).catch(() => []);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  try {
    const homePort = await freePort();
    let remotePort = await freePort();
    while (remotePort === homePort) remotePort = await freePort();
    const manifest = await devnetUp({
      stateDir,
      manifestPath: join(dir, "devnet.json"),
      homePort,
      remotePort,
      ...(args.log ? { log: args.log } : {}),
    });
    for (const c of manifest.chains) await rpc(c.rpcHttpUrl, "evm_setIntervalMining", [args.blockTimeMs]);
    return { dir, manifest, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
