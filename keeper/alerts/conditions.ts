import type { Decision, DecisionReason } from "../engine/types.ts";
import { UnhandledVariantError } from "../internal/errors.ts";
import { decisionDetails, formatBps, formatDuration, formatTokens } from "./format.ts";
import type { AlertCondition, JsonValue } from "./types.ts";

/**
 * What one decision says about each decision-driven condition of its asset:
 * - `active`: the condition holds now (`metric` is what worsening is measured on);
 * - `clear`: it demonstrably does not hold;
 * - absent: the decision cannot tell (missing data, or an answer too old/unusable to judge the
 *   ratio) — the alert keeps its state: no trigger, and no step towards resolving.
 *
 * | decision | shortfall | ratio_low | feed_stale | feed_invalid | breaker_paused |
 * |---|---|---|---|---|---|
 * | healthy | clear | clear | clear | clear | clear |
 * | warning | clear | active | clear | clear | – |
 * | breach | active | active (covered by shortfall) | clear | clear | – |
 * | stale | active if the old ratio < pause, else – | active if the old ratio < warn, else – | active | clear | – |
 * | unknown, answer <= 0 or from the future | – | – | – | active | – |
 * | unknown, data missing | – | – | – | – | – |
 *
 * pause_failed and breaker_paused start from pause events (see the lifecycle); a healthy decision
 * clears breaker_paused (reserves recovered; only the signers unpause).
 */
export type ConditionObservation =
  | {
      readonly state: "active";
      /** shortfall/ratio_low: ratio bps; feed_stale: age seconds; others: undefined (never "worse"). */
      readonly metric: number | undefined;
      readonly summary: string;
      readonly details: Readonly<Record<string, JsonValue>>;
    }
  | {
      readonly state: "clear";
      /** The resolve message, should this clear observation end the alert. */
      readonly summary: string;
      readonly details: Readonly<Record<string, JsonValue>>;
    };

export type DecisionObservations = ReadonlyMap<AlertCondition, ConditionObservation>;

const hasReason = (d: Decision, type: DecisionReason["type"]) => d.reasons.some((r) => r.type === type);
const findReason = <T extends DecisionReason["type"]>(d: Decision, type: T) =>
  d.reasons.find((r): r is Extract<DecisionReason, { type: T }> => r.type === type);

/** The ratio part of a summary: "ratio 97.50% (pause threshold 100.00%), reserves 975,000 vs supply 1,000,000 (delta -25,000)". */
function ratioText(d: Decision, threshold: { label: string; bps: bigint } | undefined): string {
  if (d.ratioBps === undefined) return "ratio unknown";
  const t = threshold ? ` (${threshold.label} threshold ${formatBps(threshold.bps)})` : "";
  const held = findReason(d, "hysteresis.held");
  const h = held ? `, held until ${formatBps(held.releaseAtBps)}` : "";
  return `ratio ${formatBps(d.ratioBps)}${t}${h}, reserves ${formatTokens(d.reserves)} vs supply ${formatTokens(d.supply)} (delta ${formatTokens(d.delta)})`;
}

function pauseThreshold(d: Decision) {
  const r = findReason(d, "ratio.below_pause");
  return r ? { label: "pause", bps: r.pauseRatioBps } : undefined;
}

function warnThreshold(d: Decision) {
  const r = findReason(d, "ratio.below_warn");
  return r ? { label: "warn", bps: r.warnRatioBps } : undefined;
}

/** Reads every decision-driven condition off one decision (see the table above). */
export function observeDecision(d: Decision): DecisionObservations {
  const out = new Map<AlertCondition, ConditionObservation>();
  const asset = d.assetId;
  const details = decisionDetails(d);
  const now = d.ratioBps === undefined ? "" : ` (ratio now ${formatBps(d.ratioBps)})`;
  const clear = (condition: AlertCondition, summary: string) =>
    out.set(condition, { state: "clear", summary, details });
  const active = (condition: AlertCondition, metric: number | undefined, summary: string) =>
    out.set(condition, { state: "active", metric, summary, details });
  const ratio = d.ratioBps === undefined ? undefined : Number(d.ratioBps);

  const clearRatio = () => {
    clear("shortfall", `[${asset}] Resolved: reserve shortfall${now}.`);
    if (d.type === "healthy") clear("ratio_low", `[${asset}] Resolved: reserve ratio low${now}.`);
  };
  const clearFeed = () => {
    const reserve = d.inputs.reserve;
    const age =
      reserve === undefined || d.decidedAt < reserve.updatedAt
        ? ""
        : ` (last update ${formatDuration(d.decidedAt - reserve.updatedAt)} ago)`;
    clear("feed_stale", `[${asset}] Resolved: PoR feed updated again${age}.`);
    clear("feed_invalid", `[${asset}] Resolved: PoR feed answer valid again.`);
  };

  switch (d.type) {
    case "healthy":
      clearRatio();
      clearFeed();
      clear(
        "breaker_paused",
        `[${asset}] Resolved: reserves healthy again${now}; the breaker stays paused until the signers unpause it.`,
      );
      break;
    case "warning":
      clearRatio();
      active("ratio_low", ratio, `[${asset}] Reserve ratio low: ${ratioText(d, warnThreshold(d))}.`);
      clearFeed();
      break;
    case "breach":
      active(
        "shortfall",
        ratio,
        `[${asset}] Reserve shortfall: ${ratioText(d, pauseThreshold(d))}; the breaker is being paused.`,
      );
      active("ratio_low", ratio, `[${asset}] Reserve ratio low: ${ratioText(d, pauseThreshold(d))}.`);
      clearFeed();
      break;
    case "stale": {
      const age = `last update ${formatDuration(d.ageSeconds)} ago (max ${formatDuration(d.maxAgeSeconds)})`;
      active(
        "feed_stale",
        Number(d.ageSeconds),
        `[${asset}] PoR feed stale: ${age}${d.shouldPause ? "; the breaker is being paused" : ""}.`,
      );
      clear("feed_invalid", `[${asset}] Resolved: PoR feed answer valid again.`);
      if (hasReason(d, "ratio.below_pause")) {
        active(
          "shortfall",
          ratio,
          `[${asset}] Reserve shortfall (last answer of a stale feed): ${ratioText(d, pauseThreshold(d))}.`,
        );
      }
      if (hasReason(d, "ratio.below_pause") || hasReason(d, "ratio.below_warn")) {
        active(
          "ratio_low",
          ratio,
          `[${asset}] Reserve ratio low (last answer of a stale feed): ${ratioText(d, warnThreshold(d) ?? pauseThreshold(d))}.`,
        );
      }
      break;
    }
    case "unknown": {
      const notPositive = findReason(d, "reserve.answer_not_positive");
      const future = findReason(d, "reserve.updated_in_future");
      if (notPositive || future) {
        const why = notPositive
          ? `answer ${notPositive.answer} in round ${notPositive.roundId} (must be > 0)`
          : `updatedAt ${future?.updatedAt} is ${formatDuration((future?.updatedAt ?? 0n) - (future?.now ?? 0n))} in the future`;
        const pausing = d.shouldPause ? "; the breaker is being paused" : "";
        active("feed_invalid", undefined, `[${asset}] PoR feed answer unusable: ${why}${pausing}.`);
      }
      break;
    }
    default:
      throw new UnhandledVariantError({ subject: "decision", value: d satisfies never });
  }
  return out;
}
