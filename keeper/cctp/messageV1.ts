/**
 * CCTP V1 outer message (Circle `Message.sol`, `abi.encodePacked`): a 116-byte header and the
 * message body. Unlike V2, the source log already holds the final nonce, and Iris attests exactly
 * the source bytes. Pure.
 *
 * | field             | offset | size | decoded as |
 * |-------------------|--------|------|------------|
 * | version (= 0)     | 0      | 4    | number     |
 * | sourceDomain      | 4      | 4    | number     |
 * | destinationDomain | 8      | 4    | number     |
 * | nonce             | 12     | 8    | bigint (uint64, sequential per source domain) |
 * | sender            | 20     | 32   | Hex        |
 * | recipient         | 52     | 32   | Hex        |
 * | destinationCaller | 84     | 32   | Hex (0 = anyone) |
 * | messageBody       | 116    | rest | Hex        |
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

/** `version` of a V1 message header. */
export const MESSAGE_V1_VERSION = 0;
/** Length of the V1 header; the body starts here. */
export const MESSAGE_V1_HEADER_LENGTH = 116;

/** Byte offsets of the V1 header fields. */
export const MESSAGE_V1_OFFSETS = {
  version: 0,
  sourceDomain: 4,
  destinationDomain: 8,
  nonce: 12,
  sender: 20,
  recipient: 52,
  destinationCaller: 84,
  messageBody: 116,
} as const;

/** A decoded V1 message. bytes32 fields and the body are lowercase hex. */
export type MessageV1 = {
  readonly version: typeof MESSAGE_V1_VERSION;
  readonly sourceDomain: number;
  readonly destinationDomain: number;
  readonly nonce: bigint;
  readonly sender: Hex;
  readonly recipient: Hex;
  readonly destinationCaller: Hex;
  readonly messageBody: Hex;
};

/** Decodes the V1 header of already-parsed bytes (decode.ts shares the parse). */
export function readMessageV1(bytes: Uint8Array): MessageV1 {
  const o = MESSAGE_V1_OFFSETS;
  if (bytes.length >= 4) {
    const version = readUint32(bytes, o.version);
    if (version !== MESSAGE_V1_VERSION) {
      throw new CctpDecodeError({
        field: "version",
        offset: o.version,
        expected: `${MESSAGE_V1_VERSION} (MessageV1)`,
        actual: version === 1 ? "1 (a V2 message)" : String(version),
      });
    }
  }
  if (bytes.length < MESSAGE_V1_HEADER_LENGTH) {
    throw new CctpDecodeError({
      field: "message",
      expected: `at least ${MESSAGE_V1_HEADER_LENGTH} bytes (the MessageV1 header)`,
      actual: `${bytes.length} bytes`,
    });
  }
  return {
    version: MESSAGE_V1_VERSION,
    sourceDomain: readUint32(bytes, o.sourceDomain),
    destinationDomain: readUint32(bytes, o.destinationDomain),
    nonce: readUint(bytes, o.nonce, 8),
    sender: readHex(bytes, o.sender, 32),
    recipient: readHex(bytes, o.recipient, 32),
    destinationCaller: readHex(bytes, o.destinationCaller, 32),
    messageBody: readHex(bytes, o.messageBody),
  };
}

/**
 * Decodes a V1 message (0x-prefixed hex). Throws a CctpDecodeError for malformed hex, a version
 * other than 0, or fewer than 116 bytes. The body is kept raw: see decodeMessage / decodeBurnMessageV1.
 */
export function decodeMessageV1(message: string): MessageV1 {
  return readMessageV1(parseHex(message, "message"));
}

/** Encodes a V1 message (lowercase hex); throws a CctpEncodeError naming the first field that does not fit. */
export function encodeMessageV1(message: MessageV1): Hex {
  if (message.version !== MESSAGE_V1_VERSION) {
    throw new CctpEncodeError({
      field: "version",
      expected: `${MESSAGE_V1_VERSION} (MessageV1)`,
      actual: String(message.version),
    });
  }
  return `0x${[
    uint32Hex(message.version, "version"),
    uint32Hex(message.sourceDomain, "sourceDomain"),
    uint32Hex(message.destinationDomain, "destinationDomain"),
    uintHex(message.nonce, 64, "nonce"),
    bytes32Hex(message.sender, "sender"),
    bytes32Hex(message.recipient, "recipient"),
    bytes32Hex(message.destinationCaller, "destinationCaller"),
    dynamicHex(message.messageBody, "messageBody"),
  ].join("")}`;
}
