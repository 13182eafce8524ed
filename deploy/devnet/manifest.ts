import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { getAddress, isAddress } from "viem";
import { z } from "zod";

const address = z
  .string()
  .refine((v) => isAddress(v, { strict: false }), { message: "not a 20-byte hex address" })
  .transform((v) => getAddress(v));

const chainSchema = z.strictObject({
  name: z.string().min(1),
  chainId: z.number().int().positive(),
  role: z.enum(["home", "remote"]),
  rpcHttpUrl: z.url(),
  rpcWsUrl: z.url(),
});

const assetChainSchema = z.strictObject({
  chain: z.string().min(1),
  token: address,
  breaker: address,
  gate: address,
  redeemer: address,
  verifier: address.optional(),
  minter: address.optional(),
  feed: address.optional(),
  aggregator: address.optional(),
  deployedAtBlock: z.number().int().nonnegative(),
});

const assetSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  symbol: z.string().min(1),
  tokenDecimals: z.number().int().min(0).max(36),
  feedDecimals: z.number().int().min(0).max(36),
  feedChain: z.string().min(1),
  heartbeatSeconds: z.number().int().positive(),
  marginBps: z.number().int().min(0).max(10_000),
  chains: z.array(assetChainSchema).min(1),
});

const cctpChainSchema = z.strictObject({
  chain: z.string().min(1),
  domain: z.number().int().min(0).max(4_294_967_295),
  transmitterV2: address,
  messengerV2: address,
  transmitterV1: address,
  messengerV1: address,
  tokenMinter: address,
  hookExecutor: address,
  treasury: address,
  usdc: address,
  deployedAtBlock: z.number().int().nonnegative(),
});

/** The local CCTP devnet (contracts/cctp): per chain its domain and contracts; the attesters, ascending. */
const cctpSchema = z.strictObject({
  chains: z.array(cctpChainSchema).min(1),
  attesters: z.array(address).min(1),
  threshold: z.number().int().positive(),
});

/** The devnet manifest (`deployments/devnet.json`): chains, every contract address, who holds which role. */
export const devnetManifestSchema = z.strictObject({
  version: z.literal(1),
  createdAt: z.iso.datetime(),
  chains: z.array(chainSchema).min(1),
  assets: z.array(assetSchema).min(1),
  accounts: z.record(z.string(), address),
  unpause: z.strictObject({ signers: z.array(address).min(1), threshold: z.number().int().positive() }),
  cctp: cctpSchema.optional(),
});

export type DevnetManifest = z.infer<typeof devnetManifestSchema>;
export type DevnetChain = DevnetManifest["chains"][number];
export type DevnetAsset = DevnetManifest["assets"][number];
export type DevnetCctp = z.infer<typeof cctpSchema>;
export type DevnetCctpChain = DevnetCctp["chains"][number];

/** Reads and validates a manifest; the error names the file and every bad field. */
export async function readDevnetManifest(path: string): Promise<DevnetManifest> {
  let raw: string;
  try {
    raw = await readFile(path, "utf8");
  } catch (cause) {
    throw new Error(`Devnet manifest ${path} is not readable; start the devnet with \`npm run devnet\`.`, {
      cause,
    });
  }
  const parsed = devnetManifestSchema.safeParse(JSON.parse(raw));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`Devnet manifest ${path} is invalid:\n  ${problems.join("\n  ")}`);
  }
  return parsed.data;
}

/** Writes the manifest atomically (temp file + rename), creating the folder. */
export async function writeDevnetManifest(path: string, manifest: DevnetManifest): Promise<void> {
  const valid = devnetManifestSchema.parse(manifest);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(valid, null, 2)}\n`);
  await rename(tmp, path);
}

/** Finds an asset's entry on a chain, with an error naming both when absent. */
export function findAssetChain(manifest: DevnetManifest, assetId: string, chainName: string) {
  const asset = manifest.assets.find((a) => a.id === assetId);
  if (!asset) {
    throw new Error(
      `Unknown asset "${assetId}"; the devnet has: ${manifest.assets.map((a) => a.id).join(", ")}.`,
    );
  }
  const entry = asset.chains.find((c) => c.chain === chainName);
  const chain = manifest.chains.find((c) => c.name === chainName);
  if (!entry || !chain) {
    throw new Error(
      `Asset "${assetId}" does not live on chain "${chainName}"; it lives on: ${asset.chains.map((c) => c.chain).join(", ")}.`,
    );
  }
  return { asset, entry, chain };
}
