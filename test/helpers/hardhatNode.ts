// Test helper: a real `hardhat node` process on a free 127.0.0.1 port (HTTP and WebSocket JSON-RPC on
// the same port).
//
//   const node = await startHardhatNode({ network: "devnetHome", automine: false });
//   const client = createPublicClient({ transport: http(node.httpUrl) });
//   await node.mine(3);                    // evm_mine ×3 (manual mining)
//   await node.rpc("evm_snapshot");        // any JSON-RPC method
//   await node.stop();                     // SIGTERM/SIGKILL + delete the log
//
// Mining: `automine` undefined keeps the network's own setting (devnetHome/devnetRemote: a block every
// second; hardhat: one block per transaction). `automine: true` = a block per transaction and no interval
// mining; `automine: false` = MANUAL: no interval and no automine, blocks appear only through evm_mine —
// the fast, deterministic choice for tests.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  rpc as rpcCall,
  startHardhatNode as spawnHardhatNode,
  stopProcess,
  waitForRpc,
} from "../../deploy/devnet/nodes.ts";
import { HOME_CHAIN_ID, REMOTE_CHAIN_ID } from "../../hardhat.config.ts";
import { freePort } from "./ports.ts";

export type HardhatNetwork = "devnetHome" | "devnetRemote" | "hardhat";

export type StartHardhatNodeOptions = {
  /** Network in hardhat.config.ts (default devnetHome, chain 31337). */
  network?: HardhatNetwork;
  /** See the file comment: undefined = network default, true = automine only, false = manual mining. */
  automine?: boolean;
  /** Port to bind (default: a free port). Pass a stopped node's port to restart a chain "in place". */
  port?: number;
  /** Milliseconds to wait for the node to answer (default 60 s). */
  readyTimeoutMs?: number;
};

export type HardhatNode = {
  readonly network: HardhatNetwork;
  readonly chainId: number;
  readonly port: number;
  readonly pid: number;
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** JSON-RPC call over HTTP; throws on a JSON-RPC error. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Mines `count` blocks with evm_mine (default 1). */
  mine(count?: number): Promise<void>;
  /** Latest block number (eth_blockNumber). */
  blockNumber(): Promise<bigint>;
  /** The node's output so far (for failure messages). */
  log(): Promise<string>;
  /** Stops the process (SIGTERM, then SIGKILL) and deletes its log. Idempotent. */
  stop(): Promise<void>;
};

const CHAIN_IDS: Record<HardhatNetwork, number> = {
  devnetHome: HOME_CHAIN_ID,
  devnetRemote: REMOTE_CHAIN_ID,
  hardhat: HOME_CHAIN_ID,
};

/** Pids of nodes still running, killed synchronously if the test process exits without stopping them. */
const running = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const pid of running) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
}

/** Starts `hardhat node --network <network> --hostname 127.0.0.1 --port <free port>` and waits until it answers. */
export async function startHardhatNode(options: StartHardhatNodeOptions = {}): Promise<HardhatNode> {
  const network = options.network ?? "devnetHome";
  const chainId = CHAIN_IDS[network];
  const port = options.port ?? (await freePort());
  const dir = await mkdtemp(join(tmpdir(), "rk-hardhat-node-"));
  const logFile = join(dir, "node.log");
  const httpUrl = `http://127.0.0.1:${port}`;
  const wsUrl = `ws://127.0.0.1:${port}`;
  const pid = spawnHardhatNode({ network, port, logFile });
  running.add(pid);
  installExitHook();

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopProcess(pid);
    running.delete(pid);
    await rm(dir, { recursive: true, force: true });
  };
  const log = async () => readFile(logFile, "utf8").catch(() => "");
  const rpc = <T = unknown>(method: string, params: unknown[] = []) => rpcCall<T>(httpUrl, method, params);

  try {
    await waitForRpc(httpUrl, chainId, options.readyTimeoutMs ?? 60_000);
    if (options.automine !== undefined) {
      await rpc("evm_setIntervalMining", [0]);
      await rpc("evm_setAutomine", [options.automine]);
    }
  } catch (err) {
    const output = await log();
    await stop();
    throw new Error(`hardhat node (${network}) on port ${port} did not start: ${String(err)}\n${output}`, {
      cause: err,
    });
  }

  return {
    network,
    chainId,
    port,
    pid,
    httpUrl,
    wsUrl,
    rpc,
    async mine(count = 1) {
      for (let i = 0; i < count; i++) await rpc("evm_mine");
    },
    async blockNumber() {
      return BigInt(await rpc<string>("eth_blockNumber"));
    },
    log,
    stop,
  };
}
