/**
 * `unpause submit` / `signers submit`: verify locally → simulate → send → wait. Any failed check
 * refuses the submission with every reason (AdminRefusedError) and NOTHING is sent. The submitter is
 * any account with gas (never a keeper for unpause: the breaker rejects it).
 */
import {
  type Address,
  createWalletClient,
  type Hash,
  type Hex,
  http,
  type LocalAccount,
  parseEventLogs,
} from "viem";
import { reserveCircuitBreakerAbi } from "../abi/index.ts";
import type { KeeperConfig } from "../config/schema.ts";
import { hashReason } from "../internal/breakerTypedData.ts";
import { decodeRevert, formatRevert } from "../internal/revert.ts";
import type { Logger } from "../telemetry/logger.ts";
import { hasCode, isKeeper, openChain, readBreaker, rpcChainId, targetByChainId } from "./chain.ts";
import {
  AdminCommandError,
  AdminRefusedError,
  describeError,
  formatRefusal,
  type Refusal,
} from "./errors.ts";
import type { AdminReporter } from "./report.ts";
import { type BreakerRequest, digestOf } from "./requests.ts";
import { checkTarget, type SignatureInput, verifySubmission } from "./verify.ts";

export type SubmitArgs = {
  readonly config: KeeperConfig;
  readonly request: BreakerRequest;
  /** Names the request in messages (its path). */
  readonly requestSource: string;
  readonly signatures: readonly SignatureInput[];
  /** The sending account; with dryRun an address is enough. */
  readonly submitter: LocalAccount | Address;
  readonly dryRun: boolean;
  readonly logger: Logger;
  readonly reporter: AdminReporter;
  /** How long to wait for the receipt (default 120 s). */
  readonly receiptTimeoutMs?: number;
};

export type SubmitResult = {
  readonly outcome: "succeeded" | "dry_run";
  readonly kind: BreakerRequest["kind"];
  readonly asset: string;
  readonly chainId: number;
  readonly breaker: Address;
  readonly nonce: bigint;
  readonly digest: Hex;
  readonly submitter: Address;
  /** The signers whose signatures were sent, ascending. */
  readonly signers: readonly Address[];
  readonly txHash?: Hash;
  readonly blockNumber?: bigint;
  readonly gasUsed?: bigint;
  /** Whether the admin.action message reached the bus. */
  readonly published: boolean;
};

const ACTION = { unpause: "unpause", updateSigners: "update_signers" } as const;

