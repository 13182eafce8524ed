import { UnhandledVariantError } from "../internal/errors.ts";
import { computeDelta } from "./computeDelta.ts";
import type {
  AssetSnapshot,
  Decision,
  DecisionInputs,
  DecisionReason,
  DecisionState,
  DecisionType,
  Policy,
  RatioLevel,
} from "./types.ts";
import { validatePolicy } from "./validatePolicy.ts";

export type DecideArgs = {
  /** What the previous decide call returned as nextState; undefined for the first call. */
  readonly state: DecisionState | undefined;
  /** Latest reserve round and per-chain supply (readAssetSnapshot(assetState)). */
  readonly asset: AssetSnapshot;
  readonly policy: Policy;
  /** Unix seconds. The only clock the engine sees. */
  readonly now: bigint;
};

export type DecideResult = {
  readonly decision: Decision;
  readonly nextState: DecisionState;
};

const RANK: Readonly<Record<RatioLevel, number>> = { healthy: 0, warning: 1, breach: 2 };

/**
 * Decides one asset's status. Rules, first match wins:
 * 1. unknown — reserves or any configured chain's supply never observed (or retracted by a reorg),
 *    or the reserve answer is <= 0, or updatedAt is more than clockSkewSeconds in the future.
 *    Missing data never pauses; an unusable answer (<= 0, from the future) is a feed failure like a
 *    stale feed, so it pauses iff staleAction = "pause" (the on-chain verifier lets anyone trip then).
 * 2. stale — now - updatedAt > heartbeatSeconds + graceSeconds (time alone triggers it; no new
 *    observation needed). shouldPause iff staleAction = "pause", or the last answer already puts the
 *    ratio below pauseRatioBps (a stale feed never hides a shortfall it has reported).
 * 3. breach (ratio < pauseRatioBps, shouldPause), warning (ratio < warnRatioBps), healthy —
 *    with hysteresis: once at a worse level, the level only improves when the ratio reaches the
 *    threshold it crossed + hysteresisBps, so a ratio hovering at a threshold does not flap.
 *    The hysteresis anchor (state.level) survives stale/unknown spells.
 * `changed` compares the decision type with the previous call's. Throws InvalidPolicyError for a
 * bad policy.
 */
export function decide({ state, asset, policy, now }: DecideArgs): DecideResult {
  validatePolicy(policy);
  const previousType = state?.lastType;
  const inputs = collectInputs(asset);
  const common = (type: DecisionType) => ({
    assetId: asset.assetId,
    decidedAt: now,
    inputs,
    previousType,
    changed: previousType !== type,
  });
  const reasons: DecisionReason[] = [];

  const { reserve } = asset;
  if (reserve === undefined) reasons.push({ type: "reserve.missing" });
  for (const { chainId, observation } of asset.supplies) {
    if (observation === undefined) reasons.push({ type: "supply.missing", chainId });
  }
  if (reserve !== undefined) {
    const clockSkewSeconds = policy.clockSkewSeconds ?? 0n;
    if (reserve.answer <= 0n) {
      reasons.push({ type: "reserve.answer_not_positive", answer: reserve.answer, roundId: reserve.roundId });
    }
    if (reserve.updatedAt > now + clockSkewSeconds) {
      reasons.push({
        type: "reserve.updated_in_future",
        updatedAt: reserve.updatedAt,
        now,
        clockSkewSeconds,
      });
    }
  }
  if (reserve === undefined || reasons.length > 0) {
    const feedFailed = reasons.some(
      (r) => r.type === "reserve.answer_not_positive" || r.type === "reserve.updated_in_future",
    );
    return {
      decision: {
        ...common("unknown"),
        type: "unknown",
        shouldPause: feedFailed && policy.staleAction === "pause",
        reasons,
        reserves: undefined,
        supply: undefined,
        delta: undefined,
        ratioBps: undefined,
        requiredReserves: undefined,
        perChain: undefined,
        inFlight: undefined,
      },
      nextState: { lastType: "unknown", level: state?.level },
    };
  }

  const figures = computeDelta({
    reserves: { answer: reserve.answer, decimals: reserve.feedDecimals },
    supplies: asset.supplies.flatMap(({ observation }) =>
      observation === undefined
        ? []
        : [
            {
              chainId: observation.chainId,
              totalSupply: observation.totalSupply,
              decimals: observation.tokenDecimals,
            },
          ],
    ),
    marginBps: policy.marginBps,
    inFlight: asset.inFlight,
  });

  const rawAge = now - reserve.updatedAt;
  const ageSeconds = rawAge < 0n ? 0n : rawAge;
  const maxAgeSeconds = policy.heartbeatSeconds + policy.graceSeconds;
  if (ageSeconds > maxAgeSeconds) {
    reasons.push({ type: "reserve.stale", ageSeconds, maxAgeSeconds });
    reasons.push(...ratioReasons(figures.ratioBps, policy));
    return {
      decision: {
        ...common("stale"),
        ...figures,
        type: "stale",
        shouldPause: policy.staleAction === "pause" || figures.ratioBps < policy.pauseRatioBps,
        reasons,
        ageSeconds,
        maxAgeSeconds,
      },
      nextState: { lastType: "stale", level: state?.level },
    };
  }

  const { level, releaseAtBps } = nextLevel(state?.level, figures.ratioBps, policy);
  reasons.push(...ratioReasons(figures.ratioBps, policy));
  if (releaseAtBps !== undefined) {
    reasons.push({ type: "hysteresis.held", level, ratioBps: figures.ratioBps, releaseAtBps });
  }
  const nextState: DecisionState = { lastType: level, level };
  switch (level) {
    case "healthy":
      return {
        decision: { ...common(level), ...figures, type: level, shouldPause: false, reasons },
        nextState,
      };
    case "warning":
      return {
        decision: { ...common(level), ...figures, type: level, shouldPause: false, reasons },
        nextState,
      };
    case "breach":
      return {
        decision: { ...common(level), ...figures, type: level, shouldPause: true, reasons },
        nextState,
      };
    default:
      throw new UnhandledVariantError({ subject: "ratio level", value: level satisfies never });
  }
}

