import { describe, expect, it } from "vitest";
import { bpsToMilliBps, feeAtRate, formatMilliBps, isFastThreshold } from "./fees.ts";

describe("fees", () => {
  it("rounds the fee up, so a service fee never exceeds a client's maxFee at the same rate", () => {
    expect(feeAtRate(1_000_000n, 1_000n)).toBe(100n); // 1 bps of 1 USDC
    expect(feeAtRate(1_000_001n, 1_000n)).toBe(101n);
    expect(feeAtRate(1n, 1n)).toBe(1n);
    expect(feeAtRate(0n, 1_000n)).toBe(0n);
    expect(feeAtRate(12_345_678n, 0n)).toBe(0n);
    expect(() => feeAtRate(-1n, 1n)).toThrow(/amount/);
  });

  it("converts the endpoint's bps to millibps only when exact to 1/1000 bps", () => {
    expect(bpsToMilliBps(1)).toBe(1_000n);
    expect(bpsToMilliBps(1.3)).toBe(1_300n);
    expect(bpsToMilliBps(0)).toBe(0n);
    expect(bpsToMilliBps(0.0001)).toBeUndefined();
    expect(bpsToMilliBps(-1)).toBeUndefined();
    expect(bpsToMilliBps(Number.NaN)).toBeUndefined();
    expect(formatMilliBps(1_300n)).toBe("1.3");
    expect(formatMilliBps(14_000n)).toBe("14");
  });

  it("calls a threshold of at most 1000 fast", () => {
    expect(isFastThreshold(500)).toBe(true);
    expect(isFastThreshold(1000)).toBe(true);
    expect(isFastThreshold(1001)).toBe(false);
    expect(isFastThreshold(2000)).toBe(false);
  });
});