export async function submitRequest(args: SubmitArgs): Promise<SubmitResult> {
  const { config, request, dryRun } = args;
  let reported = false;
  const reporter: Pick<AdminReporter, "report"> = {
    report: (action) => {
      reported = true;
      return args.reporter.report(action);
    },
  };
  const submitter = typeof args.submitter === "string" ? args.submitter : args.submitter.address;
  const account = typeof args.submitter === "string" ? undefined : args.submitter;
  if (!dryRun && !account) {
    throw new AdminCommandError({ reason: "A submitter keystore is needed to send (--from-keystore)." });
  }
  const digest = digestOf(request);
  const subject = `${request.kind} request ${args.requestSource}`;
  const base = {
    action: ACTION[request.kind],
    assetId: request.asset,
    chainId: request.chainId,
    breaker: request.breaker,
    actor: submitter,
    requestDigest: digest,
  } as const;
  const refuse = async (refusals: readonly Refusal[]): Promise<never> => {
    await reporter.report({ ...base, outcome: "refused", reason: refusals.map(formatRefusal).join("; ") });
    throw new AdminRefusedError({ subject, refusals, chainId: request.chainId, breaker: request.breaker });
  };

  const target = targetByChainId(config, request.asset, request.chainId);
  const opened = openChain(target.chain, args.logger);
  const client = opened.client;
  try {
    // 1. The right chain and breaker: nothing else can be read on the wrong one.
    const actualChainId = await rpcChainId(client, target.chain);
    const targetRefusals = checkTarget(request, {
      rpcChainId: actualChainId,
      configuredBreaker: target.deployment.breaker,
      breakerHasCode: actualChainId === request.chainId ? await hasCode(client, request.breaker) : false,
    });
    if (targetRefusals.length > 0) return await refuse(targetRefusals);

    // 2. Every local check against the state at the latest block.
    const state = await readBreaker(client, request.breaker);
    const [submitterIsKeeper, onChainDigest] = await Promise.all([
      request.kind === "unpause"
        ? isKeeper(client, request.breaker, submitter, state.blockNumber)
        : Promise.resolve(false),
      request.kind === "unpause"
        ? client.readContract({
            address: request.breaker,
            abi: reserveCircuitBreakerAbi,
            functionName: "unpauseDigest",
            args: [request.nonce, request.deadline, hashReason(request.reason)],
            blockNumber: state.blockNumber,
          })
        : client.readContract({
            address: request.breaker,
            abi: reserveCircuitBreakerAbi,
            functionName: "updateSignersDigest",
            args: [request.nonce, request.deadline, request.newSigners, BigInt(request.newThreshold)],
            blockNumber: state.blockNumber,
          }),
    ]);
    const contract = { address: request.breaker, abi: reserveCircuitBreakerAbi } as const;
    const verification = await verifySubmission(request, args.signatures, {
      signers: state.signers,
      threshold: state.threshold,
      nonce: state.nonce,
      paused: state.paused,
      blockTimestamp: state.blockTimestamp,
      submitter,
      submitterIsKeeper,
      onChainDigest,
    });
    if (!verification.ok) return await refuse(verification.refusals);

    // 3. Simulate from the submitter.
    const call = request.kind === "unpause" ? "unpause" : "updateSigners";
    try {
      if (request.kind === "unpause") {
        await client.simulateContract({
          ...contract,
          functionName: "unpause",
          args: [hashReason(request.reason), request.deadline, verification.signatures],
          account: submitter,
        });
      } else {
        await client.simulateContract({
          ...contract,
          functionName: "updateSigners",
          args: [request.newSigners, BigInt(request.newThreshold), request.deadline, verification.signatures],
          account: submitter,
        });
      }
    } catch (err) {
      const revert = decodeRevert(err);
      return await refuse([
        {
          code: "SIMULATION_REVERTED",
          message: revert
            ? `the ${call} call reverts with ${formatRevert(revert)}`
            : `the ${call} call fails in simulation: ${describeError(err)}`,
        },
      ]);
    }
    const summary = {
      kind: request.kind,
      asset: request.asset,
      chainId: request.chainId,
      breaker: request.breaker,
      nonce: request.nonce,
      digest,
      submitter,
      signers: verification.signers,
    };
    if (dryRun || !account) {
      const published = await reporter.report({ ...base, outcome: "dry_run", reason: request.reason });
      return { outcome: "dry_run", ...summary, published };
    }

    // 4. Send (signed locally) and wait.
    const wallet = createWalletClient({
      account,
      chain: opened.viemChain,
      transport: http(target.chain.rpc.http),
    });
    let hash: Hash;
    try {
      hash =
        request.kind === "unpause"
          ? await wallet.writeContract({
              ...contract,
              functionName: "unpause",
              args: [hashReason(request.reason), request.deadline, verification.signatures],
            })
          : await wallet.writeContract({
              ...contract,
              functionName: "updateSigners",
              args: [
                request.newSigners,
                BigInt(request.newThreshold),
                request.deadline,
                verification.signatures,
              ],
            });
    } catch (err) {
      const revert = decodeRevert(err);
      const reason = revert
        ? `the transaction was rejected: ${formatRevert(revert)}`
        : `the transaction could not be sent: ${describeError(err)}`;
      await reporter.report({ ...base, outcome: "failed", reason });
      throw new AdminCommandError({ reason: `Submitting ${subject} failed: ${reason}.` });
    }
    let receipt: Awaited<ReturnType<typeof client.waitForTransactionReceipt>>;
    try {
      receipt = await client.waitForTransactionReceipt({
        hash,
        timeout: args.receiptTimeoutMs ?? 120_000,
        pollingInterval: 1_000,
      });
    } catch (cause) {
      await reporter.report({
        ...base,
        txHash: hash,
        outcome: "failed",
        reason: "no receipt before the timeout",
      });
      throw new AdminCommandError({
        reason: `Transaction ${hash} was sent but no receipt arrived in time; check it before retrying.`,
        cause,
      });
    }
    if (receipt.status !== "success") {
      const reason = `transaction ${hash} reverted in block ${receipt.blockNumber}`;
      await reporter.report({ ...base, txHash: hash, outcome: "failed", reason });
      throw new AdminCommandError({ reason: `Submitting ${subject} failed: ${reason}.` });
    }
    const events = parseEventLogs({ abi: reserveCircuitBreakerAbi, logs: receipt.logs });
    const expected = request.kind === "unpause" ? "BreakerUnpaused" : "SignerSetChanged";
    if (!events.some((e) => e.eventName === expected)) {
      const reason = `transaction ${hash} was mined without a ${expected} event`;
      await reporter.report({ ...base, txHash: hash, outcome: "failed", reason });
      throw new AdminCommandError({ reason: `Submitting ${subject}: ${reason}.` });
    }
    const published = await reporter.report({
      ...base,
      txHash: hash,
      outcome: "succeeded",
      reason: request.reason,
    });
    return {
      outcome: "succeeded",
      ...summary,
      txHash: hash,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
      published,
    };
  } catch (err) {
    // A read failed (RPC down, …): nothing was sent; still an admin act that did not happen.
    if (!reported) {
      const reason = describeError(err);
      await reporter.report({ ...base, outcome: "failed", reason });
    }
    throw err;
  } finally {
    await opened.close();
  }
}
