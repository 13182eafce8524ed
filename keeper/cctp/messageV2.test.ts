import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CctpDecodeError, CctpEncodeError } from "./errors.ts";
import { decodeMessageV2, encodeMessageV2, MESSAGE_V2_HEADER_LENGTH, type MessageV2 } from "./messageV2.ts";
import { arbMessageV2, arbVersionedBytes } from "./testArbitraries.ts";

const header = (fields: Partial<MessageV2> = {}): MessageV2 => ({
  version: 1,
  sourceDomain: 6,
  destinationDomain: 0,
  nonce: `0x${"11".repeat(32)}`,
  sender: `0x${"22".repeat(32)}`,
  recipient: `0x${"33".repeat(32)}`,
  destinationCaller: `0x${"00".repeat(32)}`,
  minFinalityThreshold: 1000,
  finalityThresholdExecuted: 2000,
  messageBody: "0xdeadbeef",
  ...fields,
});

function decodeError(fn: () => unknown): CctpDecodeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CctpDecodeError);
    return err as CctpDecodeError;
  }
  throw new Error("expected a CctpDecodeError");
}

function encodeError(fn: () => unknown): CctpEncodeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CctpEncodeError);
    return err as CctpEncodeError;
  }
  throw new Error("expected a CctpEncodeError");
}

describe("MessageV2 codec", () => {
  it("lays the header out at Circle's offsets", () => {
    const hex = encodeMessageV2(header());
    expect(hex.length).toBe(2 + 2 * (MESSAGE_V2_HEADER_LENGTH + 4));
    expect(hex.slice(2, 10)).toBe("00000001");
    expect(hex.slice(2 + 2 * 4, 2 + 2 * 8)).toBe("00000006");
    expect(hex.slice(2 + 2 * 12, 2 + 2 * 44)).toBe("11".repeat(32));
    expect(hex.slice(2 + 2 * 140, 2 + 2 * 144)).toBe("000003e8");
    expect(hex.slice(2 + 2 * 144, 2 + 2 * 148)).toBe("000007d0");
    expect(hex.slice(2 + 2 * 148)).toBe("deadbeef");
  });

  it("decode(encode(x)) == x", () => {
    fc.assert(
      fc.property(arbMessageV2(), (m) => {
        expect(decodeMessageV2(encodeMessageV2(m))).toEqual(m);
      }),
    );
  });

  it("encode(decode(b)) == b for any bytes with version 1 and a full header", () => {
    fc.assert(
      fc.property(arbVersionedBytes(1, MESSAGE_V2_HEADER_LENGTH), (b) => {
        expect(encodeMessageV2(decodeMessageV2(b))).toBe(b);
      }),
    );
  });

  it("decodes upper-case hex to lowercase values", () => {
    const hex = encodeMessageV2(header({ sender: `0x${"ab".repeat(32)}` }));
    expect(decodeMessageV2(`0x${hex.slice(2).toUpperCase()}`).sender).toBe(`0x${"ab".repeat(32)}`);
  });

  it("decodes a header with an empty body", () => {
    expect(decodeMessageV2(encodeMessageV2(header({ messageBody: "0x" }))).messageBody).toBe("0x");
  });

  it("rejects input that is not 0x hex of whole bytes", () => {
    expect(decodeError(() => decodeMessageV2("00000001")).field).toBe("message");
    expect(decodeError(() => decodeMessageV2("0x0000000g")).actual).toContain('"g"');
    expect(decodeError(() => decodeMessageV2("0x000")).expected).toBe("an even number of hex digits");
  });

  it("rejects a message shorter than the 148-byte header", () => {
    const full = encodeMessageV2(header({ messageBody: "0x" }));
    const e = decodeError(() => decodeMessageV2(full.slice(0, -2)));
    expect(e.field).toBe("message");
    expect(e.actual).toBe("147 bytes");
    expect(e.message).toContain("at least 148 bytes");
  });

  it("rejects any version but 1, naming V1 messages", () => {
    const v0 = `0x00000000${encodeMessageV2(header()).slice(10)}`;
    const e = decodeError(() => decodeMessageV2(v0));
    expect(e).toMatchObject({ field: "version", offset: 0, actual: "0 (a V1 message)" });
    expect(decodeError(() => decodeMessageV2(`0x00000002${v0.slice(10)}`)).actual).toBe("2");
  });

  it("refuses to encode values that do not fit their fields", () => {
    expect(encodeError(() => encodeMessageV2(header({ sourceDomain: -1 }))).field).toBe("sourceDomain");
    expect(encodeError(() => encodeMessageV2(header({ destinationDomain: 2 ** 32 }))).field).toBe(
      "destinationDomain",
    );
    expect(encodeError(() => encodeMessageV2(header({ minFinalityThreshold: 1.5 }))).field).toBe(
      "minFinalityThreshold",
    );
    const short = encodeError(() => encodeMessageV2(header({ nonce: `0x${"11".repeat(31)}` })));
    expect(short).toMatchObject({ field: "nonce", actual: "31 bytes" });
    expect(encodeError(() => encodeMessageV2(header({ messageBody: "0xabc" }))).field).toBe("messageBody");
    expect(encodeError(() => encodeMessageV2({ ...header(), version: 0 as never })).field).toBe("version");
  });
});
