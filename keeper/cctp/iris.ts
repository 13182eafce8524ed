/**
 * What Circle's attestation service (Iris) does to a V2 message, and the key that survives it. Pure.
 *
 * On the source chain MessageTransmitterV2 emits the message with `nonce = 0` and
 * `finalityThresholdExecuted = 0`, and TokenMessengerV2 writes `feeExecuted = 0` and
 * `expirationBlock = 0` into the burn body. Iris fills these four in before signing, so
 * `keccak256(source log bytes) != keccak256(attested bytes)`; a client must relay Iris's `message`.
 *
 * - `withIrisFields(source, fields)` produces the bytes Iris attests (a local attestation service
 *   signs these; Circle's own integration test patches the same fields).
 * - `transferKey(message)` identifies a V2 burn by the fields Iris does not change
 *   (TRANSFER_KEY_FIELDS), so a source burn and its attested / received message can be matched.
 */
import { type Hex, keccak256 } from "viem";
import { InvalidArgumentError } from "../internal/errors.ts";
import { encodeBurnMessageV2 } from "./burnMessageV2.ts";
import { decodeMessage, messageVersion } from "./decode.ts";
import { CctpDecodeError } from "./errors.ts";
import { ZERO_BYTES32 } from "./hex.ts";
import { encodeMessageV2 } from "./messageV2.ts";

/** The fields Iris sets on a V2 message before attesting it. */
export type IrisFields = {
  /** The 32-byte nonce Iris assigns (replaces the source's zero nonce). */
  readonly nonce: Hex;
  /** The finality the message was attested at (1000 confirmed / fast, 2000 finalized). */
  readonly finalityThresholdExecuted: number;
  /** Burn bodies only: the fee charged (≤ maxFee). Required for a burn, must be omitted otherwise. */
  readonly feeExecuted?: bigint | undefined;
  /** Burn bodies only: the destination block the (fast) attestation expires at, 0 = never. */
  readonly expirationBlock?: bigint | undefined;
};

/** Fields Iris may change between the source log and the attested message. */
export const IRIS_FIELDS = [
  "nonce",
  "finalityThresholdExecuted",
  "messageBody.feeExecuted",
  "messageBody.expirationBlock",
] as const;

/** Fields a transferKey covers: every field of a V2 burn message except IRIS_FIELDS. */
export const TRANSFER_KEY_FIELDS = [
  "version",
  "sourceDomain",
  "destinationDomain",
  "sender",
  "recipient",
  "destinationCaller",
  "minFinalityThreshold",
  "messageBody.version",
  "messageBody.burnToken",
  "messageBody.mintRecipient",
  "messageBody.amount",
  "messageBody.messageSender",
  "messageBody.maxFee",
  "messageBody.hookData",
] as const;

/**
 * The bytes Iris attests for a V2 source message: `sourceMessage` with IrisFields written in. For a
 * burn body all four fields are required; for any other V2 body only nonce and
 * finalityThresholdExecuted apply (passing feeExecuted / expirationBlock is an InvalidArgumentError).
 * Values are range-checked (CctpEncodeError), not checked against the protocol (fee ≤ maxFee etc.), so
 * a local attestation service can also produce messages the destination must reject.
 */
export function withIrisFields(sourceMessage: string, fields: IrisFields): Hex {
  const decoded = decodeMessage(sourceMessage);
  if (decoded.type !== "v2") {
    throw new CctpDecodeError({
      field: "version",
      offset: 0,
      expected: "1 (only V2 messages are changed by Iris)",
      actual: "0 (a V1 message)",
    });
  }
  const header = {
    ...decoded.message,
    nonce: fields.nonce,
    finalityThresholdExecuted: fields.finalityThresholdExecuted,
  };
  const { burn } = decoded;
  if (burn === null) {
    for (const name of ["feeExecuted", "expirationBlock"] as const) {
      if (fields[name] !== undefined) {
        throw new InvalidArgumentError({
          name: `fields.${name}`,
          reason: "applies to burn messages only and the message body is not a BurnMessageV2",
          value: fields[name],
        });
      }
    }
    return encodeMessageV2(header);
  }
  for (const name of ["feeExecuted", "expirationBlock"] as const) {
    if (fields[name] === undefined) {
      throw new InvalidArgumentError({
        name: `fields.${name}`,
        reason: "is required for a burn message",
      });
    }
  }
  const body = encodeBurnMessageV2({
    ...burn,
    feeExecuted: fields.feeExecuted as bigint,
    expirationBlock: fields.expirationBlock as bigint,
  });
  return encodeMessageV2({ ...header, messageBody: body });
}

/**
 * The identity of a V2 burn that is the same in the source `MessageSent` log and in the attested
 * (and received) message: keccak256 of the message with every IRIS_FIELDS field zeroed, i.e. over
 * TRANSFER_KEY_FIELDS at their usual offsets. So `transferKey(source) == messageHash(source)` (the
 * source already has zeros there) and `transferKey(attested) == transferKey(source)`.
 *
 * NOT unique per burn: V2 source messages carry no nonce, so two deposits with identical fields
 * (same depositor, recipient, amount, maxFee, hookData, …) share a key. Matchers must keep a
 * multiset per key (or disambiguate by source transaction / log index).
 * Throws a CctpDecodeError unless the message is a V2 message with a BurnMessageV2 body.
 */
export function transferKey(message: string): Hex {
  if (messageVersion(message) !== "v2") {
    throw new CctpDecodeError({
      field: "version",
      offset: 0,
      expected: "1 (a transferKey is defined for V2 burns)",
      actual: "0 (a V1 message)",
    });
  }
  decodeMessage(message, { body: "burn" }); // throws the precise reason when the body is not a burn
  return keccak256(
    withIrisFields(message, {
      nonce: ZERO_BYTES32,
      finalityThresholdExecuted: 0,
      feeExecuted: 0n,
      expirationBlock: 0n,
    }),
  );
}
