/**
 * The `cctp:` config section joined with the rest of the config: each CCTP chain with its chain id and
 * RPC URLs, each asset's token and breaker per CCTP chain, and route selection. Pure.
 */
import type { Address } from "viem";
import type { KeeperConfig } from "../../config/schema.ts";
import { ConfigError, type ConfigProblem } from "../../internal/errors.ts";
import type { AttesterSetConfig, CctpChainConfig, CctpConfig } from "../config.ts";
import { CctpRouteUnsupportedError } from "./errors.ts";

export type CctpVersion = 1 | 2;

/** A CCTP chain with everything the client needs to reach it. */
export type ResolvedCctpChain = CctpChainConfig & {
  readonly chainId: number;
  readonly rpcHttpUrl: string;
  readonly rpcWsUrl: string | undefined;
};

/** An asset that can move over CCTP: its token and breaker on each CCTP chain it lives on. */
export type CctpAsset = {
  readonly id: string;
  readonly deployments: readonly {
    readonly chain: string;
    readonly chainId: number;
    readonly token: Address;
    readonly breaker: Address;
  }[];
};

/** What a transfer moves: USDC (no breaker, never held) or one of the config's assets. */
export type CctpTokenRef = { readonly type: "usdc" } | { readonly type: "asset"; readonly assetId: string };

export type CctpSetup = {
  readonly config: CctpConfig;
  readonly chains: readonly ResolvedCctpChain[];
  readonly assets: readonly CctpAsset[];
  chainByName(name: string): ResolvedCctpChain | undefined;
  chainByDomain(domain: number): ResolvedCctpChain | undefined;
  attestersFor(version: CctpVersion): AttesterSetConfig;
};

/** The route a transfer takes. */
export type CctpRoute = {
  readonly version: CctpVersion;
  readonly source: ResolvedCctpChain;
  readonly destination: ResolvedCctpChain;
};

/** "home -> remote" */
export function routeName(from: string, to: string): string {
  return `${from} -> ${to}`;
}

/**
 * Resolves the `cctp:` section against chains[] and assets[]; ConfigError lists every problem (no cctp
 * section, a chain name that chains[] lacks).
 */
export function resolveCctpSetup(config: KeeperConfig, file?: string): CctpSetup {
  const cctp = config.cctp;
  if (cctp === undefined) {
    throw new ConfigError({
      problems: [{ path: "cctp", message: "is required for CCTP transfers (the cctp: section is missing)" }],
      ...(file === undefined ? {} : { file }),
    });
  }
  const problems: ConfigProblem[] = [];
  const chains: ResolvedCctpChain[] = [];
  cctp.chains.forEach((c, i) => {
    const chain = config.chains.find((k) => k.name === c.chain);
    if (chain === undefined) {
      problems.push({
        path: `cctp.chains[${i}].chain`,
        message: `unknown chain "${c.chain}"; chains are: ${config.chains.map((k) => k.name).join(", ")}`,
      });
      return;
    }
    chains.push({ ...c, chainId: chain.id, rpcHttpUrl: chain.rpc.http, rpcWsUrl: chain.rpc.ws });
  });
  if (problems.length > 0) throw new ConfigError({ problems, ...(file === undefined ? {} : { file }) });
  const names = new Set(chains.map((c) => c.chain));
  const assets: CctpAsset[] = config.assets.map((a) => ({
    id: a.id,
    deployments: a.deployments
      .filter((d) => names.has(d.chain))
      .map((d) => ({
        chain: d.chain,
        chainId: chains.find((c) => c.chain === d.chain)!.chainId,
        token: d.token,
        breaker: d.breaker,
      })),
  }));
  return {
    config: cctp,
    chains,
    assets,
    chainByName: (name) => chains.find((c) => c.chain === name),
    chainByDomain: (domain) => chains.find((c) => c.domain === domain),
    attestersFor(version) {
      const set = version === 1 ? cctp.attesters.v1 : cctp.attesters.v2;
      if (set === undefined) {
        // The schema requires the set whenever a chain lists the version.
        throw new ConfigError({ problems: [{ path: `cctp.attesters.v${version}`, message: "is required" }] });
      }
      return set;
    },
  };
}

