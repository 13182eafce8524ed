import { NonRetryableError, RetryableError } from "../internal/errors.ts";

/**
 * Errors of the generic contract writes in actions/ (contractWriter.ts: gate sync, Secure Mint).
 *
 * ```
 * NonRetryableError ContractWriteRevertedError  CONTRACT_WRITE_REVERTED  simulation or receipt reverted (decoded)
 * NonRetryableError ContractWriteRejectedError  CONTRACT_WRITE_REJECTED  the node refused the transaction
 * RetryableError    ContractWriteFailedError    CONTRACT_WRITE_FAILED    transport / timeout / unconfirmed
 * ```
 */

/** The call reverts (simulation) or the mined transaction reverted; `revert` is the decoded custom error. */
export class ContractWriteRevertedError extends NonRetryableError {
  declare readonly code: "CONTRACT_WRITE_REVERTED";
  /** Decoded custom error name, e.g. "BreakerIsPaused" (or "unknown"). */
  readonly errorName: string;
  readonly errorArgs: readonly unknown[];
  readonly txHash: string | undefined;
  constructor({
    chainId,
    contract,
    functionName,
    revert,
    errorName,
    errorArgs,
    txHash,
    cause,
  }: {
    chainId: number;
    contract: string;
    functionName: string;
    revert: string;
    errorName: string;
    errorArgs: readonly unknown[];
    txHash?: string;
    cause?: unknown;
  }) {
    super({
      shortMessage: `${functionName} on ${contract} (chain ${chainId}) reverted with ${revert}.`,
      code: "CONTRACT_WRITE_REVERTED",
      details: { chainId, contract, functionName, revert, txHash },
      cause,
    });
    this.errorName = errorName;
    this.errorArgs = errorArgs;
    this.txHash = txHash;
  }
}

/** The node refused the signed transaction (insufficient funds, fee below the pool minimum, …). */
export class ContractWriteRejectedError extends NonRetryableError {
  declare readonly code: "CONTRACT_WRITE_REJECTED";
  constructor({
    chainId,
    contract,
    functionName,
    kind,
    cause,
  }: {
    chainId: number;
    contract: string;
    functionName: string;
    kind: string;
    cause?: unknown;
  }) {
    super({
      shortMessage: `Chain ${chainId} rejected ${functionName} on ${contract} (${kind}).`,
      code: "CONTRACT_WRITE_REJECTED",
      details: { chainId, contract, functionName, kind },
      cause,
    });
  }
}

/** A read, the broadcast or the receipt wait failed for now (transport, timeout): retry later. */
export class ContractWriteFailedError extends RetryableError {
  declare readonly code: "CONTRACT_WRITE_FAILED";
  readonly txHash: string | undefined;
  constructor({
    chainId,
    contract,
    functionName,
    step,
    txHash,
    cause,
  }: {
    chainId: number;
    contract: string;
    functionName: string;
    step: string;
    txHash?: string;
    cause?: unknown;
  }) {
    super({
      shortMessage: `${functionName} on ${contract} (chain ${chainId}) failed while ${step}.`,
      code: "CONTRACT_WRITE_FAILED",
      details: { chainId, contract, functionName, step, txHash },
      cause,
    });
    this.txHash = txHash;
  }
}
