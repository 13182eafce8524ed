import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import { type Address, getAddress, type Hash, isAddress, keccak256, parseUnits, toHex } from "viem";
import hardhatConfig from "../../hardhat.config.ts";
import { hashReason, signUnpause, sortSignaturesBySigner } from "../../keeper/internal/breakerTypedData.ts";
import { type DevnetManifest, findAssetChain } from "./manifest.ts";
import { PROJECT_ROOT } from "./nodes.ts";

/** The verifier's Status enum, in contract order. */
export const VERIFIER_STATUS = ["Healthy", "Undercollateralized", "Stale", "InvalidAnswer"] as const;
export type VerifierStatus = (typeof VERIFIER_STATUS)[number];

async function chainConnection(manifest: DevnetManifest, chainName: string) {
  const chain = manifest.chains.find((c) => c.name === chainName);
  if (!chain) {
    throw new Error(
      `Unknown chain "${chainName}"; the devnet has: ${manifest.chains.map((c) => c.name).join(", ")}.`,
    );
  }
  const hre = await createHardhatRuntimeEnvironment(hardhatConfig, {}, PROJECT_ROOT);
  const conn = await hre.network.connect({ network: "devnetRpc", override: { url: chain.rpcHttpUrl } });
  return { chain, viem: conn.viem, publicClient: await conn.viem.getPublicClient() };
}

/** Resolves a devnet account alias (alice, keeper, outsider, …) or a hex address. */
export function resolveAccount(manifest: DevnetManifest, value: string, field: string): Address {
  if (isAddress(value, { strict: false })) return getAddress(value);
  const a = manifest.accounts[value];
  if (!a) {
    throw new Error(
      `--${field} "${value}" is neither an address nor a devnet account (${Object.keys(manifest.accounts).join(", ")}).`,
    );
  }
  return a;
}

/** Parses a positive decimal token amount ("1500000.25") into base units, naming the flag on error. */
export function parseAmount(value: string, decimals: number, field: string): bigint {
  if (!/^\d+(\.\d+)?$/.test(value)) {
    throw new Error(`--${field} "${value}" is not a positive decimal number.`);
  }
  const frac = value.split(".")[1] ?? "";
  if (frac.length > decimals) {
    throw new Error(`--${field} "${value}" has more than ${decimals} decimal places.`);
  }
  return parseUnits(value, decimals);
}

export interface AssetStatus {
  asset: string;
  symbol: string;
  tokenDecimals: number;
  /** Reserves from the PoR feed in token base units (null when the feed answer is unusable). */
  reserves: string | null;
  totalSupply: string;
  ratioBps: string | null;
  /** Cross-chain view: feed problems first, else reserves vs the sum of supply on every chain. */
  status: VerifierStatus;
  /** The home verifier's own on-chain view (it sees only home-chain supply). */
  verifierStatus: VerifierStatus;
  feed: { answer: string; decimals: number; roundId: string; updatedAt: number };
  chains: { chain: string; chainId: number; supply: string; paused: boolean; blockNumber: string }[];
}

/** Reads reserves, per-chain supply and breaker state of one asset over JSON-RPC. */
export async function readAssetStatus(manifest: DevnetManifest, assetId: string): Promise<AssetStatus> {
  const asset = manifest.assets.find((a) => a.id === assetId);
  if (!asset) {
    throw new Error(
      `Unknown asset "${assetId}"; the devnet has: ${manifest.assets.map((a) => a.id).join(", ")}.`,
    );
  }
  const chains: AssetStatus["chains"] = [];
  let snapshot:
    | { status: number; reserves: bigint; answer: bigint; roundId: bigint; updatedAt: bigint }
    | undefined;
  let feedDecimals = asset.feedDecimals;
  for (const entry of asset.chains) {
    const { chain, viem, publicClient } = await chainConnection(manifest, entry.chain);
    const token = await viem.getContractAt("ReserveBackedStablecoin", entry.token);
    const breaker = await viem.getContractAt("ReserveCircuitBreaker", entry.breaker);
    const blockNumber = await publicClient.getBlockNumber();
    const [supply, paused] = await Promise.all([
      token.read.totalSupply({ blockNumber }),
      breaker.read.paused({ blockNumber }),
    ]);
    chains.push({
      chain: chain.name,
      chainId: chain.chainId,
      supply: supply.toString(),
      paused,
      blockNumber: blockNumber.toString(),
    });
    if (entry.verifier && entry.feed) {
      const verifier = await viem.getContractAt("ReserveVerifier", entry.verifier);
      const feed = await viem.getContractAt("DevAggregatorProxy", entry.feed);
      const s = await verifier.read.snapshot({ blockNumber });
      feedDecimals = await feed.read.decimals({ blockNumber });
      snapshot = {
        status: s.status,
        reserves: s.reserves,
        answer: s.answer,
        roundId: s.roundId,
        updatedAt: s.updatedAt,
      };
    }
  }
  if (!snapshot) throw new Error(`Asset "${assetId}" has no chain with a verifier and feed in the manifest.`);
  const totalSupply = chains.reduce((sum, c) => sum + BigInt(c.supply), 0n);
  const verifierStatus = VERIFIER_STATUS[snapshot.status] ?? "InvalidAnswer";
  const feedUsable = verifierStatus === "Healthy" || verifierStatus === "Undercollateralized";
  const reserves = feedUsable ? snapshot.reserves : null;
  const margin = BigInt(asset.marginBps);
  let status: VerifierStatus = verifierStatus;
  if (reserves !== null) {
    status = reserves * 10_000n >= totalSupply * (10_000n + margin) ? "Healthy" : "Undercollateralized";
  }
  return {
    asset: asset.id,
    symbol: asset.symbol,
    tokenDecimals: asset.tokenDecimals,
    reserves: reserves?.toString() ?? null,
    totalSupply: totalSupply.toString(),
    ratioBps:
      reserves === null ? null : totalSupply === 0n ? null : ((reserves * 10_000n) / totalSupply).toString(),
    status,
    verifierStatus,
    feed: {
      answer: snapshot.answer.toString(),
      decimals: feedDecimals,
      roundId: snapshot.roundId.toString(),
      updatedAt: Number(snapshot.updatedAt),
    },
    chains,
  };
}

