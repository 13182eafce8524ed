import type { PauseEvent } from "../actions/pauseExecutor.ts";
import type { Decision } from "../engine/types.ts";
import { InvalidArgumentError } from "../internal/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import { createDeliveryQueue, type DeliveryQueue } from "./delivery.ts";
import { createAlertLifecycle, type OpenAlertView } from "./lifecycle.ts";
import { type AlertMetrics, noopAlertMetrics } from "./metrics.ts";
import {
  ALERT_CONDITIONS,
  type AlertNotification,
  type AlertPolicy,
  type AlertSink,
  DEFAULT_ALERT_POLICY,
  SEVERITY_RANK,
} from "./types.ts";

export type CreateAlertManagerArgs = {
  /** Where notifications go; names must be unique. */
  readonly sinks: readonly AlertSink[];
  /** Lifecycle thresholds; missing fields take DEFAULT_ALERT_POLICY. */
  readonly policy?: Partial<AlertPolicy> | undefined;
  /** Unix ms (default Date.now). */
  readonly now?: (() => number) | undefined;
  readonly logger: Logger;
  /** Default: no metrics. */
  readonly metrics?: AlertMetrics | undefined;
  /** Jitter source in [0, 1) (default Math.random). */
  readonly random?: (() => number) | undefined;
  /** Notification ids (default randomUUID). */
  readonly newId?: (() => string) | undefined;
};

export type AlertManager = {
  /**
   * Feed every decision (KeeperHooks.onDecision). Synchronous, never throws, never waits for a sink:
   * it updates the lifecycle, enqueues what must be sent and returns.
   */
  onDecision(decision: Decision): void;
  /** Feed every pause step (KeeperHooks.onPauseEvent). Same guarantees: safe inside the pause path. */
  onPauseEvent(event: PauseEvent): void;
  openAlerts(): OpenAlertView[];
  /** Notifications not yet delivered, per sink name. */
  queueDepths(): Record<string, number>;
  /** Resolves when every queue is empty and nothing is in flight (tests, graceful shutdown). */
  flush(): Promise<void>;
  /**
   * Waits up to drainMs (default 0) for the queues to drain, then aborts what is left (counted as
   * failed, reason "closed"). Later calls to onDecision/onPauseEvent are ignored.
   */
  close(options?: { readonly drainMs?: number }): Promise<void>;
};

function checkPolicy(policy: AlertPolicy): void {
  for (const [name, value] of Object.entries(policy)) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new InvalidArgumentError({
        name: `policy.${name}`,
        reason: "must be a finite number >= 0",
        value: String(value),
      });
    }
  }
  if (policy.worsenBps < 1) {
    throw new InvalidArgumentError({
      name: "policy.worsenBps",
      reason: "must be >= 1",
      value: policy.worsenBps,
    });
  }
}

/**
 * The alert manager: the lifecycle (trigger once, re-alert only on worsening after the cooldown,
 * resolve when clear — see lifecycle.ts) in front of one bounded, retrying delivery queue per sink
 * (see delivery.ts). Notifications go to every sink whose minSeverity they reach; resolves only to
 * sinks that support them. Wire it as the keeper's hooks:
 *
 * ```ts
 * const alerts = createAlertManager({ sinks: createAlertSinks(config.alerts), policy: config.alerts, logger, metrics });
 * createKeeper({ …, hooks: { onDecision: alerts.onDecision, onPauseEvent: alerts.onPauseEvent } });
 * ```
 */
export function createAlertManager(args: CreateAlertManagerArgs): AlertManager {
  const now = args.now ?? Date.now;
  const metrics = args.metrics ?? noopAlertMetrics;
  const given = args.policy ?? {};
  // Only the policy's own fields (a whole config section may be passed, sinks included).
  const policy: AlertPolicy = {
    cooldownMs: given.cooldownMs ?? DEFAULT_ALERT_POLICY.cooldownMs,
    worsenBps: given.worsenBps ?? DEFAULT_ALERT_POLICY.worsenBps,
    staleWorsenSeconds: given.staleWorsenSeconds ?? DEFAULT_ALERT_POLICY.staleWorsenSeconds,
    resolveAfterMs: given.resolveAfterMs ?? DEFAULT_ALERT_POLICY.resolveAfterMs,
  };
  checkPolicy(policy);
  const names = new Set<string>();
  for (const sink of args.sinks) {
    if (names.has(sink.name)) {
      throw new InvalidArgumentError({
        name: "sinks",
        reason: `sink name ${sink.name} is used twice`,
        value: sink.name,
      });
    }
    names.add(sink.name);
  }
  const log = args.logger.child({ component: "alerts" });
  const lifecycle = createAlertLifecycle({ policy, now, newId: args.newId });
  const queues: DeliveryQueue[] = args.sinks.map((sink) =>
    createDeliveryQueue({ sink, logger: args.logger, metrics, random: args.random }),
  );
  let closed = false;

  function dispatch(assetId: string, notifications: readonly AlertNotification[]): void {
    for (const n of notifications) {
      metrics.alertNotificationsTotal.inc({ asset: n.assetId, condition: n.condition, kind: n.kind });
      const message =
        n.kind === "new"
          ? "alert triggered"
          : n.kind === "worsened"
            ? "alert re-triggered: worse"
            : "alert resolved";
      log[n.action === "resolve" || n.severity === "info" ? "info" : "warn"](
        {
          asset: n.assetId,
          condition: n.condition,
          dedup_key: n.dedupKey,
          severity: n.severity,
          kind: n.kind,
          notification_id: n.id,
          summary: n.summary,
        },
        message,
      );
      for (const q of queues) {
        if (SEVERITY_RANK[n.severity] < SEVERITY_RANK[q.sink.minSeverity]) continue;
        if (n.action === "resolve" && !q.sink.supportsResolve) continue;
        q.enqueue(n);
      }
    }
    if (notifications.length === 0) return;
    const open = new Set(
      lifecycle
        .openAlerts()
        .filter((a) => a.assetId === assetId && a.notified)
        .map((a) => a.condition),
    );
    for (const condition of ALERT_CONDITIONS) {
      metrics.alertOpen.set({ asset: assetId, condition }, open.has(condition) ? 1 : 0);
    }
  }

  function guarded(what: string, assetId: unknown, run: () => void): void {
    if (closed) return;
    try {
      run();
    } catch (err) {
      // Never into the caller (the runtime's decision loop, the pause path).
      try {
        metrics.alertHandlerErrorsTotal.inc();
        log.error(
          { err, asset: typeof assetId === "string" ? assetId : undefined, input: what },
          "alert handling failed",
        );
      } catch {}
    }
  }

  return {
    onDecision(decision) {
      guarded("decision", decision?.assetId, () =>
        dispatch(decision.assetId, lifecycle.onDecision(decision)),
      );
    },
    onPauseEvent(event) {
      guarded("pause_event", event?.assetId, () => dispatch(event.assetId, lifecycle.onPauseEvent(event)));
    },
    openAlerts: () => lifecycle.openAlerts(),
    queueDepths: () => Object.fromEntries(queues.map((q) => [q.sink.name, q.depth()])),
    flush: async () => {
      await Promise.all(queues.map((q) => q.idle()));
    },
    close: async ({ drainMs = 0 } = {}) => {
      if (closed) return;
      closed = true;
      if (drainMs > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          Promise.all(queues.map((q) => q.idle())),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, drainMs);
          }),
        ]);
        clearTimeout(timer);
      }
      for (const q of queues) q.close();
    },
  };
}
