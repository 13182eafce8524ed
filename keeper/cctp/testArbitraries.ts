/** fast-check arbitraries of CCTP messages and bodies (tests only; not exported from index.ts). */
import fc from "fast-check";
import { bytesToHex, type Hex } from "viem";
import type { BurnMessageV1 } from "./burnMessageV1.ts";
import type { BurnMessageV2 } from "./burnMessageV2.ts";
import { MAX_UINT32, MAX_UINT64, MAX_UINT256 } from "./hex.ts";
import type { MessageV1 } from "./messageV1.ts";
import type { MessageV2 } from "./messageV2.ts";

/** Lowercase hex of exactly `n` random bytes. */
export const arbBytes = (n: number): fc.Arbitrary<Hex> =>
  fc.uint8Array({ minLength: n, maxLength: n }).map((b) => bytesToHex(b));

/** Lowercase hex of `min`..`max` random bytes. */
export const arbDynamicBytes = (min = 0, max = 300): fc.Arbitrary<Hex> =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((b) => bytesToHex(b));

/** bytes32: random, zero, or a left-padded address (so address helpers get exercised). */
export const arbBytes32: fc.Arbitrary<Hex> = fc.oneof(
  arbBytes(32),
  fc.constant(`0x${"00".repeat(32)}` as Hex),
  arbBytes(20).map((a) => `0x${"00".repeat(12)}${a.slice(2)}` as Hex),
);

export const arbUint32 = fc.integer({ min: 0, max: MAX_UINT32 });
export const arbUint64 = fc.bigInt({ min: 0n, max: MAX_UINT64 });
export const arbUint256 = fc.bigInt({ min: 0n, max: MAX_UINT256 });

export const arbBurnV2: fc.Arbitrary<BurnMessageV2> = fc
  .tuple(
    arbBytes32,
    arbBytes32,
    arbUint256,
    arbBytes32,
    arbUint256,
    arbUint256,
    arbUint256,
    arbDynamicBytes(),
  )
  .map(
    ([burnToken, mintRecipient, amount, messageSender, maxFee, feeExecuted, expirationBlock, hookData]) => ({
      version: 1,
      burnToken,
      mintRecipient,
      amount,
      messageSender,
      maxFee,
      feeExecuted,
      expirationBlock,
      hookData,
    }),
  );

export const arbBurnV1: fc.Arbitrary<BurnMessageV1> = fc
  .tuple(arbBytes32, arbBytes32, arbUint256, arbBytes32)
  .map(([burnToken, mintRecipient, amount, messageSender]) => ({
    version: 0,
    burnToken,
    mintRecipient,
    amount,
    messageSender,
  }));

/** A V2 message with `body` as its body (random bytes by default). */
export const arbMessageV2 = (body: fc.Arbitrary<Hex> = arbDynamicBytes()): fc.Arbitrary<MessageV2> =>
  fc
    .tuple(arbUint32, arbUint32, arbBytes32, arbBytes32, arbBytes32, arbBytes32, arbUint32, arbUint32, body)
    .map(
      ([
        sourceDomain,
        destinationDomain,
        nonce,
        sender,
        recipient,
        destinationCaller,
        minFinalityThreshold,
        finalityThresholdExecuted,
        messageBody,
      ]) => ({
        version: 1,
        sourceDomain,
        destinationDomain,
        nonce,
        sender,
        recipient,
        destinationCaller,
        minFinalityThreshold,
        finalityThresholdExecuted,
        messageBody,
      }),
    );

/** A V1 message with `body` as its body (random bytes by default). */
export const arbMessageV1 = (body: fc.Arbitrary<Hex> = arbDynamicBytes()): fc.Arbitrary<MessageV1> =>
  fc
    .tuple(arbUint32, arbUint32, arbUint64, arbBytes32, arbBytes32, arbBytes32, body)
    .map(([sourceDomain, destinationDomain, nonce, sender, recipient, destinationCaller, messageBody]) => ({
      version: 0,
      sourceDomain,
      destinationDomain,
      nonce,
      sender,
      recipient,
      destinationCaller,
      messageBody,
    }));

/** Raw bytes of at least `min` bytes whose first 4 bytes are the big-endian `version`. */
export const arbVersionedBytes = (version: number, min: number, extra = 300): fc.Arbitrary<Hex> =>
  arbDynamicBytes(min - 4, min - 4 + extra).map(
    (rest) => `0x${version.toString(16).padStart(8, "0")}${rest.slice(2)}` as Hex,
  );
