import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidPolicyError } from "../internal/errors.ts";
import { decide } from "./decide.ts";
import {
  ASSET,
  BASE,
  blockRef,
  MAINNET,
  POLICY,
  reserveObserved,
  snapshotWithRatio,
  supplyObserved,
} from "./testFixtures.ts";
import type { AssetSnapshot, DecisionState, Policy, RatioLevel } from "./types.ts";

const T0 = 1_700_000_000n;
const NOW = T0 + 60n;

function decideRatio(ratioBps: bigint, state?: DecisionState, policy: Policy = POLICY) {
  return decide({ state, asset: snapshotWithRatio(ratioBps, T0), policy, now: NOW });
}

/** Runs ratios through decide in order, threading state; returns the decision types. */
function run(ratios: readonly bigint[], policy: Policy = POLICY, state?: DecisionState) {
  const types: string[] = [];
  let current = state;
  for (const ratio of ratios) {
    const { decision, nextState } = decideRatio(ratio, current, policy);
    types.push(decision.type);
    current = nextState;
  }
  return types;
}

describe("decide: policy validation", () => {
  it.each([
    [{ pauseRatioBps: 10_300n }, "pauseRatioBps", "must be <= warnRatioBps (10200), got 10300"],
    [{ hysteresisBps: -1n }, "hysteresisBps", "must be >= 0, got -1"],
    [{ heartbeatSeconds: 0n }, "heartbeatSeconds", "must be >= 1, got 0"],
    [{ graceSeconds: -5n }, "graceSeconds", "must be >= 0, got -5"],
    [{ marginBps: -1n }, "marginBps", "must be >= 0, got -1"],
    [{ pauseRatioBps: -1n }, "pauseRatioBps", "must be >= 0, got -1"],
    [{ clockSkewSeconds: -1n }, "clockSkewSeconds", "must be >= 0, got -1"],
    [{ staleAction: "ignore" }, "staleAction", 'must be "alert" or "pause", got ignore'],
    [{ warnRatioBps: 10_200 }, "warnRatioBps", "must be a bigint, got number"],
  ])("rejects %o naming the field", (override, field, message) => {
    const policy = { ...POLICY, ...override } as unknown as Policy;
    expect(() => decideRatio(10_500n, undefined, policy)).toThrow(
      new InvalidPolicyError({ problems: [{ field, message }] }).message,
    );
  });

  it("reports every problem at once", () => {
    const policy = { ...POLICY, hysteresisBps: -1n, graceSeconds: -1n };
    try {
      decideRatio(10_500n, undefined, policy);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidPolicyError);
      expect((error as InvalidPolicyError).problems.map((p) => p.field)).toEqual([
        "hysteresisBps",
        "graceSeconds",
      ]);
    }
  });

  it("accepts pauseRatioBps == warnRatioBps (no warning band)", () => {
    const policy = { ...POLICY, pauseRatioBps: 10_000n, warnRatioBps: 10_000n };
    expect(run([9_999n, 10_000n], { ...policy, hysteresisBps: 0n })).toEqual(["breach", "healthy"]);
  });
});

