import { decodeAbiParameters, slice } from "viem";
import { describe, expect, it } from "vitest";
import { TransferRequestInvalidError } from "./errors.ts";
import { encodeHookData, HOOK_MAGIC, parseHookSpec, treasuryHookData } from "./hooks.ts";

describe("hook data", () => {
  it("is magic 'rkh2' | target | abi.encode(account), with no amount in it", () => {
    const treasury = "0x2000000000000000000000000000000000000007";
    const account = `0x${"ab".repeat(32)}` as const;
    const data = treasuryHookData({ treasury, account });
    expect(HOOK_MAGIC).toBe("0x726b6832"); // "rkh2"
    expect(slice(data, 0, 4)).toBe(HOOK_MAGIC);
    expect(slice(data, 4, 24)).toBe(treasury);
    expect(decodeAbiParameters([{ type: "bytes32" }], slice(data, 24))).toEqual([account]);
    expect(data.length).toBe(2 + 2 * (4 + 20 + 32));
    expect(encodeHookData(treasury, "0x")).toBe(`${HOOK_MAGIC}${treasury.slice(2)}`);
  });

  it("parses treasury:<bytes32> and treasury:<text>", () => {
    expect(parseHookSpec(`treasury:0x${"CD".repeat(32)}`)).toEqual({
      type: "treasury",
      account: `0x${"cd".repeat(32)}`,
    });
    expect(parseHookSpec("treasury:cust-42")).toEqual({
      type: "treasury",
      account: `0x${Buffer.from("cust-42").toString("hex").padEnd(64, "0")}`,
    });
  });

  it("rejects other kinds, empty and oversized accounts", () => {
    for (const spec of ["vault:x", "treasury:", "treasury", `treasury:${"x".repeat(32)}`, "treasury:0x12"]) {
      expect(() => parseHookSpec(spec), spec).toThrow(TransferRequestInvalidError);
    }
  });
});
