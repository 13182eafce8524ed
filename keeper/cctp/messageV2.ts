/**
 * CCTP V2 outer message (Circle `MessageV2.sol`, `abi.encodePacked`): a 148-byte header and the
 * message body. Pure.
 *
 * | field                     | offset | size | decoded as |
 * |---------------------------|--------|------|------------|
 * | version (= 1)             | 0      | 4    | number     |
 * | sourceDomain              | 4      | 4    | number     |
 * | destinationDomain         | 8      | 4    | number     |
 * | nonce                     | 12     | 32   | Hex (0 at the source, set by Iris) |
 * | sender                    | 44     | 32   | Hex        |
 * | recipient                 | 76     | 32   | Hex        |
 * | destinationCaller         | 108    | 32   | Hex (0 = anyone) |
 * | minFinalityThreshold      | 140    | 4    | number     |
 * | finalityThresholdExecuted | 144    | 4    | number (0 at the source, set by Iris) |
 * | messageBody               | 148    | rest | Hex        |
 */
import type { Hex } from "viem";
import { CctpDecodeError, CctpEncodeError } from "./errors.ts";
import { bytes32Hex, dynamicHex, parseHex, readHex, readUint32, uint32Hex } from "./hex.ts";

/** `version` of a V2 message header. */
export const MESSAGE_V2_VERSION = 1;
/** Length of the V2 header; the body starts here. */
export const MESSAGE_V2_HEADER_LENGTH = 148;

/** Byte offsets of the V2 header fields. */
export const MESSAGE_V2_OFFSETS = {
  version: 0,
  sourceDomain: 4,
  destinationDomain: 8,
  nonce: 12,
  sender: 44,
  recipient: 76,
  destinationCaller: 108,
  minFinalityThreshold: 140,
  finalityThresholdExecuted: 144,
  messageBody: 148,
} as const;

/** A decoded V2 message. bytes32 fields and the body are lowercase hex. */
export type MessageV2 = {
  readonly version: typeof MESSAGE_V2_VERSION;
  readonly sourceDomain: number;
  readonly destinationDomain: number;
  readonly nonce: Hex;
  readonly sender: Hex;
  readonly recipient: Hex;
  readonly destinationCaller: Hex;
  readonly minFinalityThreshold: number;
  readonly finalityThresholdExecuted: number;
  readonly messageBody: Hex;
};

/** Decodes the V2 header of already-parsed bytes (decode.ts shares the parse). */
export function readMessageV2(bytes: Uint8Array): MessageV2 {
  const o = MESSAGE_V2_OFFSETS;
  if (bytes.length >= 4) {
    const version = readUint32(bytes, o.version);
    if (version !== MESSAGE_V2_VERSION) {
      throw new CctpDecodeError({
        field: "version",
        offset: o.version,
        expected: `${MESSAGE_V2_VERSION} (MessageV2)`,
        actual: version === 0 ? "0 (a V1 message)" : String(version),
      });
    }
  }
  if (bytes.length < MESSAGE_V2_HEADER_LENGTH) {
    throw new CctpDecodeError({
      field: "message",
      expected: `at least ${MESSAGE_V2_HEADER_LENGTH} bytes (the MessageV2 header)`,
      actual: `${bytes.length} bytes`,
    });
  }
  return {
    version: MESSAGE_V2_VERSION,
    sourceDomain: readUint32(bytes, o.sourceDomain),
    destinationDomain: readUint32(bytes, o.destinationDomain),
    nonce: readHex(bytes, o.nonce, 32),
    sender: readHex(bytes, o.sender, 32),
    recipient: readHex(bytes, o.recipient, 32),
    destinationCaller: readHex(bytes, o.destinationCaller, 32),
    minFinalityThreshold: readUint32(bytes, o.minFinalityThreshold),
    finalityThresholdExecuted: readUint32(bytes, o.finalityThresholdExecuted),
    messageBody: readHex(bytes, o.messageBody),
  };
}

/**
 * Decodes a V2 message (0x-prefixed hex). Throws a CctpDecodeError for malformed hex, a version
 * other than 1, or fewer than 148 bytes. The body is kept raw: see decodeMessage / decodeBurnMessageV2.
 */
export function decodeMessageV2(message: string): MessageV2 {
  return readMessageV2(parseHex(message, "message"));
}

/** Encodes a V2 message (lowercase hex); throws a CctpEncodeError naming the first field that does not fit. */
export function encodeMessageV2(message: MessageV2): Hex {
  if (message.version !== MESSAGE_V2_VERSION) {
    throw new CctpEncodeError({
      field: "version",
      expected: `${MESSAGE_V2_VERSION} (MessageV2)`,
      actual: String(message.version),
    });
  }
  return `0x${[
    uint32Hex(message.version, "version"),
    uint32Hex(message.sourceDomain, "sourceDomain"),
    uint32Hex(message.destinationDomain, "destinationDomain"),
    bytes32Hex(message.nonce, "nonce"),
    bytes32Hex(message.sender, "sender"),
    bytes32Hex(message.recipient, "recipient"),
    bytes32Hex(message.destinationCaller, "destinationCaller"),
    uint32Hex(message.minFinalityThreshold, "minFinalityThreshold"),
    uint32Hex(message.finalityThresholdExecuted, "finalityThresholdExecuted"),
    dynamicHex(message.messageBody, "messageBody"),
  ].join("")}`;
}