describe("decide: unknown", () => {
  it("is unknown while reserves were never observed", () => {
    const asset: AssetSnapshot = {
      assetId: ASSET,
      reserve: undefined,
      supplies: [{ chainId: MAINNET, observation: supplyObserved() }],
    };
    const { decision } = decide({ state: undefined, asset, policy: POLICY, now: NOW });
    expect(decision.type).toBe("unknown");
    expect(decision.shouldPause).toBe(false);
    expect(decision.reasons).toEqual([{ type: "reserve.missing" }]);
    expect(decision.ratioBps).toBeUndefined();
  });

  it("is unknown while any chain's supply was never observed, naming the chain", () => {
    const asset: AssetSnapshot = {
      assetId: ASSET,
      reserve: reserveObserved({ updatedAt: T0 }),
      supplies: [
        { chainId: MAINNET, observation: supplyObserved() },
        { chainId: BASE, observation: undefined },
      ],
    };
    const { decision } = decide({ state: undefined, asset, policy: POLICY, now: NOW });
    expect(decision.type).toBe("unknown");
    expect(decision.reasons).toEqual([{ type: "supply.missing", chainId: BASE }]);
    expect(decision.inputs.supplies.map((s) => s.chainId)).toEqual([MAINNET]);
  });

  it("is unknown, not stale, when never observed even if a very long time passed", () => {
    const asset: AssetSnapshot = { assetId: ASSET, reserve: undefined, supplies: [] };
    expect(decide({ state: undefined, asset, policy: POLICY, now: 10n ** 12n }).decision.type).toBe(
      "unknown",
    );
  });

  it.each([0n, -1n])("is unknown with a reason when the answer is %s", (answer) => {
    const asset = { ...snapshotWithRatio(10_500n, T0), reserve: reserveObserved({ answer, updatedAt: T0 }) };
    const { decision } = decide({ state: undefined, asset, policy: POLICY, now: NOW });
    expect(decision.type).toBe("unknown");
    expect(decision.shouldPause).toBe(false);
    expect(decision.reasons).toEqual([
      { type: "reserve.answer_not_positive", answer, roundId: asset.reserve.roundId },
    ]);
  });

  it.each([0n, -1n])("treats answer %s as a feed failure: pauses when staleAction is pause", (answer) => {
    const asset = { ...snapshotWithRatio(10_500n, T0), reserve: reserveObserved({ answer, updatedAt: T0 }) };
    const pausing = { ...POLICY, staleAction: "pause" as const };
    const { decision } = decide({ state: undefined, asset, policy: pausing, now: NOW });
    expect(decision.type).toBe("unknown");
    expect(decision.shouldPause).toBe(true);
  });

  it("never pauses for data not yet observed, whatever staleAction says", () => {
    const pausing = { ...POLICY, staleAction: "pause" as const };
    const asset: AssetSnapshot = { assetId: ASSET, reserve: undefined, supplies: [] };
    const { decision } = decide({ state: undefined, asset, policy: pausing, now: NOW });
    expect(decision.type).toBe("unknown");
    expect(decision.shouldPause).toBe(false);
  });

  it("is unknown with a reason when updatedAt is in the future beyond the clock skew", () => {
    const asset = snapshotWithRatio(10_500n, NOW + 1n);
    const { decision } = decide({ state: undefined, asset, policy: POLICY, now: NOW });
    expect(decision.type).toBe("unknown");
    expect(decision.reasons).toEqual([
      { type: "reserve.updated_in_future", updatedAt: NOW + 1n, now: NOW, clockSkewSeconds: 0n },
    ]);
    const tolerant = { ...POLICY, clockSkewSeconds: 5n };
    expect(decide({ state: undefined, asset, policy: tolerant, now: NOW }).decision.type).toBe("healthy");
  });

  it("keeps the hysteresis anchor through an unknown spell", () => {
    const breach = decideRatio(9_000n).nextState;
    const unknown = decide({
      state: breach,
      asset: { assetId: ASSET, reserve: undefined, supplies: [] },
      policy: POLICY,
      now: NOW,
    });
    expect(unknown.nextState).toEqual({ lastType: "unknown", level: "breach" });
    expect(decideRatio(10_010n, unknown.nextState).decision.type).toBe("breach");
  });
});

