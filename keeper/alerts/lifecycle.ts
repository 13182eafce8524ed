import { randomUUID } from "node:crypto";
import type { PauseEvent } from "../actions/pauseExecutor.ts";
import type { Decision } from "../engine/types.ts";
import { UnhandledVariantError } from "../internal/errors.ts";
import { type ConditionObservation, observeDecision } from "./conditions.ts";
import { formatBps, formatDuration } from "./format.ts";
import {
  ALERT_CONDITIONS,
  type AlertCondition,
  type AlertKind,
  type AlertNotification,
  type AlertPolicy,
  CONDITION_SEVERITY,
  dedupKeyOf,
  type JsonValue,
} from "./types.ts";

/**
 * The alert lifecycle, per (asset, condition): pure state + an injected clock, no I/O.
 *
 * - **trigger once**: the first `active` observation opens the alert and emits one `trigger` (kind
 *   `new`); further `active` observations emit nothing …
 * - **re-alert only on worsening**: … unless the condition got worse than at the last notification
 *   (ratio down by >= worsenBps, feed older by >= staleWorsenSeconds, one more chain failing to
 *   pause) AND cooldownMs passed since that notification: then one `trigger` (kind `worsened`) with
 *   the same dedup key. Improvement never notifies.
 * - **resolve when it clears**: a decision-driven alert resolves once its condition has been `clear`
 *   for resolveAfterMs (observed by a clear decision at least that long after the first clear one);
 *   an `active` observation inside that window continues the SAME alert silently, which is what
 *   keeps a condition flapping around a threshold from paging again. pause_failed resolves at once
 *   when the failing chains are paused after all (nothing flaps there).
 * - **covering**: ratio_low is not opened while a shortfall alert is open (one page for one
 *   problem); an open ratio_low stays open when the shortfall starts, but does not re-alert
 *   while covered. When the shortfall resolves and the ratio is still low, ratio_low opens then.
 * - an observation that cannot tell (missing data; a stale feed's ratio) changes nothing.
 *
 * State lives in memory: after a restart a persisting condition triggers once more, with the same
 * dedup key (PagerDuty folds it into the open incident).
 */
export type AlertLifecycle = {
  onDecision(decision: Decision): AlertNotification[];
  onPauseEvent(event: PauseEvent): AlertNotification[];
  /** Open alerts (for health endpoints, tests and debugging). */
  openAlerts(): OpenAlertView[];
};

export type OpenAlertView = {
  readonly assetId: string;
  readonly condition: AlertCondition;
  readonly dedupKey: string;
  /** false while covered (ratio_low under an open shortfall): nothing was sent for it. */
  readonly notified: boolean;
  readonly startedAtMs: number;
  readonly lastNotifiedAtMs: number | undefined;
  /** The condition is clear; the alert resolves at clearSinceMs + resolveAfterMs if it stays clear. */
  readonly clearSinceMs: number | undefined;
};

export type CreateAlertLifecycleArgs = {
  readonly policy: AlertPolicy;
  /** Unix ms. */
  readonly now: () => number;
  /** Notification ids (default randomUUID). */
  readonly newId?: (() => string) | undefined;
};

type OpenAlert = {
  readonly assetId: string;
  readonly condition: AlertCondition;
  readonly dedupKey: string;
  readonly startedAtMs: number;
  notified: boolean;
  lastNotifiedAtMs: number | undefined;
  lastNotifiedMetric: number | undefined;
  metric: number | undefined;
  summary: string;
  details: Readonly<Record<string, JsonValue>>;
  clearSinceMs: number | undefined;
  /** pause_failed: chains whose pause failed; breaker_paused: chains found paused. */
  readonly chains: Set<number>;
};

/** Conditions that keep another from opening while they are open. */
const COVERED_BY: Partial<Record<AlertCondition, readonly AlertCondition[]>> = {
  ratio_low: ["shortfall"],
};

