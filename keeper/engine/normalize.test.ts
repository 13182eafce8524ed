import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidDecimalsError, isRetryable } from "../internal/errors.ts";
import { CANONICAL_DECIMALS, MAX_DECIMALS, normalizeAmount } from "./normalize.ts";

const decimals = fc.integer({ min: 0, max: MAX_DECIMALS });
const amount = fc.bigInt({ min: -(10n ** 60n), max: 10n ** 60n });

describe("normalizeAmount", () => {
  it("uses 18 decimals as the canonical scale", () => {
    expect(CANONICAL_DECIMALS).toBe(18);
  });

  it("scales up exactly", () => {
    expect(normalizeAmount(123n, 6, 18)).toBe(123n * 10n ** 12n);
    expect(normalizeAmount(5n, 0, 36)).toBe(5n * 10n ** 36n);
    expect(normalizeAmount(42n, 8, 8)).toBe(42n);
  });

  it("rounds down when scaling down by default, toward -infinity for negatives", () => {
    expect(normalizeAmount(1_999n, 3, 0)).toBe(1n);
    expect(normalizeAmount(-1_001n, 3, 0)).toBe(-2n);
    expect(normalizeAmount(-1_000n, 3, 0)).toBe(-1n);
  });

  it("rounds up on request, toward +infinity", () => {
    expect(normalizeAmount(1_001n, 3, 0, "up")).toBe(2n);
    expect(normalizeAmount(1_000n, 3, 0, "up")).toBe(1n);
    expect(normalizeAmount(-1_999n, 3, 0, "up")).toBe(-1n);
  });

  it.each([
    [-1, 18, "fromDecimals"],
    [37, 18, "fromDecimals"],
    [1.5, 18, "fromDecimals"],
    [Number.NaN, 18, "fromDecimals"],
    [18, 37, "toDecimals"],
  ])("rejects decimals %s -> %s with a NonRetryable InvalidDecimalsError naming %s", (from, to, field) => {
    let caught: unknown;
    try {
      normalizeAmount(1n, from, to);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidDecimalsError);
    expect((caught as InvalidDecimalsError).shortMessage).toContain(field);
    expect(isRetryable(caught)).toBe(false);
  });

  it("property: scaling up then back down is the identity, for every decimals pair 0..36", () => {
    fc.assert(
      fc.property(amount, decimals, decimals, (a, d1, d2) => {
        const [lo, hi] = d1 <= d2 ? [d1, d2] : [d2, d1];
        expect(normalizeAmount(normalizeAmount(a, lo, hi), hi, lo)).toBe(a);
        expect(normalizeAmount(normalizeAmount(a, lo, hi, "up"), hi, lo, "up")).toBe(a);
      }),
    );
  });

  it("property: scaling down then up loses less than one unit of the coarser scale, in the rounding direction", () => {
    fc.assert(
      fc.property(amount, decimals, decimals, (a, d1, d2) => {
        const [lo, hi] = d1 <= d2 ? [d1, d2] : [d2, d1];
        const unit = 10n ** BigInt(hi - lo);
        const down = normalizeAmount(normalizeAmount(a, hi, lo, "down"), lo, hi);
        const up = normalizeAmount(normalizeAmount(a, hi, lo, "up"), lo, hi);
        expect(down <= a && a - down < unit).toBe(true);
        expect(up >= a && up - a < unit).toBe(true);
      }),
    );
  });

  it("property: monotonic (a <= b implies f(a) <= f(b)) for both roundings and every decimals pair", () => {
    fc.assert(
      fc.property(amount, amount, decimals, decimals, (x, y, from, to) => {
        const [a, b] = x <= y ? [x, y] : [y, x];
        expect(normalizeAmount(a, from, to) <= normalizeAmount(b, from, to)).toBe(true);
        expect(normalizeAmount(a, from, to, "up") <= normalizeAmount(b, from, to, "up")).toBe(true);
      }),
    );
  });

  it("property: up - down is 0 when exact and 1 otherwise", () => {
    fc.assert(
      fc.property(amount, decimals, decimals, (a, from, to) => {
        const gap = normalizeAmount(a, from, to, "up") - normalizeAmount(a, from, to, "down");
        const exact = to >= from || a % 10n ** BigInt(from - to) === 0n;
        expect(gap).toBe(exact ? 0n : 1n);
      }),
    );
  });
});
