import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../internal/errors.ts";
import { compareReserves } from "./compare.ts";
import type { ReserveSide } from "./types.ts";

const side = (amount: bigint, decimals: number, asOf = 1_000n): ReserveSide => ({ amount, decimals, asOf });
const compare = (custodian: ReserveSide, por: ReserveSide, toleranceBps = 50n, maxAsOfSkewSeconds = 3_600n) =>
  compareReserves({ custodian, por, toleranceBps, maxAsOfSkewSeconds });

describe("compareReserves: examples", () => {
  it("normalises both figures to the larger decimals and agrees within the tolerance", () => {
    // 10,000,000.00 (2 decimals) vs 10,000,000.00000000 (8 decimals)
    const c = compare(side(1_000_000_000n, 2), side(1_000_000_000_000_000n, 8));
    expect(c).toEqual({
      type: "agree",
      decimals: 8,
      custodianAmount: 1_000_000_000_000_000n,
      porAmount: 1_000_000_000_000_000n,
      difference: 0n,
      diffBps: 0n,
      toleranceBps: 50n,
      direction: "equal",
      skewSeconds: 0n,
    });
  });

  it("disagrees beyond the tolerance, measured against the larger figure, and says which side is lower", () => {
    // custodian 9,000,000 vs PoR 10,000,000: 1,000,000 / 10,000,000 = 1000 bps
    const c = compare(side(900_000_000n, 2), side(1_000_000_000_000_000n, 8));
    expect(c).toMatchObject({ type: "disagree", diffBps: 1_000n, direction: "custodian_below", decimals: 8 });
    const d = compare(side(1_100_000_000n, 2), side(1_000_000_000_000_000n, 8));
    // 1,000,000 / 11,000,000 = 909.09 bps, rounded up
    expect(d).toMatchObject({ type: "disagree", diffBps: 910n, direction: "custodian_above" });
  });

  it("treats exactly the tolerance as agreement and one unit more as disagreement", () => {
    // difference 50 of 10000 = exactly 50 bps
    expect(compare(side(9_950n, 0), side(10_000n, 0))).toMatchObject({ type: "agree", diffBps: 50n });
    expect(compare(side(9_949n, 0), side(10_000n, 0))).toMatchObject({ type: "disagree", diffBps: 51n });
    // 0.01 bps over the tolerance still disagrees (bps are rounded up)
    expect(compare(side(999_499n, 0), side(1_000_000n, 0), 5n)).toMatchObject({
      type: "disagree",
      diffBps: 6n,
    });
    expect(compare(side(999_500n, 0), side(1_000_000n, 0), 5n)).toMatchObject({ type: "agree", diffBps: 5n });
  });

  it("with tolerance 0 only equal figures agree; two zeros agree", () => {
    expect(compare(side(1n, 0), side(1n, 0), 0n)).toMatchObject({ type: "agree", diffBps: 0n });
    expect(compare(side(10n ** 30n, 0), side(10n ** 30n + 1n, 0), 0n)).toMatchObject({
      type: "disagree",
      diffBps: 1n,
    });
    expect(compare(side(0n, 6), side(1n, 0))).toMatchObject({ type: "disagree", diffBps: 10_000n });
  });

  it("does not compare figures whose as-of times are too far apart, or a PoR answer <= 0", () => {
    expect(compare(side(1n, 0, 0n), side(1n, 0, 3_601n))).toEqual({
      type: "not_comparable",
      reason: "as_of_skew",
      skewSeconds: 3_601n,
      maxAsOfSkewSeconds: 3_600n,
    });
    expect(compare(side(1n, 0, 3_600n), side(1n, 0, 0n))).toMatchObject({
      type: "agree",
      skewSeconds: 3_600n,
    });
    expect(compare(side(1n, 0), side(0n, 8))).toMatchObject({
      type: "not_comparable",
      reason: "por_answer_not_positive",
    });
    expect(compare(side(1n, 0), side(-5n, 8))).toMatchObject({ reason: "por_answer_not_positive" });
  });

  it("rejects arguments outside their domain", () => {
    expect(() => compare(side(1n, 0), side(1n, 0), -1n)).toThrow(InvalidArgumentError);
    expect(() => compare(side(1n, 0), side(1n, 0), 0n, -1n)).toThrow(InvalidArgumentError);
    expect(() => compare(side(-1n, 0), side(1n, 0))).toThrow(InvalidArgumentError);
    expect(() => compare(side(1n, 37), side(1n, 0))).toThrow(/Decimals/);
  });
});

