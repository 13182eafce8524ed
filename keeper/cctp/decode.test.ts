import fc from "fast-check";
import { keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import { encodeBurnMessageV1 } from "./burnMessageV1.ts";
import { encodeBurnMessageV2 } from "./burnMessageV2.ts";
import { decodeMessage, messageHash, messageVersion } from "./decode.ts";
import { CctpDecodeError } from "./errors.ts";
import { encodeMessageV1, type MessageV1 } from "./messageV1.ts";
import { encodeMessageV2, type MessageV2 } from "./messageV2.ts";
import { arbBurnV1, arbBurnV2, arbMessageV1, arbMessageV2 } from "./testArbitraries.ts";

const Z32 = `0x${"00".repeat(32)}` as const;
const v1Header: MessageV1 = {
  version: 0,
  sourceDomain: 3,
  destinationDomain: 0,
  nonce: 1n,
  sender: Z32,
  recipient: Z32,
  destinationCaller: Z32,
  messageBody: "0x",
};
const v2Header: MessageV2 = {
  version: 1,
  sourceDomain: 6,
  destinationDomain: 0,
  nonce: Z32,
  sender: Z32,
  recipient: Z32,
  destinationCaller: Z32,
  minFinalityThreshold: 2000,
  finalityThresholdExecuted: 0,
  messageBody: "0x",
};
const burnV1Body = encodeBurnMessageV1({
  version: 0,
  burnToken: Z32,
  mintRecipient: Z32,
  amount: 5n,
  messageSender: Z32,
});
const burnV2Body = encodeBurnMessageV2({
  version: 1,
  burnToken: Z32,
  mintRecipient: Z32,
  amount: 5n,
  messageSender: Z32,
  maxFee: 1n,
  feeExecuted: 0n,
  expirationBlock: 0n,
  hookData: "0x",
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

describe("decodeMessage", () => {
  it("detects the version from the first 4 bytes: 0 → V1, 1 → V2, anything else is an error", () => {
    expect(decodeMessage(encodeMessageV1(v1Header)).type).toBe("v1");
    expect(decodeMessage(encodeMessageV2(v2Header)).type).toBe("v2");
    expect(messageVersion(encodeMessageV2(v2Header))).toBe("v2");
    const v2bytes = encodeMessageV2(v2Header);
    const e = decodeError(() => decodeMessage(`0x00000002${v2bytes.slice(10)}`));
    expect(e).toMatchObject({ field: "version", offset: 0, actual: "2" });
    expect(decodeError(() => decodeMessage("0x000000")).field).toBe("message");
    expect(decodeError(() => decodeMessage("not hex")).field).toBe("message");
  });

  it("decodes a V1 burn body of exactly 132 bytes", () => {
    const d = decodeMessage(encodeMessageV1({ ...v1Header, messageBody: burnV1Body }));
    expect(d.type).toBe("v1");
    expect(d.burn?.amount).toBe(5n);
    expect(d.message.messageBody).toBe(burnV1Body);
  });

  it("rejects a V1 message whose body is a burn body with trailing bytes", () => {
    const msg = encodeMessageV1({ ...v1Header, messageBody: `${burnV1Body}ff` });
    const e = decodeError(() => decodeMessage(msg));
    expect(e).toMatchObject({ field: "messageBody", offset: 116 + 132 });
    expect(e.actual).toContain("1 trailing bytes");
    // Explicitly raw: the caller says it is not a burn.
    expect(decodeMessage(msg, { body: "raw" }).burn).toBeNull();
  });

  it("keeps non-burn V1 bodies raw (short, or another body version)", () => {
    const short = decodeMessage(
      encodeMessageV1({ ...v1Header, messageBody: burnV1Body.slice(0, -2) as never }),
    );
    expect(short.burn).toBeNull();
    const other = `0x00000007${burnV1Body.slice(10)}` as const;
    expect(decodeMessage(encodeMessageV1({ ...v1Header, messageBody: other })).burn).toBeNull();
  });

  it("decodes a V2 burn body (hookData = the rest) and keeps other V2 bodies raw", () => {
    const withHook = decodeMessage(encodeMessageV2({ ...v2Header, messageBody: `${burnV2Body}cafe` }));
    expect(withHook.type === "v2" && withHook.burn?.hookData).toBe("0xcafe");
    expect(decodeMessage(encodeMessageV2({ ...v2Header, messageBody: "0x00000001" })).burn).toBeNull();
    const v0body = `0x00000000${burnV2Body.slice(10)}` as const;
    expect(decodeMessage(encodeMessageV2({ ...v2Header, messageBody: v0body })).burn).toBeNull();
  });

  it('body "burn" requires a burn body of the message\'s version', () => {
    const e = decodeError(() =>
      decodeMessage(encodeMessageV2({ ...v2Header, messageBody: "0x00000001" }), { body: "burn" }),
    );
    expect(e).toMatchObject({ field: "messageBody", offset: 148, actual: "4 bytes" });
    const wrongVersion = decodeError(() =>
      decodeMessage(encodeMessageV2({ ...v2Header, messageBody: burnV1Body }), { body: "burn" }),
    );
    expect(wrongVersion).toMatchObject({ field: "messageBody.version", offset: 148 });
    const v1 = decodeError(() =>
      decodeMessage(encodeMessageV1({ ...v1Header, messageBody: "0x" }), { body: "burn" }),
    );
    expect(v1).toMatchObject({ field: "messageBody", offset: 116, actual: "0 bytes" });
  });

  it('body "raw" never decodes the body', () => {
    expect(
      decodeMessage(encodeMessageV2({ ...v2Header, messageBody: burnV2Body }), { body: "raw" }).burn,
    ).toBeNull();
  });

  it("round-trips V2 burn messages: decode(encode(x)) == x and encode(decode(b)) == b", () => {
    fc.assert(
      fc.property(arbMessageV2(), arbBurnV2, (header, burn) => {
        const message = { ...header, messageBody: encodeBurnMessageV2(burn) };
        const bytes = encodeMessageV2(message);
        const d = decodeMessage(bytes);
        expect(d).toEqual({ type: "v2", message, burn });
        if (d.type !== "v2" || d.burn === null) throw new Error("not a V2 burn");
        expect(encodeMessageV2({ ...d.message, messageBody: encodeBurnMessageV2(d.burn) })).toBe(bytes);
      }),
    );
  });

  it("round-trips V1 burn messages: decode(encode(x)) == x and encode(decode(b)) == b", () => {
    fc.assert(
      fc.property(arbMessageV1(), arbBurnV1, (header, burn) => {
        const message = { ...header, messageBody: encodeBurnMessageV1(burn) };
        const bytes = encodeMessageV1(message);
        const d = decodeMessage(bytes);
        expect(d).toEqual({ type: "v1", message, burn });
        if (d.type !== "v1" || d.burn === null) throw new Error("not a V1 burn");
        expect(encodeMessageV1({ ...d.message, messageBody: encodeBurnMessageV1(d.burn) })).toBe(bytes);
      }),
    );
  });

  it("never decodes arbitrary bytes wrongly: either a CctpDecodeError or a decode that re-encodes to the input", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("00000000", "00000001"),
        fc.uint8Array({ minLength: 0, maxLength: 420 }),
        (version, rest) => {
          const bytes = `0x${version}${Buffer.from(rest).toString("hex")}`;
          let d: ReturnType<typeof decodeMessage>;
          try {
            d = decodeMessage(bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(CctpDecodeError);
            return;
          }
          const reencoded = d.type === "v1" ? encodeMessageV1(d.message) : encodeMessageV2(d.message);
          expect(reencoded).toBe(bytes);
          if (d.burn !== null) {
            const body = d.type === "v1" ? encodeBurnMessageV1(d.burn) : encodeBurnMessageV2(d.burn);
            expect(body).toBe(d.message.messageBody);
          }
        },
      ),
    );
  });
});

describe("messageHash", () => {
  it("is keccak256 of the raw bytes, case-insensitive in the input", () => {
    const bytes = encodeMessageV2({ ...v2Header, messageBody: burnV2Body });
    expect(messageHash(bytes)).toBe(keccak256(bytes));
    expect(messageHash(`0x${bytes.slice(2).toUpperCase()}`)).toBe(keccak256(bytes));
  });

  it("rejects malformed hex", () => {
    expect(decodeError(() => messageHash("0x123")).field).toBe("message");
  });
});
