import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BURN_MESSAGE_V2_MIN_LENGTH,
  type BurnMessageV2,
  decodeBurnMessageV2,
  encodeBurnMessageV2,
} from "./burnMessageV2.ts";
import { CctpDecodeError, CctpEncodeError } from "./errors.ts";
import { MAX_UINT256 } from "./hex.ts";
import { arbBurnV2, arbVersionedBytes } from "./testArbitraries.ts";

const burn = (fields: Partial<BurnMessageV2> = {}): BurnMessageV2 => ({
  version: 1,
  burnToken: `0x${"00".repeat(12)}${"aa".repeat(20)}`,
  mintRecipient: `0x${"00".repeat(12)}${"bb".repeat(20)}`,
  amount: 1_000_000n,
  messageSender: `0x${"00".repeat(12)}${"cc".repeat(20)}`,
  maxFee: 500n,
  feeExecuted: 0n,
  expirationBlock: 0n,
  hookData: "0x",
  ...fields,
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}

describe("BurnMessageV2 codec", () => {
  it("lays the body out at Circle's offsets (228 bytes + hookData)", () => {
    const hex = encodeBurnMessageV2(burn({ amount: 0x0102n, expirationBlock: 7n, hookData: "0xcafe" }));
    expect((hex.length - 2) / 2).toBe(BURN_MESSAGE_V2_MIN_LENGTH + 2);
    expect(hex.slice(2 + 2 * 68, 2 + 2 * 100)).toBe(`${"00".repeat(30)}0102`);
    expect(hex.slice(2 + 2 * 196, 2 + 2 * 228)).toBe(`${"00".repeat(31)}07`);
    expect(hex.slice(2 + 2 * 228)).toBe("cafe");
  });

  it("decode(encode(x)) == x", () => {
    fc.assert(
      fc.property(arbBurnV2, (b) => {
        expect(decodeBurnMessageV2(encodeBurnMessageV2(b))).toEqual(b);
      }),
    );
  });

  it("encode(decode(b)) == b for any bytes with body version 1 and at least 228 bytes", () => {
    fc.assert(
      fc.property(arbVersionedBytes(1, BURN_MESSAGE_V2_MIN_LENGTH), (b) => {
        expect(encodeBurnMessageV2(decodeBurnMessageV2(b))).toBe(b);
      }),
    );
  });

  it("decodes uint256 extremes exactly", () => {
    const b = burn({ amount: MAX_UINT256, maxFee: MAX_UINT256 - 1n, feeExecuted: 1n });
    expect(decodeBurnMessageV2(encodeBurnMessageV2(b))).toEqual(b);
  });

  it("rejects a body shorter than 228 bytes", () => {
    const e = thrown(() => decodeBurnMessageV2(encodeBurnMessageV2(burn()).slice(0, -2)));
    expect(e).toBeInstanceOf(CctpDecodeError);
    expect(e).toMatchObject({ field: "burnMessage", offset: 0, actual: "227 bytes" });
  });

  it("rejects a body version other than 1", () => {
    const v0 = `0x00000000${encodeBurnMessageV2(burn()).slice(10)}`;
    expect(thrown(() => decodeBurnMessageV2(v0))).toMatchObject({
      field: "version",
      offset: 0,
      actual: "0 (a V1 burn body)",
    });
  });

  it("rejects malformed hex", () => {
    expect(thrown(() => decodeBurnMessageV2("0x0"))).toMatchObject({ field: "burnMessage" });
  });

  it("refuses uint256 values that do not fit and malformed bytes32", () => {
    for (const [field, value] of [
      ["amount", MAX_UINT256 + 1n],
      ["maxFee", -1n],
      ["feeExecuted", 5 as never],
      ["expirationBlock", 2n ** 256n],
    ] as const) {
      const e = thrown(() => encodeBurnMessageV2(burn({ [field]: value })));
      expect(e).toBeInstanceOf(CctpEncodeError);
      expect(e).toMatchObject({ field });
    }
    expect(thrown(() => encodeBurnMessageV2(burn({ burnToken: "0x1234" })))).toMatchObject({
      field: "burnToken",
      actual: "2 bytes",
    });
    expect(thrown(() => encodeBurnMessageV2(burn({ hookData: "cafe" as never })))).toMatchObject({
      field: "hookData",
    });
  });
});
