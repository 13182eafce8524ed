import { InvalidArgumentError, InvalidReserveAnswerError } from "../internal/errors.ts";
import { CANONICAL_DECIMALS, normalizeAmount } from "./normalize.ts";
import type { Delta } from "./types.ts";

/** 100 % in basis points. */
export const BPS = 10_000n;

/**
 * Ceiling of every ratio (10^12 bps = 10^8 ×). Also the ratio when supply is 0: nothing is owed,
 * so the asset is (unboundedly) fully backed. Keeps ratioBps a finite, exportable bigint.
 */
export const MAX_RATIO_BPS = 1_000_000_000_000n;

export type ComputeDeltaArgs = {
  /** Raw PoR answer and the feed's decimals. */
  readonly reserves: { readonly answer: bigint; readonly decimals: number };
  /** Raw totalSupply per chain and the token's decimals on that chain. */
  readonly supplies: readonly {
    readonly chainId: number;
    readonly totalSupply: bigint;
    readonly decimals: number;
  }[];
  /** Margin on top of supply for requiredReserves (>= 0). */
  readonly marginBps: bigint;
  /**
   * Cross-chain transfers in flight at CANONICAL_DECIMALS (signed; default 0): burned on one chain,
   * not yet minted on another. Added to supply (what holders are owed); supply never goes below 0.
   */
  readonly inFlight?: bigint;
};

/**
 * Reserve-to-supply delta at CANONICAL_DECIMALS. Rounds conservatively: reserves down, supply
 * up, ratio down, requiredReserves up — rounding never makes the asset look healthier.
 * Throws InvalidReserveAnswerError if answer <= 0, InvalidArgumentError for a negative supply,
 * a duplicate chain or a negative margin, InvalidDecimalsError for decimals outside 0..36.
 */
export function computeDelta({ reserves, supplies, marginBps, inFlight = 0n }: ComputeDeltaArgs): Delta {
  if (reserves.answer <= 0n) throw new InvalidReserveAnswerError({ answer: reserves.answer });
  if (marginBps < 0n) {
    throw new InvalidArgumentError({ name: "marginBps", reason: "must be >= 0", value: marginBps });
  }
  const normalisedReserves = normalizeAmount(reserves.answer, reserves.decimals, CANONICAL_DECIMALS, "down");

  const seen = new Set<number>();
  const perChain = supplies.map(({ chainId, totalSupply, decimals }) => {
    if (seen.has(chainId)) {
      throw new InvalidArgumentError({
        name: "supplies",
        reason: `chain ${chainId} listed twice`,
        value: chainId,
      });
    }
    seen.add(chainId);
    if (totalSupply < 0n) {
      throw new InvalidArgumentError({
        name: `supplies[${chainId}].totalSupply`,
        reason: "must be >= 0",
        value: totalSupply,
      });
    }
    return { chainId, supply: normalizeAmount(totalSupply, decimals, CANONICAL_DECIMALS, "up") };
  });
  const onChains = perChain.reduce((sum, chain) => sum + chain.supply, 0n);
  const supply = onChains + inFlight < 0n ? 0n : onChains + inFlight;

  const rawRatio = supply === 0n ? MAX_RATIO_BPS : (normalisedReserves * BPS) / supply;
  const scaled = supply * (BPS + marginBps);
  const requiredReserves = scaled / BPS + (scaled % BPS === 0n ? 0n : 1n);

  return {
    reserves: normalisedReserves,
    supply,
    delta: normalisedReserves - supply,
    ratioBps: rawRatio > MAX_RATIO_BPS ? MAX_RATIO_BPS : rawRatio,
    requiredReserves,
    perChain,
    inFlight,
  };
}
