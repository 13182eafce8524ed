import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import YAML from "yaml";
import { type DevnetManifest, readDevnetManifest } from "../../deploy/devnet/manifest.ts";
import { devnetCctpConfigDocument } from "../cctp/devnet.ts";
import { parseConfig } from "./load.ts";
import type { KeeperConfig, KeeperConfigInput } from "./schema.ts";

/**
 * Partial config merged over the generated one: objects merge key by key, lists and values replace,
 * and an object with a different `type` (signer, bus) replaces the variant entirely.
 */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;
export type ConfigOverrides = DeepPartial<KeeperConfigInput>;

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);

function merge(base: unknown, over: unknown): unknown {
  if (!isRec(base) || !isRec(over)) return over === undefined ? base : over;
  if ("type" in over && over.type !== base.type) return over;
  const out: Rec = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

/** Name of the generated file, next to the manifest (deployments/devnet.keeper.yaml by default). */
export const DEVNET_KEEPER_CONFIG_NAME = "devnet.keeper.yaml";

/** The chain's CCTP messengers (V2, V1) from the manifest: their transfers count as in flight. */
function cctpMessengersOf(manifest: DevnetManifest, chain: string): string[] {
  const c = manifest.cctp?.chains.find((x) => x.chain === chain);
  return c ? [c.messengerV2, c.messengerV1] : [];
}

/**
 * The config document (file form) for a devnet manifest: every chain with its HTTP and WebSocket
 * URL, every asset with its feed proxy on the feed chain and a deployment per chain (token, breaker,
 * verifier and minter where deployed, gate, redeemer, CCTP messengers, deployedAtBlock), the manifest's heartbeat and
 * margin, signer `env`
 * (RESERVE_KEEPER_SIGNER_KEY: devnet only) and the in-process bus.
 */
export function devnetKeeperConfigDocument(
  manifest: DevnetManifest,
  overrides: ConfigOverrides = {},
): KeeperConfigInput {
  const assets = manifest.assets.map((asset) => {
    const feedEntry = asset.chains.find((c) => c.chain === asset.feedChain);
    if (!feedEntry?.feed) {
      throw new Error(
        `Devnet manifest asset "${asset.id}" has no feed address on its feed chain "${asset.feedChain}".`,
      );
    }
    return {
      id: asset.id,
      symbol: asset.symbol,
      feed: { chain: asset.feedChain, proxy: feedEntry.feed },
      heartbeatSeconds: asset.heartbeatSeconds,
      marginBps: asset.marginBps,
      deployments: asset.chains.map((c) => ({
        chain: c.chain,
        token: c.token,
        breaker: c.breaker,
        ...(c.verifier ? { verifier: c.verifier } : {}),
        gate: c.gate,
        ...(c.minter ? { minter: c.minter } : {}),
        redeemer: c.redeemer,
        cctpMessengers: cctpMessengersOf(manifest, c.chain),
        deployedAtBlock: c.deployedAtBlock,
      })),
    };
  });
  const document = {
    keeperId: "devnet-keeper",
    chains: manifest.chains.map((c) => ({
      name: c.name,
      id: c.chainId,
      rpc: { http: c.rpcHttpUrl, ws: c.rpcWsUrl },
    })),
    assets,
    signer: { type: "env", variable: "RESERVE_KEEPER_SIGNER_KEY" },
    bus: { type: "inprocess" },
    checkpoint: { path: ".keeper/devnet-checkpoint.json" },
    // The CCTP transfer tools (`reserve-keeper cctp … --config`) read this; the keeper itself needs only
    // the deployments' cctpMessengers above.
    ...(manifest.cctp ? { cctp: devnetCctpConfigDocument(manifest) } : {}),
  };
  return merge(document, overrides) as KeeperConfigInput;
}

/** The parsed config for a devnet manifest (throws ConfigError if overrides make it invalid). */
export function configFromDevnetManifest(
  manifest: DevnetManifest,
  overrides: ConfigOverrides = {},
): KeeperConfig {
  return parseConfig(devnetKeeperConfigDocument(manifest, overrides), { file: "(devnet manifest)" }).config;
}

/**
 * Reads the manifest, validates the generated config and writes it as YAML (atomically) to `outPath`,
 * by default `devnet.keeper.yaml` next to the manifest (deployments/devnet.keeper.yaml).
 */
export async function writeDevnetKeeperConfig(
  manifestPath: string,
  outPath: string = join(dirname(manifestPath), DEVNET_KEEPER_CONFIG_NAME),
  overrides: ConfigOverrides = {},
): Promise<{ path: string; config: KeeperConfig }> {
  const manifest = await readDevnetManifest(manifestPath);
  const document = devnetKeeperConfigDocument(manifest, overrides);
  const config = parseConfig(document, { file: outPath }).config;
  const header = [
    `# reserve-keeper config for the local devnet, generated from ${manifestPath} at ${manifest.createdAt}.`,
    "# DEVNET ONLY: the signer reads a raw private key from $RESERVE_KEEPER_SIGNER_KEY (the keeper role is",
    "# Hardhat's public test account #1). Real networks use signer.type: keystore.",
    "",
  ].join("\n");
  const path = resolve(outPath);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, header + YAML.stringify(document, { lineWidth: 0 }));
  await rename(tmp, path);
  return { path, config };
}