describe("compareReserves: properties", () => {
  const decimals = fc.integer({ min: 0, max: 36 });
  const amount = fc.bigInt({ min: 1n, max: 10n ** 40n });
  const tolerance = fc.bigInt({ min: 0n, max: 10_000n });
  const time = fc.bigInt({ min: 0n, max: 10n ** 10n });

  it("is symmetric: swapping the sides gives the same outcome, difference and bps (direction flips)", () => {
    fc.assert(
      fc.property(amount, decimals, amount, decimals, tolerance, time, (a, da, b, db, tol, t) => {
        const ab = compare(side(a, da, t), side(b, db, t), tol);
        const ba = compare(side(b, db, t), side(a, da, t), tol);
        expect(ab.type).toBe(ba.type);
        if (ab.type === "not_comparable" || ba.type === "not_comparable") return;
        expect(ab.difference).toBe(ba.difference);
        expect(ab.diffBps).toBe(ba.diffBps);
        expect(ab.custodianAmount).toBe(ba.porAmount);
        const flip = {
          custodian_below: "custodian_above",
          custodian_above: "custodian_below",
          equal: "equal",
        };
        expect(ba.direction).toBe(flip[ab.direction]);
      }),
    );
  });

  it("disagrees exactly when diffBps > toleranceBps, and the exact ratio decides (no rounding)", () => {
    fc.assert(
      fc.property(amount, decimals, amount, decimals, tolerance, (a, da, b, db, tol) => {
        const c = compare(side(a, da), side(b, db), tol);
        if (c.type === "not_comparable") throw new Error("same asOf: always comparable");
        expect(c.type === "disagree").toBe(c.diffBps > tol);
        // biome-ignore lint/complexity/useMathMinMax: bigint operands (Math.max does not take bigint)
        const larger = c.custodianAmount > c.porAmount ? c.custodianAmount : c.porAmount;
        expect(c.type === "disagree").toBe(c.difference * 10_000n > tol * larger);
        // diffBps is the ratio rounded up
        expect(c.diffBps * larger >= c.difference * 10_000n).toBe(true);
        expect((c.diffBps - 1n) * larger < c.difference * 10_000n || c.diffBps === 0n).toBe(true);
      }),
    );
  });

  it("does not depend on the decimals a figure is expressed in (decimals 0..36)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 20n }),
        decimals,
        fc.bigInt({ min: 1n, max: 10n ** 20n }),
        decimals,
        fc.integer({ min: 0, max: 36 }),
        tolerance,
        (a, da, b, db, extra, tol) => {
          const base = compare(side(a, da), side(b, db), tol);
          const up = Math.min(36 - da, extra);
          // The same custodian figure written with `up` more decimals.
          const scaled = compare(side(a * 10n ** BigInt(up), da + up), side(b, db), tol);
          if (base.type === "not_comparable" || scaled.type === "not_comparable")
            throw new Error("comparable");
          expect(scaled.type).toBe(base.type);
          expect(scaled.diffBps).toBe(base.diffBps);
          expect(scaled.direction).toBe(base.direction);
        },
      ),
    );
  });

  it("sits exactly on the tolerance edge: a difference of tol bps agrees, one more unit disagrees", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 30n }), fc.bigInt({ min: 0n, max: 9_999n }), (k, tol) => {
        const por = 10_000n * k; // so tol bps of it is an integer
        const edge = por - tol * k;
        expect(compare(side(edge, 0), side(por, 0), tol)).toMatchObject({ type: "agree", diffBps: tol });
        expect(compare(side(edge - 1n, 0), side(por, 0), tol)).toMatchObject({ type: "disagree" });
      }),
    );
  });

  it("is not comparable exactly when the as-of times are more than maxAsOfSkewSeconds apart", () => {
    fc.assert(
      fc.property(time, time, fc.bigInt({ min: 0n, max: 10n ** 6n }), (t1, t2, max) => {
        const c = compare(side(5n, 0, t1), side(5n, 0, t2), 50n, max);
        const skew = t1 > t2 ? t1 - t2 : t2 - t1;
        expect(c.type === "not_comparable").toBe(skew > max);
      }),
    );
  });
});
