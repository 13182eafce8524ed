import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../internal/errors.ts";
import {
  type FeeConfig,
  feeCapFor,
  minimumReplacementFee,
  pauseGasLimit,
  planInitialFees,
  planReplacementFees,
  validateFeeConfig,
} from "./fees.ts";

const gwei = (n: number) => BigInt(Math.round(n * 1e9));

const config: FeeConfig = {
  receiptTimeoutMs: 5_000,
  feeBumpPercent: 12.5,
  maxFeePerGas: gwei(100),
  emergencyMaxFeePerGas: gwei(500),
  maxAttempts: 5,
};

describe("planInitialFees", () => {
  it("uses 2 · baseFee + priority", () => {
    const plan = planInitialFees({
      baseFeePerGas: gwei(10),
      suggestedPriorityFeePerGas: gwei(1),
      capPerGas: gwei(500),
    });
    expect(plan).toEqual({ fees: { maxFeePerGas: gwei(21), maxPriorityFeePerGas: gwei(1) }, capped: false });
  });

  it("raises the priority fee to the configured floor", () => {
    const plan = planInitialFees({
      baseFeePerGas: gwei(10),
      suggestedPriorityFeePerGas: 0n,
      minPriorityFeePerGas: gwei(2),
      capPerGas: gwei(500),
    });
    expect(plan.fees).toEqual({ maxFeePerGas: gwei(22), maxPriorityFeePerGas: gwei(2) });
  });

  it("caps the fee and keeps priority ≤ maxFee when the base fee spikes above the cap", () => {
    const plan = planInitialFees({
      baseFeePerGas: gwei(1_000),
      suggestedPriorityFeePerGas: gwei(600),
      capPerGas: gwei(500),
    });
    expect(plan).toEqual({
      fees: { maxFeePerGas: gwei(500), maxPriorityFeePerGas: gwei(500) },
      capped: true,
    });
  });

  it("rejects a non-positive cap", () => {
    expect(() =>
      planInitialFees({ baseFeePerGas: 1n, suggestedPriorityFeePerGas: 1n, capPerGas: 0n }),
    ).toThrow(InvalidArgumentError);
  });
});

describe("minimumReplacementFee", () => {
  it("is at least 10 % + 1 wei even when the configured bump is lower", () => {
    expect(minimumReplacementFee(gwei(1), 5)).toBe(gwei(1.1) + 1n);
    expect(minimumReplacementFee(0n, 0)).toBe(1n);
    expect(minimumReplacementFee(9n, 10)).toBe(10n); // 9 · 1.1 = 9.9 → 9 + 1
  });

  it("uses the configured bump when it is larger, rounding up", () => {
    expect(minimumReplacementFee(gwei(1), 12.5)).toBe(gwei(1.125));
    expect(minimumReplacementFee(3n, 50)).toBe(5n); // 4.5 → 5
  });

  it("always satisfies geth's and Hardhat's replacement rule (≥ old · 110 / 100) and exceeds old", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.double({ min: 0, max: 200, noNaN: true }),
        (p, pct) => {
          const next = minimumReplacementFee(p, pct);
          expect(next).toBeGreaterThan(p);
          expect(next).toBeGreaterThanOrEqual((p * 110n) / 100n + 1n);
          expect(next * 100n).toBeGreaterThanOrEqual(p * BigInt(100 + Math.floor(pct)));
        },
      ),
    );
  });
});

