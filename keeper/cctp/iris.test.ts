import fc from "fast-check";
import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../internal/errors.ts";
import { type BurnMessageV2, encodeBurnMessageV2 } from "./burnMessageV2.ts";
import { decodeMessage, messageHash } from "./decode.ts";
import { CctpDecodeError, CctpEncodeError } from "./errors.ts";
import { TRANSFER_KEY_FIELDS, transferKey, withIrisFields } from "./iris.ts";
import { encodeMessageV2, type MessageV2 } from "./messageV2.ts";
import { arbBurnV2, arbBytes32, arbMessageV2, arbUint32, arbUint256 } from "./testArbitraries.ts";
import { V2C_PAIR, vector } from "./testVectors.ts";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}

const sourceOf = (header: MessageV2, burn: BurnMessageV2): Hex =>
  encodeMessageV2({
    ...header,
    nonce: `0x${"00".repeat(32)}`,
    finalityThresholdExecuted: 0,
    messageBody: encodeBurnMessageV2({ ...burn, feeExecuted: 0n, expirationBlock: 0n }),
  });

describe("withIrisFields", () => {
  it("writes exactly the four Iris fields and nothing else", () => {
    fc.assert(
      fc.property(
        arbMessageV2(),
        arbBurnV2,
        arbBytes32,
        arbUint32,
        arbUint256,
        arbUint256,
        (header, burn, nonce, finality, fee, expiration) => {
          const source = sourceOf(header, burn);
          const attested = withIrisFields(source, {
            nonce,
            finalityThresholdExecuted: finality,
            feeExecuted: fee,
            expirationBlock: expiration,
          });
          const d = decodeMessage(attested);
          const s = decodeMessage(source);
          if (d.type !== "v2" || s.type !== "v2" || d.burn === null || s.burn === null)
            throw new Error("not V2 burns");
          expect(d.message).toEqual({
            ...s.message,
            nonce,
            finalityThresholdExecuted: finality,
            messageBody: d.message.messageBody,
          });
          expect(d.burn).toEqual({ ...s.burn, feeExecuted: fee, expirationBlock: expiration });
        },
      ),
    );
  });

  it("sets only nonce and finality on a V2 message whose body is not a burn", () => {
    const header = decodeMessage(V2C_PAIR.source.hex).message as MessageV2;
    const generic = encodeMessageV2({ ...header, messageBody: "0xabcdef" });
    const out = withIrisFields(generic, { nonce: V2C_PAIR.fields.nonce, finalityThresholdExecuted: 1000 });
    expect(decodeMessage(out).message).toMatchObject({
      nonce: V2C_PAIR.fields.nonce,
      finalityThresholdExecuted: 1000,
      messageBody: "0xabcdef",
    });
    const e = thrown(() =>
      withIrisFields(generic, {
        nonce: V2C_PAIR.fields.nonce,
        finalityThresholdExecuted: 1000,
        feeExecuted: 1n,
      }),
    );
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toContain("fields.feeExecuted");
  });

  it("requires feeExecuted and expirationBlock for a burn", () => {
    const e = thrown(() =>
      withIrisFields(V2C_PAIR.source.hex, {
        nonce: V2C_PAIR.fields.nonce,
        finalityThresholdExecuted: 2000,
        feeExecuted: 0n,
      }),
    );
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect((e as Error).message).toContain("fields.expirationBlock");
  });

  it("range-checks the values and refuses V1 messages", () => {
    expect(
      thrown(() => withIrisFields(V2C_PAIR.source.hex, { ...V2C_PAIR.fields, feeExecuted: -1n })),
    ).toBeInstanceOf(CctpEncodeError);
    expect(
      thrown(() => withIrisFields(V2C_PAIR.source.hex, { ...V2C_PAIR.fields, nonce: "0x01" })),
    ).toMatchObject({ field: "nonce" });
    expect(thrown(() => withIrisFields(vector("V1-A").hex, V2C_PAIR.fields))).toMatchObject({
      field: "version",
      actual: "0 (a V1 message)",
    });
  });
});

describe("transferKey", () => {
  it("equals messageHash of the source bytes and survives every Iris change", () => {
    fc.assert(
      fc.property(
        arbMessageV2(),
        arbBurnV2,
        arbBytes32,
        arbUint32,
        arbUint256,
        arbUint256,
        (h, b, n, f, fee, exp) => {
          const source = sourceOf(h, b);
          const attested = withIrisFields(source, {
            nonce: n,
            finalityThresholdExecuted: f,
            feeExecuted: fee,
            expirationBlock: exp,
          });
          expect(transferKey(source)).toBe(messageHash(source));
          expect(transferKey(attested)).toBe(transferKey(source));
        },
      ),
    );
  });

  it("changes when any TRANSFER_KEY_FIELDS field changes", () => {
    const base = decodeMessage(V2C_PAIR.attested.hex);
    if (base.type !== "v2" || base.burn === null) throw new Error("V2-C is not a V2 burn");
    const key = transferKey(V2C_PAIR.attested.hex);
    const bump = (x: unknown): unknown =>
      typeof x === "number"
        ? x + 1
        : typeof x === "bigint"
          ? x + 1n
          : `${(x as string).slice(0, -2)}${(x as string).endsWith("ff") ? "00" : "ff"}`;
    const changed = TRANSFER_KEY_FIELDS.filter((f) => f !== "version" && f !== "messageBody.version");
    for (const field of changed) {
      const [part, name] = field.startsWith("messageBody.") ? ["burn", field.slice(12)] : ["message", field];
      const burn =
        part === "burn" ? { ...base.burn, [name]: bump(base.burn[name as keyof BurnMessageV2]) } : base.burn;
      const message =
        part === "message"
          ? { ...base.message, [name]: bump(base.message[name as keyof MessageV2]) }
          : base.message;
      const bytes = encodeMessageV2({
        ...(message as MessageV2),
        messageBody: encodeBurnMessageV2(burn as BurnMessageV2),
      });
      expect(transferKey(bytes), field).not.toBe(key);
    }
    // hookData length matters too (it is the only dynamic field).
    const longer = encodeMessageV2({
      ...base.message,
      messageBody: encodeBurnMessageV2({ ...base.burn, hookData: `${base.burn.hookData}00` }),
    });
    expect(transferKey(longer)).not.toBe(key);
  });

  it("is defined for V2 burns only", () => {
    expect(thrown(() => transferKey(vector("V1-A").hex))).toMatchObject({ field: "version" });
    const header = decodeMessage(V2C_PAIR.source.hex).message as MessageV2;
    const e = thrown(() => transferKey(encodeMessageV2({ ...header, messageBody: "0x00000001" })));
    expect(e).toBeInstanceOf(CctpDecodeError);
    expect(e).toMatchObject({ field: "messageBody", offset: 148 });
  });
});
