/**
 * `unpause prepare` / `signers propose`: builds a signed-request file from the chain (the breaker's
 * current nonce, the latest block's timestamp + TTL as deadline) and checks the local digest against
 * the breaker's own `unpauseDigest` / `updateSignersDigest`.
 */
import type { Address, PublicClient } from "viem";
import { reserveCircuitBreakerAbi } from "../abi/index.ts";
import type { KeeperConfig } from "../config/schema.ts";
import { hashReason, sortAddresses } from "../internal/breakerTypedData.ts";
import type { Logger } from "../telemetry/logger.ts";
import { assetTargets, type ChainConfig, hasCode, openChain, readBreaker, rpcChainId } from "./chain.ts";
import { AdminCommandError } from "./errors.ts";
import { type BreakerRequest, digestOf, MAX_REASON_BYTES, signerSetProblems } from "./requests.ts";

/** Longest TTL accepted: 30 days. */
export const MAX_TTL_SECONDS = 30n * 86_400n;

export type PrepareArgs = {
  readonly config: KeeperConfig;
  readonly assetId: string;
  readonly chainName: string;
  readonly reason: string;
  readonly ttlSeconds: bigint;
  readonly logger: Logger;
  /** Default new Date(). */
  readonly now?: () => Date;
} & (
  | { readonly kind: "unpause" }
  | { readonly kind: "updateSigners"; readonly newSigners: readonly Address[]; readonly newThreshold: number }
);

export type Prepared = { readonly request: BreakerRequest; readonly warnings: readonly string[] };

export async function prepareRequest(args: PrepareArgs): Promise<Prepared> {
  const { config, assetId, chainName, reason, ttlSeconds, logger } = args;
  if (reason.trim() === "") throw new AdminCommandError({ reason: "The reason must not be empty." });
  if (Buffer.byteLength(reason, "utf8") > MAX_REASON_BYTES) {
    throw new AdminCommandError({ reason: `The reason is longer than ${MAX_REASON_BYTES} bytes.` });
  }
  if (ttlSeconds < 1n || ttlSeconds > MAX_TTL_SECONDS) {
    throw new AdminCommandError({ reason: `The TTL must be from 1 s to 30 days, got ${ttlSeconds} s.` });
  }
  const newSet =
    args.kind === "updateSigners"
      ? { signers: sortAddresses(args.newSigners), threshold: args.newThreshold }
      : undefined;
  if (newSet) {
    const problems = signerSetProblems(newSet.signers, newSet.threshold);
    if (problems.length > 0) {
      throw new AdminCommandError({ reason: `The new signer set is invalid: ${problems.join("; ")}.` });
    }
  }
  const [target] = assetTargets(config, assetId, [chainName]);
  if (!target) throw new AdminCommandError({ reason: `Asset "${assetId}" is not on chain "${chainName}".` });
  const { chain, deployment } = target;
  const opened = openChain(chain, logger);
  try {
    return await prepareOn(opened.client, { ...args, chain, breaker: deployment.breaker, newSet });
  } finally {
    await opened.close();
  }
}

async function prepareOn(
  client: PublicClient,
  args: PrepareArgs & {
    chain: ChainConfig;
    breaker: Address;
    newSet: { signers: Address[]; threshold: number } | undefined;
  },
): Promise<Prepared> {
  const { chain, breaker, newSet, assetId, reason, ttlSeconds } = args;
  const deployment = { breaker };
  const actual = await rpcChainId(client, chain);
  if (actual !== chain.id) {
    throw new AdminCommandError({
      reason: `CHAIN_ID_MISMATCH: the RPC endpoint of chain "${chain.name}" serves chain ${actual}, the config says ${chain.id}.`,
    });
  }
  if (!(await hasCode(client, deployment.breaker))) {
    throw new AdminCommandError({
      reason: `BREAKER_NOT_FOUND: there is no contract at ${deployment.breaker} on chain ${chain.id}.`,
    });
  }
  const state = await readBreaker(client, deployment.breaker);
  const common = {
    asset: assetId,
    chain: chain.name,
    chainId: chain.id,
    breaker: deployment.breaker,
    nonce: state.nonce,
    deadline: state.blockTimestamp + ttlSeconds,
    reason,
    preparedAt: (args.now?.() ?? new Date()).toISOString(),
    current: { signers: state.signers, threshold: Number(state.threshold) },
  };
  const request: BreakerRequest = newSet
    ? { ...common, kind: "updateSigners", newSigners: newSet.signers, newThreshold: newSet.threshold }
    : { ...common, kind: "unpause" };

  const onChain =
    request.kind === "unpause"
      ? await client.readContract({
          address: request.breaker,
          abi: reserveCircuitBreakerAbi,
          functionName: "unpauseDigest",
          args: [request.nonce, request.deadline, hashReason(request.reason)],
          blockNumber: state.blockNumber,
        })
      : await client.readContract({
          address: request.breaker,
          abi: reserveCircuitBreakerAbi,
          functionName: "updateSignersDigest",
          args: [request.nonce, request.deadline, request.newSigners, BigInt(request.newThreshold)],
          blockNumber: state.blockNumber,
        });
  const digest = digestOf(request);
  if (onChain.toLowerCase() !== digest.toLowerCase()) {
    throw new AdminCommandError({
      reason: `DIGEST_MISMATCH: breaker ${request.breaker} computes digest ${onChain}, expected ${digest}; it is not a ReserveCircuitBreaker v1 on chain ${chain.id}.`,
    });
  }
  const warnings: string[] = [];
  if (request.kind === "unpause" && !state.paused) {
    warnings.push(`breaker ${request.breaker} is not paused; the request can only be submitted while it is`);
  }
  if (
    newSet &&
    newSet.threshold === Number(state.threshold) &&
    newSet.signers.length === state.signers.length &&
    newSet.signers.every((s, i) => s === state.signers[i])
  ) {
    warnings.push("the new signer set and threshold equal the current ones");
  }
  return { request, warnings };
}