function classify(ratioBps: bigint, pauseRatioBps: bigint, warnRatioBps: bigint): RatioLevel {
  if (ratioBps < pauseRatioBps) return "breach";
  if (ratioBps < warnRatioBps) return "warning";
  return "healthy";
}

/**
 * The level after hysteresis. Worsening is immediate. Improving from `previous` goes only as far
 * as the thresholds raised by hysteresisBps allow; `releaseAtBps` is set when a worse level than
 * the plain thresholds give is held.
 */
function nextLevel(
  previous: RatioLevel | undefined,
  ratioBps: bigint,
  policy: Policy,
): { level: RatioLevel; releaseAtBps: bigint | undefined } {
  const raw = classify(ratioBps, policy.pauseRatioBps, policy.warnRatioBps);
  if (previous === undefined || RANK[raw] >= RANK[previous]) return { level: raw, releaseAtBps: undefined };
  const { pauseRatioBps, warnRatioBps, hysteresisBps } = policy;
  const sticky = classify(ratioBps, pauseRatioBps + hysteresisBps, warnRatioBps + hysteresisBps);
  const level = RANK[sticky] < RANK[previous] ? sticky : previous;
  if (level === raw) return { level, releaseAtBps: undefined };
  const releaseAtBps = (level === "breach" ? pauseRatioBps : warnRatioBps) + hysteresisBps;
  return { level, releaseAtBps };
}

function ratioReasons(ratioBps: bigint, policy: Policy): DecisionReason[] {
  if (ratioBps < policy.pauseRatioBps) {
    return [{ type: "ratio.below_pause", ratioBps, pauseRatioBps: policy.pauseRatioBps }];
  }
  if (ratioBps < policy.warnRatioBps) {
    return [{ type: "ratio.below_warn", ratioBps, warnRatioBps: policy.warnRatioBps }];
  }
  return [];
}

function collectInputs(asset: AssetSnapshot): DecisionInputs {
  const { reserve } = asset;
  return {
    reserve:
      reserve === undefined
        ? undefined
        : {
            chainId: reserve.chainId,
            feed: reserve.feed,
            aggregator: reserve.aggregator,
            roundId: reserve.roundId,
            answer: reserve.answer,
            feedDecimals: reserve.feedDecimals,
            updatedAt: reserve.updatedAt,
            block: reserve.block,
          },
    supplies: asset.supplies.flatMap(({ observation: o }) =>
      o === undefined
        ? []
        : [
            {
              chainId: o.chainId,
              token: o.token,
              totalSupply: o.totalSupply,
              tokenDecimals: o.tokenDecimals,
              block: o.block,
            },
          ],
    ),
  };
}