describe("decide: stale", () => {
  const maxAge = POLICY.heartbeatSeconds + POLICY.graceSeconds;

  it("is not stale at exactly heartbeat + grace, and stale one second later", () => {
    const asset = snapshotWithRatio(10_500n, T0);
    expect(decide({ state: undefined, asset, policy: POLICY, now: T0 + maxAge }).decision.type).toBe(
      "healthy",
    );
    const { decision } = decide({ state: undefined, asset, policy: POLICY, now: T0 + maxAge + 1n });
    expect(decision.type).toBe("stale");
    expect(decision.reasons[0]).toEqual({
      type: "reserve.stale",
      ageSeconds: maxAge + 1n,
      maxAgeSeconds: maxAge,
    });
    if (decision.type !== "stale") throw new Error("expected stale");
    expect(decision.ageSeconds).toBe(maxAge + 1n);
    expect(decision.ratioBps).toBe(10_500n);
  });

  it("pauses only when staleAction is pause", () => {
    const asset = snapshotWithRatio(10_500n, T0);
    const now = T0 + maxAge + 1n;
    expect(decide({ state: undefined, asset, policy: POLICY, now }).decision.shouldPause).toBe(false);
    const pausing = { ...POLICY, staleAction: "pause" as const };
    expect(decide({ state: undefined, asset, policy: pausing, now }).decision.shouldPause).toBe(true);
  });

  it("adds the ratio reason computed from the last answer, and pauses on it even with staleAction alert", () => {
    const { decision } = decide({
      state: undefined,
      asset: snapshotWithRatio(9_000n, T0),
      policy: POLICY,
      now: T0 + maxAge + 1n,
    });
    expect(decision.type).toBe("stale");
    expect(POLICY.staleAction).toBe("alert");
    expect(decision.shouldPause).toBe(true);
    expect(decision.reasons.map((r) => r.type)).toEqual(["reserve.stale", "ratio.below_pause"]);
  });

  it("keeps the hysteresis anchor through a stale spell", () => {
    const warning = decideRatio(10_100n).nextState;
    const stale = decide({
      state: warning,
      asset: snapshotWithRatio(10_500n, T0),
      policy: POLICY,
      now: T0 + maxAge + 1n,
    });
    expect(stale.nextState).toEqual({ lastType: "stale", level: "warning" });
    const fresh = decideRatio(10_210n, stale.nextState);
    expect(fresh.decision.type).toBe("warning");
    expect(fresh.decision.changed).toBe(true);
  });
});

describe("decide: ratio rules", () => {
  it("is healthy at and above warnRatioBps", () => {
    expect(decideRatio(10_200n).decision.type).toBe("healthy");
    expect(decideRatio(10_200n).decision.reasons).toEqual([]);
  });

  it("is warning below warnRatioBps and at pauseRatioBps", () => {
    const { decision } = decideRatio(10_000n);
    expect(decision.type).toBe("warning");
    expect(decision.shouldPause).toBe(false);
    expect(decision.reasons).toEqual([
      { type: "ratio.below_warn", ratioBps: 10_000n, warnRatioBps: 10_200n },
    ]);
  });

  it("is breach below pauseRatioBps and asks to pause", () => {
    const { decision } = decideRatio(9_999n);
    expect(decision.type).toBe("breach");
    expect(decision.shouldPause).toBe(true);
    expect(decision.reasons).toEqual([
      { type: "ratio.below_pause", ratioBps: 9_999n, pauseRatioBps: 10_000n },
    ]);
  });

  it("carries normalised figures, the inputs' block refs and round id, and decidedAt", () => {
    const asset: AssetSnapshot = {
      assetId: ASSET,
      reserve: reserveObserved({ roundId: (2n << 64n) | 7n, block: blockRef(123n), updatedAt: T0 }),
      supplies: [
        { chainId: MAINNET, observation: supplyObserved({ block: blockRef(120n) }) },
        {
          chainId: BASE,
          observation: supplyObserved({
            chainId: BASE,
            block: blockRef(9_000n),
            totalSupply: 50_000n * 10n ** 6n,
          }),
        },
      ],
    };
    const { decision } = decide({ state: undefined, asset, policy: POLICY, now: NOW });
    expect(decision).toMatchObject({
      type: "healthy",
      assetId: ASSET,
      decidedAt: NOW,
      reserves: 1_000_000n * 10n ** 18n,
      supply: 950_000n * 10n ** 18n,
      delta: 50_000n * 10n ** 18n,
      ratioBps: 10_526n,
      requiredReserves: 959_500n * 10n ** 18n,
    });
    expect(decision.inputs.reserve).toMatchObject({ roundId: (2n << 64n) | 7n, block: blockRef(123n) });
    expect(decision.inputs.supplies.map((s) => s.block)).toEqual([blockRef(120n), blockRef(9_000n)]);
  });

  it("flags changed against the previous decision type (true on the first)", () => {
    const first = decideRatio(10_500n);
    expect(first.decision).toMatchObject({ changed: true, previousType: undefined });
    const same = decideRatio(10_600n, first.nextState);
    expect(same.decision).toMatchObject({ changed: false, previousType: "healthy" });
    const worse = decideRatio(10_100n, same.nextState);
    expect(worse.decision).toMatchObject({ changed: true, previousType: "healthy", type: "warning" });
  });
});

