import { HttpRequestError, InvalidInputRpcError, RpcRequestError } from "viem";
import { describe, expect, it } from "vitest";
import { classifySendError } from "./classifySendError.ts";

/** A viem error as eth_sendRawTransaction surfaces it (node message in the cause's details). */
const rpc = (message: string) =>
  new InvalidInputRpcError(
    new RpcRequestError({ body: {}, url: "http://127.0.0.1:8545", error: { code: -32000, message } }),
  );

describe("classifySendError", () => {
  it.each([
    // Hardhat / EDR (captured from a devnet node)
    [
      "Known transaction: 0xcb6f2e5a1bd34078d8db62d2ec638b9fd916de9f2b9961fbc90cedd9e709f935",
      "already_known",
    ],
    [
      "Replacement transaction underpriced. A gasPrice/maxFeePerGas of at least 1100000000 is necessary to replace the existing transaction with nonce 0.",
      "replacement_underpriced",
    ],
    ["Transaction nonce too low. Expected nonce to be at least 1 but got 0.", "nonce_too_low"],
    [
      "Nonce too high. Expected nonce to be 3 but got 5. Note that transactions can't be queued when automining.",
      "nonce_too_high",
    ],
    [
      "Transaction maxFeePerGas (7) is too low for the next block, which has a baseFeePerGas of 8",
      "fee_too_low",
    ],
    [
      "sender doesn't have enough funds to send tx. The max upfront cost is: 1 and the sender's balance is: 0.",
      "insufficient_funds",
    ],
    // geth / erigon / reth
    ["already known", "already_known"],
    ["replacement transaction underpriced", "replacement_underpriced"],
    ["nonce too low: next nonce 5, tx nonce 4", "nonce_too_low"],
    ["nonce too high", "nonce_too_high"],
    ["max fee per gas less than block base fee: address 0x…, maxFeePerGas: 1, baseFee: 2", "fee_too_low"],
    ["transaction underpriced: tip needed 1, tip permitted 0", "fee_too_low"],
    ["insufficient funds for gas * price + value: balance 0, tx cost 1", "insufficient_funds"],
    // Nethermind / Besu / anvil
    ["OldNonce", "nonce_too_low"],
    ["AlreadyKnown", "already_known"],
    ["REPLACEMENT_UNDERPRICED", "replacement_underpriced"],
    ["transaction already imported", "already_known"],
    ["intrinsic gas too low", "rejected"],
  ])("%s → %s", (message, kind) => {
    expect(classifySendError(rpc(message))).toBe(kind);
  });

  it("classifies transport failures", () => {
    expect(
      classifySendError(
        new HttpRequestError({ url: "http://127.0.0.1:1", cause: new Error("fetch failed") }),
      ),
    ).toBe("transport");
    expect(classifySendError(new Error("connect ECONNREFUSED 127.0.0.1:8545"))).toBe("transport");
  });

  it("treats anything else as rejected", () => {
    expect(classifySendError(new Error("invalid sender"))).toBe("rejected");
    expect(classifySendError(undefined)).toBe("rejected");
  });
});