async function send(
  publicClient: {
    waitForTransactionReceipt: (a: { hash: Hash }) => Promise<{ status: string; blockNumber: bigint }>;
  },
  hash: Hash,
) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success")
    throw new Error(`Transaction ${hash} reverted in block ${receipt.blockNumber}.`);
  return { hash, blockNumber: receipt.blockNumber };
}

export interface TxResult {
  hash: Hash;
  blockNumber: bigint;
}

/** Publishes a new PoR answer (whole reserve units, e.g. "5000000") on the asset's devnet aggregator. */
export async function setReserves(
  manifest: DevnetManifest,
  assetId: string,
  amount: string,
): Promise<TxResult> {
  const asset = manifest.assets.find((a) => a.id === assetId);
  if (!asset) throw new Error(`Unknown asset "${assetId}".`);
  const { entry } = findAssetChain(manifest, assetId, asset.feedChain);
  if (!entry.aggregator)
    throw new Error(`Asset "${assetId}" has no devnet aggregator on ${asset.feedChain}.`);
  const { viem, publicClient } = await chainConnection(manifest, asset.feedChain);
  const aggregator = await viem.getContractAt("DevPorAggregator", entry.aggregator);
  const answer = parseAmount(amount, asset.feedDecimals, "amount");
  const hash = await aggregator.write.submit([answer], { account: manifest.accounts.feedOperator });
  return send(publicClient, hash);
}

/** Mints on a chain: through the Secure-Mint minter where there is one, else through the bridge stand-in. */
export async function mint(
  manifest: DevnetManifest,
  args: { asset: string; chain: string; to: string; amount: string },
): Promise<TxResult> {
  const { asset, entry } = findAssetChain(manifest, args.asset, args.chain);
  const to = resolveAccount(manifest, args.to, "to");
  const amount = parseAmount(args.amount, asset.tokenDecimals, "amount");
  const { viem, publicClient } = await chainConnection(manifest, args.chain);
  const issuer = manifest.accounts.issuer;
  if (entry.minter) {
    const minter = await viem.getContractAt("StablecoinMinter", entry.minter);
    return send(publicClient, await minter.write.mint([to, amount], { account: issuer }));
  }
  const token = await viem.getContractAt("ReserveBackedStablecoin", entry.token);
  return send(publicClient, await token.write.mint([to, amount], { account: issuer }));
}

/** Redeems (burns) from a holder through the chain's redeemer. */
export async function burn(
  manifest: DevnetManifest,
  args: { asset: string; chain: string; from: string; amount: string; payoutRef?: string },
): Promise<TxResult> {
  const { asset, entry } = findAssetChain(manifest, args.asset, args.chain);
  const from = resolveAccount(manifest, args.from, "from");
  const amount = parseAmount(args.amount, asset.tokenDecimals, "amount");
  const { viem, publicClient } = await chainConnection(manifest, args.chain);
  const redeemer = await viem.getContractAt("StablecoinRedeemer", entry.redeemer);
  const ref = keccak256(toHex(args.payoutRef ?? `devnet-payout-${Date.now()}`));
  return send(publicClient, await redeemer.write.redeem([amount, ref], { account: from }));
}

/** Calls the permissionless trip() on the asset's breaker on `chain` from `from` (default: outsider). */
export async function trip(
  manifest: DevnetManifest,
  args: { asset: string; chain: string; from?: string },
): Promise<TxResult> {
  const { entry } = findAssetChain(manifest, args.asset, args.chain);
  const from = resolveAccount(manifest, args.from ?? "outsider", "from");
  const { viem, publicClient } = await chainConnection(manifest, args.chain);
  const breaker = await viem.getContractAt("ReserveCircuitBreaker", entry.breaker);
  return send(publicClient, await breaker.write.trip({ account: from }));
}

/**
 * Devnet unpause: `threshold` of the devnet signer accounts sign the EIP-712 request through the node
 * (eth_signTypedData_v4 of unlocked accounts) and `from` (default outsider) submits it. Operators use
 * `reserve-keeper admin unpause` with offline keystores instead.
 */
export async function unpause(
  manifest: DevnetManifest,
  args: { asset: string; chain: string; reason: string; from?: string },
): Promise<TxResult> {
  const { entry, chain } = findAssetChain(manifest, args.asset, args.chain);
  const from = resolveAccount(manifest, args.from ?? "outsider", "from");
  const { viem, publicClient } = await chainConnection(manifest, args.chain);
  const breaker = await viem.getContractAt("ReserveCircuitBreaker", entry.breaker);
  const block = await publicClient.getBlock();
  const request = {
    breaker: entry.breaker,
    chainId: chain.chainId,
    nonce: await breaker.read.nonce(),
    deadline: block.timestamp + 600n,
    reasonHash: hashReason(args.reason),
  };
  const signers = manifest.unpause.signers.slice(0, manifest.unpause.threshold);
  const signed = await Promise.all(
    signers.map(async (s) => signUnpause(await viem.getWalletClient(s), request)),
  );
  const hash = await breaker.write.unpause(
    [request.reasonHash, request.deadline, sortSignaturesBySigner(signed)],
    {
      account: from,
    },
  );
  return send(publicClient, hash);
}
