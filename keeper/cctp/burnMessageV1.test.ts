import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BURN_MESSAGE_V1_LENGTH,
  type BurnMessageV1,
  decodeBurnMessageV1,
  encodeBurnMessageV1,
} from "./burnMessageV1.ts";
import { CctpDecodeError, CctpEncodeError } from "./errors.ts";
import { MAX_UINT256 } from "./hex.ts";
import { arbBurnV1, arbBytes } from "./testArbitraries.ts";

const burn = (fields: Partial<BurnMessageV1> = {}): BurnMessageV1 => ({
  version: 0,
  burnToken: `0x${"00".repeat(12)}${"aa".repeat(20)}`,
  mintRecipient: `0x${"00".repeat(12)}${"bb".repeat(20)}`,
  amount: 542_637_946n,
  messageSender: `0x${"00".repeat(12)}${"cc".repeat(20)}`,
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

describe("BurnMessageV1 codec", () => {
  it("encodes exactly 132 bytes", () => {
    const hex = encodeBurnMessageV1(burn());
    expect((hex.length - 2) / 2).toBe(BURN_MESSAGE_V1_LENGTH);
    expect(hex.slice(2 + 2 * 68, 2 + 2 * 100)).toBe(542_637_946n.toString(16).padStart(64, "0"));
  });

  it("decode(encode(x)) == x", () => {
    fc.assert(
      fc.property(arbBurnV1, (b) => {
        expect(decodeBurnMessageV1(encodeBurnMessageV1(b))).toEqual(b);
      }),
    );
  });

  it("encode(decode(b)) == b for any 132 bytes with body version 0", () => {
    fc.assert(
      fc.property(arbBytes(128), (rest) => {
        const b = `0x00000000${rest.slice(2)}`;
        expect(encodeBurnMessageV1(decodeBurnMessageV1(b))).toBe(b);
      }),
    );
  });

  it("rejects trailing bytes after the 132-byte body, pointing at the first one", () => {
    const e = thrown(() => decodeBurnMessageV1(`${encodeBurnMessageV1(burn())}00`));
    expect(e).toBeInstanceOf(CctpDecodeError);
    expect(e).toMatchObject({ field: "burnMessage", offset: 132, actual: "133 bytes (1 trailing bytes)" });
  });

  it("rejects a short body", () => {
    expect(thrown(() => decodeBurnMessageV1(encodeBurnMessageV1(burn()).slice(0, -2)))).toMatchObject({
      field: "burnMessage",
      offset: 0,
      actual: "131 bytes",
    });
  });

  it("rejects a body version other than 0", () => {
    const v1 = `0x00000001${encodeBurnMessageV1(burn()).slice(10)}`;
    expect(thrown(() => decodeBurnMessageV1(v1))).toMatchObject({
      field: "version",
      actual: "1 (a V2 burn body)",
    });
  });

  it("refuses an amount that does not fit uint256", () => {
    const e = thrown(() => encodeBurnMessageV1(burn({ amount: MAX_UINT256 + 1n })));
    expect(e).toBeInstanceOf(CctpEncodeError);
    expect(e).toMatchObject({ field: "amount" });
  });
});
