import { isRetryable, KeeperError } from "../internal/errors.ts";
import type { Logger } from "../telemetry/logger.ts";
import { AlertRejectedError, AlertSinkUnavailableError } from "./errors.ts";
import { snippet } from "./http.ts";
import type { AlertMetrics } from "./metrics.ts";
import {
  type AlertNotification,
  type AlertSink,
  DEFAULT_DELIVERY,
  type DeliveryOptions,
  SEVERITY_RANK,
} from "./types.ts";

/**
 * One sink's delivery: a bounded FIFO queue drained by one worker, one notification at a time (so a
 * resolve never overtakes its trigger), each attempt under a timeout, retries with exponential
 * backoff and jitter.
 *
 * - `enqueue` is synchronous and never throws: it appends and schedules the worker on a microtask, so
 *   no request work (serialising, signing, connecting) happens inside the caller.
 * - Queue bound (queueCapacity, not counting the one in flight): when full, the LEAST SEVERE
 *   notification is dropped, the oldest among equals (the incoming one included). A burst of info
 *   notices can never push out a pending critical page; among pages of one severity the newest
 *   state wins. Every drop is counted (keeper_alerts_failed_total{reason="dropped"}) and logged.
 * - Retries: network errors, timeouts, 429 and 5xx (AlertSinkUnavailableError, or any RetryableError)
 *   are retried up to maxAttempts; the delay is backoffBaseMs·2^(n-1) capped at backoffMaxMs, with
 *   "equal jitter" (half fixed, half random), unless the sink sent Retry-After: then exactly that
 *   (capped at maxRetryAfterMs). Any other error (4xx, redirect, a sink bug) fails at once.
 * - Every failed attempt is counted by reason; every notification given up on is counted and logged.
 * - Logs name the sink only; bodies and foreign error messages are scrubbed of the sink's secrets.
 */
export type DeliveryQueue = {
  readonly sink: AlertSink;
  /** Appends a notification; never blocks, never throws. */
  enqueue(notification: AlertNotification): void;
  /** Queued + in flight. */
  depth(): number;
  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void>;
  /** Stops: aborts the attempt in flight and the backoff wait; pending notifications are given up. */
  close(): void;
};

export type CreateDeliveryQueueArgs = {
  readonly sink: AlertSink;
  readonly logger: Logger;
  readonly metrics: AlertMetrics;
  /** [0, 1); default Math.random (tests pin it). */
  readonly random?: (() => number) | undefined;
};

/** Attempt n (1-based) failed: how long to wait before attempt n + 1. */
export function retryDelayMs(
  attempt: number,
  options: Pick<DeliveryOptions, "backoffBaseMs" | "backoffMaxMs" | "maxRetryAfterMs">,
  retryAfterMs: number | undefined,
  random: () => number,
): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), options.maxRetryAfterMs);
  const exp = Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}

class ClosedSignal extends Error {}

