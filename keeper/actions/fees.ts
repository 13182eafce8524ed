import { InvalidArgumentError } from "../internal/errors.ts";

/**
 * EIP-1559 fee planning for keeper transactions. Pure functions: chain data (base fee, suggested
 * priority fee) and the previous attempt's fees arrive as arguments.
 *
 * - First attempt: `maxFeePerGas = 2 · baseFee + priority` (survives six full blocks of base-fee growth),
 *   `priority = max(eth_maxPriorityFeePerGas, floor)`.
 * - Replacement (same nonce): both fields rise by at least `max(feeBumpPercent, 10 % + 1 wei)` (what
 *   geth, Hardhat, Erigon and Nethermind need to accept a replacement), and never below what the
 *   current base fee asks for.
 * - Every fee is capped: pauses use `emergencyMaxFeePerGas`, anything else `maxFeePerGas`. When the
 *   cap leaves no room for a valid replacement the plan says "wait": keep the pending transaction
 *   and keep waiting for the base fee to fall, never fail (OpenZeppelin Relayer #808 got stuck
 *   forever at its gas-price cap in a spike).
 */

export type Eip1559Fees = {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
};

/** Fee settings of one chain (the keeper's config supplies them). Amounts in wei per gas. */
export type FeeConfig = {
  /** How long to wait for a receipt before replacing the transaction with bumped fees. */
  readonly receiptTimeoutMs: number;
  /** Replacement bump in percent; values below the protocol's 10 % (+1 wei) are raised to it. */
  readonly feeBumpPercent: number;
  /** Cap for ordinary transactions. */
  readonly maxFeePerGas: bigint;
  /** Cap for pauses (the emergency override); must be ≥ maxFeePerGas. */
  readonly emergencyMaxFeePerGas: bigint;
  /** Signed transactions per action (first send + replacements); then the last one is kept and awaited. */
  readonly maxAttempts: number;
  /** Fixed gas limit; default: computed from the calldata size (no estimate on the hot path). */
  readonly gasLimit?: bigint | undefined;
  /** Floor for the priority fee (some RPCs suggest 0). Default 0. */
  readonly minPriorityFeePerGas?: bigint | undefined;
};

export type TxKind = "pause" | "normal";

/** Geth's default replacement threshold (price bump) in percent. */
export const PROTOCOL_MIN_BUMP_PERCENT = 10;

/** Checks a FeeConfig; throws InvalidArgumentError naming the first bad field. */
export function validateFeeConfig(config: FeeConfig): FeeConfig {
  const bad = (name: string, reason: string, value: unknown) => {
    throw new InvalidArgumentError({ name: `fees.${name}`, reason, value: String(value) });
  };
  if (!Number.isInteger(config.receiptTimeoutMs) || config.receiptTimeoutMs <= 0) {
    bad("receiptTimeoutMs", "must be a positive integer", config.receiptTimeoutMs);
  }
  if (!Number.isFinite(config.feeBumpPercent) || config.feeBumpPercent < 0 || config.feeBumpPercent > 1000) {
    bad("feeBumpPercent", "must be a number from 0 to 1000", config.feeBumpPercent);
  }
  if (config.maxFeePerGas <= 0n) bad("maxFeePerGas", "must be positive", config.maxFeePerGas);
  if (config.emergencyMaxFeePerGas < config.maxFeePerGas) {
    bad("emergencyMaxFeePerGas", "must be at least maxFeePerGas", config.emergencyMaxFeePerGas);
  }
  if (!Number.isInteger(config.maxAttempts) || config.maxAttempts < 1) {
    bad("maxAttempts", "must be an integer ≥ 1", config.maxAttempts);
  }
  if (config.gasLimit !== undefined && config.gasLimit < 21_000n) {
    bad("gasLimit", "must be at least 21000", config.gasLimit);
  }
  if (config.minPriorityFeePerGas !== undefined && config.minPriorityFeePerGas < 0n) {
    bad("minPriorityFeePerGas", "must not be negative", config.minPriorityFeePerGas);
  }
  return config;
}

/** The fee cap for a kind of transaction: the emergency override for pauses, the normal cap otherwise. */
export function feeCapFor(kind: TxKind, config: Pick<FeeConfig, "maxFeePerGas" | "emergencyMaxFeePerGas">) {
  return kind === "pause" ? config.emergencyMaxFeePerGas : config.maxFeePerGas;
}

// Math.max/min do not take bigints.
function max(first: bigint, ...rest: bigint[]): bigint {
  let m = first;
  for (const x of rest) if (x > m) m = x;
  return m;
}
function min(first: bigint, ...rest: bigint[]): bigint {
  let m = first;
  for (const x of rest) if (x < m) m = x;
  return m;
}

