/** The real captured CCTP vectors (test/fixtures/cctp/vectors.json): exact fields, hashes, byte-identical re-encoding. */
import { describe, expect, it } from "vitest";
import { encodeBurnMessageV1 } from "./burnMessageV1.ts";
import { encodeBurnMessageV2 } from "./burnMessageV2.ts";
import { decodeMessage, messageHash } from "./decode.ts";
import { bytes32AsAddress } from "./hex.ts";
import { transferKey, withIrisFields } from "./iris.ts";
import { encodeMessageV1 } from "./messageV1.ts";
import { encodeMessageV2 } from "./messageV2.ts";
import { V2C_PAIR, VECTORS, vector } from "./testVectors.ts";

describe.each(VECTORS.map((v) => [v.id, v] as const))("vector %s", (_id, v) => {
  it("decodes to exactly the documented fields", () => {
    const d = decodeMessage(v.hex);
    expect(d).toEqual({ type: v.type, message: v.message, burn: v.burn });
    expect((v.hex.length - 2) / 2).toBe(v.length);
  });

  it("hashes to the documented keccak256", () => {
    expect(messageHash(v.hex)).toBe(v.keccak256);
  });

  it("re-encodes byte-identically (header and burn body)", () => {
    if (v.type === "v1") {
      expect(encodeMessageV1(v.message)).toBe(v.hex);
      expect(encodeBurnMessageV1(v.burn)).toBe(v.message.messageBody);
    } else {
      expect(encodeMessageV2(v.message)).toBe(v.hex);
      expect(encodeBurnMessageV2(v.burn)).toBe(v.message.messageBody);
    }
  });

  it("maps bytes32 fields to the documented addresses (null for non-EVM keys)", () => {
    const fields: Record<string, string> = Object.fromEntries([
      ...Object.entries(v.message).map(([k, x]) => [k, String(x)]),
      ...Object.entries(v.burn).map(([k, x]) => [`burn.${k}`, String(x)]),
    ]);
    expect(Object.keys(v.addresses).length).toBeGreaterThan(0);
    for (const [field, address] of Object.entries(v.addresses)) {
      expect(bytes32AsAddress(fields[field] as string) ?? null, field).toBe(address);
    }
  });
});

describe("V2-C: source log bytes vs Iris-attested bytes", () => {
  const { source, attested, fields } = V2C_PAIR;

  it("hash differently (Iris changed nonce, finalityThresholdExecuted and feeExecuted)", () => {
    expect(messageHash(source.hex)).not.toBe(messageHash(attested.hex));
  });

  it("withIrisFields(source, fields of the attested message) == attested bytes", () => {
    expect(withIrisFields(source.hex, fields)).toBe(attested.hex);
    const a = decodeMessage(attested.hex);
    if (a.type !== "v2" || a.burn === null) throw new Error("V2-C attested is not a V2 burn");
    expect(fields).toEqual({
      nonce: a.message.nonce,
      finalityThresholdExecuted: a.message.finalityThresholdExecuted,
      feeExecuted: a.burn.feeExecuted,
      expirationBlock: a.burn.expirationBlock,
    });
  });

  it("share one transferKey, equal to the source messageHash", () => {
    expect(transferKey(source.hex)).toBe(transferKey(attested.hex));
    expect(transferKey(source.hex)).toBe(source.keccak256);
  });

  it("do not share the transferKey of another transfer (V2-E)", () => {
    expect(transferKey(vector("V2-E").hex)).not.toBe(transferKey(source.hex));
  });
});
