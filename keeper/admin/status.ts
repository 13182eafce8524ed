/** `admin status`: breaker state per chain of an asset (paused, signer set, threshold, next nonce). */
import type { Address } from "viem";
import type { KeeperConfig } from "../config/schema.ts";
import type { Logger } from "../telemetry/logger.ts";
import { assetTargets, hasCode, openChain, readBreaker, rpcChainId } from "./chain.ts";
import { describeError } from "./errors.ts";

export type ChainStatus =
  | {
      readonly ok: true;
      readonly chain: string;
      readonly chainId: number;
      readonly breaker: Address;
      readonly paused: boolean;
      readonly signers: readonly Address[];
      readonly threshold: number;
      /** The nonce the next signed request (unpause or signer change) must carry. */
      readonly nonce: bigint;
      readonly verifier: Address;
      readonly blockNumber: bigint;
      readonly blockTimestamp: bigint;
    }
  | {
      readonly ok: false;
      readonly chain: string;
      readonly chainId: number;
      readonly breaker: Address;
      readonly error: string;
    };

export type AssetStatus = { readonly asset: string; readonly chains: readonly ChainStatus[] };

export async function adminStatus({
  config,
  assetId,
  chainNames,
  logger,
}: {
  config: KeeperConfig;
  assetId: string;
  chainNames?: readonly string[] | undefined;
  logger: Logger;
}): Promise<AssetStatus> {
  const targets = assetTargets(config, assetId, chainNames);
  const chains = await Promise.all(
    targets.map(async ({ chain, deployment }): Promise<ChainStatus> => {
      const base = { chain: chain.name, chainId: chain.id, breaker: deployment.breaker };
      const opened = openChain(chain, logger);
      const client = opened.client;
      try {
        const actual = await rpcChainId(client, chain);
        if (actual !== chain.id) {
          return {
            ok: false,
            ...base,
            error: `CHAIN_ID_MISMATCH: the RPC endpoint serves chain ${actual}, the config says ${chain.id}`,
          };
        }
        if (!(await hasCode(client, deployment.breaker))) {
          return { ok: false, ...base, error: `BREAKER_NOT_FOUND: no contract at ${deployment.breaker}` };
        }
        const s = await readBreaker(client, deployment.breaker);
        return { ok: true, ...base, ...s, threshold: Number(s.threshold) };
      } catch (err) {
        return { ok: false, ...base, error: describeError(err) };
      } finally {
        await opened.close();
      }
    }),
  );
  return { asset: assetId, chains };
}
