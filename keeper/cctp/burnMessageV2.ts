/**
 * CCTP V2 USDC burn message (Circle `BurnMessageV2.sol`): the body of a V2 message sent by
 * TokenMessengerV2, at least 228 bytes. Pure.
 *
 * | field           | body offset | message offset | size | decoded as |
 * |-----------------|-------------|----------------|------|------------|
 * | version (= 1)   | 0           | 148            | 4    | number     |
 * | burnToken       | 4           | 152            | 32   | Hex        |
 * | mintRecipient   | 36          | 184            | 32   | Hex        |
 * | amount          | 68          | 216            | 32   | bigint (gross amount burned) |
 * | messageSender   | 100         | 248            | 32   | Hex (the depositor) |
 * | maxFee          | 132         | 280            | 32   | bigint     |
 * | feeExecuted     | 164         | 312            | 32   | bigint (0 at the source, set by Iris) |
 * | expirationBlock | 196         | 344            | 32   | bigint (0 at the source, set by Iris) |
 * | hookData        | 228         | 376            | rest | Hex        |
 */
import type { Hex } from "viem";
import { CctpDecodeError, CctpEncodeError } from "./errors.ts";
import {
  bytes32Hex,
  dynamicHex,
  parseHex,
  readHex,
  readUint,
  readUint32,
  uint32Hex,
  uintHex,
} from "./hex.ts";

/** `version` of a V2 burn message body. */
export const BURN_MESSAGE_V2_VERSION = 1;
/** Minimum length of a V2 burn body (empty hookData). */
export const BURN_MESSAGE_V2_MIN_LENGTH = 228;

/** Byte offsets of the V2 burn body fields, relative to the body. */
export const BURN_MESSAGE_V2_OFFSETS = {
  version: 0,
  burnToken: 4,
  mintRecipient: 36,
  amount: 68,
  messageSender: 100,
  maxFee: 132,
  feeExecuted: 164,
  expirationBlock: 196,
  hookData: 228,
} as const;

/** A decoded V2 burn body. bytes32 fields and hookData are lowercase hex. */
export type BurnMessageV2 = {
  readonly version: typeof BURN_MESSAGE_V2_VERSION;
  readonly burnToken: Hex;
  readonly mintRecipient: Hex;
  readonly amount: bigint;
  readonly messageSender: Hex;
  readonly maxFee: bigint;
  readonly feeExecuted: bigint;
  readonly expirationBlock: bigint;
  readonly hookData: Hex;
};

/** Whether the body at `base` looks like a V2 burn body (version 1 and at least 228 bytes). */
export function isBurnBodyV2(bytes: Uint8Array, base: number): boolean {
  return (
    bytes.length - base >= BURN_MESSAGE_V2_MIN_LENGTH && readUint32(bytes, base) === BURN_MESSAGE_V2_VERSION
  );
}

/**
 * Decodes the V2 burn body that starts at `base` of `bytes`. Error fields are prefixed with
 * `prefix` ("messageBody." inside a message) and offsets are absolute.
 */
export function readBurnMessageV2(bytes: Uint8Array, base = 0, prefix = ""): BurnMessageV2 {
  const length = bytes.length - base;
  const o = BURN_MESSAGE_V2_OFFSETS;
  if (length >= 4) {
    const version = readUint32(bytes, base + o.version);
    if (version !== BURN_MESSAGE_V2_VERSION) {
      throw new CctpDecodeError({
        field: `${prefix}version`,
        offset: base + o.version,
        expected: `${BURN_MESSAGE_V2_VERSION} (BurnMessageV2)`,
        actual: version === 0 ? "0 (a V1 burn body)" : String(version),
      });
    }
  }
  if (length < BURN_MESSAGE_V2_MIN_LENGTH) {
    throw new CctpDecodeError({
      field: prefix === "" ? "burnMessage" : prefix.slice(0, -1),
      offset: base,
      expected: `at least ${BURN_MESSAGE_V2_MIN_LENGTH} bytes (a BurnMessageV2)`,
      actual: `${length} bytes`,
    });
  }
  return {
    version: BURN_MESSAGE_V2_VERSION,
    burnToken: readHex(bytes, base + o.burnToken, 32),
    mintRecipient: readHex(bytes, base + o.mintRecipient, 32),
    amount: readUint(bytes, base + o.amount, 32),
    messageSender: readHex(bytes, base + o.messageSender, 32),
    maxFee: readUint(bytes, base + o.maxFee, 32),
    feeExecuted: readUint(bytes, base + o.feeExecuted, 32),
    expirationBlock: readUint(bytes, base + o.expirationBlock, 32),
    hookData: readHex(bytes, base + o.hookData),
  };
}

/**
 * Decodes a V2 burn body (0x-prefixed hex, e.g. MessageV2.messageBody). Throws a CctpDecodeError for
 * malformed hex, a body version other than 1, or fewer than 228 bytes.
 */
export function decodeBurnMessageV2(body: string): BurnMessageV2 {
  return readBurnMessageV2(parseHex(body, "burnMessage"));
}

/** Encodes a V2 burn body (lowercase hex); throws a CctpEncodeError naming the first field that does not fit. */
export function encodeBurnMessageV2(burn: BurnMessageV2): Hex {
  if (burn.version !== BURN_MESSAGE_V2_VERSION) {
    throw new CctpEncodeError({
      field: "version",
      expected: `${BURN_MESSAGE_V2_VERSION} (BurnMessageV2)`,
      actual: String(burn.version),
    });
  }
  return `0x${[
    uint32Hex(burn.version, "version"),
    bytes32Hex(burn.burnToken, "burnToken"),
    bytes32Hex(burn.mintRecipient, "mintRecipient"),
    uintHex(burn.amount, 256, "amount"),
    bytes32Hex(burn.messageSender, "messageSender"),
    uintHex(burn.maxFee, 256, "maxFee"),
    uintHex(burn.feeExecuted, 256, "feeExecuted"),
    uintHex(burn.expirationBlock, 256, "expirationBlock"),
    dynamicHex(burn.hookData, "hookData"),
  ].join("")}`;
}
