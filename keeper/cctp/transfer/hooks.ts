/**
 * Hook data in the devnet hook executor's format (contracts/cctp/libraries/CctpHookData.sol):
 *
 *     hookData = abi.encodePacked(bytes4 "rkh1" (0x726b6831), address target, bytes callData)
 *
 * The executor mints `amount - feeExecuted` to itself, approves the target for exactly that, calls it and
 * requires the whole net amount consumed. A treasury hook is `DevTreasury.credit(account, token, net)`.
 * Pure.
 */
import { type Address, concat, encodeFunctionData, type Hex, isHex, parseAbi, size } from "viem";
import { TransferRequestInvalidError } from "./errors.ts";

export const HOOK_MAGIC: Hex = "0x726b6831";

const treasuryAbi = parseAbi(["function credit(bytes32 account, address token, uint256 amount)"]);

/** A hook a transfer can carry. */
export type TransferHook = {
  readonly type: "treasury";
  /** The treasury account (bytes32, e.g. a customer reference) credited with the received amount. */
  readonly account: Hex;
};

/** `abi.encodePacked(MAGIC, target, callData)`. */
export function encodeHookData(target: Address, callData: Hex): Hex {
  return concat([HOOK_MAGIC, target, callData]);
}

/** Hook data crediting `account` at `treasury` with `netAmount` of `token` (the destination token). */
export function treasuryHookData(args: {
  treasury: Address;
  account: Hex;
  token: Address;
  netAmount: bigint;
}): Hex {
  const callData = encodeFunctionData({
    abi: treasuryAbi,
    functionName: "credit",
    args: [args.account, args.token, args.netAmount],
  });
  return encodeHookData(args.treasury, callData);
}

/**
 * Parses `treasury:<account>`: the account is a 0x-prefixed bytes32 or a short text (≤ 31 bytes UTF-8)
 * encoded as a left-aligned bytes32, like Solidity's bytes32("text").
 */
export function parseHookSpec(spec: string): TransferHook {
  const [kind, ...rest] = spec.split(":");
  const value = rest.join(":");
  if (kind !== "treasury" || value === "") {
    throw new TransferRequestInvalidError({
      field: "hook",
      reason: 'must be "treasury:<account>" (account: 0x + 64 hex digits, or text up to 31 bytes)',
      value: spec,
    });
  }
  if (isHex(value) && size(value) === 32) return { type: "treasury", account: value.toLowerCase() as Hex };
  const bytes = new TextEncoder().encode(value);
  if (value.startsWith("0x") || bytes.length > 31) {
    throw new TransferRequestInvalidError({
      field: "hook",
      reason: "account must be 0x + 64 hex digits, or text up to 31 bytes",
      value: spec,
    });
  }
  const padded = new Uint8Array(32);
  padded.set(bytes);
  return { type: "treasury", account: `0x${Buffer.from(padded).toString("hex")}` };
}