describe("planReplacementFees", () => {
  const previous = { maxFeePerGas: gwei(21), maxPriorityFeePerGas: gwei(1) };

  it("bumps both fields by at least the configured percent", () => {
    const plan = planReplacementFees({
      previous,
      baseFeePerGas: gwei(5),
      suggestedPriorityFeePerGas: gwei(1),
      feeBumpPercent: 12.5,
      capPerGas: gwei(500),
    });
    expect(plan).toEqual({
      type: "replace",
      fees: { maxFeePerGas: gwei(23.625), maxPriorityFeePerGas: gwei(1.125) },
      capped: false,
    });
  });

  it("follows a base fee spike above the bump", () => {
    const plan = planReplacementFees({
      previous,
      baseFeePerGas: gwei(50),
      suggestedPriorityFeePerGas: gwei(3),
      feeBumpPercent: 10,
      capPerGas: gwei(500),
    });
    expect(plan).toEqual({
      type: "replace",
      fees: { maxFeePerGas: gwei(103), maxPriorityFeePerGas: gwei(3) },
      capped: false,
    });
  });

  it("replaces at the cap when the cap still allows a valid bump", () => {
    const plan = planReplacementFees({
      previous,
      baseFeePerGas: gwei(1_000),
      suggestedPriorityFeePerGas: gwei(1),
      feeBumpPercent: 10,
      capPerGas: gwei(30),
    });
    expect(plan).toEqual({
      type: "replace",
      fees: { maxFeePerGas: gwei(30), maxPriorityFeePerGas: gwei(1.1) + 1n },
      capped: true,
    });
  });

  it("says wait (keep the pending tx) once the cap leaves no room for a valid replacement", () => {
    const atCap = { maxFeePerGas: gwei(30), maxPriorityFeePerGas: gwei(2) };
    const plan = planReplacementFees({
      previous: atCap,
      baseFeePerGas: gwei(1_000),
      suggestedPriorityFeePerGas: gwei(1),
      feeBumpPercent: 10,
      capPerGas: gwei(30),
    });
    expect(plan).toEqual({
      type: "wait",
      reason: "fee_cap",
      fees: atCap,
      requiredMaxFeePerGas: gwei(33) + 1n,
    });
  });

  it("says wait when the priority fee cannot be bumped under the cap", () => {
    const prioAtCap = { maxFeePerGas: gwei(30), maxPriorityFeePerGas: gwei(30) };
    const plan = planReplacementFees({
      previous: prioAtCap,
      baseFeePerGas: 0n,
      suggestedPriorityFeePerGas: 0n,
      feeBumpPercent: 10,
      capPerGas: gwei(32),
    });
    expect(plan.type).toBe("wait");
  });

  it("never exceeds the cap and, when it replaces, always satisfies the replacement rule", () => {
    const fee = fc.bigInt({ min: 0n, max: 10n ** 14n });
    fc.assert(
      fc.property(
        fee,
        fee,
        fee,
        fee,
        fc.integer({ min: 0, max: 100 }),
        fc.bigInt({ min: 1n, max: 10n ** 14n }),
        (prevFee, prevPrio, base, tip, pct, cap) => {
          const previous = {
            maxFeePerGas: prevFee,
            maxPriorityFeePerGas: prevPrio % (prevFee + 1n),
          };
          const plan = planReplacementFees({
            previous,
            baseFeePerGas: base,
            suggestedPriorityFeePerGas: tip,
            feeBumpPercent: pct,
            capPerGas: cap,
          });
          if (plan.type === "wait") {
            expect(plan.fees).toEqual(previous);
            return;
          }
          expect(plan.fees.maxFeePerGas).toBeLessThanOrEqual(cap);
          expect(plan.fees.maxPriorityFeePerGas).toBeLessThanOrEqual(plan.fees.maxFeePerGas);
          expect(plan.fees.maxFeePerGas).toBeGreaterThanOrEqual(
            minimumReplacementFee(previous.maxFeePerGas, pct),
          );
          expect(plan.fees.maxPriorityFeePerGas).toBeGreaterThanOrEqual(
            minimumReplacementFee(previous.maxPriorityFeePerGas, pct),
          );
        },
      ),
    );
  });
});

describe("feeCapFor / validateFeeConfig / pauseGasLimit", () => {
  it("uses the emergency cap for pauses and the normal cap otherwise", () => {
    expect(feeCapFor("pause", config)).toBe(gwei(500));
    expect(feeCapFor("normal", config)).toBe(gwei(100));
  });

  it("accepts a valid config and names the bad field otherwise", () => {
    expect(validateFeeConfig(config)).toBe(config);
    expect(() => validateFeeConfig({ ...config, emergencyMaxFeePerGas: gwei(1) })).toThrow(
      /fees\.emergencyMaxFeePerGas/,
    );
    expect(() => validateFeeConfig({ ...config, maxAttempts: 0 })).toThrow(/fees\.maxAttempts/);
    expect(() => validateFeeConfig({ ...config, receiptTimeoutMs: -1 })).toThrow(/fees\.receiptTimeoutMs/);
    expect(() => validateFeeConfig({ ...config, gasLimit: 100n })).toThrow(/fees\.gasLimit/);
  });

  it("grows the default pause gas limit with the reason and honours a configured limit", () => {
    expect(pauseGasLimit(0)).toBe(120_000n);
    expect(pauseGasLimit(100)).toBe(126_400n);
    expect(pauseGasLimit(100, 90_000n)).toBe(90_000n);
  });
});
