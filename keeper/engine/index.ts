/** The pure decision engine: Observations in, Decisions out. No I/O, no clock. */

export { applyObservation } from "./applyObservation.ts";
export type { AssetState, ChainHistory, CreateAssetStateArgs } from "./assetState.ts";
export { createAssetState, DEFAULT_MAX_HISTORY, readAssetSnapshot } from "./assetState.ts";
export type { ComputeDeltaArgs } from "./computeDelta.ts";
export { BPS, computeDelta, MAX_RATIO_BPS } from "./computeDelta.ts";
export type { DecideArgs, DecideResult } from "./decide.ts";
export { decide } from "./decide.ts";
export type { Rounding } from "./normalize.ts";
export { assertDecimals, CANONICAL_DECIMALS, MAX_DECIMALS, normalizeAmount } from "./normalize.ts";
export type * from "./types.ts";
export { validatePolicy } from "./validatePolicy.ts";
