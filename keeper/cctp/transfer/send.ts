/**
 * Transactions of the transfer client: simulate (reverts decoded against the CCTP errors), send as the
 * account, wait for a successful receipt. Transactions of one chain are sent one at a time (one account,
 * one nonce sequence). Keys never leave the account object.
 */
import type { Address, Hex, PublicClient } from "viem";
import { decodeRevert, formatRevert } from "../../internal/revert.ts";
import type { Logger } from "../../telemetry/logger.ts";
import { cctpErrorsAbi } from "./abi.ts";
import { CctpReceiptTimeoutError, CctpTokenPausedError, CctpTxRevertedError } from "./errors.ts";
import { reasonOf } from "./events.ts";
import type { CctpSetup, ResolvedCctpChain } from "./setup.ts";
import type { CctpChainClients } from "./types.ts";

/** A log of a mined transaction. */
export type TxLog = { address: Address; topics: readonly Hex[]; data: Hex; logIndex: number };

/** A mined, successful transaction. */
export type MinedTx = { hash: Hex; blockNumber: bigint; logs: readonly TxLog[] };

/** A contract write. */
export type SendCall = {
  address: Address;
  abi: readonly unknown[];
  functionName: string;
  args: readonly unknown[];
};

/** Simulates then sends a write as the account and waits for a successful receipt. */
export type Send = (
  chain: ResolvedCctpChain,
  step: string,
  call: SendCall,
  /** The token of the step (named by a TokenPaused revert without arguments). */
  token?: Address,
) => Promise<MinedTx>;

export type CreateSendArgs = {
  readonly setup: CctpSetup;
  readonly clients: (chain: ResolvedCctpChain) => CctpChainClients;
  readonly logger: Logger;
};

/** Creates the transfer client's sender: one promise chain per chain. */
export function createSend(args: CreateSendArgs): Send {
  const { setup, logger } = args;
  const serialize = createSerializer();
  return async function send(chain, step, call, token) {
    const { public: pc, wallet } = args.clients(chain);
    const abi = [...call.abi, ...cctpErrorsAbi] as never;
    return serialize(chain.chain, async () => {
      let request: unknown;
      try {
        ({ request } = await pc.simulateContract({
          address: call.address,
          abi,
          functionName: call.functionName as never,
          args: call.args as never,
          account: wallet.account,
        }));
      } catch (cause) {
        throw revertError(step, chain, cause, token);
      }
      const hash = await wallet.writeContract(request as never);
      let receipt: Awaited<ReturnType<PublicClient["waitForTransactionReceipt"]>>;
      try {
        receipt = await pc.waitForTransactionReceipt({ hash, timeout: setup.config.receiptTimeoutMs });
      } catch (cause) {
        if ((cause as { name?: string }).name === "WaitForTransactionReceiptTimeoutError") {
          throw new CctpReceiptTimeoutError({
            step,
            chainId: chain.chainId,
            txHash: hash,
            timeoutMs: setup.config.receiptTimeoutMs,
          });
        }
        throw cause;
      }
      if (receipt.status !== "success") {
        throw new CctpTxRevertedError({
          step,
          chainId: chain.chainId,
          revert: "(reverted on chain)",
          txHash: hash,
        });
      }
      logger.debug(
        { step, chain_id: chain.chainId, tx_hash: hash, block: receipt.blockNumber },
        "cctp transaction mined",
      );
      return {
        hash,
        blockNumber: receipt.blockNumber,
        logs: receipt.logs.map((l) => ({
          address: l.address,
          topics: l.topics as Hex[],
          data: l.data,
          logIndex: l.logIndex,
        })),
      };
    });
  };
}

function revertError(step: string, chain: ResolvedCctpChain, cause: unknown, token?: Address): Error {
  const revert = decodeRevert(cause);
  if (revert?.errorName === "TokenPaused") {
    return new CctpTokenPausedError({
      step,
      chainId: chain.chainId,
      token: String(revert.args[0] ?? token ?? ""),
    });
  }
  if (revert)
    return new CctpTxRevertedError({ step, chainId: chain.chainId, revert: formatRevert(revert), cause });
  const reason = (cause as { shortMessage?: string }).shortMessage ?? reasonOf(cause);
  if (/revert/i.test(reason)) {
    const text = /reverted with the following reason:\s*\n?(.*)/
      .exec((cause as Error).message ?? "")?.[1]
      ?.trim();
    return new CctpTxRevertedError({
      step,
      chainId: chain.chainId,
      revert: text ? `"${text}"` : "(no reason)",
      cause,
    });
  }
  return cause instanceof Error ? cause : new Error(String(cause));
}

/** One promise chain per key: transactions of one chain go out one at a time. */
function createSerializer() {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(key: string, task: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    tails.set(
      key,
      run.catch(() => {}),
    );
    return run;
  };
}