export function createAlertLifecycle({
  policy,
  now,
  newId = randomUUID,
}: CreateAlertLifecycleArgs): AlertLifecycle {
  const alerts = new Map<string, OpenAlert>();
  const keyOf = (assetId: string, condition: AlertCondition) => dedupKeyOf(assetId, condition);

  function isWorse(a: OpenAlert): boolean {
    const { metric, lastNotifiedMetric: last } = a;
    if (metric === undefined || last === undefined) return false;
    switch (a.condition) {
      case "shortfall":
      case "ratio_low":
        return last - metric >= policy.worsenBps;
      case "feed_stale":
        return metric - last >= policy.staleWorsenSeconds;
      case "pause_failed":
        return metric > last;
      case "feed_invalid":
      case "breaker_paused":
        return false;
      default:
        throw new UnhandledVariantError({ subject: "alert condition", value: a.condition satisfies never });
    }
  }

  function formatMetric(condition: AlertCondition, metric: number): string {
    if (condition === "shortfall" || condition === "ratio_low") return formatBps(metric);
    if (condition === "feed_stale") return `${formatDuration(metric)} old`;
    return `${metric} chain${metric === 1 ? "" : "s"}`;
  }

  function isCovered(a: OpenAlert): boolean {
    return (COVERED_BY[a.condition] ?? []).some((c) => alerts.has(keyOf(a.assetId, c)));
  }

  function notification(
    a: OpenAlert,
    kind: AlertKind,
    at: number,
    extra: Record<string, JsonValue>,
  ): AlertNotification {
    const resolve = kind === "resolved";
    return {
      id: newId(),
      action: resolve ? "resolve" : "trigger",
      kind,
      dedupKey: a.dedupKey,
      assetId: a.assetId,
      condition: a.condition,
      severity: CONDITION_SEVERITY[a.condition],
      summary: a.summary,
      createdAtMs: at,
      details: {
        ...a.details,
        ...extra,
        condition: a.condition,
        kind,
        alert_started_at: new Date(a.startedAtMs).toISOString(),
      },
    };
  }

  function trigger(a: OpenAlert, kind: "new" | "worsened", at: number, out: AlertNotification[]) {
    const extra: Record<string, JsonValue> = {};
    const previous = a.lastNotifiedMetric;
    let n = notification(a, kind, at, extra);
    if (kind === "worsened" && previous !== undefined && a.metric !== undefined) {
      const tag = `[${a.assetId}]`;
      const body = a.summary.startsWith(tag) ? a.summary.slice(tag.length).trimStart() : a.summary;
      n = {
        ...n,
        summary: `${tag} Worse: ${body.replace(/\.$/, "")} (was ${formatMetric(a.condition, previous)} at the last alert).`,
        details: { ...n.details, previous_metric: previous, metric: a.metric },
      };
    }
    a.notified = true;
    a.lastNotifiedAtMs = at;
    a.lastNotifiedMetric = a.metric;
    out.push(n);
  }

  /** The condition holds now. */
  function activate(
    assetId: string,
    condition: AlertCondition,
    obs: { metric: number | undefined; summary: string; details: Readonly<Record<string, JsonValue>> },
    at: number,
    out: AlertNotification[],
  ): OpenAlert {
    const key = keyOf(assetId, condition);
    let a = alerts.get(key);
    if (a === undefined) {
      a = {
        assetId,
        condition,
        dedupKey: key,
        startedAtMs: at,
        notified: false,
        lastNotifiedAtMs: undefined,
        lastNotifiedMetric: undefined,
        metric: obs.metric,
        summary: obs.summary,
        details: obs.details,
        clearSinceMs: undefined,
        chains: new Set(),
      };
      alerts.set(key, a);
    }
    a.metric = obs.metric;
    a.summary = obs.summary;
    a.details = obs.details;
    a.clearSinceMs = undefined;
    if (isCovered(a)) return a;
    if (!a.notified) trigger(a, "new", at, out);
    else if (isWorse(a) && at - (a.lastNotifiedAtMs ?? at) >= policy.cooldownMs)
      trigger(a, "worsened", at, out);
    return a;
  }

  /** The condition does not hold now: resolve once it has been clear for holdMs. */
  function clear(
    assetId: string,
    condition: AlertCondition,
    obs: { summary: string; details: Readonly<Record<string, JsonValue>> },
    at: number,
    holdMs: number,
    out: AlertNotification[],
  ): void {
    const key = keyOf(assetId, condition);
    const a = alerts.get(key);
    if (a === undefined) return;
    a.clearSinceMs ??= at;
    if (at - a.clearSinceMs < holdMs) return;
    alerts.delete(key);
    if (!a.notified) return;
    a.summary = obs.summary;
    a.details = obs.details;
    out.push(notification(a, "resolved", at, { cleared_at: new Date(a.clearSinceMs).toISOString() }));
  }

  function apply(
    assetId: string,
    condition: AlertCondition,
    obs: ConditionObservation,
    at: number,
    out: AlertNotification[],
  ) {
    if (obs.state === "active") activate(assetId, condition, obs, at, out);
    else clear(assetId, condition, obs, at, policy.resolveAfterMs, out);
  }

  /** Open, uncovered-now alerts of pause-driven conditions may re-alert on any later evaluation. */
  function recheck(assetId: string, condition: AlertCondition, at: number, out: AlertNotification[]) {
    const a = alerts.get(keyOf(assetId, condition));
    if (a === undefined || a.clearSinceMs !== undefined) return;
    activate(assetId, condition, a, at, out);
  }

  function onDecision(decision: Decision): AlertNotification[] {
    const at = now();
    const out: AlertNotification[] = [];
    const observations = observeDecision(decision);
    for (const condition of ALERT_CONDITIONS) {
      const obs = observations.get(condition);
      if (obs) apply(decision.assetId, condition, obs, at, out);
      else if (condition === "pause_failed") recheck(decision.assetId, condition, at, out);
      else {
        // No information: an alert that is open but still covered may have been uncovered by an
        // earlier condition in this pass (shortfall resolved while ratio_low held).
        const a = alerts.get(keyOf(decision.assetId, condition));
        if (a && !a.notified && a.clearSinceMs === undefined && !isCovered(a)) trigger(a, "new", at, out);
      }
    }
    return out;
  }

  function pauseDetails(e: PauseEvent): Record<string, JsonValue> {
    const base: Record<string, JsonValue> = {
      event: e.type,
      chain_id: e.chainId,
      breaker: e.breaker,
      decision_id: e.decisionId,
    };
    if (e.type === "pause.failed") {
      return {
        ...base,
        error_code: e.code,
        error: e.reason,
        tx_hash: e.txHash ?? null,
        nonce: e.nonce ?? null,
      };
    }
    if (e.type === "pause.mined") {
      return { ...base, tx_hash: e.txHash, block_number: e.blockNumber.toString(), attempts: e.attempts };
    }
    if (e.type === "pause.already_paused") {
      return {
        ...base,
        via: e.via,
        tx_hash: e.txHash ?? null,
        block_number: e.blockNumber?.toString() ?? null,
      };
    }
    return base;
  }

  function onPauseEvent(e: PauseEvent): AlertNotification[] {
    const at = now();
    const out: AlertNotification[] = [];
    const asset = e.assetId;
    switch (e.type) {
      case "pause.failed": {
        const key = keyOf(asset, "pause_failed");
        const chains = new Set(alerts.get(key)?.chains ?? []);
        chains.add(e.chainId);
        const list = [...chains].sort((x, y) => x - y);
        const a = activate(
          asset,
          "pause_failed",
          {
            metric: chains.size,
            summary: `[${asset}] Breaker pause FAILED on chain ${list.join(", ")}: ${e.reason} (${e.code}).`,
            details: { ...pauseDetails(e), failing_chain_ids: list },
          },
          at,
          out,
        );
        a.chains.add(e.chainId);
        break;
      }
      case "pause.mined":
      case "pause.already_paused": {
        const failed = alerts.get(keyOf(asset, "pause_failed"));
        if (failed?.chains.delete(e.chainId)) {
          const list = [...failed.chains].sort((x, y) => x - y);
          failed.metric = failed.chains.size;
          // A smaller failing set is an improvement: the next failure compares against it.
          failed.lastNotifiedMetric = Math.min(failed.lastNotifiedMetric ?? failed.metric, failed.metric);
          failed.details = { ...failed.details, failing_chain_ids: list };
          if (failed.chains.size === 0) {
            clear(
              asset,
              "pause_failed",
              {
                summary: `[${asset}] Resolved: breaker pause failure; the breaker on chain ${e.chainId} is paused.`,
                details: pauseDetails(e),
              },
              at,
              0,
              out,
            );
          }
        }
        const how =
          e.type === "pause.mined"
            ? `paused by the keeper (tx ${e.txHash}, block ${e.blockNumber})`
            : `already paused (${e.via})`;
        const open = alerts.get(keyOf(asset, "breaker_paused"));
        const chains = [...(open?.chains ?? []), e.chainId].filter((c, i, all) => all.indexOf(c) === i);
        const a = activate(
          asset,
          "breaker_paused",
          {
            metric: undefined,
            summary: `[${asset}] Breaker on chain ${e.chainId} ${how}.`,
            details: { ...pauseDetails(e), paused_chain_ids: chains.sort((x, y) => x - y) },
          },
          at,
          out,
        );
        a.chains.add(e.chainId);
        break;
      }
      case "pause.requested":
      case "pause.sent":
      case "pause.replaced":
      case "pause.waiting":
        break;
      default:
        throw new UnhandledVariantError({ subject: "pause event", value: e satisfies never });
    }
    return out;
  }

  function openAlerts(): OpenAlertView[] {
    return [...alerts.values()].map((a) => ({
      assetId: a.assetId,
      condition: a.condition,
      dedupKey: a.dedupKey,
      notified: a.notified,
      startedAtMs: a.startedAtMs,
      lastNotifiedAtMs: a.lastNotifiedAtMs,
      clearSinceMs: a.clearSinceMs,
    }));
  }

  return { onDecision, onPauseEvent, openAlerts };
}