/**
 * The route from `from` to `to`: V2 when both chains support it, else V1 (automatic fallback), else
 * CctpRouteUnsupportedError naming the route. `version` forces one (error when an end lacks it).
 */
export function chooseRoute(
  setup: CctpSetup,
  { from, to, version }: { from: string; to: string; version?: CctpVersion | undefined },
): CctpRoute {
  const route = routeName(from, to);
  const source = setup.chainByName(from);
  const destination = setup.chainByName(to);
  const known = setup.chains.map((c) => c.chain).join(", ");
  if (source === undefined)
    throw new CctpRouteUnsupportedError({
      route,
      reason: `chain "${from}" has no cctp.chains entry (CCTP chains: ${known})`,
    });
  if (destination === undefined)
    throw new CctpRouteUnsupportedError({
      route,
      reason: `chain "${to}" has no cctp.chains entry (CCTP chains: ${known})`,
    });
  if (source.chain === destination.chain)
    throw new CctpRouteUnsupportedError({ route, reason: "source and destination are the same chain" });
  const both = ([2, 1] as const).filter(
    (v) => source.versions.includes(v) && destination.versions.includes(v),
  );
  if (version !== undefined) {
    if (!both.includes(version)) {
      throw new CctpRouteUnsupportedError({
        route,
        reason: `version ${version} is not supported by both ends (${from}: ${source.versions.join(", ")}; ${to}: ${destination.versions.join(", ")})`,
      });
    }
    return { version, source, destination };
  }
  const chosen = both[0];
  if (chosen === undefined) {
    throw new CctpRouteUnsupportedError({
      route,
      reason: `no CCTP version both chains support (${from}: ${source.versions.join(", ")}; ${to}: ${destination.versions.join(", ")})`,
    });
  }
  return { version: chosen, source, destination };
}

/** The token of `ref` on `chain`, or CctpRouteUnsupportedError naming the asset and chain. */
export function tokenOn(setup: CctpSetup, ref: CctpTokenRef, chain: ResolvedCctpChain): Address {
  if (ref.type === "usdc") {
    if (chain.usdc === undefined) {
      throw new CctpRouteUnsupportedError({
        route: chain.chain,
        reason: `no USDC configured on ${chain.chain} (cctp.chains[].usdc)`,
      });
    }
    return chain.usdc;
  }
  const asset = setup.assets.find((a) => a.id === ref.assetId);
  if (asset === undefined) {
    throw new CctpRouteUnsupportedError({
      route: chain.chain,
      reason: `unknown asset "${ref.assetId}" (assets: ${setup.assets.map((a) => a.id).join(", ") || "none"})`,
    });
  }
  const d = asset.deployments.find((x) => x.chain === chain.chain);
  if (d === undefined) {
    throw new CctpRouteUnsupportedError({
      route: chain.chain,
      reason: `asset "${ref.assetId}" has no deployment on ${chain.chain}`,
    });
  }
  return d.token;
}

/** The asset id events and metrics use: the asset's id, or "usdc". */
export function assetIdOf(ref: CctpTokenRef): string {
  return ref.type === "usdc" ? "usdc" : ref.assetId;
}

/** Which token a burnToken address is on `chain` (resume from a burn), or undefined. */
export function tokenRefOf(
  setup: CctpSetup,
  chain: ResolvedCctpChain,
  token: Address,
): CctpTokenRef | undefined {
  if (chain.usdc !== undefined && chain.usdc.toLowerCase() === token.toLowerCase()) return { type: "usdc" };
  for (const a of setup.assets) {
    if (a.deployments.some((d) => d.chain === chain.chain && d.token.toLowerCase() === token.toLowerCase())) {
      return { type: "asset", assetId: a.id };
    }
  }
  return undefined;
}
