/**
 * Version-detecting CCTP decoding and the message hash. Pure.
 *
 * `decodeMessage(hex)` reads the header version (0 → V1, 1 → V2, anything else is an error), decodes
 * the header, then the body according to `body`:
 * - `"auto"` (default): the body is decoded as a USDC burn when it is one, else kept raw (`burn: null`):
 *   - V2: body version 1 and at least 228 bytes → BurnMessageV2 (hookData = the rest);
 *   - V1: body version 0 and exactly 132 bytes → BurnMessageV1; body version 0 and MORE than 132
 *     bytes is a burn body with trailing bytes, which Circle's TokenMessenger rejects → CctpDecodeError
 *     (decode with `body: "raw"` to read such a non-burn message anyway);
 * - `"burn"`: the body must be a burn body of the message's version (CctpDecodeError otherwise);
 * - `"raw"`: the body is never decoded.
 * In every case `message.messageBody` holds the raw body.
 */
import { type Hex, keccak256 } from "viem";
import { UnhandledVariantError } from "../internal/errors.ts";
import { type BurnMessageV1, classifyBodyV1, readBurnMessageV1 } from "./burnMessageV1.ts";
import { type BurnMessageV2, isBurnBodyV2, readBurnMessageV2 } from "./burnMessageV2.ts";
import { CctpDecodeError } from "./errors.ts";
import { parseHex, readUint32 } from "./hex.ts";
import { MESSAGE_V1_HEADER_LENGTH, MESSAGE_V1_VERSION, type MessageV1, readMessageV1 } from "./messageV1.ts";
import { MESSAGE_V2_HEADER_LENGTH, MESSAGE_V2_VERSION, type MessageV2, readMessageV2 } from "./messageV2.ts";

/** How decodeMessage treats the message body (see the module comment). */
export type BodyMode = "auto" | "burn" | "raw";

/** A decoded message of either version; `burn` is the decoded body when it is a USDC burn. */
export type DecodedMessage =
  | { readonly type: "v1"; readonly message: MessageV1; readonly burn: BurnMessageV1 | null }
  | { readonly type: "v2"; readonly message: MessageV2; readonly burn: BurnMessageV2 | null };

/** The CCTP version of a message from its first 4 bytes: "v1" (0) or "v2" (1); CctpDecodeError otherwise. */
export function messageVersion(message: string): DecodedMessage["type"] {
  return versionOf(parseHex(message, "message"));
}

function versionOf(bytes: Uint8Array): DecodedMessage["type"] {
  if (bytes.length < 4) {
    throw new CctpDecodeError({
      field: "message",
      expected: `at least ${Math.min(MESSAGE_V1_HEADER_LENGTH, MESSAGE_V2_HEADER_LENGTH)} bytes (a CCTP message header)`,
      actual: `${bytes.length} bytes`,
    });
  }
  const version = readUint32(bytes, 0);
  if (version === MESSAGE_V1_VERSION) return "v1";
  if (version === MESSAGE_V2_VERSION) return "v2";
  throw new CctpDecodeError({
    field: "version",
    offset: 0,
    expected: `${MESSAGE_V1_VERSION} (CCTP V1) or ${MESSAGE_V2_VERSION} (CCTP V2)`,
    actual: String(version),
  });
}

/** Decodes a CCTP message of either version (0x-prefixed hex); throws a CctpDecodeError when malformed. */
export function decodeMessage(message: string, { body = "auto" }: { body?: BodyMode } = {}): DecodedMessage {
  const bytes = parseHex(message, "message");
  const type = versionOf(bytes);
  switch (type) {
    case "v1": {
      const header = readMessageV1(bytes);
      const base = MESSAGE_V1_HEADER_LENGTH;
      const decodeBody = body === "burn" || (body === "auto" && classifyBodyV1(bytes, base) !== "other");
      return {
        type,
        message: header,
        burn: decodeBody ? readBurnMessageV1(bytes, base, "messageBody.") : null,
      };
    }
    case "v2": {
      const header = readMessageV2(bytes);
      const base = MESSAGE_V2_HEADER_LENGTH;
      const decodeBody = body === "burn" || (body === "auto" && isBurnBodyV2(bytes, base));
      return {
        type,
        message: header,
        burn: decodeBody ? readBurnMessageV2(bytes, base, "messageBody.") : null,
      };
    }
    default:
      throw new UnhandledVariantError({ subject: "CCTP message version", value: type satisfies never });
  }
}

/**
 * keccak256 of the raw message bytes (no prefix): the digest attesters sign, V1's
 * `/v1/attestations/{messageHash}` key. For V2 the source log's bytes and the attested bytes differ,
 * so they hash differently: use transferKey to match them.
 */
export function messageHash(message: string): Hex {
  return keccak256(parseHex(message, "message"));
}
