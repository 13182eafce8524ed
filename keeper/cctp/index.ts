/** CCTP V1/V2 codec: messages, USDC burn bodies, Iris fields, transfer keys and attestations (pure). */

export type {
  AttestationFailureReason,
  AttestationVerification,
  VerifyAttestationArgs,
} from "./attestation.ts";
export {
  ATTESTATION_FAILURE_REASONS,
  ATTESTATION_SIGNATURE_LENGTH,
  CIRCLE_ATTESTERS,
  signAttestation,
  verifyAttestation,
} from "./attestation.ts";
export type { BurnMessageV1 } from "./burnMessageV1.ts";
export {
  BURN_MESSAGE_V1_LENGTH,
  BURN_MESSAGE_V1_OFFSETS,
  BURN_MESSAGE_V1_VERSION,
  decodeBurnMessageV1,
  encodeBurnMessageV1,
} from "./burnMessageV1.ts";
export type { BurnMessageV2 } from "./burnMessageV2.ts";
export {
  BURN_MESSAGE_V2_MIN_LENGTH,
  BURN_MESSAGE_V2_OFFSETS,
  BURN_MESSAGE_V2_VERSION,
  decodeBurnMessageV2,
  encodeBurnMessageV2,
} from "./burnMessageV2.ts";
export type { BodyMode, DecodedMessage } from "./decode.ts";
export { decodeMessage, messageHash, messageVersion } from "./decode.ts";
export { CctpDecodeError, CctpEncodeError } from "./errors.ts";
export { addressToBytes32, bytes32AsAddress, bytes32ToAddress, ZERO_BYTES32 } from "./hex.ts";
export type { IrisFields } from "./iris.ts";
export { IRIS_FIELDS, TRANSFER_KEY_FIELDS, transferKey, withIrisFields } from "./iris.ts";
export type { MessageV1 } from "./messageV1.ts";
export {
  decodeMessageV1,
  encodeMessageV1,
  MESSAGE_V1_HEADER_LENGTH,
  MESSAGE_V1_OFFSETS,
  MESSAGE_V1_VERSION,
} from "./messageV1.ts";
export type { MessageV2 } from "./messageV2.ts";
export {
  decodeMessageV2,
  encodeMessageV2,
  MESSAGE_V2_HEADER_LENGTH,
  MESSAGE_V2_OFFSETS,
  MESSAGE_V2_VERSION,
} from "./messageV2.ts";
