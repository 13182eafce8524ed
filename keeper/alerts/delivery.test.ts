import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDeliveryQueue, retryDelayMs } from "./delivery.ts";
import { AlertRejectedError, AlertSinkUnavailableError } from "./errors.ts";
import { captureLogger, recordingMetrics, type SinkStep, scriptedSink } from "./testSupport.ts";
import {
  type AlertNotification,
  type AlertSeverity,
  DEFAULT_DELIVERY,
  type DeliveryOptions,
} from "./types.ts";

let seq = 0;
function notification(
  severity: AlertSeverity = "critical",
  action: "trigger" | "resolve" = "trigger",
): AlertNotification {
  seq++;
  return {
    id: `n${seq}`,
    action,
    kind: action === "trigger" ? "new" : "resolved",
    dedupKey: `reserve-keeper/dusd/c${seq}`,
    assetId: "dusd",
    condition: "shortfall",
    severity,
    summary: `notification ${seq}`,
    createdAtMs: 0,
    details: {},
  };
}

const unavailable = (status = 500, retryAfterMs?: number) =>
  new AlertSinkUnavailableError({
    sink: "fake",
    reason: status === 429 ? "http_429" : "http_5xx",
    status,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });

function setup(script: SinkStep[], delivery: Partial<DeliveryOptions> = {}, random = () => 0) {
  const fake = scriptedSink({
    script,
    delivery: { backoffBaseMs: 1_000, backoffMaxMs: 60_000, timeoutMs: 10_000, ...delivery },
  });
  const recorder = recordingMetrics();
  const log = captureLogger();
  const queue = createDeliveryQueue({
    sink: fake.sink,
    logger: log.logger,
    metrics: recorder.metrics,
    random,
  });
  return { ...fake, queue, recorder, log };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("retryDelayMs", () => {
  const options = { backoffBaseMs: 1_000, backoffMaxMs: 60_000, maxRetryAfterMs: 300_000 };
  it("doubles per attempt with equal jitter, capped", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, options, undefined, () => 0))).toEqual([
      500, 1_000, 2_000, 4_000,
    ]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, options, undefined, () => 0.999_999))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
    expect(retryDelayMs(30, options, undefined, () => 0)).toBe(30_000);
    expect(retryDelayMs(1_000, options, undefined, () => 0.999_999)).toBe(60_000);
  });
  it("uses Retry-After when the sink sent one, clamped to maxRetryAfterMs", () => {
    expect(retryDelayMs(1, options, 7_000, () => 0)).toBe(7_000);
    expect(retryDelayMs(1, options, 0, () => 0.9)).toBe(0);
    expect(retryDelayMs(1, options, 3_600_000, () => 0)).toBe(300_000);
  });
});

