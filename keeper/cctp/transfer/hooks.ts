/**
 * Hook data in the devnet hook executor's format (contracts/cctp/libraries/CctpHookData.sol):
 *
 *     hookData = abi.encodePacked(bytes4 "rkh2" (0x726b6832), address target, bytes data)
 *
 * The executor mints `amount - feeExecuted` to itself, measures it, transfers exactly that to the target
 * and calls `target.onCctpHook(nonce, sourceDomain, sender, token, amount, data)` (receiver callback), so
 * the hook data states no amount and works for standard and fast transfers alike. A treasury hook's data
 * is `abi.encode(bytes32 account)`: `DevTreasury` credits the delivered amount to that account.
 * Pure.
 */
import { type Address, concat, encodeAbiParameters, type Hex, isHex, size } from "viem";
import { TransferRequestInvalidError } from "./errors.ts";

export const HOOK_MAGIC: Hex = "0x726b6832";

/** A hook a transfer can carry. */
export type TransferHook = {
  readonly type: "treasury";
  /** The treasury account (bytes32, e.g. a customer reference) credited with the received amount. */
  readonly account: Hex;
};

/** `abi.encodePacked(MAGIC, target, data)`: the executor pays `target` and calls it back with `data`. */
export function encodeHookData(target: Address, data: Hex): Hex {
  return concat([HOOK_MAGIC, target, data]);
}

/** Hook data crediting `account` at `treasury` with whatever the transfer delivers (amount − fee). */
export function treasuryHookData(args: { treasury: Address; account: Hex }): Hex {
  return encodeHookData(args.treasury, encodeAbiParameters([{ type: "bytes32" }], [args.account]));
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
