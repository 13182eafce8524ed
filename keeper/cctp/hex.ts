/**
 * Byte-level helpers of the CCTP codec: strict hex parsing, big-endian fixed-size integers, bytes32
 * and the bytes32 ⇄ EVM address mapping. Pure; every failure is a CctpDecodeError (input bytes) or a
 * CctpEncodeError (values to encode). Produced hex is always lowercase.
 */
import { type Address, bytesToHex, getAddress, type Hex, isAddress } from "viem";
import { CctpDecodeError, CctpEncodeError } from "./errors.ts";

export const MAX_UINT32 = 0xffff_ffff;
export const MAX_UINT64 = (1n << 64n) - 1n;
export const MAX_UINT256 = (1n << 256n) - 1n;

/** 32 zero bytes (the source-side V2 nonce, "any caller" destinationCaller). */
export const ZERO_BYTES32: Hex = `0x${"00".repeat(32)}`;

const HEX_BODY = /^[0-9a-fA-F]*$/;

/** A short rendering of a value for error messages (long hex shows its size, not its bytes). */
export function describeValue(value: unknown): string {
  if (typeof value === "string") {
    if (value.length <= 74) return JSON.stringify(value);
    return `${JSON.stringify(`${value.slice(0, 18)}…`)} (${value.length} characters)`;
  }
  if (typeof value === "bigint") return `${value}n`;
  return String(value);
}

/** Why `value` is not 0x-prefixed, even-length hex, or undefined when it is. */
export function hexProblem(value: unknown): { expected: string; actual: string } | undefined {
  if (typeof value !== "string") return { expected: "a 0x-prefixed hex string", actual: typeof value };
  if (!value.startsWith("0x") && !value.startsWith("0X")) {
    return { expected: "a 0x-prefixed hex string", actual: describeValue(value) };
  }
  const body = value.slice(2);
  if (!HEX_BODY.test(body)) {
    const at = [...body].findIndex((c) => !/[0-9a-fA-F]/.test(c));
    return { expected: "hex digits only", actual: `${JSON.stringify(body[at])} at character ${at + 2}` };
  }
  if (body.length % 2 !== 0) {
    return { expected: "an even number of hex digits", actual: `${body.length} hex digits` };
  }
  return undefined;
}

/** Parses 0x-prefixed hex (either case) into bytes, or throws a CctpDecodeError naming `field`. */
export function parseHex(value: unknown, field: string): Uint8Array {
  const problem = hexProblem(value);
  if (problem !== undefined) throw new CctpDecodeError({ field, ...problem });
  const body = (value as string).slice(2);
  const bytes = new Uint8Array(body.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(body.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Hex of a value to encode, validated and lowercased, or a CctpEncodeError naming `field`. */
function encodableHex(value: unknown, field: string): Hex {
  const problem = hexProblem(value);
  if (problem !== undefined) throw new CctpEncodeError({ field, ...problem });
  return (value as string).toLowerCase() as Hex;
}

/** Big-endian unsigned integer of `size` bytes at `offset` (the caller checked the length). */
export function readUint(bytes: Uint8Array, offset: number, size: number): bigint {
  let n = 0n;
  for (let i = offset; i < offset + size; i++) n = (n << 8n) | BigInt(bytes[i] ?? 0);
  return n;
}

/** Big-endian uint32 at `offset` as a number (the caller checked the length). */
export function readUint32(bytes: Uint8Array, offset: number): number {
  return Number(readUint(bytes, offset, 4));
}

/** `size` bytes at `offset` as lowercase hex (to the end when `size` is omitted). */
export function readHex(bytes: Uint8Array, offset: number, size?: number): Hex {
  return bytesToHex(bytes.subarray(offset, size === undefined ? undefined : offset + size));
}

/** Hex of a uint32 field value, or a CctpEncodeError. */
export function uint32Hex(value: unknown, field: string): string {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_UINT32) {
    throw new CctpEncodeError({
      field,
      expected: "an integer from 0 to 4294967295 (uint32)",
      actual: describeValue(value),
    });
  }
  return value.toString(16).padStart(8, "0");
}

/** Hex of a uint64 / uint256 field value (`bits` 64 or 256), or a CctpEncodeError. */
export function uintHex(value: unknown, bits: 64 | 256, field: string): string {
  const max = bits === 64 ? MAX_UINT64 : MAX_UINT256;
  if (typeof value !== "bigint" || value < 0n || value > max) {
    throw new CctpEncodeError({
      field,
      expected: `a bigint from 0 to 2^${bits} - 1 (uint${bits})`,
      actual: describeValue(value),
    });
  }
  return value.toString(16).padStart(bits / 4, "0");
}

/** Hex (no prefix) of a bytes32 field value, or a CctpEncodeError. */
export function bytes32Hex(value: unknown, field: string): string {
  const hex = encodableHex(value, field);
  if (hex.length !== 66) {
    throw new CctpEncodeError({
      field,
      expected: "32 bytes (bytes32)",
      actual: `${(hex.length - 2) / 2} bytes`,
    });
  }
  return hex.slice(2);
}

/** Hex (no prefix) of a dynamic bytes field value, or a CctpEncodeError. */
export function dynamicHex(value: unknown, field: string): string {
  return encodableHex(value, field).slice(2);
}

/**
 * The checksummed EVM address held by a bytes32 (left-padded with 12 zero bytes, as CCTP stores
 * addresses), or a CctpDecodeError naming `field` when the top 12 bytes are not zero (a Solana key,
 * say) or the value is not 32 bytes of hex.
 */
export function bytes32ToAddress(value: string, field = "bytes32"): Address {
  const bytes = parseHex(value, field);
  if (bytes.length !== 32) {
    throw new CctpDecodeError({ field, expected: "32 bytes (bytes32)", actual: `${bytes.length} bytes` });
  }
  const top = bytes.subarray(0, 12);
  if (top.some((b) => b !== 0)) {
    throw new CctpDecodeError({
      field,
      offset: top.findIndex((b) => b !== 0),
      expected: "12 zero bytes before a 20-byte EVM address",
      actual: `non-zero top bytes ${bytesToHex(top)}`,
    });
  }
  return getAddress(bytesToHex(bytes.subarray(12)));
}

/** Like bytes32ToAddress, but undefined instead of an error when the bytes32 is not an address. */
export function bytes32AsAddress(value: string): Address | undefined {
  try {
    return bytes32ToAddress(value);
  } catch (err) {
    if (err instanceof CctpDecodeError) return undefined;
    throw err;
  }
}

/** An EVM address left-padded to the bytes32 CCTP stores (lowercase hex), or a CctpEncodeError. */
export function addressToBytes32(address: string, field = "address"): Hex {
  if (typeof address !== "string" || !isAddress(address, { strict: true })) {
    throw new CctpEncodeError({
      field,
      expected: "a 20-byte EVM address (mixed case must be a valid checksum)",
      actual: describeValue(address),
    });
  }
  return `0x${"00".repeat(12)}${address.slice(2).toLowerCase()}`;
}
