/**
 * CCTP V1 USDC burn message (Circle `BurnMessage.sol`): the body of a V1 message sent by
 * TokenMessenger, exactly 132 bytes (Circle's `_validateBurnMessageFormat` requires the exact
 * length, so trailing bytes are an error, never ignored). Pure.
 *
 * | field         | body offset | message offset | size | decoded as |
 * |---------------|-------------|----------------|------|------------|
 * | version (= 0) | 0           | 116            | 4    | number     |
 * | burnToken     | 4           | 120            | 32   | Hex        |
 * | mintRecipient | 36          | 152            | 32   | Hex        |
 * | amount        | 68          | 184            | 32   | bigint     |
 * | messageSender | 100         | 216            | 32   | Hex (the depositor) |
 */
import type { Hex } from "viem";
import { CctpDecodeError, CctpEncodeError } from "./errors.ts";
import { bytes32Hex, parseHex, readHex, readUint, readUint32, uint32Hex, uintHex } from "./hex.ts";

/** `version` of a V1 burn message body. */
export const BURN_MESSAGE_V1_VERSION = 0;
/** The exact length of a V1 burn body. */
export const BURN_MESSAGE_V1_LENGTH = 132;

/** Byte offsets of the V1 burn body fields, relative to the body. */
export const BURN_MESSAGE_V1_OFFSETS = {
  version: 0,
  burnToken: 4,
  mintRecipient: 36,
  amount: 68,
  messageSender: 100,
} as const;

/** A decoded V1 burn body. bytes32 fields are lowercase hex. */
export type BurnMessageV1 = {
  readonly version: typeof BURN_MESSAGE_V1_VERSION;
  readonly burnToken: Hex;
  readonly mintRecipient: Hex;
  readonly amount: bigint;
  readonly messageSender: Hex;
};

/**
 * How the body at `base` relates to a V1 burn body: "burn" (version 0, exactly 132 bytes),
 * "burn-with-trailing-bytes" (version 0, longer: malformed), or "other" (shorter, or another version).
 */
export function classifyBodyV1(
  bytes: Uint8Array,
  base: number,
): "burn" | "burn-with-trailing-bytes" | "other" {
  const length = bytes.length - base;
  if (length < BURN_MESSAGE_V1_LENGTH || readUint32(bytes, base) !== BURN_MESSAGE_V1_VERSION) return "other";
  return length === BURN_MESSAGE_V1_LENGTH ? "burn" : "burn-with-trailing-bytes";
}

/**
 * Decodes the V1 burn body that starts at `base` of `bytes` and runs to its end. Error fields are
 * prefixed with `prefix` ("messageBody." inside a message) and offsets are absolute.
 */
export function readBurnMessageV1(bytes: Uint8Array, base = 0, prefix = ""): BurnMessageV1 {
  const length = bytes.length - base;
  const o = BURN_MESSAGE_V1_OFFSETS;
  if (length >= 4) {
    const version = readUint32(bytes, base + o.version);
    if (version !== BURN_MESSAGE_V1_VERSION) {
      throw new CctpDecodeError({
        field: `${prefix}version`,
        offset: base + o.version,
        expected: `${BURN_MESSAGE_V1_VERSION} (BurnMessageV1)`,
        actual: version === 1 ? "1 (a V2 burn body)" : String(version),
      });
    }
  }
  if (length !== BURN_MESSAGE_V1_LENGTH) {
    const trailing = length > BURN_MESSAGE_V1_LENGTH;
    throw new CctpDecodeError({
      field: prefix === "" ? "burnMessage" : prefix.slice(0, -1),
      offset: trailing ? base + BURN_MESSAGE_V1_LENGTH : base,
      expected: `exactly ${BURN_MESSAGE_V1_LENGTH} bytes (a BurnMessageV1)`,
      actual: trailing
        ? `${length} bytes (${length - BURN_MESSAGE_V1_LENGTH} trailing bytes)`
        : `${length} bytes`,
    });
  }
  return {
    version: BURN_MESSAGE_V1_VERSION,
    burnToken: readHex(bytes, base + o.burnToken, 32),
    mintRecipient: readHex(bytes, base + o.mintRecipient, 32),
    amount: readUint(bytes, base + o.amount, 32),
    messageSender: readHex(bytes, base + o.messageSender, 32),
  };
}

/**
 * Decodes a V1 burn body (0x-prefixed hex, e.g. MessageV1.messageBody). Throws a CctpDecodeError for
 * malformed hex, a body version other than 0, or any length but exactly 132 bytes.
 */
export function decodeBurnMessageV1(body: string): BurnMessageV1 {
  return readBurnMessageV1(parseHex(body, "burnMessage"));
}

/** Encodes a V1 burn body (lowercase hex, 132 bytes); throws a CctpEncodeError naming the first bad field. */
export function encodeBurnMessageV1(burn: BurnMessageV1): Hex {
  if (burn.version !== BURN_MESSAGE_V1_VERSION) {
    throw new CctpEncodeError({
      field: "version",
      expected: `${BURN_MESSAGE_V1_VERSION} (BurnMessageV1)`,
      actual: String(burn.version),
    });
  }
  return `0x${[
    uint32Hex(burn.version, "version"),
    bytes32Hex(burn.burnToken, "burnToken"),
    bytes32Hex(burn.mintRecipient, "mintRecipient"),
    uintHex(burn.amount, 256, "amount"),
    bytes32Hex(burn.messageSender, "messageSender"),
  ].join("")}`;
}
