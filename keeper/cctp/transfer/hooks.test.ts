import { decodeFunctionData, parseAbi, slice } from "viem";
import { describe, expect, it } from "vitest";
import { TransferRequestInvalidError } from "./errors.ts";
import { HOOK_MAGIC, parseHookSpec, treasuryHookData } from "./hooks.ts";

describe("hook data", () => {
  it("is magic | target | credit(account, token, net amount)", () => {
    const treasury = "0x2000000000000000000000000000000000000007";
    const token = "0x2000000000000000000000000000000000000005";
    const account = `0x${"ab".repeat(32)}` as const;
    const data = treasuryHookData({ treasury, account, token, netAmount: 1_234n });
    expect(slice(data, 0, 4)).toBe(HOOK_MAGIC);
    expect(slice(data, 4, 24)).toBe(treasury);
    const call = decodeFunctionData({
      abi: parseAbi(["function credit(bytes32 account, address token, uint256 amount)"]),
      data: slice(data, 24),
    });
    expect(call.args).toEqual([account, token, 1_234n]);
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
