import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  InvalidArgumentError,
  InvalidDecimalsError,
  InvalidReserveAnswerError,
  isRetryable,
} from "../internal/errors.ts";
import { computeDelta, MAX_RATIO_BPS } from "./computeDelta.ts";

const E18 = 10n ** 18n;

describe("computeDelta", () => {
  it("normalises a 8-decimals feed and 6-decimals supplies on two chains to 18 decimals", () => {
    const result = computeDelta({
      reserves: { answer: 1_000_000n * 10n ** 8n, decimals: 8 },
      supplies: [
        { chainId: 1, totalSupply: 600_000n * 10n ** 6n, decimals: 6 },
        { chainId: 8453, totalSupply: 300_000n * 10n ** 18n, decimals: 18 },
      ],
      marginBps: 100n,
    });
    expect(result).toEqual({
      reserves: 1_000_000n * E18,
      supply: 900_000n * E18,
      delta: 100_000n * E18,
      ratioBps: 11_111n,
      requiredReserves: 909_000n * E18,
      perChain: [
        { chainId: 1, supply: 600_000n * E18 },
        { chainId: 8453, supply: 300_000n * E18 },
      ],
      inFlight: 0n,
    });
  });

  it("reports a shortfall as a negative delta and a ratio below 10_000", () => {
    const result = computeDelta({
      reserves: { answer: 99n, decimals: 0 },
      supplies: [{ chainId: 1, totalSupply: 100n, decimals: 0 }],
      marginBps: 0n,
    });
    expect(result.delta).toBe(-1n * E18);
    expect(result.ratioBps).toBe(9_900n);
    expect(result.requiredReserves).toBe(100n * E18);
  });

  it("defines the ratio for zero supply as MAX_RATIO_BPS (nothing is owed)", () => {
    const result = computeDelta({
      reserves: { answer: 1n, decimals: 0 },
      supplies: [{ chainId: 1, totalSupply: 0n, decimals: 6 }],
      marginBps: 0n,
    });
    expect(result.ratioBps).toBe(MAX_RATIO_BPS);
    expect(result.delta).toBe(E18);
    expect(
      computeDelta({ reserves: { answer: 1n, decimals: 0 }, supplies: [], marginBps: 0n }).ratioBps,
    ).toBe(MAX_RATIO_BPS);
  });

  it("caps huge ratios at MAX_RATIO_BPS", () => {
    const result = computeDelta({
      reserves: { answer: 10n ** 30n, decimals: 0 },
      supplies: [{ chainId: 1, totalSupply: 1n, decimals: 18 }],
      marginBps: 0n,
    });
    expect(result.ratioBps).toBe(MAX_RATIO_BPS);
  });

  it("rounds conservatively beyond 18 decimals: reserves down, supply up, requiredReserves up", () => {
    const result = computeDelta({
      reserves: { answer: 10n ** 18n + 1n, decimals: 36 }, // 1e-18 + dust
      supplies: [{ chainId: 1, totalSupply: 10n ** 18n + 1n, decimals: 36 }],
      marginBps: 1n,
    });
    expect(result.reserves).toBe(1n);
    expect(result.supply).toBe(2n);
    expect(result.delta).toBe(-1n);
    expect(result.requiredReserves).toBe(3n); // ceil(2 * 1.0001)
  });

  it.each([0n, -1n, -(10n ** 20n)])("rejects reserve answer %s with an error naming the value", (answer) => {
    const run = () =>
      computeDelta({
        reserves: { answer, decimals: 8 },
        supplies: [{ chainId: 1, totalSupply: 1n, decimals: 6 }],
        marginBps: 0n,
      });
    expect(run).toThrow(InvalidReserveAnswerError);
    expect(run).toThrow(`Reserve answer must be greater than zero, got ${answer}.`);
  });

  it("rejects a negative supply, a duplicated chain and a negative margin", () => {
    const reserves = { answer: 1n, decimals: 0 };
    expect(() =>
      computeDelta({ reserves, supplies: [{ chainId: 1, totalSupply: -1n, decimals: 0 }], marginBps: 0n }),
    ).toThrow(/supplies\[1\]\.totalSupply/);
    expect(() =>
      computeDelta({
        reserves,
        supplies: [
          { chainId: 1, totalSupply: 1n, decimals: 0 },
          { chainId: 1, totalSupply: 1n, decimals: 0 },
        ],
        marginBps: 0n,
      }),
    ).toThrow(/chain 1 listed twice/);
    let caught: unknown;
    try {
      computeDelta({ reserves, supplies: [], marginBps: -1n });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect(isRetryable(caught)).toBe(false);
  });

  it("rejects decimals outside 0..36", () => {
    expect(() =>
      computeDelta({ reserves: { answer: 1n, decimals: 37 }, supplies: [], marginBps: 0n }),
    ).toThrow(InvalidDecimalsError);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const positive = fc.bigInt({ min: 1n, max: 10n ** 30n });
const nonNegative = fc.bigInt({ min: 0n, max: 10n ** 30n });
const exactDecimals = fc.integer({ min: 0, max: 18 });
const anyDecimals = fc.integer({ min: 0, max: 36 });

/** Value scaled to 10^-72 so different decimals compare exactly. */
const exact = (amount: bigint, decimals: number) => amount * 10n ** BigInt(72 - decimals);

const supplyList = (decimals: fc.Arbitrary<number>) =>
  fc
    .array(fc.record({ totalSupply: nonNegative, decimals }), { minLength: 1, maxLength: 4 })
    .map((list) => list.map((s, i) => ({ ...s, chainId: i + 1 })));

describe("computeDelta properties", () => {
  it("property: with decimals <= 18 (exact), sign(delta) is sign(reserves - supply) of the real values", () => {
    fc.assert(
      fc.property(positive, exactDecimals, supplyList(exactDecimals), (answer, rd, supplies) => {
        const { delta, ratioBps } = computeDelta({
          reserves: { answer, decimals: rd },
          supplies,
          marginBps: 0n,
        });
        const real =
          exact(answer, rd) - supplies.reduce((sum, s) => sum + exact(s.totalSupply, s.decimals), 0n);
        expect(Math.sign(Number(delta))).toBe(Math.sign(Number(real)));
        expect(ratioBps >= 10_000n).toBe(delta >= 0n);
      }),
    );
  });

  it("property: for any decimals 0..36, a non-negative delta is never a false all-clear", () => {
    fc.assert(
      fc.property(positive, anyDecimals, supplyList(anyDecimals), (answer, rd, supplies) => {
        const { delta } = computeDelta({ reserves: { answer, decimals: rd }, supplies, marginBps: 0n });
        const real =
          exact(answer, rd) - supplies.reduce((sum, s) => sum + exact(s.totalSupply, s.decimals), 0n);
        if (delta >= 0n) expect(real >= 0n).toBe(true);
      }),
    );
  });

  it("property: invariant to the decimals representation of the same values", () => {
    const rescale = fc.integer({ min: 0, max: 36 });
    fc.assert(
      fc.property(
        positive,
        anyDecimals,
        rescale,
        supplyList(anyDecimals),
        fc.array(rescale, { minLength: 4, maxLength: 4 }),
        fc.bigInt({ min: 0n, max: 10_000n }),
        (answer, rd, rk, supplies, ks, marginBps) => {
          const up = (a: bigint, d: number, k: number) => {
            const extra = Math.min(k, 36 - d);
            return { amount: a * 10n ** BigInt(extra), decimals: d + extra };
          };
          const r2 = up(answer, rd, rk);
          const s2 = supplies.map((s, i) => {
            const scaled = up(s.totalSupply, s.decimals, ks[i] ?? 0);
            return { chainId: s.chainId, totalSupply: scaled.amount, decimals: scaled.decimals };
          });
          const a = computeDelta({ reserves: { answer, decimals: rd }, supplies, marginBps });
          const b = computeDelta({
            reserves: { answer: r2.amount, decimals: r2.decimals },
            supplies: s2,
            marginBps,
          });
          expect(b).toEqual(a);
        },
      ),
    );
  });

  it("property: supply is the sum of perChain, delta = reserves - supply, required >= supply", () => {
    fc.assert(
      fc.property(
        positive,
        anyDecimals,
        supplyList(anyDecimals),
        fc.bigInt({ min: 0n, max: 10_000n }),
        (answer, rd, s, m) => {
          const r = computeDelta({ reserves: { answer, decimals: rd }, supplies: s, marginBps: m });
          expect(r.supply).toBe(r.perChain.reduce((sum, c) => sum + c.supply, 0n));
          expect(r.delta).toBe(r.reserves - r.supply);
          expect(r.requiredReserves >= r.supply).toBe(true);
          expect(r.ratioBps >= 0n && r.ratioBps <= MAX_RATIO_BPS).toBe(true);
        },
      ),
    );
  });
});
