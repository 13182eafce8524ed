import { describe, expect, it } from "vitest";
import { CctpDecodeError, CctpEncodeError } from "./errors.ts";
import { addressToBytes32, bytes32AsAddress, bytes32ToAddress, parseHex } from "./hex.ts";

const ADDRESS = "0x8FE6B999Dc680CcFDD5Bf7EB0974218be2542DAA";
const PADDED = "0x0000000000000000000000008fe6b999dc680ccfdd5bf7eb0974218be2542daa";
const SOLANA = "0xc6fa7af3bedbad3a3d65f36aabc97431b1bbe4c2d2f6e0e47ca60203452f5d61";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}

describe("bytes32 ⇄ address", () => {
  it("turns a left-padded bytes32 into the checksummed address and back", () => {
    expect(bytes32ToAddress(PADDED)).toBe(ADDRESS);
    expect(bytes32AsAddress(PADDED)).toBe(ADDRESS);
    expect(addressToBytes32(ADDRESS)).toBe(PADDED);
    expect(addressToBytes32(ADDRESS.toLowerCase())).toBe(PADDED);
  });

  it("refuses a bytes32 whose top 12 bytes are not zero, naming the field", () => {
    const e = thrown(() => bytes32ToAddress(SOLANA, "burnToken"));
    expect(e).toBeInstanceOf(CctpDecodeError);
    expect(e).toMatchObject({
      field: "burnToken",
      offset: 0,
      expected: "12 zero bytes before a 20-byte EVM address",
    });
    expect(bytes32AsAddress(SOLANA)).toBeUndefined();
    const one = `0x${"00".repeat(11)}01${"aa".repeat(20)}`;
    expect(thrown(() => bytes32ToAddress(one))).toMatchObject({ offset: 11 });
  });

  it("refuses values that are not 32 bytes", () => {
    expect(thrown(() => bytes32ToAddress(ADDRESS))).toMatchObject({ actual: "20 bytes" });
    expect(bytes32AsAddress("0x")).toBeUndefined();
  });

  it("refuses an address with a wrong checksum or size", () => {
    const bad = `${ADDRESS.slice(0, -1)}a`;
    expect(thrown(() => addressToBytes32(bad))).toBeInstanceOf(CctpEncodeError);
    expect(thrown(() => addressToBytes32("0x1234", "mintRecipient"))).toMatchObject({
      field: "mintRecipient",
    });
  });
});

describe("parseHex", () => {
  it("parses either case", () => {
    expect([...parseHex("0x00fFaB", "x")]).toEqual([0, 255, 171]);
    expect([...parseHex("0X01", "x")]).toEqual([1]);
    expect(parseHex("0x", "x").length).toBe(0);
  });

  it("names the field and what is wrong", () => {
    expect(thrown(() => parseHex("abcd", "attestation"))).toMatchObject({
      field: "attestation",
      expected: "a 0x-prefixed hex string",
    });
    expect(thrown(() => parseHex("0x12 4", "message"))).toMatchObject({ actual: '" " at character 4' });
    expect(thrown(() => parseHex("0x1", "message"))).toMatchObject({ actual: "1 hex digits" });
    expect(thrown(() => parseHex(42, "message"))).toMatchObject({ actual: "number" });
  });

  it("keeps long inputs out of the message", () => {
    const e = thrown(() => parseHex("x".repeat(10_000), "message")) as Error;
    expect(e.message.length).toBeLessThan(300);
  });
});
