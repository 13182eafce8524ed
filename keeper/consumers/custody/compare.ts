import { normalizeAmount } from "../../engine/normalize.ts";
import { InvalidArgumentError } from "../../internal/errors.ts";
import type { ComparedFigures, DisagreementDirection, ReserveComparison, ReserveSide } from "./types.ts";

export type CompareReservesArgs = {
  /** The custodian's reported balance and its asOf. */
  readonly custodian: ReserveSide;
  /** The PoR feed's answer (raw, feedDecimals) and its updatedAt. */
  readonly por: ReserveSide;
  /** Largest accepted difference, in bps of the LARGER of the two figures. */
  readonly toleranceBps: bigint;
  /** Largest accepted |custodian asOf − PoR updatedAt|, seconds. */
  readonly maxAsOfSkewSeconds: bigint;
};

const abs = (x: bigint) => (x < 0n ? -x : x);
/** bigint max (Math.max takes numbers only). */
const maxOf = (a: bigint, b: bigint) => (a >= b ? a : b);

/**
 * Compares the custodian-reported reserve balance with the PoR answer of the same asset. Pure.
 *
 * 1. `not_comparable` when the as-of times are more than `maxAsOfSkewSeconds` apart (`as_of_skew`: the
 *    two figures describe different moments), or the PoR answer is <= 0 (`por_answer_not_positive`:
 *    the feed reports invalid data; the keeper's own decisions handle that).
 * 2. Both amounts go through keeper/engine/normalize.ts to one unit, max(custodian decimals, feed
 *    decimals): scaling up only, so nothing is rounded and the result does not depend on the order of
 *    the arguments.
 * 3. `difference = |custodian − por|`; the tolerance is measured against the larger figure:
 *    `disagree` iff `difference · 10000 > toleranceBps · max(custodian, por)` (exact integer maths; a
 *    difference of exactly the tolerance agrees). `diffBps` is that ratio rounded UP, so
 *    `diffBps > toleranceBps` iff `disagree`. Two zero figures agree with diffBps 0.
 *
 * Measuring against the larger figure makes the check symmetric: swapping the two sides gives the same
 * difference, bps and outcome (only `direction` flips).
 */
export function compareReserves(args: CompareReservesArgs): ReserveComparison {
  const { custodian, por, toleranceBps, maxAsOfSkewSeconds } = args;
  if (toleranceBps < 0n) {
    throw new InvalidArgumentError({ name: "toleranceBps", reason: "must be >= 0", value: toleranceBps });
  }
  if (maxAsOfSkewSeconds < 0n) {
    throw new InvalidArgumentError({
      name: "maxAsOfSkewSeconds",
      reason: "must be >= 0",
      value: maxAsOfSkewSeconds,
    });
  }
  if (custodian.amount < 0n) {
    throw new InvalidArgumentError({
      name: "custodian.amount",
      reason: "must be >= 0",
      value: custodian.amount,
    });
  }
  const skewSeconds = abs(custodian.asOf - por.asOf);
  if (skewSeconds > maxAsOfSkewSeconds) {
    return { type: "not_comparable", reason: "as_of_skew", skewSeconds, maxAsOfSkewSeconds };
  }
  if (por.amount <= 0n) {
    return { type: "not_comparable", reason: "por_answer_not_positive", skewSeconds, maxAsOfSkewSeconds };
  }
  const decimals = Math.max(custodian.decimals, por.decimals);
  const custodianAmount = normalizeAmount(custodian.amount, custodian.decimals, decimals);
  const porAmount = normalizeAmount(por.amount, por.decimals, decimals);
  const difference = abs(custodianAmount - porAmount);
  const larger = maxOf(custodianAmount, porAmount);
  const scaled = difference * 10_000n;
  const diffBps = larger === 0n ? 0n : (scaled + larger - 1n) / larger;
  const direction: DisagreementDirection =
    custodianAmount < porAmount
      ? "custodian_below"
      : custodianAmount > porAmount
        ? "custodian_above"
        : "equal";
  const figures: ComparedFigures = {
    decimals,
    custodianAmount,
    porAmount,
    difference,
    diffBps,
    toleranceBps,
    direction,
    skewSeconds,
  };
  return scaled > toleranceBps * larger ? { type: "disagree", ...figures } : { type: "agree", ...figures };
}
