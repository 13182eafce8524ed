/**
 * Fast-transfer fee arithmetic, shared by the transfer client (maxFee) and the devnet attestation
 * service (feeExecuted), so both round the same way. Pure.
 *
 * Rates are integer millibps (1 bps = 1000 millibps: Circle's 1/1000-bps precision,
 * `MIN_FEE_MULTIPLIER = 10_000_000` per unit). A fee rounds UP: the fee the service charges at a rate
 * never exceeds the maxFee a client computed at the same rate.
 */
import { InvalidArgumentError } from "../../internal/errors.ts";

/** millibps per unit (100 % = 10 000 bps = 10 000 000 millibps). */
export const MILLIBPS_PER_UNIT = 10_000_000n;

/** Circle's finality thresholds. */
export const FINALITY_FAST = 1000;
export const FINALITY_STANDARD = 2000;

/** fee = ceil(amount × rate / 10 000 000) for amount ≥ 0 and rate ≥ 0 (millibps). */
export function feeAtRate(amount: bigint, rateMilliBps: bigint): bigint {
  if (amount < 0n) throw new InvalidArgumentError({ name: "amount", reason: "must be >= 0", value: amount });
  if (rateMilliBps < 0n)
    throw new InvalidArgumentError({ name: "rateMilliBps", reason: "must be >= 0", value: rateMilliBps });
  return (amount * rateMilliBps + MILLIBPS_PER_UNIT - 1n) / MILLIBPS_PER_UNIT;
}

/** A bps number from the fees endpoint (≤ 3 decimals) as integer millibps; undefined if not representable. */
export function bpsToMilliBps(bps: number): bigint | undefined {
  if (!Number.isFinite(bps) || bps < 0) return undefined;
  const scaled = Math.round(bps * 1000);
  if (Math.abs(bps * 1000 - scaled) > 1e-6) return undefined;
  return BigInt(scaled);
}

/** Integer millibps as a bps string ("1", "0.5", "1.234"). */
export function formatMilliBps(rate: bigint): string {
  const whole = rate / 1000n;
  const frac = (rate % 1000n).toString().padStart(3, "0").replace(/0+$/, "");
  return frac === "" ? whole.toString() : `${whole}.${frac}`;
}

/** Whether a minFinalityThreshold makes a fast message (Circle: ≤ 1000 is fast, anything above standard). */
export function isFastThreshold(minFinalityThreshold: number): boolean {
  return minFinalityThreshold <= FINALITY_FAST;
}
