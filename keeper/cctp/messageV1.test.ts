import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CctpDecodeError, CctpEncodeError } from "./errors.ts";
import { MAX_UINT64 } from "./hex.ts";
import { decodeMessageV1, encodeMessageV1, MESSAGE_V1_HEADER_LENGTH, type MessageV1 } from "./messageV1.ts";
import { arbMessageV1, arbVersionedBytes } from "./testArbitraries.ts";

const header = (fields: Partial<MessageV1> = {}): MessageV1 => ({
  version: 0,
  sourceDomain: 3,
  destinationDomain: 0,
  nonce: 4730n,
  sender: `0x${"22".repeat(32)}`,
  recipient: `0x${"33".repeat(32)}`,
  destinationCaller: `0x${"00".repeat(32)}`,
  messageBody: "0x01",
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

describe("MessageV1 codec", () => {
  it("lays the header out at Circle's offsets (uint64 nonce at 12, body at 116)", () => {
    const hex = encodeMessageV1(header({ nonce: 0x0102030405060708n }));
    expect(hex.slice(2, 10)).toBe("00000000");
    expect(hex.slice(2 + 2 * 12, 2 + 2 * 20)).toBe("0102030405060708");
    expect(hex.slice(2 + 2 * 20, 2 + 2 * 52)).toBe("22".repeat(32));
    expect(hex.slice(2 + 2 * MESSAGE_V1_HEADER_LENGTH)).toBe("01");
  });

  it("decode(encode(x)) == x", () => {
    fc.assert(
      fc.property(arbMessageV1(), (m) => {
        expect(decodeMessageV1(encodeMessageV1(m))).toEqual(m);
      }),
    );
  });

  it("encode(decode(b)) == b for any bytes with version 0 and a full header", () => {
    fc.assert(
      fc.property(arbVersionedBytes(0, MESSAGE_V1_HEADER_LENGTH), (b) => {
        expect(encodeMessageV1(decodeMessageV1(b))).toBe(b);
      }),
    );
  });

  it("rejects a message shorter than the 116-byte header", () => {
    const e = thrown(() => decodeMessageV1(encodeMessageV1(header({ messageBody: "0x" })).slice(0, -2)));
    expect(e).toBeInstanceOf(CctpDecodeError);
    expect(e).toMatchObject({ field: "message", actual: "115 bytes" });
  });

  it("rejects any version but 0, naming V2 messages", () => {
    const v1 = `0x00000001${encodeMessageV1(header()).slice(10)}`;
    expect(thrown(() => decodeMessageV1(v1))).toMatchObject({
      field: "version",
      offset: 0,
      actual: "1 (a V2 message)",
    });
  });

  it("refuses a nonce that does not fit uint64", () => {
    const e = thrown(() => encodeMessageV1(header({ nonce: MAX_UINT64 + 1n })));
    expect(e).toBeInstanceOf(CctpEncodeError);
    expect(e).toMatchObject({ field: "nonce" });
    expect(decodeMessageV1(encodeMessageV1(header({ nonce: MAX_UINT64 }))).nonce).toBe(MAX_UINT64);
  });
});
