/**
 * Generic contract writes for the services that write chains besides the pause executor (compliance
 * gate sync, Secure Mint): simulate → estimate → sign locally → broadcast with a reserved nonce → wait
 * for the receipt. Reverts are decoded against every project error (keeper/internal/revert.ts).
 * No fee bumping: these writes are not emergencies; a transaction that does not mine in time is
 * reported as retryable and the caller re-reads the chain before trying again (its writes are
 * idempotent or guarded by its own state).
 */
import {
  type Abi,
  type Address,
  type Chain,
  encodeFunctionData,
  type Hash,
  type Hex,
  keccak256,
  type LocalAccount,
  type PublicClient,
  type Transport,
} from "viem";
import { decodeRevert, formatRevert } from "../internal/revert.ts";
import type { Logger } from "../telemetry/logger.ts";
import { classifySendError } from "./classifySendError.ts";
import {
  ContractWriteFailedError,
  ContractWriteRejectedError,
  ContractWriteRevertedError,
} from "./contractWriteErrors.ts";
import { createNonceManager, type NonceManager } from "./nonces.ts";

/** The reads and the broadcast a writer needs from a chain (a viem PublicClient fits). */
export type WriterClient = Pick<
  PublicClient<Transport, Chain | undefined>,
  | "call"
  | "estimateGas"
  | "estimateFeesPerGas"
  | "getTransactionCount"
  | "sendRawTransaction"
  | "waitForTransactionReceipt"
>;

export type ContractWriterChain = {
  readonly chainId: number;
  readonly client: WriterClient;
  /** Share one per (chain, key) in a process; default: a new one. */
  readonly nonceManager?: NonceManager | undefined;
};

export type ContractCall = {
  readonly chainId: number;
  readonly address: Address;
  readonly abi: Abi;
  readonly functionName: string;
  readonly args: readonly unknown[];
};

export type SentTransaction = { readonly txHash: Hash; readonly nonce: number };
export type MinedTransaction = { readonly txHash: Hash; readonly blockNumber: bigint };

export interface ContractWriter {
  /** The signing account's address. */
  readonly address: Address;
  /**
   * Simulates the call from the account (a revert → ContractWriteRevertedError, nothing sent), then
   * signs and broadcasts it with the next nonce. Resolves once broadcast.
   */
  send(call: ContractCall): Promise<SentTransaction>;
  /** Waits for the receipt: reverted → ContractWriteRevertedError, not mined in time → ContractWriteFailedError. */
  wait(call: ContractCall, txHash: Hash, timeoutMs: number): Promise<MinedTransaction>;
  /** send + wait. */
  write(call: ContractCall, timeoutMs: number): Promise<MinedTransaction>;
}

export type CreateContractWriterArgs = {
  /** Signs locally; the key never leaves the account object and is never logged. */
  readonly account: LocalAccount;
  readonly chains: readonly ContractWriterChain[];
  readonly logger?: Logger | undefined;
  /** Gas estimate multiplier in percent (default 120). */
  readonly gasHeadroomPercent?: number | undefined;
};

