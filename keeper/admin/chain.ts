/**
 * Chain access of the admin commands: the config's RPC endpoint per chain (URLs are never printed:
 * they may carry API keys), and consistent reads of a breaker at one block.
 */
import { type Address, type Chain, getAddress, type Hex, keccak256, type PublicClient, toBytes } from "viem";
import { reserveCircuitBreakerAbi } from "../abi/index.ts";
import type { AssetConfig, KeeperConfig } from "../config/schema.ts";
import { createChainClients } from "../sources/clients.ts";
import type { Logger } from "../telemetry/logger.ts";
import { createMetrics } from "../telemetry/metrics.ts";
import { AdminCommandError } from "./errors.ts";

export const KEEPER_ROLE: Hex = keccak256(toBytes("KEEPER_ROLE"));

export type ChainConfig = KeeperConfig["chains"][number];
export type Deployment = AssetConfig["deployments"][number];

/** An asset's deployment on one chain, with that chain's config. */
export type AssetTarget = {
  readonly asset: AssetConfig;
  readonly chain: ChainConfig;
  readonly deployment: Deployment;
};

/** The asset, or an error listing the configured ones. */
export function findAsset(config: KeeperConfig, assetId: string): AssetConfig {
  const asset = config.assets.find((a) => a.id === assetId);
  if (!asset) {
    throw new AdminCommandError({
      reason: `Unknown asset "${assetId}"; the config has: ${config.assets.map((a) => a.id).join(", ")}.`,
    });
  }
  return asset;
}

/** Every deployment of the asset (optionally only those on `chainNames`), with its chain config. */
export function assetTargets(
  config: KeeperConfig,
  assetId: string,
  chainNames?: readonly string[],
): AssetTarget[] {
  const asset = findAsset(config, assetId);
  const targets = asset.deployments.map((deployment) => {
    const chain = config.chains.find((c) => c.name === deployment.chain);
    if (!chain) throw new AdminCommandError({ reason: `Chain "${deployment.chain}" is not in the config.` });
    return { asset, chain, deployment };
  });
  if (chainNames === undefined) return targets;
  for (const name of chainNames) {
    if (!targets.some((t) => t.chain.name === name)) {
      throw new AdminCommandError({
        reason: `Asset "${assetId}" does not live on chain "${name}"; it lives on: ${targets.map((t) => t.chain.name).join(", ")}.`,
      });
    }
  }
  return targets.filter((t) => chainNames.includes(t.chain.name));
}

/** The asset's deployment on the chain with this id (a request names its chain by id). */
export function targetByChainId(config: KeeperConfig, assetId: string, chainId: number): AssetTarget {
  const target = assetTargets(config, assetId).find((t) => t.chain.id === chainId);
  if (!target) {
    throw new AdminCommandError({
      reason: `Asset "${assetId}" has no deployment on chain ${chainId} in the config.`,
    });
  }
  return target;
}

/** A config chain's HTTP client (no WebSocket: the admin commands only read and send). */
export type AdminChainClient = {
  readonly client: PublicClient;
  /** The viem chain (id from the config) for wallet clients. */
  readonly viemChain: Chain;
  close(): Promise<void>;
};

/** Opens a config chain over HTTP, through the keeper's chain clients (errors counted, URLs never logged). */
export function openChain(chain: ChainConfig, logger: Logger): AdminChainClient {
  const clients = createChainClients({
    chainId: chain.id,
    httpUrl: chain.rpc.http,
    // Per-request chatter (client creation) stays at debug; failures still surface as errors.
    logger: logger.child({}, { level: logger.isLevelEnabled("debug") ? logger.level : "warn" }),
    metrics: createMetrics(),
    retryCount: 1,
  });
  return {
    client: clients.http as unknown as PublicClient,
    viemChain: clients.http.chain,
    close: () => clients.close(),
  };
}

/** eth_chainId of the endpoint, wrapped in an error naming the chain (never the URL) when unreachable. */
export async function rpcChainId(client: PublicClient, chain: ChainConfig): Promise<number> {
  try {
    return await client.getChainId();
  } catch (cause) {
    throw new AdminCommandError({
      reason: `The RPC endpoint of chain "${chain.name}" (${chain.id}) does not answer.`,
      cause,
    });
  }
}

export type BreakerSnapshot = {
  readonly blockNumber: bigint;
  readonly blockTimestamp: bigint;
  readonly paused: boolean;
  readonly signers: readonly Address[];
  readonly threshold: bigint;
  readonly nonce: bigint;
  readonly verifier: Address;
};

/** The breaker's state at the latest block (every read at that block). */
export async function readBreaker(client: PublicClient, breaker: Address): Promise<BreakerSnapshot> {
  const block = await client.getBlock({ blockTag: "latest" });
  const blockNumber = block.number;
  const at = { address: breaker, abi: reserveCircuitBreakerAbi, blockNumber } as const;
  const [paused, signers, threshold, nonce, verifier] = await Promise.all([
    client.readContract({ ...at, functionName: "paused" }),
    client.readContract({ ...at, functionName: "signers" }),
    client.readContract({ ...at, functionName: "threshold" }),
    client.readContract({ ...at, functionName: "nonce" }),
    client.readContract({ ...at, functionName: "verifier" }),
  ]);
  return {
    blockNumber,
    blockTimestamp: block.timestamp,
    paused,
    signers: signers.map((s) => getAddress(s)),
    threshold,
    nonce,
    verifier: getAddress(verifier),
  };
}

/** Whether `account` holds KEEPER_ROLE on the breaker. */
export function isKeeper(client: PublicClient, breaker: Address, account: Address, blockNumber?: bigint) {
  return client.readContract({
    address: breaker,
    abi: reserveCircuitBreakerAbi,
    functionName: "hasRole",
    args: [KEEPER_ROLE, account],
    ...(blockNumber === undefined ? {} : { blockNumber }),
  });
}

/** True when there is contract code at `address`. */
export async function hasCode(client: PublicClient, address: Address): Promise<boolean> {
  const code = await client.getCode({ address });
  return code !== undefined && code !== "0x";
}