describe("decide: hysteresis", () => {
  it("worsens immediately", () => {
    expect(run([10_500n, 10_199n, 9_999n])).toEqual(["healthy", "warning", "breach"]);
  });

  it("holds warning until the ratio reaches warn + hysteresis", () => {
    const held = decideRatio(10_249n, decideRatio(10_100n).nextState).decision;
    expect(held.type).toBe("warning");
    expect(held.reasons).toEqual([
      { type: "hysteresis.held", level: "warning", ratioBps: 10_249n, releaseAtBps: 10_250n },
    ]);
    expect(run([10_100n, 10_250n])).toEqual(["warning", "healthy"]);
  });

  it("holds breach until pause + hysteresis, then releases as far as the raised thresholds allow", () => {
    expect(run([9_000n, 10_049n])).toEqual(["breach", "breach"]);
    expect(run([9_000n, 10_050n])).toEqual(["breach", "warning"]);
    expect(run([9_000n, 10_249n])).toEqual(["breach", "warning"]);
    expect(run([9_000n, 10_250n])).toEqual(["breach", "healthy"]);
    const { decision } = decideRatio(10_020n, decideRatio(9_000n).nextState);
    expect(decision.shouldPause).toBe(true);
    expect(decision.reasons).toEqual([
      { type: "ratio.below_warn", ratioBps: 10_020n, warnRatioBps: 10_200n },
      { type: "hysteresis.held", level: "breach", ratioBps: 10_020n, releaseAtBps: 10_050n },
    ]);
  });

  it("does not flap at a threshold (named regression: ratio hovering at warnRatioBps)", () => {
    expect(run([10_201n, 10_199n, 10_201n, 10_199n, 10_225n, 10_200n])).toEqual([
      "healthy",
      "warning",
      "warning",
      "warning",
      "warning",
      "warning",
    ]);
  });

  it("with hysteresis 0 behaves like plain thresholds", () => {
    const policy = { ...POLICY, hysteresisBps: 0n };
    expect(run([9_999n, 10_000n, 10_199n, 10_200n], policy)).toEqual([
      "breach",
      "warning",
      "warning",
      "healthy",
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const levelArb = fc.constantFrom<RatioLevel | undefined>(undefined, "healthy", "warning", "breach");

/** Policies whose warn and pause thresholds are more than one hysteresis width apart. */
const separatedPolicy = fc
  .record({
    pauseRatioBps: fc.bigInt({ min: 5_000n, max: 12_000n }),
    gap: fc.bigInt({ min: 1n, max: 2_000n }),
    hysteresisBps: fc.bigInt({ min: 0n, max: 1_000n }),
    staleAction: fc.constantFrom<"alert" | "pause">("alert", "pause"),
  })
  .map(
    ({ pauseRatioBps, gap, hysteresisBps, staleAction }): Policy => ({
      ...POLICY,
      pauseRatioBps,
      warnRatioBps: pauseRatioBps + hysteresisBps + gap,
      hysteresisBps,
      staleAction,
    }),
  );

describe("decide properties", () => {
  it("property: never flaps — ratios within ±hysteresis/2 of a threshold change the decision at most once", () => {
    fc.assert(
      fc.property(
        separatedPolicy,
        fc.boolean(),
        levelArb,
        fc.array(fc.bigInt({ min: -1_000n, max: 1_000n }), { minLength: 2, maxLength: 60 }),
        (policy, aroundWarn, initialLevel, offsets) => {
          const threshold = aroundWarn ? policy.warnRatioBps : policy.pauseRatioBps;
          const half = policy.hysteresisBps / 2n;
          const ratios = offsets.map((o) => threshold + (half === 0n ? 0n : o % (half + 1n)));
          const initial: DecisionState | undefined =
            initialLevel === undefined ? undefined : { lastType: initialLevel, level: initialLevel };
          // Whatever the prior level, once the first ratio of the band is decided,
          // the band may move the decision at most once more.
          let { nextState: state } = decideRatio(ratios[0] ?? threshold, initial, policy);
          let changes = 0;
          for (const ratio of ratios.slice(1)) {
            const { decision, nextState } = decideRatio(ratio, state, policy);
            if (decision.changed) changes++;
            state = nextState;
          }
          expect(changes).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it("property: breach always implies shouldPause; shouldPause only on breach, or stale with staleAction pause or a ratio below pause", () => {
    fc.assert(
      fc.property(
        separatedPolicy,
        levelArb,
        fc.bigInt({ min: 1n, max: 30_000n }),
        fc.bigInt({ min: -200_000n, max: 200_000n }),
        (policy, level, ratio, ageSeconds) => {
          const state = level === undefined ? undefined : { lastType: level, level };
          const { decision } = decide({
            state,
            asset: snapshotWithRatio(ratio, T0),
            policy,
            now: T0 + ageSeconds,
          });
          if (decision.type === "breach") expect(decision.shouldPause).toBe(true);
          if (decision.shouldPause) {
            expect(
              decision.type === "breach" ||
                (decision.type === "stale" &&
                  (policy.staleAction === "pause" || decision.ratioBps < policy.pauseRatioBps)) ||
                (decision.type === "unknown" &&
                  policy.staleAction === "pause" &&
                  decision.reasons.some((r) => r.type === "reserve.updated_in_future")),
            ).toBe(true);
          }
        },
      ),
    );
  });

  it("property: stale is detected by time alone — same observation, later now — and stays stale", () => {
    fc.assert(
      fc.property(
        separatedPolicy,
        fc.bigInt({ min: 1n, max: 30_000n }),
        fc.array(fc.bigInt({ min: 0n, max: 200_000n }), { minLength: 1, maxLength: 30 }),
        (policy, ratio, steps) => {
          const asset = snapshotWithRatio(ratio, T0);
          const maxAge = policy.heartbeatSeconds + policy.graceSeconds;
          let now = T0;
          let state: DecisionState | undefined;
          let seenStale = false;
          for (const step of steps) {
            now += step;
            const { decision, nextState } = decide({ state, asset, policy, now });
            expect(decision.type === "stale").toBe(now - T0 > maxAge);
            if (seenStale) expect(decision.type).toBe("stale");
            seenStale ||= decision.type === "stale";
            state = nextState;
          }
        },
      ),
    );
  });

  it("property: without hysteresis, a higher ratio never gives a worse level", () => {
    const rank = { healthy: 0, warning: 1, breach: 2 } as const;
    fc.assert(
      fc.property(
        separatedPolicy,
        fc.bigInt({ min: 1n, max: 30_000n }),
        fc.bigInt({ min: 1n, max: 30_000n }),
        (p, x, y) => {
          const policy = { ...p, hysteresisBps: 0n };
          const [lo, hi] = x <= y ? [x, y] : [y, x];
          const a = decideRatio(lo, undefined, policy).decision.type as RatioLevel;
          const b = decideRatio(hi, undefined, policy).decision.type as RatioLevel;
          expect(rank[b] <= rank[a]).toBe(true);
        },
      ),
    );
  });
});