/**
 * The smallest value a replacement may carry for a field whose previous value was `previous`:
 * `max(ceil(previous · (100 + feeBumpPercent) / 100), previous · 110 / 100 + 1)`.
 */
export function minimumReplacementFee(previous: bigint, feeBumpPercent: number): bigint {
  if (previous < 0n) throw new InvalidArgumentError({ name: "previous", reason: "must not be negative" });
  const bps = BigInt(Math.round(Math.max(0, feeBumpPercent) * 100));
  const byPercent = (previous * (10_000n + bps) + 9_999n) / 10_000n;
  const protocol = (previous * BigInt(100 + PROTOCOL_MIN_BUMP_PERCENT)) / 100n + 1n;
  return max(byPercent, protocol);
}

export type InitialFeePlan = {
  readonly fees: Eip1559Fees;
  /** True when the cap lowered maxFeePerGas below 2 · baseFee + priority. */
  readonly capped: boolean;
};

/** Fees of a first attempt: `2 · baseFee + priority`, priority floored, everything capped. */
export function planInitialFees(args: {
  baseFeePerGas: bigint;
  suggestedPriorityFeePerGas: bigint;
  minPriorityFeePerGas?: bigint | undefined;
  capPerGas: bigint;
}): InitialFeePlan {
  const { baseFeePerGas, suggestedPriorityFeePerGas, capPerGas } = args;
  if (capPerGas <= 0n) throw new InvalidArgumentError({ name: "capPerGas", reason: "must be positive" });
  const priority = max(suggestedPriorityFeePerGas, args.minPriorityFeePerGas ?? 0n, 0n);
  const wanted = 2n * max(baseFeePerGas, 0n) + priority;
  const maxFeePerGas = min(wanted, capPerGas);
  return {
    fees: { maxFeePerGas, maxPriorityFeePerGas: min(priority, maxFeePerGas) },
    capped: wanted > capPerGas,
  };
}

export type ReplacementFeePlan =
  | {
      readonly type: "replace";
      readonly fees: Eip1559Fees;
      /** True when the cap lowered the replacement below what the base fee asks for. */
      readonly capped: boolean;
    }
  | {
      /** No valid replacement fits under the cap: keep the pending transaction and keep waiting. */
      readonly type: "wait";
      readonly reason: "fee_cap";
      readonly fees: Eip1559Fees;
      /** The replacement's minimum maxFeePerGas, above the cap. */
      readonly requiredMaxFeePerGas: bigint;
    };

/**
 * Fees of a replacement for a pending transaction with `previous` fees: each field at least
 * `minimumReplacementFee`, the fee at least `2 · baseFee + priority`, both capped. "wait" when the
 * cap is below the minimum valid replacement.
 */
export function planReplacementFees(args: {
  previous: Eip1559Fees;
  baseFeePerGas: bigint;
  suggestedPriorityFeePerGas: bigint;
  minPriorityFeePerGas?: bigint | undefined;
  feeBumpPercent: number;
  capPerGas: bigint;
}): ReplacementFeePlan {
  const { previous, feeBumpPercent, capPerGas } = args;
  const minFee = minimumReplacementFee(previous.maxFeePerGas, feeBumpPercent);
  const minPriority = minimumReplacementFee(previous.maxPriorityFeePerGas, feeBumpPercent);
  const priority = max(minPriority, args.suggestedPriorityFeePerGas, args.minPriorityFeePerGas ?? 0n);
  const wanted = max(minFee, 2n * max(args.baseFeePerGas, 0n) + priority);
  const maxFeePerGas = min(wanted, capPerGas);
  const maxPriorityFeePerGas = min(priority, maxFeePerGas);
  if (maxFeePerGas < minFee || maxPriorityFeePerGas < minPriority) {
    return { type: "wait", reason: "fee_cap", fees: previous, requiredMaxFeePerGas: minFee };
  }
  return { type: "replace", fees: { maxFeePerGas, maxPriorityFeePerGas }, capped: wanted > capPerGas };
}

/**
 * Gas limit of a pause without an estimate on the hot path: the measured cost of `pause` with an
 * empty reason (≈ 60 k, cold storage write + two events) plus 64 gas per calldata byte of the reason
 * (16 calldata + 8 log data + memory copies), with head room. A configured gasLimit wins.
 */
export function pauseGasLimit(reasonBytes: number, configured?: bigint): bigint {
  if (configured !== undefined) return configured;
  return 120_000n + 64n * BigInt(Math.max(0, reasonBytes));
}