export function createDeliveryQueue({
  sink,
  logger,
  metrics,
  random = Math.random,
}: CreateDeliveryQueueArgs): DeliveryQueue {
  const options: DeliveryOptions = { ...DEFAULT_DELIVERY, ...sink.delivery };
  const log = logger.child({ component: "alerts", sink: sink.name });
  const queue: AlertNotification[] = [];
  let inflight: AlertNotification | undefined;
  let scheduled = false;
  let closed = false;
  let abortCurrent: (() => void) | undefined;
  let idleWaiters: (() => void)[] = [];

  const labels = { sink: sink.name };
  const depth = () => queue.length + (inflight ? 1 : 0);
  const report = () => metrics.alertQueueDepth.set(labels, depth());
  const about = (n: AlertNotification) => ({
    dedup_key: n.dedupKey,
    asset: n.assetId,
    condition: n.condition,
    action: n.action,
    notification_id: n.id,
  });

  function giveUp(n: AlertNotification, reason: string, extra: Record<string, unknown>, message: string) {
    metrics.alertsFailedTotal.inc({ sink: sink.name, reason });
    log.error({ ...about(n), reason, ...extra }, message);
  }

  function enqueue(n: AlertNotification): void {
    if (closed) {
      giveUp(n, "closed", {}, "alert not sent: delivery is closed");
      return;
    }
    if (queue.length >= options.queueCapacity) {
      // The least severe, oldest among equals; the incoming one competes too (it is the newest).
      let victim = -1;
      let rank = SEVERITY_RANK[n.severity];
      for (const [i, q] of queue.entries()) {
        if (SEVERITY_RANK[q.severity] <= rank && (victim === -1 || SEVERITY_RANK[q.severity] < rank)) {
          victim = i;
          rank = SEVERITY_RANK[q.severity];
        }
      }
      const dropped = victim === -1 ? n : queue.splice(victim, 1)[0]!;
      giveUp(
        dropped,
        "dropped",
        { queue_capacity: options.queueCapacity, severity: dropped.severity },
        "alert dropped: the sink's queue is full",
      );
      if (victim === -1) return;
    }
    queue.push(n);
    report();
    schedule();
  }

  function schedule() {
    if (scheduled || inflight || closed) return;
    scheduled = true;
    // A microtask, never a timer: fake timers do not hold deliveries back, and the caller has long returned.
    queueMicrotask(() => {
      scheduled = false;
      drain().catch(() => {
        // drain guards every step; a throwing logger or metric must still not surface anywhere.
      });
    });
  }

  async function drain(): Promise<void> {
    while (!closed && !inflight && queue.length > 0) {
      const n = queue.shift()!;
      inflight = n;
      report();
      try {
        await deliver(n);
      } catch (err) {
        // deliver handles its own failures; this is a bug guard so the worker never dies.
        giveUp(n, "error", { error: describe(err) }, "alert delivery stopped unexpectedly");
      } finally {
        inflight = undefined;
        report();
      }
    }
    if (depth() === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  function describe(err: unknown): string {
    if (err instanceof KeeperError) return snippet(err.shortMessage, sink.secrets);
    if (err instanceof Error) return snippet(`${err.name}: ${err.message}`, sink.secrets);
    return snippet(String(err), sink.secrets);
  }

  function reasonOf(err: unknown): string {
    if (err instanceof AlertSinkUnavailableError || err instanceof AlertRejectedError) return err.reason;
    return "error";
  }

  /** One attempt under the timeout; rejects with ClosedSignal when close() interrupts it. */
  function attempt(n: AlertNotification): Promise<void> {
    const controller = new AbortController();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        controller.abort();
        reject(new AlertSinkUnavailableError({ sink: sink.name, reason: "timeout" }));
      }, options.timeoutMs);
      abortCurrent = () => {
        clearTimeout(timer);
        controller.abort();
        reject(new ClosedSignal());
      };
      let sent: Promise<void>;
      try {
        sent = sink.send(n, { signal: controller.signal });
      } catch (err) {
        sent = Promise.reject(err);
      }
      // A sink that ignores the signal cannot hold the queue: the timer settles this promise anyway.
      sent.then(resolve, reject).finally(() => clearTimeout(timer));
    }).finally(() => {
      abortCurrent = undefined;
    });
  }

  function wait(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      abortCurrent = () => {
        clearTimeout(timer);
        reject(new ClosedSignal());
      };
    }).finally(() => {
      abortCurrent = undefined;
    });
  }

  async function deliver(n: AlertNotification): Promise<void> {
    for (let attemptNo = 1; ; attemptNo++) {
      try {
        await attempt(n);
        metrics.alertsSentTotal.inc({ sink: sink.name, action: n.action });
        log.info({ ...about(n), attempts: attemptNo }, "alert delivered");
        return;
      } catch (err) {
        if (err instanceof ClosedSignal) {
          giveUp(n, "closed", { attempts: attemptNo }, "alert not sent: delivery closed while sending");
          return;
        }
        const reason = reasonOf(err);
        metrics.alertDeliveryErrorsTotal.inc({ sink: sink.name, reason });
        const status =
          err instanceof AlertSinkUnavailableError || err instanceof AlertRejectedError
            ? err.status
            : undefined;
        const facts = {
          attempts: attemptNo,
          failure: reason,
          status,
          error: describe(err),
          ...(err instanceof KeeperError && typeof err.details?.errorCode === "string"
            ? { error_code: err.details.errorCode }
            : {}),
          ...(err instanceof AlertRejectedError && typeof err.details?.body === "string"
            ? { body: err.details.body }
            : {}),
        };
        if (!isRetryable(err)) {
          giveUp(n, "rejected", facts, "alert rejected by the sink; not retried");
          return;
        }
        if (attemptNo >= options.maxAttempts) {
          giveUp(n, "retries_exhausted", facts, "alert delivery failed; giving up");
          return;
        }
        const retryAfterMs = err instanceof AlertSinkUnavailableError ? err.retryAfterMs : undefined;
        const delayMs = retryDelayMs(attemptNo, options, retryAfterMs, random);
        log.warn({ ...about(n), ...facts, delay_ms: delayMs }, "alert delivery failed; retrying");
        try {
          await wait(delayMs);
        } catch {
          giveUp(
            n,
            "closed",
            { attempts: attemptNo },
            "alert not sent: delivery closed while waiting to retry",
          );
          return;
        }
      }
    }
  }

  function idle(): Promise<void> {
    if (depth() === 0) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.push(resolve));
  }

  function close(): void {
    if (closed) return;
    closed = true;
    abortCurrent?.();
    for (const n of queue.splice(0)) giveUp(n, "closed", {}, "alert not sent: delivery closed");
    report();
    if (!inflight) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  return { sink, enqueue, depth, idle, close };
}