export function createContractWriter(args: CreateContractWriterArgs): ContractWriter {
  const { account } = args;
  const headroom = BigInt(args.gasHeadroomPercent ?? 120);
  const chains = new Map(
    args.chains.map((c) => [
      c.chainId,
      {
        client: c.client,
        nonces: c.nonceManager ?? createNonceManager({ client: c.client, address: account.address }),
      },
    ]),
  );
  const log = args.logger?.child({ component: "contract_writer", signer: account.address });

  function chainOf(call: ContractCall) {
    const chain = chains.get(call.chainId);
    if (!chain) {
      throw new ContractWriteRejectedError({
        chainId: call.chainId,
        contract: call.address,
        functionName: call.functionName,
        kind: "chain not configured for this writer",
      });
    }
    return chain;
  }

  function reverted(call: ContractCall, err: unknown, txHash?: Hash): ContractWriteRevertedError | undefined {
    const revert = decodeRevert(err);
    if (!revert) return undefined;
    return new ContractWriteRevertedError({
      chainId: call.chainId,
      contract: call.address,
      functionName: call.functionName,
      revert: formatRevert(revert),
      errorName: revert.errorName,
      errorArgs: revert.args,
      ...(txHash === undefined ? {} : { txHash }),
      cause: err,
    });
  }

  const failed = (call: ContractCall, step: string, cause: unknown, txHash?: Hash) =>
    new ContractWriteFailedError({
      chainId: call.chainId,
      contract: call.address,
      functionName: call.functionName,
      step,
      ...(txHash === undefined ? {} : { txHash }),
      cause,
    });

  async function send(call: ContractCall): Promise<SentTransaction> {
    const { client, nonces } = chainOf(call);
    const data = encodeFunctionData({
      abi: call.abi,
      functionName: call.functionName,
      args: call.args,
    } as never) as Hex;
    const tx = { account: account.address, to: call.address, data } as const;
    let gas: bigint;
    let fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };
    try {
      await client.call(tx);
      gas = ((await client.estimateGas(tx)) * headroom) / 100n;
      const estimated = await client.estimateFeesPerGas();
      fees = {
        maxFeePerGas: estimated.maxFeePerGas ?? 0n,
        maxPriorityFeePerGas: estimated.maxPriorityFeePerGas ?? 0n,
      };
    } catch (err) {
      throw reverted(call, err) ?? failed(call, "simulating", err);
    }
    const reservation = await nonces.reserve();
    let used = false;
    try {
      for (let attempt = 1; ; attempt++) {
        const serialized = await account.signTransaction({
          chainId: call.chainId,
          type: "eip1559",
          to: call.address,
          data,
          gas,
          nonce: reservation.nonce,
          ...fees,
        });
        try {
          const txHash = await client.sendRawTransaction({ serializedTransaction: serialized });
          used = true;
          log?.debug(
            {
              chain_id: call.chainId,
              function: call.functionName,
              tx_hash: txHash,
              nonce: reservation.nonce,
            },
            "contract write broadcast",
          );
          return { txHash, nonce: reservation.nonce };
        } catch (err) {
          const kind = classifySendError(err);
          if (kind === "already_known") {
            used = true;
            return { txHash: keccak256(serialized), nonce: reservation.nonce };
          }
          if ((kind === "nonce_too_low" || kind === "nonce_too_high") && attempt < 3) {
            await reservation.resync(kind);
            continue;
          }
          if (kind === "transport") throw failed(call, "broadcasting", err);
          throw new ContractWriteRejectedError({
            chainId: call.chainId,
            contract: call.address,
            functionName: call.functionName,
            kind,
            cause: err,
          });
        }
      }
    } finally {
      reservation.release(used);
    }
  }

  async function wait(call: ContractCall, txHash: Hash, timeoutMs: number): Promise<MinedTransaction> {
    const { client } = chainOf(call);
    let receipt: Awaited<ReturnType<WriterClient["waitForTransactionReceipt"]>>;
    try {
      receipt = await client.waitForTransactionReceipt({
        hash: txHash,
        timeout: timeoutMs,
        pollingInterval: 100,
      });
    } catch (err) {
      throw failed(call, "waiting for the receipt", err, txHash);
    }
    if (receipt.status !== "success") {
      // Replay the call at the block to learn why it reverted.
      let reason: ContractWriteRevertedError | undefined;
      try {
        await client.call({
          account: account.address,
          to: call.address,
          data: encodeFunctionData({
            abi: call.abi,
            functionName: call.functionName,
            args: call.args,
          } as never),
          blockNumber: receipt.blockNumber,
        });
      } catch (err) {
        reason = reverted(call, err, txHash);
      }
      throw (
        reason ??
        new ContractWriteRevertedError({
          chainId: call.chainId,
          contract: call.address,
          functionName: call.functionName,
          revert: "unknown",
          errorName: "unknown",
          errorArgs: [],
          txHash,
        })
      );
    }
    return { txHash, blockNumber: receipt.blockNumber };
  }

  return {
    address: account.address,
    send,
    wait,
    async write(call, timeoutMs) {
      const sent = await send(call);
      return wait(call, sent.txHash, timeoutMs);
    },
  };
}