describe("delivery retries", () => {
  it("retries 5xx with exponential backoff and delivers once", async () => {
    const t = setup([unavailable(500), unavailable(503)]);
    t.queue.enqueue(notification());
    await vi.advanceTimersByTimeAsync(0);
    expect(t.attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(499);
    expect(t.attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // 500 ms: first retry (1000 ms base, jitter 0 → half)
    expect(t.attempts).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(999);
    expect(t.attempts).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1); // + 1000 ms: second retry
    expect(t.attempts).toHaveLength(3);
    await t.queue.idle();
    expect(t.delivered).toHaveLength(1);
    expect(t.recorder.count("sent", { sink: "fake", action: "trigger" })).toBe(1);
    expect(t.recorder.count("errors", { sink: "fake", reason: "http_5xx" })).toBe(2);
    expect(t.recorder.total("failed")).toBe(0);
    expect(t.log.text()).toContain("alert delivery failed; retrying");
  });

  it("honours Retry-After on 429", async () => {
    const t = setup([unavailable(429, 7_000)]);
    t.queue.enqueue(notification());
    await vi.advanceTimersByTimeAsync(6_999);
    expect(t.attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.attempts).toHaveLength(2);
    expect(t.recorder.count("errors", { sink: "fake", reason: "http_429" })).toBe(1);
  });

  it("does not retry a 4xx rejection", async () => {
    const t = setup([new AlertRejectedError({ sink: "fake", status: 400, body: "invalid event" })]);
    t.queue.enqueue(notification());
    await vi.advanceTimersByTimeAsync(600_000);
    expect(t.attempts).toHaveLength(1);
    expect(t.recorder.count("failed", { sink: "fake", reason: "rejected" })).toBe(1);
    expect(t.recorder.count("errors", { sink: "fake", reason: "http_4xx" })).toBe(1);
    const record = t.log.records().find((r) => r.msg === "alert rejected by the sink; not retried");
    expect(record).toMatchObject({ sink: "fake", status: 400, body: "invalid event", level: "error" });
  });

  it("gives up after maxAttempts, counting every failure", async () => {
    const t = setup(
      Array.from({ length: 10 }, () => unavailable(502)),
      { maxAttempts: 4 },
    );
    t.queue.enqueue(notification());
    await vi.advanceTimersByTimeAsync(60_000);
    await t.queue.idle();
    expect(t.attempts).toHaveLength(4);
    expect(t.recorder.count("errors", { sink: "fake", reason: "http_5xx" })).toBe(4);
    expect(t.recorder.count("failed", { sink: "fake", reason: "retries_exhausted" })).toBe(1);
    expect(t.delivered).toHaveLength(0);
  });

  it("times out a request that never answers (even if the sink ignores the signal) and retries it", async () => {
    const t = setup(["hang"], { timeoutMs: 2_000 });
    t.queue.enqueue(notification());
    await vi.advanceTimersByTimeAsync(1_999);
    expect(t.attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // timeout
    expect(t.recorder.count("errors", { sink: "fake", reason: "timeout" })).toBe(1);
    await vi.advanceTimersByTimeAsync(500); // backoff
    await t.queue.idle();
    expect(t.delivered).toHaveLength(1);
  });

  it("aborts the request's signal on timeout", async () => {
    let aborted = false;
    const t = setup(
      [
        (_n, signal) =>
          new Promise<void>((_resolve, reject) => {
            signal.addEventListener("abort", () => {
              aborted = true;
              reject(new Error("aborted"));
            });
          }),
      ],
      { timeoutMs: 1_000 },
    );
    t.queue.enqueue(notification());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(aborted).toBe(true);
  });

  it("delivers in order, one at a time (a resolve never overtakes its trigger)", async () => {
    const t = setup([unavailable(500)]);
    const trigger = notification("critical", "trigger");
    const resolve = { ...notification("critical", "resolve"), dedupKey: trigger.dedupKey };
    t.queue.enqueue(trigger);
    t.queue.enqueue(resolve);
    await vi.advanceTimersByTimeAsync(10_000);
    await t.queue.idle();
    expect(t.attempts.map((n) => n.action)).toEqual(["trigger", "trigger", "resolve"]);
  });
});

describe("delivery queue bound", () => {
  it("drops the least severe, oldest notification when full — counted and logged", async () => {
    const t = setup(["hang"], { queueCapacity: 3, timeoutMs: 60_000 });
    const inflight = notification("info");
    t.queue.enqueue(inflight);
    await vi.advanceTimersByTimeAsync(0); // now in flight: not part of the bound
    const [c1, w1, c2, i1, w2] = [
      notification("critical"),
      notification("warning"),
      notification("critical"),
      notification("info"),
      notification("warning"),
    ];
    for (const n of [c1, w1, c2]) t.queue.enqueue(n!);
    expect(t.queue.depth()).toBe(4);
    expect(t.recorder.gauge("depth", { sink: "fake" })).toBe(4);
    t.queue.enqueue(i1!); // less severe than everything queued: the newcomer itself goes
    t.queue.enqueue(w2!); // w1 (warning, oldest of the least severe) goes
    expect(t.recorder.count("failed", { sink: "fake", reason: "dropped" })).toBe(2);
    const drops = t.log.records().filter((r) => r.msg === "alert dropped: the sink's queue is full");
    expect(drops.map((r) => r.notification_id)).toEqual([i1!.id, w1!.id]);
    expect(drops[0]).toMatchObject({ sink: "fake", queue_capacity: 3, level: "error" });
    await vi.advanceTimersByTimeAsync(60_000 + 500); // the hung attempt times out, then everything flows
    await t.queue.idle();
    expect(t.delivered.map((n) => n.id)).toEqual([inflight.id, c1!.id, c2!.id, w2!.id]);
    expect(t.queue.depth()).toBe(0);
    expect(t.recorder.gauge("depth", { sink: "fake" })).toBe(0);
  });

  it("enqueue never blocks: nothing is sent inside the call", () => {
    const t = setup([]);
    t.queue.enqueue(notification());
    expect(t.attempts).toHaveLength(0);
  });

  it("close() aborts the attempt in flight and gives up on the queue", async () => {
    const t = setup(["hang"]);
    t.queue.enqueue(notification());
    t.queue.enqueue(notification());
    await vi.advanceTimersByTimeAsync(0);
    const idle = t.queue.idle();
    t.queue.close();
    await idle;
    expect(t.recorder.count("failed", { sink: "fake", reason: "closed" })).toBe(2);
    t.queue.enqueue(notification());
    expect(t.recorder.count("failed", { sink: "fake", reason: "closed" })).toBe(3);
    expect(t.attempts).toHaveLength(1);
  });

  it("close() during a backoff wait stops the retries", async () => {
    const t = setup([unavailable(500)]);
    t.queue.enqueue(notification());
    await vi.advanceTimersByTimeAsync(100);
    t.queue.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.attempts).toHaveLength(1);
    expect(t.recorder.count("failed", { sink: "fake", reason: "closed" })).toBe(1);
  });

  it("has sane defaults", () => {
    expect(DEFAULT_DELIVERY).toMatchObject({ queueCapacity: 100, timeoutMs: 10_000, maxAttempts: 10 });
  });
});
