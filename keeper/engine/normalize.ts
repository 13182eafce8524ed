import { InvalidDecimalsError } from "../internal/errors.ts";

/** Internal scale of every normalised amount (reserves, supply, delta) in the engine. */
export const CANONICAL_DECIMALS = 18;

/** Largest supported decimals (feeds and tokens in the wild use 0..18; 36 leaves headroom). */
export const MAX_DECIMALS = 36;

export type Rounding = "down" | "up";

/** Throws InvalidDecimalsError unless `value` is an integer in 0..MAX_DECIMALS. */
export function assertDecimals(value: unknown, field: string): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > MAX_DECIMALS) {
    throw new InvalidDecimalsError({ field, value });
  }
}

/**
 * THE one decimals conversion of the keeper: re-expresses `amount` (in units of 10^-fromDecimals)
 * in units of 10^-toDecimals. Scaling up is exact. Scaling down rounds toward -∞ ("down", the
 * default) or toward +∞ ("up"), so callers can round conservatively: reserves down, supply up.
 * Both decimals must be integers in 0..36 (else a NonRetryable InvalidDecimalsError).
 */
export function normalizeAmount(
  amount: bigint,
  fromDecimals: number,
  toDecimals: number,
  rounding: Rounding = "down",
): bigint {
  assertDecimals(fromDecimals, "fromDecimals");
  assertDecimals(toDecimals, "toDecimals");
  if (toDecimals >= fromDecimals) return amount * 10n ** BigInt(toDecimals - fromDecimals);
  const divisor = 10n ** BigInt(fromDecimals - toDecimals);
  const quotient = amount / divisor; // truncates toward zero
  const remainder = amount % divisor;
  if (remainder === 0n) return quotient;
  if (rounding === "down") return amount < 0n ? quotient - 1n : quotient;
  return amount > 0n ? quotient + 1n : quotient;
}
