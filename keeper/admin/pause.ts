/**
 * `admin pause`: a manual pause of an asset's breaker on every chain it lives on (or the chains
 * given), through the keeper's own pause executor (simulate → send → replace with bumped fees → wait;
 * "already paused" is success). The signer needs KEEPER_ROLE on each breaker.
 */
import { randomUUID } from "node:crypto";
import type { Address, Hash, LocalAccount } from "viem";
import { reserveCircuitBreakerAbi } from "../abi/index.ts";
import { createPauseExecutor, type PauseExecutorChain } from "../actions/pauseExecutor.ts";
import { feeConfigFor, type KeeperConfig } from "../config/schema.ts";
import { decodeRevert, formatRevert } from "../internal/revert.ts";
import type { Logger } from "../telemetry/logger.ts";
import { type AdminChainClient, type AssetTarget, assetTargets, openChain, rpcChainId } from "./chain.ts";
import { AdminCommandError, describeError } from "./errors.ts";
import type { AdminReporter } from "./report.ts";

/** Longest manual pause reason (the keeper's own reasons are at most 200 characters too). */
export const MAX_PAUSE_REASON = 200;

export type AdminPauseArgs = {
  readonly config: KeeperConfig;
  readonly assetId: string;
  /** Only these chains (default: every chain of the asset). */
  readonly chainNames?: readonly string[] | undefined;
  readonly reason: string;
  readonly account: LocalAccount;
  readonly dryRun: boolean;
  readonly logger: Logger;
  readonly reporter: AdminReporter;
};

export type PauseChainOutcome = {
  readonly chain: string;
  readonly chainId: number;
  readonly breaker: Address;
  /** succeeded: paused now; noop: was already paused; dry_run: would pause; failed: see detail. */
  readonly outcome: "succeeded" | "noop" | "dry_run" | "failed";
  readonly txHash?: Hash | undefined;
  readonly blockNumber?: bigint | undefined;
  readonly detail?: string | undefined;
  readonly published: boolean;
};

/** The reason written on chain (BreakerPaused.reason): marks the pause as manual. */
export function onChainPauseReason(reason: string): string {
  return `admin: ${reason}`;
}

/** Pauses (or simulates pausing) every target; one outcome per chain, in the config's order. */
export async function adminPause(args: AdminPauseArgs): Promise<PauseChainOutcome[]> {
  const outcomes = await pauseTargets(args);
  const order = assetTargets(args.config, args.assetId).map((t) => t.chain.id);
  return outcomes.sort((a, b) => order.indexOf(a.chainId) - order.indexOf(b.chainId));
}

async function pauseTargets(args: AdminPauseArgs): Promise<PauseChainOutcome[]> {
  const { config, assetId, account, reporter, logger } = args;
  const reason = args.reason.trim();
  if (reason === "") throw new AdminCommandError({ reason: "The reason must not be empty." });
  if (reason.length > MAX_PAUSE_REASON) {
    throw new AdminCommandError({ reason: `The reason is longer than ${MAX_PAUSE_REASON} characters.` });
  }
  const onChainReason = onChainPauseReason(reason);
  const targets = assetTargets(config, assetId, args.chainNames);
  const opened: { target: AssetTarget; clients: AdminChainClient }[] = [];
  const outcomes: PauseChainOutcome[] = [];
  const report = async (
    t: AssetTarget,
    o: Omit<PauseChainOutcome, "chain" | "chainId" | "breaker" | "published">,
  ) => {
    const published = await reporter.report({
      action: "pause",
      assetId,
      chainId: t.chain.id,
      breaker: t.deployment.breaker,
      actor: account.address,
      txHash: o.txHash,
      outcome: o.outcome,
      reason: o.outcome === "failed" ? (o.detail ?? "failed") : reason,
    });
    outcomes.push({
      chain: t.chain.name,
      chainId: t.chain.id,
      breaker: t.deployment.breaker,
      ...o,
      published,
    });
  };

  try {
    // Every chain must be the one the config names, or it is skipped (failed) before anything is signed.
    for (const target of targets) {
      const clients = openChain(target.chain, logger);
      try {
        const actual = await rpcChainId(clients.client, target.chain);
        if (actual !== target.chain.id) {
          await report(target, {
            outcome: "failed",
            detail: `CHAIN_ID_MISMATCH: the RPC endpoint serves chain ${actual}, the config says ${target.chain.id}`,
          });
          await clients.close();
          continue;
        }
      } catch (err) {
        await report(target, { outcome: "failed", detail: describeError(err) });
        await clients.close();
        continue;
      }
      opened.push({ target, clients });
    }

    if (args.dryRun) {
      for (const { target, clients } of opened) {
        try {
          const { result } = await clients.client.simulateContract({
            address: target.deployment.breaker,
            abi: reserveCircuitBreakerAbi,
            functionName: "pause",
            args: [onChainReason, 0n, 0n],
            account: account.address,
          });
          await report(target, {
            outcome: result ? "dry_run" : "noop",
            detail: result ? "would pause" : "already paused",
          });
        } catch (err) {
          const revert = decodeRevert(err);
          await report(target, {
            outcome: "failed",
            detail: revert ? `pause reverts with ${formatRevert(revert)}` : "pause fails in simulation",
          });
        }
      }
      return outcomes;
    }

    if (opened.length === 0) return outcomes;
    const executor = createPauseExecutor({
      account,
      chains: opened.map(
        ({ target, clients }): PauseExecutorChain => ({
          chainId: target.chain.id,
          publicClient: clients.client,
        }),
      ),
      fees: feeConfigFor(config.actions),
      logger,
      onEvent: (event) => logger.debug({ event_type: event.type, chain_id: event.chainId }, "pause step"),
    });
    try {
      const results = await executor.pause({
        assetId,
        decisionId: `admin-${randomUUID()}`,
        reason: onChainReason,
        // A manual pause has no observation: 0 is the keeper's "no figure" (as for an unknown decision).
        observedReserves: 0n,
        observedSupply: 0n,
        targets: opened.map(({ target }) => ({
          chainId: target.chain.id,
          breaker: target.deployment.breaker,
        })),
      });
      for (const r of results) {
        const target = opened.find((o) => o.target.chain.id === r.chainId)!.target;
        await report(target, {
          outcome: r.outcome === "mined" ? "succeeded" : r.outcome === "already_paused" ? "noop" : "failed",
          txHash: r.txHash,
          blockNumber: r.blockNumber,
          detail:
            r.outcome === "failed"
              ? r.error
                ? describeError(r.error)
                : "failed"
              : r.outcome === "already_paused"
                ? "already paused"
                : undefined,
        });
      }
    } finally {
      executor.close();
    }
    return outcomes;
  } finally {
    for (const { clients } of opened) await clients.close();
  }
}
