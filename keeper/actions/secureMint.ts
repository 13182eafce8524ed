/**
 * Secure Mint through StablecoinMinter.mint(to, amount), signed by the issuer (ISSUER_ROLE). The minter
 * itself checks the breaker, the compliance gate and the reserves; a refusal comes back as a decoded
 * ContractWriteRevertedError (BreakerIsPaused, ComplianceCheckFailed(…, reason), InsufficientReserves, …)
 * and nothing is minted. `send` and `wait` are separate so a caller can record the transaction hash
 * before waiting (the on-ramp's at-most-once guarantee).
 */
import type { Address, Hash } from "viem";
import { stablecoinMinterAbi } from "../abi/index.ts";
import type { ContractCall, ContractWriter, MinedTransaction, SentTransaction } from "./contractWriter.ts";

export type SecureMintRequest = {
  readonly chainId: number;
  readonly minter: Address;
  readonly to: Address;
  /** Token base units (> 0). */
  readonly amount: bigint;
};

export type SecureMinter = {
  /** The issuer's address. */
  readonly issuer: Address;
  /** Simulates (a revert is thrown decoded, nothing is sent) and broadcasts the mint. */
  send(request: SecureMintRequest): Promise<SentTransaction>;
  /** Waits for the mint's receipt (reverted → decoded ContractWriteRevertedError). */
  wait(request: SecureMintRequest, txHash: Hash): Promise<MinedTransaction>;
};

function mintCall(request: SecureMintRequest): ContractCall {
  return {
    chainId: request.chainId,
    address: request.minter,
    abi: stablecoinMinterAbi,
    functionName: "mint",
    args: [request.to, request.amount],
  };
}

export function createSecureMinter({
  writer,
  receiptTimeoutMs,
}: {
  /** Signs as the issuer. */
  readonly writer: ContractWriter;
  readonly receiptTimeoutMs: number;
}): SecureMinter {
  return {
    issuer: writer.address,
    send: (request) => writer.send(mintCall(request)),
    wait: (request, txHash) => writer.wait(mintCall(request), txHash, receiptTimeoutMs),
  };
}
