import { network } from "hardhat";
import { describe, expect, it } from "vitest";

describe("hardhat in vitest", () => {
  it("connects", async () => {
    const { viem } = await network.connect();
    const pc = await viem.getPublicClient();
    expect(await pc.getChainId()).toBe(31337);
  });
});
