import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface NodeSpec {
  /** Network name in hardhat.config.ts (sets chain id and interval mining). */
  network: string;
  port: number;
  logFile: string;
}

/** Absolute path of Hardhat's CLI script (the package's `bin`; its `exports` hide the file). */
function hardhatCli(): string {
  const entry = require.resolve("hardhat", { paths: [PROJECT_ROOT] });
  let dir = dirname(entry);
  while (!existsSync(join(dir, "package.json")) || !dir.endsWith("hardhat")) dir = dirname(dir);
  const bin = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { bin: { hardhat: string } })
    .bin.hardhat;
  return join(dir, bin);
}

/** Starts `hardhat node` on 127.0.0.1 detached from this process; returns its pid. */
export function startHardhatNode(spec: NodeSpec): number {
  const cli = hardhatCli();
  const out = openSync(spec.logFile, "a");
  try {
    const child = spawn(
      process.execPath,
      [cli, "node", "--network", spec.network, "--hostname", "127.0.0.1", "--port", String(spec.port)],
      { cwd: PROJECT_ROOT, detached: true, stdio: ["ignore", out, out] },
    );
    if (child.pid === undefined) throw new Error(`Could not start hardhat node for ${spec.network}.`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/** JSON-RPC call over HTTP with a short timeout. */
export async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(2_000),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method} on ${url} failed: ${body.error.message}`);
  return body.result as T;
}

/** Polls `eth_chainId` until the node answers with `chainId`, or throws at the deadline. */
export async function waitForRpc(url: string, chainId: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const id = Number(await rpc<string>(url, "eth_chainId"));
      if (id === chainId) return;
      throw new Error(`${url} answered chain id ${id}, expected ${chainId} (is another node on that port?)`);
    } catch (err) {
      last = err;
      if (err instanceof Error && err.message.includes("expected")) throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`The node at ${url} did not answer within ${timeoutMs} ms.`, { cause: last });
}

/** True when a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export async function stopProcess(pid: number, graceMs = 5_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
}
